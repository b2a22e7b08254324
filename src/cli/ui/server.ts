/**
 * `prontodb ui`: the dashboard (media/) served to a browser by Node's own `http` module, on the
 * same host side as the VS Code webview (core/dashboard/service.ts). Security first:
 * - loopback by default; another address needs --allow-remote and prints a warning;
 * - a random token per start, required on every request (`?token=` or `Authorization: Bearer`),
 *   compared in constant time; the page carries it (URL hash is not sent to the server, so the
 *   HTML gets it in the query, then the page sends it as a header);
 * - `Host` must name this server (no DNS rebinding); an `Origin` other than this server's is
 *   refused (no cross-site requests); no CORS headers at all;
 * - a strict Content-Security-Policy, no caching, no referrer;
 * - --read-only refuses writes here, before the service sees them.
 */
import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { dashboardCsp, dashboardHtml } from '../../core/dashboard/html';
import { type DatabaseMetrics, PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../core/dashboard/metrics';
import type { RequestEnvelope } from '../../core/dashboard/protocol';
import { DashboardService } from '../../core/dashboard/service';
import { ProntoError, usageError } from '../../core/errors';
import type { CommandContext, ExitCode } from '../commandTable';
import { selectionOf, status } from '../session';

export interface UiOptions {
  port: number;
  host: string;
  readOnly: boolean;
  open: boolean;
  allowRemote: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WRITE_TYPES = new Set(['set', 'delete', 'migrate']);
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Where the built page lives: `media/dist` beside the CLI bundle's folder (dist/ → ../media/dist). */
export function mediaDirectory(): string {
  for (const candidate of [path.join(__dirname, '..', 'media', 'dist'), path.join(__dirname, '..', '..', '..', 'media', 'dist')]) {
    if (fs.existsSync(path.join(candidate, 'dashboard.js'))) return candidate;
  }
  throw new ProntoError('not-found', `The dashboard's files are missing (media/dist/dashboard.js next to ${__dirname}); build them with npm run build`);
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(response: http.ServerResponse, code: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  response.writeHead(code, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...extra,
  });
  response.end(body);
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(usageError(`Request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function serveUi(context: CommandContext, options: UiOptions): Promise<ExitCode> {
  if (!LOOPBACK.has(options.host) && !options.allowRemote) {
    throw usageError(`--host ${options.host} is not a loopback address: anyone who can reach it and learns the token can read (and, without --read-only, change) your data. Add --allow-remote if you mean it`);
  }
  const pronto = context.pronto;
  pronto.client = 'ui';
  const media = mediaDirectory();
  const token = randomBytes(24).toString('base64url');
  const startedAt = Date.now();
  const service = new DashboardService(pronto, {
    host: 'browser',
    version: context.version,
    readOnly: options.readOnly,
    activeTarget: () => pronto.resolve(selectionOf(context)),
  });

  let allowedHosts = new Set<string>();
  let origin = '';
  let cookieName = 'prontodb-ui';
  const server = http.createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      const message = error instanceof ProntoError ? error.message : 'internal error';
      if (!(error instanceof ProntoError)) context.io.err(`ui: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) send(response, error instanceof ProntoError && error.code === 'usage' ? 400 : 500, message);
      else response.end();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    // Host first: a page on another site that rebinds its DNS name to 127.0.0.1 sends its own name here.
    if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) return send(response, 403, 'Forbidden: unexpected Host');
    const requestOrigin = request.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== origin) return send(response, 403, 'Forbidden: cross-origin request');
    const url = new URL(request.url ?? '/', origin);
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((part) => part.startsWith(`${cookieName}=`))?.slice(cookieName.length + 1);
    if (!sameToken(bearer ?? url.searchParams.get('token') ?? cookie, token)) {
      return send(response, 401, 'Unauthorized: this URL needs the token prontodb ui printed', 'text/plain; charset=utf-8', { 'WWW-Authenticate': 'Bearer' });
    }

    if (request.method === 'GET' && url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const asset = (name: string): string => `/${name}?token=${encodeURIComponent(token)}`;
      const html = dashboardHtml({
        scriptUri: asset('dashboard.js'),
        styleUri: asset('dashboard.css'),
        codiconsUri: asset('codicon.css'),
        nonce,
        cspSource: "'self'",
        connectSource: "'self'",
        title: 'ProntoDB',
      });
      // The same policy as the page's meta tag, as a header too (which also forbids framing).
      const csp = `${dashboardCsp({ nonce, cspSource: "'self'", connectSource: "'self'" })}; frame-ancestors 'none'`;
      // Assets a stylesheet loads (the icon font) cannot carry the token in their URL: the page's
      // own cookie, strict to this site and named for this port, carries it for them.
      return send(response, 200, html, 'text/html; charset=utf-8', {
        'Content-Security-Policy': csp,
        'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    if (request.method === 'POST' && url.pathname === '/api') {
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return send(response, 415, 'Unsupported Media Type: send application/json');
      let envelope: RequestEnvelope;
      try {
        envelope = JSON.parse(await readBody(request)) as RequestEnvelope;
      } catch (error) {
        if (error instanceof ProntoError) throw error;
        return send(response, 400, 'Bad Request: the body is not JSON');
      }
      const type = envelope?.request?.type;
      const fixing = type === 'doctor' && envelope.request.type === 'doctor' && envelope.request.fix === true;
      if (options.readOnly && (WRITE_TYPES.has(type) || fixing)) {
        service.counts.errors.set(type, (service.counts.errors.get(type) ?? 0) + 1);
        return send(
          response,
          403,
          JSON.stringify({ id: envelope.id, ok: false, error: { code: 'read-only', message: `This dashboard is read-only: '${type}' is refused` } }),
          'application/json; charset=utf-8',
        );
      }
      return send(response, 200, JSON.stringify(await service.handle(envelope)), 'application/json; charset=utf-8');
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Connection: 'keep-alive' });
      response.write(': connected\n\n');
      const subscription = service.watch((notice) => response.write(`data: ${JSON.stringify(notice)}\n\n`));
      // Says when every listed database is watched, so a client (and the tests) know nothing is missed from here on.
      void subscription.ready.then(() => response.write(': watching\n\n'));
      const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
      request.on('close', () => {
        clearInterval(heartbeat);
        subscription.dispose();
      });
      return;
    }
    if (request.method === 'GET' && url.pathname === '/metrics') {
      const databases: DatabaseMetrics[] = [];
      for (const target of service.targets().values()) {
        const { status: databaseState, health } = await service.summary(target);
        databases.push({ status: databaseState, health: health?.status ?? null });
      }
      return send(response, 200, prometheusText(databases, { counts: service.counts, client: 'ui', startedAt }), PROMETHEUS_CONTENT_TYPE);
    }
    if (request.method === 'GET' && /^\/[\w.-]+$/.test(url.pathname) && STATIC_TYPES[path.extname(url.pathname)]) {
      // One path segment of word characters: nothing outside media/dist can be named.
      const file = path.join(media, url.pathname.slice(1));
      if (!fs.existsSync(file)) return send(response, 404, 'Not Found');
      return send(response, 200, fs.readFileSync(file), STATIC_TYPES[path.extname(url.pathname)]);
    }
    return send(response, 404, 'Not Found');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ProntoError('io', `Port ${options.port} is in use on ${options.host}; choose another with --port`) : error),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  origin = `http://${hostInUrl}:${port}`;
  cookieName = `prontodb-ui-${port}`;
  const names = LOOPBACK.has(options.host) ? ['127.0.0.1', 'localhost', '[::1]'] : [hostInUrl];
  allowedHosts = new Set(names.map((name) => `${name}:${port}`.toLowerCase()));
  const link = `${origin}/?token=${token}`;
  if (!LOOPBACK.has(options.host)) context.io.err(`warning: serving on ${options.host}, not only this machine: keep the token secret${options.readOnly ? '' : ', or use --read-only'}`);
  context.io.out(`ProntoDB dashboard${options.readOnly ? ' (read-only)' : ''}: ${link}\n`);
  status(context, 'Press Ctrl+C to stop.');
  if (options.open) openBrowser(link);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Best effort: the URL is printed anyway. */
function openBrowser(link: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', link] : [link];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser opener here
  }
}
