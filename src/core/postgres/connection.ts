/**
 * The driver (postgres, by porsager: multi-host URLs with `target_session_attrs` as libpq reads them)
 * and what the store needs around it: connection options, and turning the driver's errors into
 * the core's. Part of the lazily loaded PostgreSQL bundle (dist/postgres.js).
 */
import postgres from 'postgres';
import type { Actor } from '../audit';
import type { ConditionFailedError, ErrorCode, ProntoError } from '../errors';
import { displayLocation } from '../location';
import { urlHasPassword } from './location';

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
  /**
   * The password of a server URL that carries none (nor PGPASSWORD): the extension's SecretStorage.
   * Asked only when the server asks for a password; undefined sends none (the server refuses).
   */
  password?: (serverUrl: string) => Promise<string | undefined>;
}

export interface ConnectOptions {
  /** Pool size. */
  max: number;
  /** Seconds an idle connection stays open (null: for ever, for a listener). */
  idleTimeout: number | null;
  onNotify?: (channel: string, payload: string) => void;
  onClose?: () => void;
  /** Asked for the password when the server wants one and neither the URL nor PGPASSWORD has it. */
  password?: () => Promise<string | undefined>;
}

/** Seconds to wait for a server that does not answer, unless the URL (`connect_timeout=`) or PGCONNECT_TIMEOUT says. */
const DEFAULT_CONNECT_TIMEOUT = 10;

/** A pool on `url` (a `postgres://` URL without ProntoDB's own parameter). */
export function connect(url: string, options: ConnectOptions): Sql {
  const driverOptions: Record<string, unknown> = {
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
  if (options.onNotify) driverOptions.onnotify = options.onNotify;
  if (options.onClose) driverOptions.onclose = options.onClose;
  // The driver calls `pass` only when the server asks; a given password (URL, PGPASSWORD) always wins.
  const password = options.password;
  if (password && !urlHasPassword(url) && !process.env.PGPASSWORD) driverOptions.pass = async () => (await password()) ?? '';
  for (const [name, value] of Object.entries(driverOptions)) if (value === undefined) delete driverOptions[name];
  return postgres(url, driverOptions as postgres.Options<Record<string, postgres.PostgresType>>);
}

/** The core's password hook bound to one server URL, for `connect`. */
export function passwordFor(core: CoreServices, serverUrl: string): (() => Promise<string | undefined>) | undefined {
  const hook = core.password;
  return hook && (() => hook(serverUrl));
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

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/**
 * A driver or server error as a ProntoError that names the database by its display form (never its
 * password); ProntoErrors pass through. SQLSTATE classes: 08 connection, 28 authorization,
 * 42501 / 25006 writes refused.
 */
export function wrapError(core: CoreServices, location: string, error: unknown): ProntoError {
  if (error instanceof core.ProntoError) return error;
  const shown = displayLocation(location);
  const code = errorCode(error);
  const message = ((error as Error | undefined)?.message ?? String(error)).replace(/\s+/g, ' ').trim();
  let kind: ErrorCode = 'io';
  let text: string;
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    text = `Cannot reach the server of ${shown}: ${message}`;
  } else if (code?.startsWith('28')) {
    text = `The server of ${shown} refused the login: ${message} (the password comes from the URL, PGPASSWORD or the environment)`;
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
