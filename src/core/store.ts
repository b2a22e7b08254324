import type { AuditOperation, AuditQuery, AuditRecord, AuditSettings } from './audit';
import type { MigrationReport } from './migrations';
import type { Address, Disposable, Entry, LongOperationOptions, TtlNamespace } from './types';

export interface ListQuery {
  project: string;
  namespace: string;
  /** Exact, case-sensitive prefix of the key. */
  keyPrefix?: string;
  /** Keyset paging: return entries strictly after this one, in (key, context) order. */
  after?: Pick<Address, 'key' | 'context'>;
  limit?: number;
}

export interface SetOptions {
  /** Per-write TTL in seconds; only allowed in TTL namespaces (docs/FORMAT.md#ttl). */
  ttlSeconds?: number;
  /**
   * Compare-and-set: the write happens only if the current live value is this one (`undefined` = the
   * key must not exist, or has expired: set if absent); otherwise it fails with a ConditionFailedError
   * and writes nothing. Editors use it not to overwrite a value another process changed meanwhile;
   * agents use it to claim work and to renew leases.
   */
  expected?: { value: string | undefined };
  /**
   * Keeps the current value's expiry (its absolute time) instead of applying the namespace default:
   * an editor saving a value must not reset a custom TTL. Ignored when `ttlSeconds` is given or
   * nothing is stored there.
   */
  keepExpiry?: boolean;
}

export interface DeleteOptions {
  /** The delete happens only if the live value is this one; otherwise a ConditionFailedError (releasing a lease one still owns). */
  expected?: { value: string };
}

export interface RenameOptions {
  /** The move happens only if the value at `from` is still this one; otherwise a ConditionFailedError. */
  expected?: { value: string };
}

/** A whole project, or one namespace of it. */
export interface Scope {
  project: string;
  namespace?: string;
}

export interface ImportOptions extends LongOperationOptions {
  /** Keep the imported timestamps (exact restore) instead of stamping them now. */
  preserveTimestamps?: boolean;
  /**
   * Replace the database's contents (every value, expired ones included, and every namespace row)
   * in the import's commit: 'always', or 'when-empty', which first refuses with a 'conflict' error
   * a database holding a live value or a TTL namespace (copy.ts: a copy never overwrites unasked).
   */
  replaceContents?: 'always' | 'when-empty';
  /** What the audit log records for the import (default: operation 'import', a count). */
  audit?: { operation: AuditOperation; detail: string };
}

/** Figures about one database, for `status` and the dashboard (whole file, every meta context). */
export interface StoreStats {
  /** Bytes of the database itself (for a file: page size x page count). */
  sizeBytes: number;
  pageSize: number;
  pageCount: number;
  /** Pages on the free list: space a compaction (VACUUM) would give back. */
  freePages: number;
  /** Live values. */
  entries: number;
  /** Expired values still stored (every commit of ours purges them; other programs' writes leave them). */
  expiredEntries: number;
  /** Extra rows of one context-less address, left by the Rust CLI (docs/FORMAT.md#null-context-duplicates). */
  duplicateRows: number;
  projects: number;
  namespaces: number;
  ttlNamespaces: number;
  /** Unix seconds of the oldest and newest write among stored rows; null when empty. */
  oldestWrite: number | null;
  newestWrite: number | null;
  schemaVersion: number;
  latestSchemaVersion: number;
}

export interface NamespaceStats {
  project: string;
  namespace: string;
  entries: number;
  expiring: { minute: number; hour: number; day: number };
}

/** Whether this program may write the database, and if not, why (shown as `read-only: <reason>`). */
export type WriteAccess = { writable: true } | { writable: false; reason: string };

export interface ChangeEvent {
  /** 'local': this process committed; 'external': another process replaced the file. */
  origin: 'local' | 'external';
}

/**
 * One database. Everything the CLI and the extension do to data goes through this interface, so a
 * store on a server engine can be added beside the sql.js file store without touching either.
 */
