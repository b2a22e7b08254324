/**
 * `prontodb ui` as a real process: the token on every request, Host and Origin checks, read-only
 * refusing writes on the server, the API and live events, and /metrics checked by a Prometheus
 * text parser. The page itself is driven in Chromium by test/ui (dashboard checks).
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { CLI, REPO_ROOT, Sandbox, sqliteRows } from '../helpers/cliHarness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Array<{ name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;

let box: Sandbox;

before(function () {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'node esbuild.config.mjs' first`);
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'media', 'dist', 'dashboard.js')), 'media/dist is missing: run node esbuild.config.mjs first');
});
beforeEach(() => {
  box = new Sandbox('prontodb-ui-');
});
afterEach(() => box.cleanup());

interface Server {
  child: ChildProcess;
  url: URL;
  token: string;
  port: number;
  stop(): Promise<void>;
}

async function startUi(args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'ui', '--no-open', ...args], { cwd: box.root, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /(http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`prontodb ui exited ${code}: ${stdout}${stderr}`)));
    setTimeout(() => reject(new Error(`prontodb ui printed no URL: ${stdout}${stderr}`)), 20_000);
  });
  const url = new URL(line);
  return {
    child,
    url,
    token: url.searchParams.get('token')!,
    port: Number(url.port),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(server: Server, pathAndQuery: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathAndQuery, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function api(server: Server, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(server, '/api', {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const keyAddress = { project: 'app', namespace: 'cfg', key: 'mode', context: null };

describe('prontodb ui', function () {
  this.timeout(60_000);
  let server: Server | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('binds loopback with a token, serves the page with a strict CSP, and answers the API', async () => {
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    server = await startUi();
    assert.equal(server.url.hostname, '127.0.0.1');
    assert.match(server.token, /^[\w-]{32}$/);
    const page = await request(server, `/?token=${server.token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; script-src 'nonce-[^']+'/);
    assert.match(page.body, /<script nonce="[^"]+" src="\/dashboard\.js\?token=/);
    assert.equal(page.headers['access-control-allow-origin'], undefined, 'no CORS');
    assert.match(String(page.headers['set-cookie']), new RegExp(`prontodb-ui-${server.port}=${server.token}; HttpOnly; SameSite=Strict`));
    const script = await request(server, `/dashboard.js?token=${server.token}`);
    assert.deepEqual([script.status, script.headers['content-type']], [200, 'text/javascript; charset=utf-8']);
    const got = JSON.parse((await api(server, { id: 1, request: { type: 'get', database: 'main', address: keyAddress } })).body);
    assert.deepEqual([got.id, got.ok, got.result.entry.value], [1, true, 'blue']);
    const overview = JSON.parse((await api(server, { id: 2, request: { type: 'overview' } })).body);
    assert.deepEqual(overview.result.databases.map((db: { ref: string; active: boolean }) => [db.ref, db.active]), [['main', true]]);
    const set = JSON.parse((await api(server, { id: 3, request: { type: 'set', database: 'main', address: keyAddress, value: 'green', expected: { value: 'blue' } } })).body);
    assert.equal(set.ok, true);
    assert.equal(await box.ok(['get', 'app.cfg.mode']), 'green\n', 'an edit lands in the file');
    const stale = JSON.parse((await api(server, { id: 4, request: { type: 'set', database: 'main', address: keyAddress, value: 'red', expected: { value: 'blue' } } })).body);
    assert.deepEqual([stale.ok, stale.error.code], [false, 'condition-failed']);
    const unknown = JSON.parse((await api(server, { id: 5, request: { type: 'get', database: '../etc/passwd', address: keyAddress } })).body);
    assert.deepEqual([unknown.ok, unknown.error.code], [false, 'not-found']);
  });

  it('refuses requests without the token or with a wrong one (401), a foreign Host or a cross-site Origin (403)', async () => {
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    server = await startUi();
    assert.equal((await request(server, '/')).status, 401);
    assert.equal((await request(server, '/?token=wrong')).status, 401);
    assert.equal((await request(server, `/?token=${server.token.slice(0, -1)}x`)).status, 401);
    assert.equal((await api(server, { id: 1, request: { type: 'overview' } }, { Authorization: 'Bearer nope' })).status, 401);
    assert.equal((await request(server, '/metrics')).status, 401);
    assert.equal((await request(server, `/events`)).status, 401);
    assert.equal((await request(server, `/?token=${server.token}`, { headers: { Host: `evil.example:${server.port}` } })).status, 403, 'DNS rebinding: a foreign Host');
    const crossSite = await api(server, { id: 1, request: { type: 'set', database: 'main', address: keyAddress, value: 'pwned' } }, { Origin: 'http://evil.example' });
    assert.equal(crossSite.status, 403);
    const otherPort = await api(server, { id: 1, request: { type: 'set', database: 'main', address: keyAddress, value: 'pwned' } }, { Origin: `http://127.0.0.1:${server.port + 1}` });
    assert.equal(otherPort.status, 403);
    const sameSite = await api(server, { id: 1, request: { type: 'overview' } }, { Origin: `http://127.0.0.1:${server.port}` });
    assert.equal(sameSite.status, 200);
    assert.equal((await request(server, `/..%2f..%2fpackage.json?token=${server.token}`)).status, 404);
    assert.equal((await api(server, { id: 1, request: { type: 'overview' } }, { 'Content-Type': 'text/plain' })).status, 415);
    assert.equal(await box.ok(['get', 'app.cfg.mode']), 'blue\n', 'nothing changed');
  });

  it('--read-only refuses writes with 403 on the server and changes nothing', async () => {
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    const before = sqliteRows(box.dbFile(), 'SELECT value, updated_at FROM kv;');
    server = await startUi(['--read-only']);
    for (const write of [
      { type: 'set', database: 'main', address: keyAddress, value: 'x' },
      { type: 'delete', database: 'main', address: keyAddress },
      { type: 'migrate', database: 'main' },
      { type: 'doctor', database: 'main', fix: true },
    ]) {
      const reply = await api(server, { id: 9, request: write });
      assert.equal(reply.status, 403, JSON.stringify(write));
      assert.equal(JSON.parse(reply.body).error.code, 'read-only');
    }
    const hello = JSON.parse((await api(server, { id: 1, request: { type: 'hello' } })).body);
    assert.equal(hello.result.readOnly, true);
    assert.equal((await api(server, { id: 2, request: { type: 'doctor', database: 'main' } })).status, 200, 'reading works');
    assert.deepEqual(sqliteRows(box.dbFile(), 'SELECT value, updated_at FROM kv;'), before);
  });

  it('pushes a change notice within 1 s of a write by another process', async () => {
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    server = await startUi();
    const events: string[] = [];
    let watching = false;
    let arrivedAt = 0;
    const stream = http.get({ host: '127.0.0.1', port: server.port, path: `/events?token=${server.token}` });
    const connected = new Promise<http.IncomingMessage>((resolve) => stream.on('response', resolve));
    const response = await connected;
    assert.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8');
    response.on('data', (chunk: Buffer) => {
      const lines = chunk.toString().split('\n');
      watching ||= lines.includes(': watching');
      events.push(...lines.filter((line) => line.startsWith('data: ')));
      if (events.length > 0 && arrivedAt === 0) arrivedAt = Date.now();
    });
    while (!watching) await new Promise((resolve) => setTimeout(resolve, 10));
    await box.ok(['set', 'app.cfg.mode', 'green'], { via: 'spawn' });
    const acknowledged = Date.now();
    while (events.length === 0 && Date.now() - acknowledged < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
    stream.destroy();
    assert.ok(events.length > 0, 'a notice arrived');
    assert.deepEqual(JSON.parse(events[0]!.slice('data: '.length)), { type: 'changed', database: 'main' });
    assert.ok(arrivedAt - acknowledged < 1000, `the notice came ${arrivedAt - acknowledged} ms after the write was acknowledged`);
  });

  it('/metrics parses as Prometheus text with per-database gauges and served counters; status --prometheus prints the gauges', async () => {
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    await box.ok(['db', 'create', 'team']);
    server = await startUi();
    await api(server, { id: 1, request: { type: 'overview' } });
    await api(server, { id: 2, request: { type: 'get', database: 'nowhere', address: keyAddress } });
    const reply = await request(server, '/metrics', { headers: { Authorization: `Bearer ${server.token}` } });
    assert.equal(reply.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const families = new Map(parsePrometheus(reply.body).map((family) => [family.name, family]));
    const keys = families.get('prontodb_database_keys')!;
    assert.equal(keys.type, 'GAUGE');
    assert.deepEqual(keys.metrics.map((metric) => [metric.labels!.database, metric.value]).sort(), [['main', '1'], ['team', '0']]);
    assert.deepEqual(families.get('prontodb_database_health')!.metrics.map((metric) => metric.value).sort(), ['1', '1'], 'no backups yet: warnings');
    const operations = families.get('prontodb_operations_total')!;
    assert.equal(operations.type, 'COUNTER');
    assert.deepEqual(operations.metrics.find((metric) => metric.labels!.operation === 'overview')?.labels, { operation: 'overview', client: 'ui' });
    assert.equal(families.get('prontodb_operation_errors_total')!.metrics.find((metric) => metric.labels!.operation === 'get')?.value, '1');
    const once = parsePrometheus(await box.ok(['status', '--prometheus', '--all']));
    assert.deepEqual(once.find((family) => family.name === 'prontodb_database_size_bytes')!.metrics.map((metric) => metric.labels!.database).sort(), ['main', 'team']);
    assert.equal(once.find((family) => family.name === 'prontodb_operations_total'), undefined, 'counters belong to a running server');
  });

  it('refuses a non-loopback address without --allow-remote', async () => {
    const refused = await box.run(['ui', '--host', '0.0.0.0', '--no-open'], { via: 'spawn' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--host 0\.0\.0\.0 is not a loopback address.*--allow-remote/);
  });
});
