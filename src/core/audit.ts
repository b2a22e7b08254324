/**
 * The audit log: per database, off by default. When on, every write records when, who (user,
 * cursor, client, host, pid) and what (operation, address, a digest of the old and new value, and
 * optionally the old value itself up to a cap) in `prontodb_audit`, in the same transaction as the
 * write itself, so a crash keeps both or neither. Settings live in `prontodb_settings`. Both tables
 * are ours alone: the Rust CLI neither reads nor minds them (it still reads and writes the file; its
 * own writes are simply not recorded). Bulk operations (import, purge, deleting a namespace,
 * restore, migrate) are one record each, with a count in `detail`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import * as os from 'node:os';

export const AUDIT_TABLE = 'prontodb_audit';
export const SETTINGS_TABLE = 'prontodb_settings';

export const AUDIT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${SETTINGS_TABLE} (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    user       TEXT,
    cursor     TEXT,
    client     TEXT,
    host       TEXT,
    pid        INTEGER,
    operation  TEXT NOT NULL,
    project    TEXT,
    namespace  TEXT,
    key        TEXT,
    context    TEXT,
    old_digest TEXT,
    new_digest TEXT,
    old_value  TEXT,
    detail     TEXT
);
`;

/** Columns of the optional tables, for the schema check (schema.ts). */
export const AUDIT_TABLE_COLUMNS: Record<string, string[]> = {
  [SETTINGS_TABLE]: ['name', 'value'],
  [AUDIT_TABLE]: ['id', 'at', 'user', 'cursor', 'client', 'host', 'pid', 'operation', 'project', 'namespace', 'key', 'context', 'old_digest', 'new_digest', 'old_value', 'detail'],
};

export interface AuditSettings {
  enabled: boolean;
  /** Records older than this many days go (0: no age limit). */
  keepDays: number;
  /** At most this many records are kept, the newest (0: no count limit). */
  keepRows: number;
  /** Keep old values up to this many bytes each (0: digests only). Longer values keep their digest only. */
  keepValueBytes: number;
}

/**
 * Until writes are incremental (issue 12) every durable write rewrites the whole file, log included:
 * the default keeps the log to about a megabyte (10,000 records of ~100 bytes).
 */
export const DEFAULT_AUDIT_SETTINGS: AuditSettings = { enabled: false, keepDays: 90, keepRows: 10_000, keepValueBytes: 0 };

/** Who writes: the client (cli, extension, mcp) and host/pid come from the process; user and cursor from the session. */
export interface Actor {
  user?: string;
  cursor?: string;
  client?: string;
}

export type AuditOperation =
  | 'set'
  | 'delete'
  | 'rename'
  | 'delete-scope'
  | 'import'
  | 'purge'
  | 'create-cache'
  | 'remove-cache'
  | 'migrate'
  | 'compact'
  | 'collapse-duplicates'
  | 'restore'
  | 'copy'
  | 'audit-on'
  | 'audit-off';

export interface AuditRecord {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  user: string | null;
  cursor: string | null;
  client: string | null;
  host: string | null;
  pid: number | null;
  operation: AuditOperation;
  project: string | null;
  namespace: string | null;
  key: string | null;
  context: string | null;
  /** sha256 (hex) of the value before and after; null where there was none. */
  oldDigest: string | null;
  newDigest: string | null;
  /** The value before, when kept (keepValueBytes); null otherwise. */
  oldValue: string | null;
  detail: string | null;
}

export interface AuditQuery {
  address?: { project: string; namespace: string; key: string; context: string | null };
  /** Milliseconds since the epoch. */
  since?: number;
  /** Newest first, at most this many. */
  limit?: number;
}

/**
 * Who is writing, carried with the call rather than through every method's options: a Session runs
 * each write inside `withActor`, and the store reads it when the write is queued (group commit then
 * applies writes of several actors together, each recorded as its own).
 */
const actorStorage = new AsyncLocalStorage<Actor>();

export function withActor<T>(actor: Actor, run: () => T): T {
  return actorStorage.run(actor, run);
}

export function currentActor(): Actor | undefined {
  return actorStorage.getStore();
}

export function digest(value: string | undefined | null): string | null {
  return value === undefined || value === null ? null : createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A digest as stored in the file: its 32 bytes, half the size of the hex text (every record holds two). */
export function digestBytes(hex: string | null): Uint8Array | null {
  return hex === null ? null : Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** A stored digest back to hex (a log written before it was stored as bytes holds hex text). */
export function digestHex(stored: unknown): string | null {
  if (stored === null || stored === undefined) return null;
  return typeof stored === 'string' ? stored : Buffer.from(stored as Uint8Array).toString('hex');
}

/** What is recorded of the writing process itself. */
export const PROCESS_IDENTITY = { host: os.hostname(), pid: process.pid };

/**
 * The columns every store writes first, in this order: at, user, cursor, client, host, pid,
 * operation, project, namespace, key, context. The digests, old value and detail follow.
 */
export function auditRecordHead(
  at: number,
  actor: Actor | undefined,
  operation: AuditOperation,
  address: { project?: string; namespace?: string; key?: string; context?: string | null } | null | undefined,
): Array<string | number | null> {
  return [
    at,
    actor?.user ?? null,
    actor?.cursor ?? null,
    actor?.client ?? null,
    PROCESS_IDENTITY.host,
    PROCESS_IDENTITY.pid,
    operation,
    address?.project ?? null,
    address?.namespace ?? null,
    address?.key ?? null,
    address?.context ?? null,
  ];
}

export function parseSettings(rows: Array<[string, string]>): AuditSettings {
  const settings = { ...DEFAULT_AUDIT_SETTINGS };
  for (const [name, value] of rows) {
    if (name === 'audit.enabled') settings.enabled = value === '1';
    else if (name === 'audit.keep_days') settings.keepDays = Number(value) || 0;
    else if (name === 'audit.keep_rows') settings.keepRows = Number(value) || 0;
    else if (name === 'audit.keep_value_bytes') settings.keepValueBytes = Number(value) || 0;
  }
  return settings;
}

export function settingsRows(settings: AuditSettings): Array<[string, string]> {
  return [
    ['audit.enabled', settings.enabled ? '1' : '0'],
    ['audit.keep_days', String(settings.keepDays)],
    ['audit.keep_rows', String(settings.keepRows)],
    ['audit.keep_value_bytes', String(settings.keepValueBytes)],
  ];
}
