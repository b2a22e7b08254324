/**
 * The driver (postgres, by porsager: multi-host URLs with `target_session_attrs` as libpq reads them)
 * and what the store needs around it: connection options, and turning the driver's errors into
 * the core's. Part of the lazily loaded PostgreSQL bundle (dist/postgres.js).
 */
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import postgres from 'postgres';
import type { Actor } from '../audit';
import type { ConditionFailedError, ErrorCode, ProntoError } from '../errors';
import { displayLocation } from '../location';
import { driverSettings, type PasswordHook } from './libpq';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
export type Row = postgres.Row;

/**
 * What this bundle takes from the core instead of importing it: a second copy of the error classes
 * would fail the core's `instanceof` checks (exit codes, 'cancelled'), and a second copy of the
 * actor storage would lose who is writing (audit log). Everything else it imports is stateless.
 */
export interface CoreServices {
  ProntoError: typeof ProntoError;
  ConditionFailedError: typeof ConditionFailedError;
  currentActor(): Actor | undefined;
  /** Asked for a password when the URL, PGPASSWORD and the password file have none (the extension: SecretStorage). */
  password?: PasswordHook;
}

export interface ConnectOptions {
  /** Pool size. */
  max: number;
  /** Seconds an idle connection stays open (null: for ever, for a listener). */
  idleTimeout: number | null;
  onNotify?: (channel: string, payload: string) => void;
  onClose?: () => void;
  /** The core's error class for a setting that cannot work, and the password hook. */
  core?: CoreServices;
}

/** Seconds to wait for a server that does not answer, unless the URL (`connect_timeout=`) or PGCONNECT_TIMEOUT says. */
const DEFAULT_CONNECT_TIMEOUT = 10;

/** A pool on `url` (a `postgres://` URL without ProntoDB's own parameter). */
export function connect(url: string, options: ConnectOptions): Sql {
  const { core } = options;
  const settings = driverSettings(url, {
    hook: core?.password,
    shownLocation: displayLocation(url),
    fail: (message) => (core ? new core.ProntoError('usage', message) : new Error(message)),
  });
  const driverOptions: Record<string, unknown> = {
    ssl: settings.ssl,
    pass: settings.password,
    target_session_attrs: settings.targetSessionAttrs,
    max: options.max,
    idle_timeout: options.idleTimeout ?? undefined,
    max_lifetime: options.idleTimeout === null ? null : undefined,
    // Array types are never used; fetching them costs a round trip per connection.
    fetch_types: false,
    // The driver prints notices (`schema … already exists, skipping`) on standard output by default.
    onnotice: () => undefined,
    // bigint columns (seconds, milliseconds, counts) as numbers: every value we store is a safe integer.
    types: { int8: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (text: string) => Number(text) } },
    connection: { application_name: 'prontodb' },
  };
  if (!/[?&]connect_timeout=/.test(url) && !process.env.PGCONNECT_TIMEOUT) driverOptions.connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  const timeout = Number(driverOptions.connect_timeout ?? /[?&]connect_timeout=(\d+)/.exec(url)?.[1] ?? process.env.PGCONNECT_TIMEOUT);
  if (settings.hosts.length > 1 && timeout > 0) driverOptions.socket = multiHostSockets(settings.hosts, timeout);
  if (options.onNotify) driverOptions.onnotify = options.onNotify;
  if (options.onClose) driverOptions.onclose = options.onClose;
  for (const [name, value] of Object.entries(driverOptions)) if (value === undefined) delete driverOptions[name];
  const sql = postgres(settings.url, driverOptions as postgres.Options<Record<string, postgres.PostgresType>>);
  guardTransactions(sql);
  return sql;
}

/**
 * The sockets of a multi-host URL, tried in turn. The driver (3.4.9) tries the hosts itself, but when
 * none will do (all down, or only a standby left for read-write) it tries them again and again for
 * ever, as fast as it can: its connect timeout restarts with each attempt. Here the attempts of one
 * round (attempts less than a second apart) stop after `timeoutSeconds`: the next socket never
 * answers, so the driver's own connect timeout fails the waiting statement with CONNECT_TIMEOUT.
 * Between rounds over all hosts it pauses a little instead of spinning.
 */