export interface KvStore {
  /** Where the data lives: a file path for the file store. */
  readonly location: string;
  /** Set while reads may miss changes another program has not made visible yet (shown as a warning). */
  readonly staleReadWarning?: string;
  /** Makes sure the database exists on disk with ProntoDB's schema. */
  initialize(): Promise<void>;
  get(address: Address): Promise<Entry | undefined>;
  set(address: Address, value: string, options?: SetOptions): Promise<void>;
  /** Returns whether a live value was deleted. */
  delete(address: Address, options?: DeleteOptions): Promise<boolean>;
  /**
   * Moves a value to a free address in one commit, keeping its expiry and creation time: no other
   * writer can change either address in between. Fails with 'not-found' when nothing lives at
   * `from`, 'conflict' when `to` holds a value, ConditionFailedError when `expected` no longer matches.
   */
  rename(from: Address, to: Address, options?: RenameOptions): Promise<void>;
  /** Deletes every value of a project or namespace, and its TTL settings, in one commit; returns how many live values went. */
  deleteScope(scope: Scope): Promise<number>;
  list(query: ListQuery): Promise<Entry[]>;
  /** Live entries matching; with `limit`, counting stops there (a namespace of a million keys counts fast). */
  count(query: Omit<ListQuery, 'limit'>, options?: { limit?: number }): Promise<number>;
  projects(): Promise<string[]>;
  namespaces(project: string): Promise<string[]>;
  ttlNamespaces(): Promise<TtlNamespace[]>;
  createCache(project: string, namespace: string, defaultTtlSeconds: number): Promise<void>;
  removeCache(project: string, namespace: string): Promise<boolean>;
  /** Deletes expired entries; returns how many. */
  purgeExpired(): Promise<number>;
  /** Every live entry (optionally of one project / namespace) plus the TTL namespaces, for export. */
  exportEntries(scope: { project?: string; namespace?: string }, options?: LongOperationOptions): Promise<{ entries: Entry[]; ttlNamespaces: TtlNamespace[] }>;
  /** Writes all entries in one durable commit: all or nothing. Returns how many were written. */
  importEntries(entries: Entry[], ttlNamespaces: TtlNamespace[], options?: ImportOptions): Promise<number>;
  onDidChange(listener: (event: ChangeEvent) => void): Disposable;
  /**
   * Whether writes would be allowed, asked without writing (a read-only file or directory, a server
   * role without write privileges, a read-only standby), to show it beforehand. Refused writes fail
   * whatever this says: `read-only: …` from a server, the file system's reason from a file.
   */
  writeAccess(): Promise<WriteAccess>;

  // ---- health and maintenance (prontodb status, doctor, migrate) ---------------------------------
  stats(): Promise<StoreStats>;
  /** Per namespace: live rows, and how many expire within the next minute, hour and day (one pass, for the dashboard). */
  namespaceStats(): Promise<NamespaceStats[]>;
  /** The engine's full consistency check: `['ok']`, or the problems it found. */
  integrityCheck(): Promise<string[]>;
  /** Applies the schema steps this database lacks (migrations.ts) in one commit; with dryRun, only says what they would change. */
  migrate(options?: { dryRun?: boolean }): Promise<MigrationReport>;
  /** Removes the duplicate rows of context-less addresses, keeping the newest; returns how many went. */
  collapseDuplicates(): Promise<number>;
  /** Rewrites the database without its free pages (VACUUM); returns the bytes before and after. */
  compact(): Promise<{ before: number; after: number }>;

  // ---- audit log (audit.ts): who wrote what, when; off by default ---------------------------------
  auditSettings(): Promise<AuditSettings>;
  /** Turns the log on or off and sets its retention; recorded in the log itself. */
  configureAudit(change: Partial<AuditSettings>): Promise<AuditSettings>;
  /** Records, newest first. */
  auditRecords(query?: AuditQuery): Promise<AuditRecord[]>;
  /** Records an event that happened to the whole database (a restore), if the log is on. */
  noteInAudit(operation: AuditOperation, detail: string): Promise<void>;
  close(): Promise<void>;
}
