import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { type Actor, AUDIT_SCHEMA_SQL, AUDIT_TABLE, type AuditOperation, type AuditQuery, type AuditRecord, type AuditSettings, currentActor, DEFAULT_AUDIT_SETTINGS, digest, digestBytes, digestHex, parseSettings, auditRecordHead, SETTINGS_TABLE, settingsRows } from './audit';
import { ConditionFailedError, ProntoError, throwIfCancelled } from './errors';
import { LATEST_SCHEMA_ADDITIONS, LATEST_SCHEMA_VERSION, type MigrationReport, OLDER_DUPLICATES_WHERE, pendingMigrations, UNIQUE_ADDRESS_INDEX } from './migrations';
import { inspectSchema, SCHEMA_SQL } from './schema';
import { ChangedDuringCommit, type DatabaseImage, type FileVersion, type FileWrite, type SqliteFileBacking } from './sqliteFileBacking';
import { openTrackedDatabase, type PageTracker } from './sqlJsPages';
import { rememberVerified, verifiedAt } from './verifiedVersions';
import type { ChangeEvent, DeleteOptions, ImportOptions, KvStore, ListQuery, NamespaceStats, RenameOptions, Scope, SetOptions, StoreStats, WriteAccess } from './store';
import { fileWriteAccess } from './fileAccess';
import type { Address, Disposable, Entry, LongOperationOptions, TtlNamespace } from './types';

export interface SqlJsStoreOptions {
  /** Milliseconds since the epoch; injectable so TTL tests need not sleep. */
  now?: () => number;
}

/** Records one audit entry of the running write (a no-op while the audit log is off). */
type Recorder = (operation: AuditOperation, address: Partial<Address> | null, before?: string | null, after?: string | null, detail?: string) => void;

type JobRun = (db: Database, now: number, record: Recorder) => unknown;

interface WriteJob {
  run: JobRun;
  /** Who asked for the write (audit.ts: withActor), taken when it was queued. */
  actor: Actor | undefined;
  /** Runs alone and outside a transaction (VACUUM cannot run inside one); the file is always rewritten. */
  alone?: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const ENTRY_COLUMNS = 'project, namespace, key, context, value, created_at, updated_at, expires_at';
/** SQLite's page cache for a loaded copy: 32 MiB (negative: KiB). */
const PAGE_CACHE = -32768;
/**
 * Values are read as their bytes and decoded here: sql.js decodes TEXT with a TextDecoder that
 * drops a leading BOM, and a value must come back exactly as it was stored.
 */
const ENTRY_SELECT = 'project, namespace, key, context, CAST(value AS BLOB), created_at, updated_at, expires_at';
const SAME_ADDRESS = 'project = ? AND namespace = ? AND key = ? AND context IS ?';
const LIVE = '(expires_at IS NULL OR expires_at > ?)';
/**
 * Files the Rust CLI wrote may hold several rows for one address (docs/FORMAT.md#null-context-duplicates): only the newest
 * counts, everywhere. An index probe per row keeps listings streaming in key order for paging.
 */
const NEWEST_OF_ADDRESS = `NOT EXISTS (SELECT 1 FROM kv AS newer WHERE newer.project = kv.project AND newer.namespace = kv.namespace
  AND newer.key = kv.key AND newer.context IS kv.context
  AND (newer.updated_at > kv.updated_at OR (newer.updated_at = kv.updated_at AND newer.rowid > kv.rowid)))`;
/**
 * The smallest string greater than every string starting with `prefix`, in SQLite's BINARY (UTF-8
 * byte, i.e. code point) order; lets a prefix scan use the primary-key index and stop at its end.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    let next = codePoints.pop()!.codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return codePoints.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/** A value read as `CAST(value AS BLOB)`, decoded without dropping a BOM. */
function valueText(cell: SqlValue): string {
  if (cell instanceof Uint8Array) return Buffer.from(cell.buffer, cell.byteOffset, cell.byteLength).toString('utf8');
  return cell === null ? '' : String(cell);
}

function rowToEntry(row: SqlValue[]): Entry {
  return {
    project: row[0] as string,
    namespace: row[1] as string,
    key: row[2] as string,
    context: row[3] as string | null,
    value: valueText(row[4]!),
    createdAt: row[5] as number,
    updatedAt: row[6] as number,
    expiresAt: row[7] as number | null,
  };
}

function wrapSqliteError(file: string, error: unknown): ProntoError {
  if (error instanceof ProntoError) return error;
  const message = (error as Error).message ?? String(error);
  if (/malformed|not a database|corrupt/i.test(message)) {
    return new ProntoError('not-sqlite', `${file} is corrupt (${message}); it was left untouched`);
  }
  return new ProntoError('io', `${file}: ${message}`);
}

/**
 * A ProntoDB database operated on in memory by sql.js: the SQL, and group commit. Where the bytes
 * live, how they are locked, replaced and watched is the backing's (sqliteFileBacking.ts).
 *
 * Reads ask the backing whether the file still holds the loaded version (one stat) and reload only
 * when another process replaced it. Writes are queued and committed in groups: under the backing's
 * lock, reload if stale, apply the whole group in one transaction, then have the backing replace
 * the file. A promise resolves only once its write is on disk; if anything fails, the in-memory
 * copy is dropped so nothing unwritten leaks.
 */
export class SqlJsStore implements KvStore {
  private db: Database | undefined;
  /** The version of the file the in-memory copy came from. */
  private version: FileVersion | undefined;
  /** A schema was created in memory but not written yet. */
  private schemaUnwritten = false;
  private integrityChecked = false;
  /** When the loaded version's integrity was last checked (by this process or, per verifiedVersions.ts, a recent one). */
  private checkedAt = 0;
  /** The pages SQLite writes to its copy, so a commit writes only those (undefined: not available, see sqlJsPages.ts). */
  private pages: PageTracker | undefined;
  /** A commit is writing the file: reads use the copy in memory rather than reload a half-written state. */
  private committing = false;
  /** A job of the current group changed the schema only (a migration): the file must be written even if no row changed. */
  private schemaChanged = false;
  /** The audit settings of the loaded copy (undefined: not read yet). */
  private audit: AuditSettings | undefined;
  /** A job of the current group wrote an audit record: retention runs before the commit. */
  private auditWritten = false;
  /** The loaded copy had a native transaction's journal rolled back in memory. */
  private rolledBackJournal = false;
  private readonly statements = new Map<string, Statement>();
  private queue: WriteJob[] = [];
  private flushing: Promise<void> | undefined;
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private watching: Disposable | undefined;
  private closed = false;
  private readonly now: () => number;
  /** Number of times the file was replaced by this store: group commit keeps it low. */
  fileWrites = 0;