function multiHostSockets(hosts: Array<{ host: string; port: number }>, timeoutSeconds: number): () => Promise<Duplex> {
  let next = 0;
  let roundStart = 0;
  let lastAttempt = 0;
  let attempts = 0;
  return async () => {
    if (Date.now() - lastAttempt > 1000) {
      roundStart = Date.now();
      attempts = 0;
    }
    if (attempts > 0 && attempts % hosts.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    lastAttempt = Date.now();
    attempts++;
    if (Date.now() - roundStart > timeoutSeconds * 1000) {
      lastAttempt = 0; // the next statement starts a new round
      const silent = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
      // Named in the driver's message: `write CONNECT_TIMEOUT h1:p1,h2:p2`.
      return Object.assign(silent, { host: hosts.slice(0, -1).map(({ host, port }) => `${host}:${port}`).concat(hosts[hosts.length - 1]!.host).join(','), port: hosts[hosts.length - 1]!.port });
    }
    const { host, port } = hosts[next]!;
    next = (next + 1) % hosts.length;
    // The driver names the server by these when it verifies its certificate (libpq.ts: checkConnectedHost).
    return Object.assign(net.connect(port, host), { host, port });
  };
}

type TransactionBody = (tx: TransactionSql) => unknown;

/**
 * Works around the driver (3.4.9) crashing the process when the server closes a connection in the
 * middle of a transaction (terminated, shut down, killed): `begin` answers the failed statement with
 * a ROLLBACK on the closed connection, which throws a TypeError from a timer (`socket.write` of null),
 * out of reach of any catch. When a statement of the transaction lost its connection, the body here
 * never settles, so no ROLLBACK is sent; `begin` rejects anyway with the connection's close (and the
 * server rolls the transaction back itself).
 */
function guardTransactions(sql: Sql): void {
  const begin = sql.begin.bind(sql) as (options: string, body: TransactionBody) => Promise<unknown>;
  const guard =
    (body: TransactionBody): TransactionBody =>
    async (tx) => {
      try {
        const result = body(tx);
        return await (Array.isArray(result) ? Promise.all(result) : result);
      } catch (error) {
        if (isConnectionLost(error)) return new Promise(() => undefined);
        throw error;
      }
    };
  (sql as { begin: unknown }).begin = (options: string | TransactionBody, body?: TransactionBody) =>
    typeof options === 'function' ? begin('', guard(options)) : begin(options, guard(body!));
}

/** How the bundle reports a malformed location (location.ts: Fail) with the core's error class. */
export function usageFailure(core: CoreServices): (message: string) => Error {
  return (message) => new core.ProntoError('usage', message);
}

/** SQLSTATE of a server error, or the driver's code for a connection error (`ECONNREFUSED`, `CONNECT_TIMEOUT`). */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The schema or one of its tables is not there (never created, or dropped by `db delete`). */
export function isMissingSchema(error: unknown): boolean {
  const code = errorCode(error);
  return code === '42P01' || code === '3F000';
}

/** A failure worth running the whole transaction again for: serialization failure, deadlock. */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  return code === '40001' || code === '40P01';
}

/**
 * The connection broke under a statement already sent (the server died, was shut down or failed
 * over, or the backend was terminated): a statement that changes nothing may be run again on a new one.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '08006', '08003'].includes(code);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/** Node's codes for a server certificate that does not verify: OpenSSL's (`SELF_SIGNED_CERT_IN_CHAIN`…) and the host name check. */
function isTlsVerificationCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    /^(UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|CERT_|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED)/.test(code)
  );
}

/**
 * A driver or server error as a ProntoError that names the database by its display form (never its
 * password); ProntoErrors pass through. SQLSTATE classes: 08 connection, 28 authorization,
 * 42501 / 25006 writes refused.
 */
export function wrapError(core: CoreServices, location: string, error: unknown, options: { reading?: boolean } = {}): ProntoError {
  if (error instanceof core.ProntoError) return error;
  const shown = displayLocation(location);
  const code = errorCode(error);
  const message = ((error as Error | undefined)?.message ?? String(error)).replace(/\s+/g, ' ').trim();
  let kind: ErrorCode = 'io';
  let text: string;
  if (code !== undefined && isTlsVerificationCode(code)) {
    text = `Cannot verify the server of ${shown} (TLS): ${message}; check sslrootcert and the host name in the URL`;
  } else if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    // A commit sent just before the connection broke may have happened: say so rather than "failed".
    text = code === 'CONNECT_TIMEOUT' && /[?&]target_session_attrs=/.test(location)
      ? `Cannot reach the server of ${shown}: no host answered as target_session_attrs asks within the connect timeout (${message})`
      : isConnectionLost(error)
      ? `Cannot reach the server of ${shown}: the connection was lost (${message}); a change being saved at that moment may or may not have been saved`
      : `Cannot reach the server of ${shown}: ${message}`;
  } else if (code?.startsWith('28')) {
    text = `The server of ${shown} refused the login: ${message} (the password comes from the URL, PGPASSWORD, the password file ~/.pgpass or PGPASSFILE)`;
  } else if (code === '42501' && options.reading) {
    // A role without SELECT (or USAGE on the schema) fails a read: it is not a refused write.
    text = `${shown}: reading refused (${message}); the role needs the reader's privileges (docs/postgres/roles.sql)`;
  } else if (code === '42501' && /row-level security/.test(message)) {
    text = `read-only: ${shown} refuses this write: row-level security does not let this role write there (${message})`;
  } else if (code === '42501' || code === '25006') {
    text = `read-only: ${shown} refuses this write (${message})`;
  } else if (code === '3D000') {
    kind = 'not-found';
    text = `${shown}: ${message}`;
  } else {
    text = `${shown}: ${message}${code && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`;
  }
  return new core.ProntoError(kind, text);
}