  constructor(
    private readonly backing: SqliteFileBacking,
    private readonly sql: SqlJsStatic,
    options: SqlJsStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  get location(): string {
    return this.backing.location;
  }

  async writeAccess(): Promise<WriteAccess> {
    return fileWriteAccess(this.location);
  }

  /** Seconds, as stored in the file. */
  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Non-empty when a native SQLite process left changes in `<file>-wal` that this copy cannot see. */
  get staleReadWarning(): string | undefined {
    this.ensureCurrent();
    return this.backing.staleReadWarning({ rolledBackJournal: this.rolledBackJournal });
  }

  // ---- loading ---------------------------------------------------------------------------------

  private ensureCurrent(): Database {
    if (this.closed) throw new ProntoError('io', `Database ${this.location} is closed`);
    if (!this.db || (!this.committing && !this.backing.isCurrent(this.version))) {
      const replaced = this.db !== undefined;
      this.load();
      // A read can notice another process's write before the directory watcher does; say so once here,
      // or listeners that compare identities later would see nothing new and never refresh.
      if (replaced) queueMicrotask(() => this.emit({ origin: 'external' }));
    }
    return this.db!;
  }

  private load(): void {
    this.discard();
    const { bytes, version, rolledBackJournal } = this.backing.read();
    this.rolledBackJournal = rolledBackJournal;
    const { db, pages } = openTrackedDatabase(this.sql, bytes);
    try {
      db.exec(`PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA cache_size = ${PAGE_CACHE}; PRAGMA temp_store = MEMORY;`);
      const { needsCreate, empty } = inspectSchema(db, this.location);
      // A new file starts at the latest schema version; an existing one is only ever migrated on request.
      if (needsCreate) db.exec(empty ? SCHEMA_SQL + LATEST_SCHEMA_ADDITIONS : SCHEMA_SQL);
      this.schemaUnwritten = needsCreate;
    } catch (error) {
      pages?.dispose();
      db.close();
      throw wrapSqliteError(this.location, error);
    }
    this.db = db;
    this.pages = pages;
    this.version = version;
    const checked = bytes ? verifiedAt(this.location, version) : Date.now();
    this.integrityChecked = checked !== undefined;
    this.checkedAt = checked ?? 0;
  }

  private discard(): void {
    this.audit = undefined;
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
    this.pages?.dispose();
    this.pages = undefined;
    this.db?.close();
    this.db = undefined;
    this.version = undefined;
  }

  /** What a commit writes: the pages SQLite changed since the file was read or last written. */
  private image(db: Database): DatabaseImage {
    const pageSize = this.rows(db, 'PRAGMA page_size', [])[0]![0] as number;
    const pageCount = this.rows(db, 'PRAGMA page_count', [])[0]![0] as number;
    return { pageSize, pageCount, changedPages: this.pages?.writtenPages(pageSize), bytes: () => db.export() };
  }

  /** Writes the group's result; the version written is remembered as intact (it was made from a checked one). */
  private async persist(write: FileWrite, db: Database): Promise<void> {
    this.committing = true;
    const image = this.image(db);
    try {
      this.version = await write.commit(image, this.version!);
    } finally {
      this.committing = false;
    }
    this.pages?.reset(image.pageCount * image.pageSize);
    this.fileWrites++;
    this.schemaUnwritten = false;
    rememberVerified(this.location, this.version, this.checkedAt);
  }

  private statement(db: Database, sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private rows(db: Database, sql: string, params: SqlValue[]): SqlValue[][] {
    const statement = this.statement(db, sql);
    try {
      statement.bind(params);
      const rows: SqlValue[][] = [];
      while (statement.step()) rows.push(statement.get());
      return rows;
    } finally {
      statement.reset();
    }
  }

  private run(db: Database, sql: string, params: SqlValue[]): void {
    const statement = this.statement(db, sql);
    try {
      statement.run(params);
    } finally {
      statement.reset();
    }
  }

  private read<T>(query: (db: Database, now: number) => T): Promise<T> {
    try {
      const db = this.ensureCurrent();
      return Promise.resolve(query(db, this.nowSeconds()));
    } catch (error) {
      return Promise.reject(wrapSqliteError(this.location, error));
    }
  }

  // ---- reads -----------------------------------------------------------------------------------

  get(address: Address): Promise<Entry | undefined> {
    return this.read((db, now) => {
      // Files written by the Rust CLI may hold duplicate context-less rows (docs/FORMAT.md#null-context-duplicates): newest wins.
      // Picked here rather than with ORDER BY, which costs sql.js a sort per lookup (4x the query).
      const rows = this.rows(db, `SELECT ${ENTRY_SELECT}, rowid FROM kv WHERE ${SAME_ADDRESS}`, [
        address.project,
        address.namespace,
        address.key,
        address.context,
      ]);
      let newest = rows[0];
      for (const row of rows) {
        if ((row[6] as number) > (newest![6] as number) || ((row[6] as number) === (newest![6] as number) && (row[8] as number) > (newest![8] as number))) newest = row;
      }
      if (!newest) return undefined;
      const entry = rowToEntry(newest);
      return entry.expiresAt !== null && entry.expiresAt <= now ? undefined : entry;
    });
  }

  private listWhere(query: Omit<ListQuery, 'limit'>, now: number): { where: string; params: SqlValue[] } {
    const clauses = ['project = ?', 'namespace = ?', LIVE, NEWEST_OF_ADDRESS];
    const params: SqlValue[] = [query.project, query.namespace, now];
    if (query.keyPrefix) {
      clauses.push('key >= ?');
      params.push(query.keyPrefix);
      const upper = prefixUpperBound(query.keyPrefix);
      if (upper !== undefined) {
        clauses.push('key < ?');
        params.push(upper);
      }
    }
    if (query.after) {
      // The plain bound lets SQLite seek in the primary-key index; the OR alone would scan from the start.
      clauses.push('key >= ?');
      params.push(query.after.key);
      if (query.after.context === null) {
        clauses.push('(key > ? OR (key = ? AND context IS NOT NULL))');
        params.push(query.after.key, query.after.key);
      } else {
        clauses.push('(key > ? OR (key = ? AND context > ?))');
        params.push(query.after.key, query.after.key, query.after.context);
      }
    }
    return { where: clauses.join(' AND '), params };
  }

  list(query: ListQuery): Promise<Entry[]> {
    return this.read((db, now) => {
      const { where, params } = this.listWhere(query, now);
      const limit = query.limit ?? -1;
      return this.rows(db, `SELECT ${ENTRY_SELECT} FROM kv WHERE ${where} ORDER BY key, context LIMIT ?`, [...params, limit]).map(rowToEntry);
    });
  }

  count(query: Omit<ListQuery, 'limit'>, options: { limit?: number } = {}): Promise<number> {
    return this.read((db, now) => {
      const { where, params } = this.listWhere(query, now);
      const [row] =
        options.limit === undefined
          ? this.rows(db, `SELECT count(*) FROM kv WHERE ${where}`, params)
          : this.rows(db, `SELECT count(*) FROM (SELECT 1 FROM kv WHERE ${where} LIMIT ?)`, [...params, options.limit]);
      return row![0] as number;
    });
  }

  /**
   * Distinct projects by hopping along the primary-key index (one probe per project), so a
   * database of a million keys lists its projects as fast as one of a hundred; each candidate then
   * needs one live row. TTL namespaces count even while empty.
   */
  projects(): Promise<string[]> {
    return this.read((db, now) =>
      this.rows(
        db,
        `WITH RECURSIVE hop(project) AS (
           SELECT min(project) FROM kv
           UNION ALL SELECT (SELECT min(project) FROM kv WHERE project > hop.project) FROM hop WHERE hop.project IS NOT NULL)
         SELECT project FROM hop WHERE project IS NOT NULL
           AND EXISTS (SELECT 1 FROM kv WHERE kv.project = hop.project AND ${LIVE})
         UNION SELECT project FROM sys_namespaces WHERE is_ttl = 1 ORDER BY 1`,
        [now],
      ).map((row) => row[0] as string),
    );
  }

  namespaces(project: string): Promise<string[]> {
    return this.read((db, now) =>
      this.rows(
        db,
        `WITH RECURSIVE hop(namespace) AS (
           SELECT min(namespace) FROM kv WHERE project = ?1
           UNION ALL SELECT (SELECT min(namespace) FROM kv WHERE project = ?1 AND namespace > hop.namespace) FROM hop WHERE hop.namespace IS NOT NULL)
         SELECT namespace FROM hop WHERE namespace IS NOT NULL
           AND EXISTS (SELECT 1 FROM kv WHERE kv.project = ?1 AND kv.namespace = hop.namespace AND (expires_at IS NULL OR expires_at > ?2))
         UNION SELECT namespace FROM sys_namespaces WHERE project = ?1 AND is_ttl = 1 ORDER BY 1`,
        [project, now],
      ).map((row) => row[0] as string),
    );
  }

  ttlNamespaces(): Promise<TtlNamespace[]> {
    return this.read((db) => this.readTtlNamespaces(db));
  }

  private readTtlNamespaces(db: Database): TtlNamespace[] {
    return this.rows(db, 'SELECT project, namespace, default_ttl, created_at FROM sys_namespaces WHERE is_ttl = 1 ORDER BY project, namespace', []).map(
      (row) => ({ project: row[0] as string, namespace: row[1] as string, defaultTtl: row[2] as number, createdAt: row[3] as number }),
    );
  }

  async exportEntries(scope: { project?: string; namespace?: string }, options: LongOperationOptions = {}): Promise<{ entries: Entry[]; ttlNamespaces: TtlNamespace[] }> {
    throwIfCancelled(options.signal);
    return this.read((db, now) => {
      const clauses = [LIVE, NEWEST_OF_ADDRESS];
      const params: SqlValue[] = [now];
      if (scope.project !== undefined) {
        clauses.push('project = ?');
        params.push(scope.project);
      }
      if (scope.namespace !== undefined) {
        clauses.push('namespace = ?');
        params.push(scope.namespace);
      }
      const where = clauses.join(' AND ');
      const entries = this.rows(db, `SELECT ${ENTRY_SELECT} FROM kv WHERE ${where} ORDER BY project, namespace, key, context`, params).map(rowToEntry);
      options.onProgress?.(1, `Read ${entries.length} entries`);
      const ttlNamespaces = this.readTtlNamespaces(db).filter(
        (ns) => (scope.project === undefined || ns.project === scope.project) && (scope.namespace === undefined || ns.namespace === scope.namespace),
      );
      return { entries, ttlNamespaces };
    });
  }

  // ---- writes ----------------------------------------------------------------------------------

  /** Queues a write; it joins the next group commit and resolves once that commit is on disk. */
  private write<T>(run: (db: Database, now: number, record: Recorder) => T | Promise<T>, options: { alone?: boolean } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ProntoError('io', `Database ${this.location} is closed`));
    const actor = currentActor();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, actor, resolve: resolve as (value: unknown) => void, reject, alone: options.alone });
      if (!this.flushing) {
        // Let every write issued in this turn of the event loop join the same commit.
        this.flushing = new Promise<void>((done) => setImmediate(done)).then(() => this.drainQueue());
      }
    });
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      // A job that must run alone ends the group before it and forms its own.
      const alone = this.queue.findIndex((job) => job.alone);
      const batch = this.queue.splice(0, alone < 0 ? this.queue.length : Math.max(alone, 1));
      await this.commit(batch);
    }
    this.flushing = undefined;
  }

  /**
   * A write the file system refused, on a file or folder this user may not write, says so as a
   * server's refusal does (`read-only: …`) instead of with the bare errno of the lock or the file.
   */
  private readOnlyOr(failure: ProntoError): ProntoError {
    if (failure.code !== 'io' || failure.message.startsWith('read-only:')) return failure;
    const access = fileWriteAccess(this.location);
    return access.writable ? failure : new ProntoError('io', `read-only: ${access.reason}; nothing was written (${failure.message})`, failure.file);
  }

  private async commit(batch: WriteJob[]): Promise<void> {
    let write: FileWrite | undefined;
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    let changed: boolean;
    try {
      write = await this.backing.beginWrite();
      for (let attempt = 1; ; attempt++) {
        try {
          ({ outcomes, changed } = await this.applyBatch(batch, write));
          break;
        } catch (error) {
          // A native process wrote the file in place while the group was being applied: start over
          // from what it wrote rather than replace it with a copy that lacks its change.
          if (!(error instanceof ChangedDuringCommit) || attempt >= 5) throw error instanceof ChangedDuringCommit ? new ProntoError('conflict', `${this.location} kept changing during the write (another program writes it in place); nothing was written`) : error;
          this.discard();
        }
      }
    } catch (error) {
      // The in-memory copy may now differ from the file: drop it so the next call rereads the file.
      this.discard();
      const failure = this.readOnlyOr(wrapSqliteError(this.location, error));
      for (const job of batch) job.reject(failure);
      await write?.release();
      return;
    }
    await write.release();
    batch.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
    if (changed) this.emit({ origin: 'local' });
  }

  /** Applies the group in one transaction over the current file and, if anything changed, persists it. */
  private async applyBatch(
    batch: WriteJob[],
    write: FileWrite,
  ): Promise<{ outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>; changed: boolean }> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    {
      let db = this.ensureCurrent();
      if (write.changedSince(this.version!)) {
        this.load();
        db = this.db!;
      }
      write.refuseNativeActivity();
      if (!this.integrityChecked) this.checkIntegrity(db);
      this.refuseNewerSchema(db);
      const now = this.nowSeconds();
      if (batch.length === 1 && batch[0]!.alone) {
        try {
          outcomes.push({ ok: true, value: await batch[0]!.run(db, now, this.recorder(db, batch[0]!.actor)) });
        } catch (error) {
          outcomes.push({ ok: false, error: wrapSqliteError(this.location, error) });
          return { outcomes, changed: false };
        }
        await this.persist(write, db);
        return { outcomes, changed: true };
      }
      // total_changes() also counts rows a rolled-back job touched, so count only what was kept.
      let keptChanges = 0;
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const job of batch) {
          const before = this.totalChanges(db);
          db.exec('SAVEPOINT job');
          try {
            outcomes.push({ ok: true, value: await job.run(db, now, this.recorder(db, job.actor)) });
            db.exec('RELEASE job');
            keptChanges += this.totalChanges(db) - before;
          } catch (error) {
            db.exec('ROLLBACK TO job; RELEASE job');
            outcomes.push({ ok: false, error: wrapSqliteError(this.location, error) });
          }
        }
        if (keptChanges > 0) {
          // Expired rows are dead weight in every later write of the whole file.
          this.run(db, 'DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
          if (this.auditWritten) this.applyAuditRetention(db);
        }
        this.auditWritten = false;
        db.exec('COMMIT');
      } catch (error) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // the transaction may already be gone; the copy is discarded below anyway
        }
        throw error;
      }
      // A new file is written once something succeeded in it, even if that changed no row (initialize);
      // a migration may change only the schema.
      const changed = keptChanges > 0 || ((this.schemaUnwritten || this.schemaChanged) && outcomes.some((outcome) => outcome.ok));
      this.schemaChanged = false;
      if (changed) await this.persist(write, db);
      return { outcomes, changed };
    }
  }

  /** A file from a newer ProntoDB may hold rules this build does not know: reading is safe, writing is not. */
  private refuseNewerSchema(db: Database): void {
    const version = this.schemaVersionOf(db);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new ProntoError(
        'foreign-schema',
        `${this.location} has schema version ${version}, newer than this ProntoDB knows (${LATEST_SCHEMA_VERSION}); it can be read but not written: update ProntoDB`,
      );
    }
  }

  private schemaVersionOf(db: Database): number {
    return this.rows(db, 'PRAGMA user_version', [])[0]![0] as number;
  }

  // ---- audit log (audit.ts) ----------------------------------------------------------------------

  private tableExists(db: Database, table: string): boolean {
    return this.rows(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).length > 0;
  }

  private auditSettingsOf(db: Database): AuditSettings {
    this.audit ??= this.tableExists(db, SETTINGS_TABLE)
      ? parseSettings(this.rows(db, `SELECT name, value FROM ${SETTINGS_TABLE}`, []).map((row) => [String(row[0]), String(row[1])]))
      : DEFAULT_AUDIT_SETTINGS;
    return this.audit;
  }

  private recorder(db: Database, actor: Actor | undefined): Recorder {
    const settings = this.auditSettingsOf(db);
    if (!settings.enabled) return () => undefined;
    return (operation, address, before, after, detail) => {
      const kept = settings.keepValueBytes > 0 && typeof before === 'string' && Buffer.byteLength(before, 'utf8') <= settings.keepValueBytes ? before : null;
      this.run(
        db,
        `INSERT INTO ${AUDIT_TABLE} (at, user, cursor, client, host, pid, operation, project, namespace, key, context, old_digest, new_digest, old_value, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ...auditRecordHead(this.now(), actor, operation, address),
          digestBytes(digest(before)),
          digestBytes(digest(after)),
          kept,
          detail ?? null,
        ],
      );
      this.auditWritten = true;
    };
  }

  private applyAuditRetention(db: Database): void {
    const settings = this.auditSettingsOf(db);
    if (settings.keepDays > 0) this.run(db, `DELETE FROM ${AUDIT_TABLE} WHERE at < ?`, [this.now() - settings.keepDays * 86_400_000]);
    if (settings.keepRows > 0) this.run(db, `DELETE FROM ${AUDIT_TABLE} WHERE id <= (SELECT max(id) FROM ${AUDIT_TABLE}) - ?`, [settings.keepRows]);
  }

  auditSettings(): Promise<AuditSettings> {
    return this.read((db) => ({ ...this.auditSettingsOf(db) }));
  }

  configureAudit(change: Partial<AuditSettings>): Promise<AuditSettings> {
    const actor = currentActor();
    return this.write((db, _now, record) => {
      const before = this.auditSettingsOf(db);
      const settings = { ...before, ...change };
      for (const [name, value] of Object.entries(settings)) {
        if (name !== 'enabled' && (!Number.isSafeInteger(value) || (value as number) < 0)) throw new ProntoError('usage', `Audit setting ${name} must be a whole number, 0 or more`);
      }
      if (before.enabled && !settings.enabled) record('audit-off', null);
      db.exec(AUDIT_SCHEMA_SQL);
      for (const row of settingsRows(settings)) this.run(db, `INSERT OR REPLACE INTO ${SETTINGS_TABLE} (name, value) VALUES (?, ?)`, row);
      this.audit = settings;
      if (!before.enabled && settings.enabled) this.recorder(db, actor)('audit-on', null);
      return { ...settings };
    });
  }

  auditRecords(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.read((db) => {
      if (!this.tableExists(db, AUDIT_TABLE)) return [];
      const clauses: string[] = [];
      const params: SqlValue[] = [];
      if (query.address) {
        clauses.push('project = ? AND namespace = ? AND key = ? AND context IS ?');
        params.push(query.address.project, query.address.namespace, query.address.key, query.address.context);
      }
      if (query.since !== undefined) {
        clauses.push('at >= ?');
        params.push(query.since);
      }
      params.push(query.limit ?? -1);
      const rows = this.rows(
        db,
        `SELECT id, at, user, cursor, client, host, pid, operation, project, namespace, key, context, old_digest, new_digest, CAST(old_value AS BLOB), detail
           FROM ${AUDIT_TABLE} ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
        params,
      );
      return rows.map((row) => ({
        id: row[0] as number,
        at: row[1] as number,
        user: row[2] as string | null,
        cursor: row[3] as string | null,
        client: row[4] as string | null,
        host: row[5] as string | null,
        pid: row[6] as number | null,
        operation: row[7] as AuditOperation,
        project: row[8] as string | null,
        namespace: row[9] as string | null,
        key: row[10] as string | null,
        context: row[11] as string | null,
        oldDigest: digestHex(row[12]),
        newDigest: digestHex(row[13]),
        oldValue: row[14] === null ? null : valueText(row[14]!),
        detail: row[15] as string | null,
      }));
    });
  }

  noteInAudit(operation: AuditOperation, detail: string): Promise<void> {
    return this.write((_db, _now, record) => record(operation, null, null, null, detail));
  }

  private totalChanges(db: Database): number {
    return this.rows(db, 'SELECT total_changes()', [])[0]![0] as number;
  }

  private checkIntegrity(db: Database): void {
    // The check reads every page once: through a small page cache, so that on a big file it does
    // not fill the whole cache and grow the wasm heap (which never shrinks) for pages read once.
    db.exec('PRAGMA cache_size = -1024');
    let result: string[];
    try {
      result = this.rows(db, 'PRAGMA quick_check', []).map((row) => String(row[0]));
    } finally {
      db.exec(`PRAGMA cache_size = ${PAGE_CACHE}`);
    }
    if (result.length !== 1 || result[0] !== 'ok') {
      throw new ProntoError('not-sqlite', `${this.location} is corrupt (${result.slice(0, 3).join('; ')}); it was left untouched`);
    }
    this.integrityChecked = true;
    this.checkedAt = Date.now();
    if (this.version) rememberVerified(this.location, this.version, this.checkedAt);
  }

  initialize(): Promise<void> {
    // An empty commit still writes the file when its schema exists only in memory.
    return this.write(() => undefined);
  }

  set(address: Address, value: string, options: SetOptions = {}): Promise<void> {
    if (typeof value !== 'string') return Promise.reject(new ProntoError('usage', 'A value must be text'));
    const ttl = options.ttlSeconds;
    if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl < 0)) {
      return Promise.reject(new ProntoError('usage', `TTL '${ttl}' must be a whole number of seconds, 0 or more`));
    }
    return this.write((db, now, record) => {
      const params = [address.project, address.namespace, address.key, address.context];
      const [current] = this.rows(db, `SELECT created_at, CAST(value AS BLOB), expires_at FROM kv WHERE ${SAME_ADDRESS} ORDER BY updated_at DESC, rowid DESC LIMIT 1`, params);
      const live = current && (current[2] === null || (current[2] as number) > now) ? current : undefined;
      if (options.expected) checkCondition(address, options.expected.value, live ? valueText(live[1]!) : undefined);
      const [ttlRow] = this.rows(db, 'SELECT default_ttl FROM sys_namespaces WHERE project = ? AND namespace = ? AND is_ttl = 1', [
        address.project,
        address.namespace,
      ]);
      if (ttl !== undefined && !ttlRow) {
        throw new ProntoError('usage', `TTL not allowed: namespace '${address.project}.${address.namespace}' is not TTL-enabled (create it with create-cache)`);
      }
      const effectiveTtl = ttl ?? (ttlRow ? (ttlRow[0] as number) : undefined);
      const keptExpiry = options.keepExpiry && ttl === undefined && live ? { expiresAt: live[2] as number | null } : undefined;
      const expiresAt = keptExpiry ? keptExpiry.expiresAt : effectiveTtl === undefined ? null : now + effectiveTtl;
      const createdAt = live ? (live[0] as number) : now;
      // Delete-then-insert: INSERT OR REPLACE never replaces a NULL-context row (docs/FORMAT.md#null-context-duplicates).
      this.run(db, `DELETE FROM kv WHERE ${SAME_ADDRESS}`, params);
      this.run(db, `INSERT INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [...params, value, createdAt, now, expiresAt]);
      record('set', address, live ? valueText(live[1]!) : null, value, options.ttlSeconds === undefined ? undefined : `ttl ${options.ttlSeconds} s`);
    });
  }

  delete(address: Address, options: DeleteOptions = {}): Promise<boolean> {
    return this.write((db, now, record) => {
      const params = [address.project, address.namespace, address.key, address.context];
      const [live] = this.rows(db, `SELECT CAST(value AS BLOB) FROM kv WHERE ${SAME_ADDRESS} AND ${LIVE} ORDER BY updated_at DESC, rowid DESC LIMIT 1`, [...params, now]);
      if (options.expected) checkCondition(address, options.expected.value, live ? valueText(live[0]!) : undefined);
      this.run(db, `DELETE FROM kv WHERE ${SAME_ADDRESS}`, params);
      if (live) record('delete', address, valueText(live[0]!), null);
      return live !== undefined;
    });
  }

  rename(from: Address, to: Address, options: RenameOptions = {}): Promise<void> {
    return this.write((db, now, record) => {
      const fromParams = [from.project, from.namespace, from.key, from.context];
      const toParams = [to.project, to.namespace, to.key, to.context];
      if (fromParams.every((part, index) => part === toParams[index])) throw new ProntoError('usage', `${describeAddress(from)} is already at that address`);
      const [current] = this.rows(db, `SELECT created_at, CAST(value AS BLOB), expires_at FROM kv WHERE ${SAME_ADDRESS} AND ${LIVE} ORDER BY updated_at DESC, rowid DESC LIMIT 1`, [...fromParams, now]);
      if (!current) throw new ProntoError('not-found', `Nothing is stored at ${describeAddress(from)}`);
      const value = valueText(current[1]!);
      if (options.expected) checkCondition(from, options.expected.value, value);
      if (this.rows(db, `SELECT 1 FROM kv WHERE ${SAME_ADDRESS} AND ${LIVE}`, [...toParams, now]).length > 0) {
        throw new ProntoError('conflict', `${describeAddress(to)} already holds a value`);
      }
      const expiresAt = current[2] as number | null;
      if (expiresAt !== null && (to.project !== from.project || to.namespace !== from.namespace)) {
        const [ttlRow] = this.rows(db, 'SELECT 1 FROM sys_namespaces WHERE project = ? AND namespace = ? AND is_ttl = 1', [to.project, to.namespace]);
        if (!ttlRow) throw new ProntoError('usage', `${describeAddress(from)} expires, and '${to.project}.${to.namespace}' is not a TTL namespace: it could not keep its expiry there`);
      }
      this.run(db, `DELETE FROM kv WHERE ${SAME_ADDRESS}`, toParams);
      this.run(db, `INSERT INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [...toParams, value, current[0] as number, now, expiresAt]);
      this.run(db, `DELETE FROM kv WHERE ${SAME_ADDRESS}`, fromParams);
      record('rename', from, value, null, `to ${describeAddress(to)}`);
      record('rename', to, null, value, `from ${describeAddress(from)}`);
    });
  }

  deleteScope(scope: Scope): Promise<number> {
    return this.write((db, now, record) => {
      const where = scope.namespace === undefined ? 'project = ?' : 'project = ? AND namespace = ?';
      const params = scope.namespace === undefined ? [scope.project] : [scope.project, scope.namespace];
      const [live] = this.rows(db, `SELECT count(*) FROM kv WHERE ${where} AND ${LIVE} AND ${NEWEST_OF_ADDRESS}`, [...params, now]);
      this.run(db, `DELETE FROM kv WHERE ${where}`, params);
      this.run(db, `DELETE FROM sys_namespaces WHERE ${where}`, params);
      record('delete-scope', { project: scope.project, namespace: scope.namespace }, null, null, `${live![0] as number} values`);
      return live![0] as number;
    });
  }

  createCache(project: string, namespace: string, defaultTtlSeconds: number): Promise<void> {
    if (!Number.isSafeInteger(defaultTtlSeconds) || defaultTtlSeconds <= 0) {
      return Promise.reject(new ProntoError('usage', `Timeout must be a whole number of seconds greater than 0, got '${defaultTtlSeconds}'`));
    }
    return this.write((db, now, record) => {
      this.run(db, 'INSERT OR REPLACE INTO sys_namespaces (project, namespace, is_ttl, default_ttl, created_at) VALUES (?, ?, 1, ?, ?)', [
        project,
        namespace,
        defaultTtlSeconds,
        now,
      ]);
      record('create-cache', { project, namespace }, null, null, `default TTL ${defaultTtlSeconds} s`);
    });
  }

  removeCache(project: string, namespace: string): Promise<boolean> {
    return this.write((db, _now, record) => {
      this.run(db, 'DELETE FROM sys_namespaces WHERE project = ? AND namespace = ?', [project, namespace]);
      const removed = db.getRowsModified() > 0;
      if (removed) record('remove-cache', { project, namespace });
      return removed;
    });
  }

  purgeExpired(): Promise<number> {
    return this.write((db, now, record) => {
      this.run(db, 'DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
      const purged = db.getRowsModified();
      if (purged > 0) record('purge', null, null, null, `${purged} expired values`);
      return purged;
    });
  }

  importEntries(entries: Entry[], ttlNamespaces: TtlNamespace[], options: ImportOptions = {}): Promise<number> {
    throwIfCancelled(options.signal);
    return this.write(async (db, now, record) => {
      if (options.replaceContents) {
        if (options.replaceContents === 'when-empty') {
          const held = this.rows(db, `SELECT 1 FROM kv WHERE ${LIVE} UNION ALL SELECT 1 FROM sys_namespaces WHERE is_ttl = 1 LIMIT 1`, [now]);
          if (held.length > 0) throw new ProntoError('conflict', `${this.location} is not empty (it holds values or TTL namespaces); nothing was written`);
        }
        this.run(db, 'DELETE FROM kv', []);
        this.run(db, 'DELETE FROM sys_namespaces', []);
      }
      for (const ns of ttlNamespaces) {
        this.run(db, 'INSERT OR REPLACE INTO sys_namespaces (project, namespace, is_ttl, default_ttl, created_at) VALUES (?, ?, 1, ?, ?)', [
          ns.project,
          ns.namespace,
          ns.defaultTtl,
          options.preserveTimestamps ? ns.createdAt : now,
        ]);
      }
      const remove = this.statement(db, `DELETE FROM kv WHERE ${SAME_ADDRESS}`);
      const insert = this.statement(db, `INSERT INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
      // Namespaces with no rows yet skip the per-row delete: INSERT OR REPLACE settles repeated
      // addresses with a context, and one statement per namespace afterwards keeps the last of
      // repeated context-less ones (which a primary key with NULL cannot catch, docs/FORMAT.md#null-context-duplicates).
      const replace = this.statement(db, `INSERT OR REPLACE INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
      const emptiness = new Map<string, boolean>();
      let current: { project: string; namespace: string; empty: boolean } | undefined;
      const isEmptyNamespace = (project: string, namespace: string): boolean => {
        if (current?.project === project && current.namespace === namespace) return current.empty;
        const key = `${project}\u0000${namespace}`;
        let empty = emptiness.get(key);
        if (empty === undefined) {
          empty = this.rows(db, 'SELECT 1 FROM kv WHERE project = ? AND namespace = ? LIMIT 1', [project, namespace]).length === 0;
          emptiness.set(key, empty);
        }
        current = { project, namespace, empty };
        return empty;
      };
      const chunk = 5000;
      for (let start = 0; start < entries.length; start += chunk) {
        const end = Math.min(entries.length, start + chunk);
        for (let index = start; index < end; index++) {
          const entry = entries[index]!;
          const row = options.preserveTimestamps
            ? [entry.project, entry.namespace, entry.key, entry.context, entry.value, entry.createdAt, entry.updatedAt, entry.expiresAt]
            : [entry.project, entry.namespace, entry.key, entry.context, entry.value, now, now, entry.expiresAt];
          if (isEmptyNamespace(entry.project, entry.namespace)) {
            replace.run(row);
          } else {
            remove.run([entry.project, entry.namespace, entry.key, entry.context]);
            insert.run(row);
          }
        }
        if (end < entries.length) {
          options.onProgress?.(end / entries.length, `Imported ${end} of ${entries.length}`);
          // Yield so a cancellation request can arrive; the transaction is rolled back if it does.
          await new Promise((resolve) => setImmediate(resolve));
          throwIfCancelled(options.signal);
        }
      }
      for (const [key, empty] of emptiness) {
        if (!empty) continue;
        const [project, namespace] = key.split('\u0000');
        this.run(
          db,
          `DELETE FROM kv WHERE project = ?1 AND namespace = ?2 AND context IS NULL AND rowid NOT IN
             (SELECT max(rowid) FROM kv WHERE project = ?1 AND namespace = ?2 AND context IS NULL GROUP BY key)`,
          [project, namespace],
        );
      }
      options.onProgress?.(1, `Imported ${entries.length} entries`);
      record(options.audit?.operation ?? 'import', null, null, null, options.audit?.detail ?? `${entries.length} entries, ${ttlNamespaces.length} TTL namespaces`);
      return entries.length;
    });
  }

  // ---- health and maintenance ------------------------------------------------------------------

  /**
   * Rows per namespace, and of them the expired ones and those expiring soon. The totals come from
   * an index alone and the expiry figures from the expiry index (only rows that expire): a filter
   * on expires_at over every row reads the whole table, 3 s on 300k keys in sql.js.
   */
  private namespaceCounts(db: Database, now: number): Array<{ project: string; namespace: string; rows: number; expired: number; minute: number; hour: number; day: number }> {
    const counts = new Map<string, { project: string; namespace: string; rows: number; expired: number; minute: number; hour: number; day: number }>();
    for (const [project, namespace, rows] of this.rows(db, 'SELECT project, namespace, count(*) FROM kv GROUP BY project, namespace', [])) {
      counts.set(`${String(project)}\u0000${String(namespace)}`, { project: String(project), namespace: String(namespace), rows: rows as number, expired: 0, minute: 0, hour: 0, day: 0 });
    }
    const expiring = this.rows(
      db,
      `SELECT project, namespace, count(*) FILTER (WHERE expires_at <= ?1), count(*) FILTER (WHERE expires_at > ?1 AND expires_at <= ?2),
              count(*) FILTER (WHERE expires_at > ?1 AND expires_at <= ?3), count(*) FILTER (WHERE expires_at > ?1 AND expires_at <= ?4)
         FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?4 GROUP BY project, namespace`,
      [now, now + 60, now + 3600, now + 86_400],
    );
    for (const [project, namespace, expired, minute, hour, day] of expiring) {
      const entry = counts.get(`${String(project)}\u0000${String(namespace)}`);
      if (entry) Object.assign(entry, { expired: expired as number, minute: minute as number, hour: hour as number, day: day as number });
    }
    return [...counts.values()];
  }

  stats(): Promise<StoreStats> {
    return this.read((db, now) => {
      const one = (sql: string, params: SqlValue[] = []): SqlValue => this.rows(db, sql, params)[0]![0]!;
      const pageSize = one('PRAGMA page_size') as number;
      const pageCount = one('PRAGMA page_count') as number;
      // Indexes only: a probe per row (the newest-of-address rule) is needed only when the Rust CLI
      // left duplicates, which a file with the unique address index cannot hold.
      const uniqueIndex = this.rows(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [UNIQUE_ADDRESS_INDEX]).length > 0;
      const duplicateRows = uniqueIndex
        ? 0
        : (one('SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM kv WHERE context IS NULL GROUP BY project, namespace, key HAVING count(*) > 1)') as number);
      const namespaces = this.namespaceCounts(db, now);
      const live = namespaces.filter((ns) => ns.rows > ns.expired);
      const rows = namespaces.reduce((sum, ns) => sum + ns.rows, 0);
      const expired = namespaces.reduce((sum, ns) => sum + ns.expired, 0);
      const entries = duplicateRows === 0 ? rows - expired : (one(`SELECT count(*) FROM kv WHERE ${LIVE} AND ${NEWEST_OF_ADDRESS}`, [now]) as number);
      const [oldest, newest] = this.rows(db, 'SELECT min(updated_at), max(updated_at) FROM kv', [])[0]!;
      return {
        sizeBytes: pageSize * pageCount,
        pageSize,
        pageCount,
        freePages: one('PRAGMA freelist_count') as number,
        entries,
        expiredEntries: expired,
        duplicateRows,
        projects: new Set(live.map((ns) => ns.project)).size,
        namespaces: live.length,
        ttlNamespaces: one('SELECT count(*) FROM sys_namespaces WHERE is_ttl = 1') as number,
        oldestWrite: oldest as number | null,
        newestWrite: newest as number | null,
        schemaVersion: this.schemaVersionOf(db),
        latestSchemaVersion: LATEST_SCHEMA_VERSION,
      };
    });
  }

  namespaceStats(): Promise<NamespaceStats[]> {
    return this.read((db, now) =>
      this.namespaceCounts(db, now)
        .filter((ns) => ns.rows > ns.expired)
        .sort((a, b) => (a.project === b.project ? (a.namespace < b.namespace ? -1 : 1) : a.project < b.project ? -1 : 1))
        .map((ns) => ({ project: ns.project, namespace: ns.namespace, entries: ns.rows - ns.expired, expiring: { minute: ns.minute, hour: ns.hour, day: ns.day } })),
    );
  }

  integrityCheck(): Promise<string[]> {
    return this.read((db) => this.rows(db, 'PRAGMA integrity_check', []).map((row) => String(row[0])));
  }

  migrate(options: { dryRun?: boolean } = {}): Promise<MigrationReport> {
    const plan = (db: Database, apply: boolean, record?: Recorder): MigrationReport => {
      const from = this.schemaVersionOf(db);
      if (from > LATEST_SCHEMA_VERSION) this.refuseNewerSchema(db);
      const steps = pendingMigrations(from).map((step) => {
        let rowsChanged = 0;
        if (apply) {
          const before = this.totalChanges(db);
          db.exec(step.sql);
          rowsChanged = this.totalChanges(db) - before;
        } else if (step.name === 'collapse-duplicates') {
          rowsChanged = this.rows(db, `SELECT count(*) FROM kv WHERE ${OLDER_DUPLICATES_WHERE}`, [])[0]![0] as number;
        }
        return { version: step.version, name: step.name, description: step.description, rowsChanged };
      });
      const to = steps.length ? steps[steps.length - 1]!.version : from;
      if (apply && steps.length) {
        db.exec(`PRAGMA user_version = ${to}`);
        this.schemaChanged = true;
        record?.('migrate', null, null, null, `schema version ${from} -> ${to}: ${steps.map((step) => step.name).join(', ')}`);
      }
      return { from, to, steps, dryRun: !apply };
    };
    if (options.dryRun) return this.read((db) => plan(db, false));
    return this.write((db, _now, record) => plan(db, true, record));
  }

  collapseDuplicates(): Promise<number> {
    return this.write((db, _now, record) => {
      this.run(db, `DELETE FROM kv WHERE ${OLDER_DUPLICATES_WHERE}`, []);
      const removed = db.getRowsModified();
      if (removed > 0) record('collapse-duplicates', null, null, null, `${removed} rows`);
      return removed;
    });
  }

  compact(): Promise<{ before: number; after: number }> {
    return this.write(
      (db, _now, record) => {
        const size = (): number => (this.rows(db, 'PRAGMA page_count', [])[0]![0] as number) * (this.rows(db, 'PRAGMA page_size', [])[0]![0] as number);
        const before = size();
        // Prepared statements would keep VACUUM from running.
        for (const statement of this.statements.values()) statement.free();
        this.statements.clear();
        db.exec('VACUUM');
        const after = size();
        record('compact', null, null, null, `${before} -> ${after} bytes`);
        return { before, after };
      },
      { alone: true },
    );
  }

  // ---- change notification ---------------------------------------------------------------------

  onDidChange(listener: (event: ChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    if (!this.watching && !this.closed) this.watching = this.backing.watch(() => this.checkExternalChange());
    return {
      dispose: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stopWatching();
      },
    };
  }

  private emit(event: ChangeEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private checkExternalChange(): void {
    if (this.closed || this.flushing) return;
    if (!this.backing.isCurrent(this.version)) this.emit({ origin: 'external' });
  }

  private stopWatching(): void {
    this.watching?.dispose();
    this.watching = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    this.closed = true;
    this.stopWatching();
    this.listeners.clear();
    this.discard();
    this.backing.dispose();
  }
}

function describeAddress(address: Address): string {
  return `${address.project}.${address.namespace}.${address.key}${address.context === null ? '' : `__${address.context}`}`;
}

/** Throws a ConditionFailedError unless the live value is the expected one (`undefined`: none). Messages never show values. */
function checkCondition(address: Address, expected: string | undefined, current: string | undefined): void {
  if (expected === current) return;
  const where = describeAddress(address);
  const message =
    expected === undefined
      ? `${where} already holds a value`
      : current === undefined
        ? `Nothing is stored at ${where} (a value was expected)`
        : `The value at ${where} is not the expected one`;
  throw new ConditionFailedError(message, current);
}
