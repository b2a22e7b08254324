/**
 * A ProntoDB database on a PostgreSQL server (docs/FORMAT.md#postgres): the schema `prontodb_<name>`
 * of the PostgreSQL database a `postgres://` URL names. The same KvStore as the file store, built on
 * the server's own guarantees instead of a file lock:
 *
 * - every write is one transaction; it resolves once the server has committed it;
 * - conditional writes lock the row (`SELECT … FOR UPDATE`); where there is no row yet, the insert
 *   is `ON CONFLICT DO NOTHING` and a lost race runs the decision again over the winner's row;
 * - time comes from the injected clock, never the server's `now()`, so expiry is the caller's;
 * - listings page on the primary key (project, namespace, key, context_key);
 * - each write notifies the schema's channel in its transaction (listener.ts), and records itself
 *   in the audit log in the same transaction when the log is on.
 *
 * Reads of a database that does not exist yet see it empty and create nothing; the first write
 * (or `initialize`) creates the schema at the latest version.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type Actor, type AuditOperation, type AuditQuery, type AuditRecord, type AuditSettings, DEFAULT_AUDIT_SETTINGS, digest, auditRecordHead, parseSettings, settingsRows } from '../audit';
import type { MigrationReport } from '../migrations';
import type { ChangeEvent, DeleteOptions, ImportOptions, KvStore, ListQuery, NamespaceStats, RenameOptions, Scope, SetOptions, StoreStats, WriteAccess } from '../store';
import { compactRefusal, writeAccessOf } from './access';
import type { Address, Disposable, Entry, LongOperationOptions, TtlNamespace } from '../types';
import { connect, type CoreServices, errorCode, isConnectionLost, isMissingSchema, isTransient, type Row, type Sql, type TransactionSql, usageFailure, wrapError } from './connection';
import { ChangeListener } from './listener';
import { displayLocation } from '../location';
import { parsePostgresLocation, quoteIdentifier } from './location';
import { contextKey, createSchemaSql, LATEST_POSTGRES_SCHEMA_VERSION, pendingPostgresMigrations, POSTGRES_TABLE_COLUMNS, SCHEMA_VERSION_SETTING } from './schema';

export interface PostgresStoreOptions {
  core: CoreServices;
  /** Milliseconds since the epoch; injectable so TTL tests need not sleep. */
  now?: () => number;
  /** Connections per store (default 4). */
  poolSize?: number;
  /** Lines about the change-notification connection (lost, back). */
  log?: (line: string) => void;
  /** The change-notification connection was lost ('lost') or listens again ('restored'); `location` is this store's. */
  connection?: (location: string, state: 'lost' | 'restored') => void;
}

/** Records one audit entry of the running write (nothing while the audit log is off). */
type Recorder = (operation: AuditOperation, address: Partial<Address> | null, before?: string | null, after?: string | null, detail?: string) => Promise<void>;

interface WriteContext {
  tx: TransactionSql;
  /** Seconds, from the injected clock. */
  now: number;
  record: Recorder;
  /** Set by an operation that changed anything: then the commit notifies, purges, applies retention. */
  changed: boolean;
}

/** A lost race for a row that did not exist yet: run the decision again over the winner's row. */
class RaceLost extends Error {}

const ENTRY_COLUMNS = 'project, namespace, key, context, value, created_at, updated_at, expires_at';
const SAME_ADDRESS = 'project = $1 AND namespace = $2 AND key = $3 AND context_key = $4';
/** Commits purge at most this many expired rows each, skipping rows other writers hold. */
const PURGE_PER_COMMIT = 1000;
const MAX_ATTEMPTS = 20;
/**
 * The listening connection outlives its last subscriber this long: a watch called again and again
 * (MCP `watch`, a view refreshing) keeps one connection and misses nothing between two calls.
 */
const LISTENER_LINGER_MS = 10_000;
const PREPARED = { prepare: true } as const;

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : String(value);
}

function bytes(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

function rowToEntry(row: Row): Entry {
  return {
    project: row.project as string,
    namespace: row.namespace as string,
    key: row.key as string,
    context: row.context as string | null,
    value: text(row.value),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    expiresAt: row.expires_at as number | null,
  };
}

function addressKey(address: Address): string[] {
  return [address.project, address.namespace, address.key, contextKey(address.context)];
}

function describeAddress(address: Address): string {
  return `${address.project}.${address.namespace}.${address.key}${address.context === null ? '' : `__${address.context}`}`;
}

/** The smallest string after every string that starts with `prefix`, in code point order (the "C" collation). */
function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    let next = codePoints.pop()!.codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return codePoints.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/** Rows per chunk written to a COPY stream; progress and cancellation are checked between chunks. */
const COPY_CHUNK = 2000;
/** COPY's binary format: its signature, then flags and header extension length (both 0). */
const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** The end of the tuples: a field count of -1. */
const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * The rows of an import in COPY's binary format, a chunk at a time: per row the field count, then
 * each field as its length and bytes (text as UTF-8, bytea as is, bigint as 8 bytes; -1 for NULL).
 * No escaping and no hex: building the text format took three times as long.
 */
function* copyChunks(rows: Entry[], now: number, options: ImportOptions, cancelled: () => Error): Generator<Buffer> {
  yield COPY_BINARY_HEADER;
  for (let start = 0; start < rows.length; start += COPY_CHUNK) {
    // Throwing here makes the pipeline abort the COPY: the server rolls the transaction back.
    if (options.signal?.aborted) throw cancelled();
    if (start > 0) options.onProgress?.(start / rows.length, `Imported ${start} of ${rows.length}`);
    const batch = rows.slice(start, start + COPY_CHUNK);
    let size = 0;
    for (const entry of batch) {
      size += 2 + 8 * 4 + 3 * (4 + 8);
      size += Buffer.byteLength(entry.project) + Buffer.byteLength(entry.namespace) + Buffer.byteLength(entry.key) + Buffer.byteLength(entry.value);
      if (entry.context !== null) size += Buffer.byteLength(entry.context);
    }
    const chunk = Buffer.allocUnsafe(size);
    let offset = 0;
    const text = (value: string | null): void => {
      if (value === null) {
        offset = chunk.writeInt32BE(-1, offset);
        return;
      }
      const length = chunk.write(value, offset + 4, 'utf8');
      chunk.writeInt32BE(length, offset);
      offset += 4 + length;
    };
    const bigint = (value: number | null): void => {
      if (value === null) {
        offset = chunk.writeInt32BE(-1, offset);
        return;
      }
      offset = chunk.writeInt32BE(8, offset);
      offset = chunk.writeBigInt64BE(BigInt(value), offset);
    };
    for (const entry of batch) {
      offset = chunk.writeInt16BE(8, offset);
      text(entry.project);
      text(entry.namespace);
      text(entry.key);
      text(entry.context);
      text(entry.value);
      bigint(options.preserveTimestamps ? entry.createdAt : now);
      bigint(options.preserveTimestamps ? entry.updatedAt : now);
      bigint(entry.expiresAt);
    }
    yield chunk.subarray(0, offset);
  }
  yield COPY_BINARY_TRAILER;
}

/**
 * Streams `chunks` into `COPY … FROM STDIN` on `tx` and resolves once the server has taken them all.
 * The driver answers the COPY query with its stream; an error the server reports after the end of
 * the data (a row that conflicts with another writer's, a cancelled statement) then reaches only the
 * query's `reject`, which has nothing left to reject, and the stream never finishes: the COPY would
 * wait for ever. Taking that `reject` over makes such an error fail the copy. A chunk source that
 * throws (a cancellation) aborts the COPY with CopyFail: the server rolls the transaction back.
 */
async function copyIn(tx: TransactionSql, statement: string, chunks: Iterable<Buffer>): Promise<void> {
  const query = tx.unsafe(statement);
  const stream = await query.writable();
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    fail = reject;
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  (query as unknown as { reject: (error: unknown) => void }).reject = (error) => fail(error);
  finished.catch(() => undefined);
  try {
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), finished]);
    }
  } catch (error) {
    stream.destroy(error as Error);
    throw error;
  }
  stream.end();
  await finished;
}

export class PostgresStore implements KvStore {
  readonly location: string;
  private readonly core: CoreServices;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly connection: PostgresStoreOptions['connection'];
  private readonly sql: Sql;
  /** How the database is named in messages: the URL without its password. */
  private readonly shown: string;
  private readonly serverUrl: string;
  /** The schema, unquoted (also the notification channel), and quoted (in statements). */
  private readonly schema: string;
  private readonly S: string;
  /** Sent with every notification, so this store knows its own commits. */
  private readonly origin = randomUUID();
  private schemaReady = false;
  private creatingSchema: Promise<void> | undefined;
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private listener: ChangeListener | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private externalPending = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(location: string, options: PostgresStoreOptions) {
    const parsed = parsePostgresLocation(location, usageFailure(options.core));
    this.location = location;
    this.core = options.core;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.shown = displayLocation(location);
    this.serverUrl = parsed.serverUrl;
    this.schema = parsed.schema;
    this.S = quoteIdentifier(parsed.schema);
    this.connection = options.connection;
    this.sql = connect(parsed.serverUrl, { max: options.poolSize ?? 4, idleTimeout: 30, core: options.core });
  }

  readonly staleReadWarning = undefined;

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private error(code: ConstructorParameters<CoreServices['ProntoError']>[0], message: string): Error {
    return new this.core.ProntoError(code, message);
  }

  private checkOpen(): void {
    if (this.closed) throw this.error('io', `Database ${this.shown} is closed`);
  }

  /** Keeps `close` waiting for calls already made. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = (): void => void this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  // ---- schema ----------------------------------------------------------------------------------

  private async schemaExists(sql: Sql | TransactionSql = this.sql): Promise<boolean> {
    const [row] = await sql.unsafe('SELECT to_regclass($1) IS NOT NULL AS ready', [`${this.S}.prontodb_settings`], PREPARED);
    return row!.ready as boolean;
  }

  /** Creates the schema at the latest version unless it is there; concurrent creators retry over each other's work. */
  private ensureSchema(): Promise<void> {
    if (this.schemaReady) return Promise.resolve();
    this.creatingSchema ??= (async () => {
      try {
        if (await this.schemaExists()) {
          this.schemaReady = true;
          return;
        }
        const [encoding] = await this.sql.unsafe('SHOW server_encoding');
        if (encoding!.server_encoding !== 'UTF8') {
          throw this.error('usage', `${this.shown}: the PostgreSQL database uses the encoding ${String(encoding!.server_encoding)}; ProntoDB needs UTF8 (CREATE DATABASE … ENCODING 'UTF8')`);
        }
        for (let attempt = 1; ; attempt++) {
          try {
            await this.sql.begin((tx) => tx.unsafe(createSchemaSql(this.S, this.nowSeconds())));
            break;
          } catch (error) {
            // Another process created the same objects at the same moment: `IF NOT EXISTS` sees them now.
            const code = (error as { code?: string }).code;
            if (attempt < 5 && (code === '23505' || code === '42P06' || code === '42P07' || code === '42710')) continue;
            throw error;
          }
        }
        this.schemaReady = true;
      } finally {
        this.creatingSchema = undefined;
      }
    })();
    return this.creatingSchema;
  }

  private async settingsOf(sql: Sql | TransactionSql): Promise<{ version: number; audit: AuditSettings }> {
    const rows = await sql.unsafe(`SELECT name, value FROM ${this.S}.prontodb_settings`, [], PREPARED);
    const pairs = rows.map((row) => [row.name as string, row.value as string] as [string, string]);
    const version = Number(pairs.find(([name]) => name === SCHEMA_VERSION_SETTING)?.[1] ?? 0);
    return { version, audit: parseSettings(pairs) };
  }

  private refuseNewerSchema(version: number): void {
    if (version > LATEST_POSTGRES_SCHEMA_VERSION) {
      throw this.error(
        'foreign-schema',
        `${this.shown} has schema version ${version}, newer than this ProntoDB knows (${LATEST_POSTGRES_SCHEMA_VERSION}); it can be read but not written: update ProntoDB`,
      );
    }
  }

  // ---- running statements ------------------------------------------------------------------------

  /** A read; a database that does not exist (yet, or any more) reads as `empty`. */
  private read<T>(query: (sql: Sql, now: number) => Promise<T>, empty: () => T): Promise<T> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(
      (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await query(this.sql, this.nowSeconds());
          } catch (error) {
            if (isMissingSchema(error)) {
              this.schemaReady = false;
              return empty();
            }
            // A read changes nothing: one cut off with its connection (a failover, a restart) runs again on a new one.
            if (attempt === 1 && isConnectionLost(error)) continue;
            throw wrapError(this.core, this.location, error, { reading: true });
          }
        }
      })(),
    );
  }

  /**
   * One write in one transaction: the schema made if missing, its version checked, the operation,
   * then (if it changed anything) expired rows purged, audit retention applied and the change
   * notified, all in the same commit. A lost race or a serialization failure runs it again.
   */
  private write<T>(operation: (context: WriteContext) => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const actor = this.core.currentActor();
    return this.track(
      (async () => {
        for (let attempt = 1; ; attempt++) {
          let changed = false;
          try {
            await this.ensureSchema();
            const result = await this.sql.begin(async (tx) => {
              const settings = await this.settingsOf(tx);
              this.refuseNewerSchema(settings.version);
              const context: WriteContext = { tx, now: this.nowSeconds(), record: async () => undefined, changed: false };
              let audited = false;
              context.record = this.recorder(tx, settings.audit, actor, () => (audited = true));
              const value = await operation(context);
              if (context.changed) {
                await tx.unsafe(
                  `DELETE FROM ${this.S}.kv WHERE (project, namespace, key, context_key) IN
                     (SELECT project, namespace, key, context_key FROM ${this.S}.kv WHERE expires_at <= $1 LIMIT ${PURGE_PER_COMMIT} FOR UPDATE SKIP LOCKED)`,
                  [context.now],
                  PREPARED,
                );
                if (audited) await this.applyAuditRetention(tx, settings.audit);
                await tx.unsafe('SELECT pg_notify($1, $2)', [this.schema, this.origin], PREPARED);
              }
              changed = context.changed;
              return value;
            });
            if (changed) this.emit({ origin: 'local' });
            return result as T;
          } catch (error) {
            if (attempt < MAX_ATTEMPTS && (error instanceof RaceLost || isTransient(error))) continue;
            if (attempt < 3 && isMissingSchema(error)) {
              // Dropped by `db delete` elsewhere since this store made it: a write makes it again.
              this.schemaReady = false;
              continue;
            }
            throw wrapError(this.core, this.location, error);
          }
        }
      })(),
    );
  }

  // ---- reads -----------------------------------------------------------------------------------

  get(address: Address): Promise<Entry | undefined> {
    return this.read(async (sql, now) => {
      const [row] = await sql.unsafe(`SELECT ${ENTRY_COLUMNS} FROM ${this.S}.kv WHERE ${SAME_ADDRESS} AND (expires_at IS NULL OR expires_at > $5)`, [...addressKey(address), now], PREPARED);
      return row ? rowToEntry(row) : undefined;
    }, () => undefined);
  }

  /** WHERE clause and parameters of a listing; `$1` is the time. */
  private listWhere(query: Omit<ListQuery, 'limit'>, now: number): { where: string; params: unknown[] } {
    const params: unknown[] = [now, query.project, query.namespace];
    const clauses = ['project = $2', 'namespace = $3', '(expires_at IS NULL OR expires_at > $1)'];
    const add = (clause: (n: number) => string, ...values: unknown[]): void => {
      clauses.push(clause(params.length + 1));
      params.push(...values);
    };
    if (query.keyPrefix) {
      add((n) => `key >= $${n}`, query.keyPrefix);
      const upper = prefixUpperBound(query.keyPrefix);
      if (upper !== undefined) add((n) => `key < $${n}`, upper);
    }
    if (query.after) add((n) => `(key, context_key) > ($${n}, $${n + 1})`, query.after.key, contextKey(query.after.context));
    return { where: clauses.join(' AND '), params };
  }

  list(query: ListQuery): Promise<Entry[]> {
    return this.read(async (sql, now) => {
      const { where, params } = this.listWhere(query, now);
      const limit = query.limit === undefined ? '' : ` LIMIT $${params.push(query.limit)}`;
      const rows = await sql.unsafe(`SELECT ${ENTRY_COLUMNS} FROM ${this.S}.kv WHERE ${where} ORDER BY key, context_key${limit}`, params as never[], PREPARED);
      return rows.map(rowToEntry);
    }, () => []);
  }

  count(query: Omit<ListQuery, 'limit'>, options: { limit?: number } = {}): Promise<number> {
    return this.read(async (sql, now) => {
      const { where, params } = this.listWhere(query, now);
      const [row] =
        options.limit === undefined
          ? await sql.unsafe(`SELECT count(*) AS n FROM ${this.S}.kv WHERE ${where}`, params as never[], PREPARED)
          : await sql.unsafe(`SELECT count(*) AS n FROM (SELECT 1 FROM ${this.S}.kv WHERE ${where} LIMIT $${params.length + 1}) AS page`, [...params, options.limit] as never[], PREPARED);
      return row!.n as number;
    }, () => 0);
  }

  /**
   * Distinct projects by hopping along the primary key (one index probe per project), each with a
   * live row; TTL namespaces count even while empty.
   */
  projects(): Promise<string[]> {
    return this.read(async (sql, now) => {
      const rows = await sql.unsafe(
        `WITH RECURSIVE hop(project) AS (
           (SELECT project FROM ${this.S}.kv ORDER BY project LIMIT 1)
           UNION ALL
           SELECT (SELECT kv.project FROM ${this.S}.kv WHERE kv.project > hop.project ORDER BY kv.project LIMIT 1) FROM hop WHERE hop.project IS NOT NULL)
         SELECT project FROM hop WHERE project IS NOT NULL
           AND EXISTS (SELECT 1 FROM ${this.S}.kv WHERE kv.project = hop.project AND (expires_at IS NULL OR expires_at > $1))
         UNION SELECT project FROM ${this.S}.sys_namespaces WHERE is_ttl
         ORDER BY 1`,
        [now],
        PREPARED,
      );
      return rows.map((row) => row.project as string);
    }, () => []);
  }

  namespaces(project: string): Promise<string[]> {
    return this.read(async (sql, now) => {
      const rows = await sql.unsafe(
        `WITH RECURSIVE hop(namespace) AS (
           (SELECT namespace FROM ${this.S}.kv WHERE project = $1 ORDER BY namespace LIMIT 1)
           UNION ALL
           SELECT (SELECT kv.namespace FROM ${this.S}.kv WHERE kv.project = $1 AND kv.namespace > hop.namespace ORDER BY kv.namespace LIMIT 1) FROM hop WHERE hop.namespace IS NOT NULL)
         SELECT namespace FROM hop WHERE namespace IS NOT NULL
           AND EXISTS (SELECT 1 FROM ${this.S}.kv WHERE kv.project = $1 AND kv.namespace = hop.namespace AND (expires_at IS NULL OR expires_at > $2))
         UNION SELECT namespace FROM ${this.S}.sys_namespaces WHERE project = $1 AND is_ttl
         ORDER BY 1`,
        [project, now],
        PREPARED,
      );
      return rows.map((row) => row.namespace as string);
    }, () => []);
  }

  ttlNamespaces(): Promise<TtlNamespace[]> {
    return this.read((sql) => this.readTtlNamespaces(sql), () => []);
  }

  private async readTtlNamespaces(sql: Sql | TransactionSql): Promise<TtlNamespace[]> {
    const rows = await sql.unsafe(`SELECT project, namespace, default_ttl, created_at FROM ${this.S}.sys_namespaces WHERE is_ttl ORDER BY project, namespace`, [], PREPARED);
    return rows.map((row) => ({ project: row.project as string, namespace: row.namespace as string, defaultTtl: row.default_ttl as number, createdAt: row.created_at as number }));
  }

  async exportEntries(scope: { project?: string; namespace?: string }, options: LongOperationOptions = {}): Promise<{ entries: Entry[]; ttlNamespaces: TtlNamespace[] }> {
    if (options.signal?.aborted) throw this.error('cancelled', 'Operation cancelled');
    return this.read(
      async (sql, now) => {
        const params: unknown[] = [now];
        const clauses = ['(expires_at IS NULL OR expires_at > $1)'];
        if (scope.project !== undefined) clauses.push(`project = $${params.push(scope.project)}`);
        if (scope.namespace !== undefined) clauses.push(`namespace = $${params.push(scope.namespace)}`);
        // One snapshot for the rows and the TTL namespaces.
        return sql.begin('isolation level repeatable read read only', async (tx) => {
          const rows = await tx.unsafe(`SELECT ${ENTRY_COLUMNS} FROM ${this.S}.kv WHERE ${clauses.join(' AND ')} ORDER BY project, namespace, key, context_key`, params as never[], PREPARED);
          const entries = rows.map(rowToEntry);
          options.onProgress?.(1, `Read ${entries.length} entries`);
          const ttlNamespaces = (await this.readTtlNamespaces(tx)).filter(
            (ns) => (scope.project === undefined || ns.project === scope.project) && (scope.namespace === undefined || ns.namespace === scope.namespace),
          );
          return { entries, ttlNamespaces };
        }) as Promise<{ entries: Entry[]; ttlNamespaces: TtlNamespace[] }>;
      },
      () => ({ entries: [], ttlNamespaces: [] }),
    );
  }

  // ---- writes ----------------------------------------------------------------------------------

  initialize(): Promise<void> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(this.ensureSchema().catch((error: unknown) => Promise.reject(wrapError(this.core, this.location, error))));
  }

  /** The current row of an address, locked until the commit; undefined when there is none. */
  private async lockedRow(tx: TransactionSql, address: Address): Promise<Row | undefined> {
    const [row] = await tx.unsafe(`SELECT value, created_at, expires_at FROM ${this.S}.kv WHERE ${SAME_ADDRESS} FOR UPDATE`, addressKey(address) as never[], PREPARED);
    return row;
  }

  private isLive(row: Row | undefined, now: number): row is Row {
    return row !== undefined && (row.expires_at === null || (row.expires_at as number) > now);
  }

  private async ttlDefault(tx: TransactionSql, project: string, namespace: string): Promise<number | undefined> {
    const [row] = await tx.unsafe(`SELECT default_ttl FROM ${this.S}.sys_namespaces WHERE project = $1 AND namespace = $2 AND is_ttl`, [project, namespace], PREPARED);
    return row ? (row.default_ttl as number) : undefined;
  }

  /** Inserts a row where none was when the decision was made; another writer's insert since is a lost race. */
  private async insertFresh(tx: TransactionSql, address: Address, value: string, createdAt: number, updatedAt: number, expiresAt: number | null): Promise<void> {
    const inserted = await tx.unsafe(
      `INSERT INTO ${this.S}.kv (${ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1 AS one`,
      [address.project, address.namespace, address.key, address.context, bytes(value), createdAt, updatedAt, expiresAt] as never[],
      PREPARED,
    );
    if (inserted.length === 0) throw new RaceLost();
  }

  set(address: Address, value: string, options: SetOptions = {}): Promise<void> {
    if (typeof value !== 'string') return Promise.reject(this.error('usage', 'A value must be text'));
    const ttl = options.ttlSeconds;
    if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl < 0)) {
      return Promise.reject(this.error('usage', `TTL '${ttl}' must be a whole number of seconds, 0 or more`));
    }
    return this.write(async (context) => {
      const { tx, now } = context;
      const [current, defaultTtl] = await Promise.all([this.lockedRow(tx, address), this.ttlDefault(tx, address.project, address.namespace)]);
      const live = this.isLive(current, now) ? current : undefined;
      const before = live ? text(live.value) : undefined;
      if (options.expected) this.checkCondition(address, options.expected.value, before);
      if (ttl !== undefined && defaultTtl === undefined) {
        throw this.error('usage', `TTL not allowed: namespace '${address.project}.${address.namespace}' is not TTL-enabled (create it with create-cache)`);
      }
      const effectiveTtl = ttl ?? defaultTtl;
      const keepExpiry = options.keepExpiry && ttl === undefined && live !== undefined;
      const expiresAt = keepExpiry ? (live.expires_at as number | null) : effectiveTtl === undefined ? null : now + effectiveTtl;
      const createdAt = live ? (live.created_at as number) : now;
      if (current) {
        await tx.unsafe(`UPDATE ${this.S}.kv SET value = $5, created_at = $6, updated_at = $7, expires_at = $8 WHERE ${SAME_ADDRESS}`, [...addressKey(address), bytes(value), createdAt, now, expiresAt] as never[], PREPARED);
      } else {
        await this.insertFresh(tx, address, value, createdAt, now, expiresAt);
      }
      await context.record('set', address, before ?? null, value, ttl === undefined ? undefined : `ttl ${ttl} s`);
      context.changed = true;
    });
  }

  delete(address: Address, options: DeleteOptions = {}): Promise<boolean> {
    return this.write(async (context) => {
      const { tx, now } = context;
      const current = await this.lockedRow(tx, address);
      const live = this.isLive(current, now) ? current : undefined;
      const before = live ? text(live.value) : undefined;
      if (options.expected) this.checkCondition(address, options.expected.value, before);
      if (current) {
        await tx.unsafe(`DELETE FROM ${this.S}.kv WHERE ${SAME_ADDRESS}`, addressKey(address) as never[], PREPARED);
        context.changed = true;
      }
      if (before !== undefined) await context.record('delete', address, before, null);
      return before !== undefined;
    });
  }

  rename(from: Address, to: Address, options: RenameOptions = {}): Promise<void> {
    if (addressKey(from).every((part, index) => part === addressKey(to)[index])) {
      return Promise.reject(this.error('usage', `${describeAddress(from)} is already at that address`));
    }
    return this.write(async (context) => {
      const { tx, now } = context;
      // Locked in key order, so two renames between the same addresses cannot deadlock.
      const fromFirst = JSON.stringify(addressKey(from)) < JSON.stringify(addressKey(to));
      const first = await this.lockedRow(tx, fromFirst ? from : to);
      const second = await this.lockedRow(tx, fromFirst ? to : from);
      const [source, target] = fromFirst ? [first, second] : [second, first];
      if (!this.isLive(source, now)) throw this.error('not-found', `Nothing is stored at ${describeAddress(from)}`);
      const value = text(source.value);
      if (options.expected) this.checkCondition(from, options.expected.value, value);
      if (this.isLive(target, now)) throw this.error('conflict', `${describeAddress(to)} already holds a value`);
      const expiresAt = source.expires_at as number | null;
      if (expiresAt !== null && (to.project !== from.project || to.namespace !== from.namespace) && (await this.ttlDefault(tx, to.project, to.namespace)) === undefined) {
        throw this.error('usage', `${describeAddress(from)} expires, and '${to.project}.${to.namespace}' is not a TTL namespace: it could not keep its expiry there`);
      }
      if (target) await tx.unsafe(`DELETE FROM ${this.S}.kv WHERE ${SAME_ADDRESS}`, addressKey(to) as never[], PREPARED);
      await this.insertFresh(tx, to, value, source.created_at as number, now, expiresAt);
      await tx.unsafe(`DELETE FROM ${this.S}.kv WHERE ${SAME_ADDRESS}`, addressKey(from) as never[], PREPARED);
      await context.record('rename', from, value, null, `to ${describeAddress(to)}`);
      await context.record('rename', to, null, value, `from ${describeAddress(from)}`);
      context.changed = true;
    });
  }

  deleteScope(scope: Scope): Promise<number> {
    return this.write(async (context) => {
      const { tx, now } = context;
      const where = scope.namespace === undefined ? 'project = $1' : 'project = $1 AND namespace = $2';
      const params = scope.namespace === undefined ? [scope.project] : [scope.project, scope.namespace];
      const [live] = await tx.unsafe(`SELECT count(*) AS n FROM ${this.S}.kv WHERE ${where} AND (expires_at IS NULL OR expires_at > $${params.length + 1})`, [...params, now], PREPARED);
      const rows = await tx.unsafe(`DELETE FROM ${this.S}.kv WHERE ${where}`, params, PREPARED);
      const settings = await tx.unsafe(`DELETE FROM ${this.S}.sys_namespaces WHERE ${where}`, params, PREPARED);
      const count = live!.n as number;
      await context.record('delete-scope', { project: scope.project, namespace: scope.namespace }, null, null, `${count} values`);
      context.changed = rows.count > 0 || settings.count > 0;
      return count;
    });
  }

  createCache(project: string, namespace: string, defaultTtlSeconds: number): Promise<void> {
    if (!Number.isSafeInteger(defaultTtlSeconds) || defaultTtlSeconds <= 0) {
      return Promise.reject(this.error('usage', `Timeout must be a whole number of seconds greater than 0, got '${defaultTtlSeconds}'`));
    }
    return this.write(async (context) => {
      await context.tx.unsafe(
        `INSERT INTO ${this.S}.sys_namespaces (project, namespace, is_ttl, default_ttl, created_at) VALUES ($1, $2, true, $3, $4)
         ON CONFLICT (project, namespace) DO UPDATE SET is_ttl = true, default_ttl = EXCLUDED.default_ttl, created_at = EXCLUDED.created_at`,
        [project, namespace, defaultTtlSeconds, context.now],
        PREPARED,
      );
      await context.record('create-cache', { project, namespace }, null, null, `default TTL ${defaultTtlSeconds} s`);
      context.changed = true;
    });
  }

  removeCache(project: string, namespace: string): Promise<boolean> {
    return this.write(async (context) => {
      const removed = (await context.tx.unsafe(`DELETE FROM ${this.S}.sys_namespaces WHERE project = $1 AND namespace = $2`, [project, namespace], PREPARED)).count > 0;
      if (removed) {
        await context.record('remove-cache', { project, namespace });
        context.changed = true;
      }
      return removed;
    });
  }

  purgeExpired(): Promise<number> {
    return this.write(async (context) => {
      const purged = (await context.tx.unsafe(`DELETE FROM ${this.S}.kv WHERE expires_at <= $1`, [context.now], PREPARED)).count;
      if (purged > 0) {
        await context.record('purge', null, null, null, `${purged} expired values`);
        context.changed = true;
      }
      return purged;
    });
  }

  /**
   * One transaction: the rows go in through `COPY … FROM STDIN` in the binary format (npm run bench:
   * copy), straight into `kv` when the contents are replaced or there are none, else
   * into a temporary table that one INSERT … ON CONFLICT merges. A cancellation or a lost connection
   * aborts the COPY, and the transaction with it: nothing of the import stays.
   */
  importEntries(entries: Entry[], ttlNamespaces: TtlNamespace[], options: ImportOptions = {}): Promise<number> {
    if (options.signal?.aborted) return Promise.reject(this.error('cancelled', 'Operation cancelled'));
    return this.write(async (context) => {
      const { tx, now } = context;
      if (options.replaceContents) {
        if (options.replaceContents === 'when-empty') {
          const held = await tx.unsafe(
            `SELECT 1 FROM ${this.S}.kv WHERE expires_at IS NULL OR expires_at > $1 UNION ALL SELECT 1 FROM ${this.S}.sys_namespaces WHERE is_ttl LIMIT 1`,
            [now],
            PREPARED,
          );
          if (held.length > 0) throw this.error('conflict', `${this.shown} is not empty (it holds values or TTL namespaces); nothing was written`);
        }
        await tx.unsafe(`DELETE FROM ${this.S}.kv`);
        await tx.unsafe(`DELETE FROM ${this.S}.sys_namespaces`);
      }
      for (const ns of ttlNamespaces) {
        await tx.unsafe(
          `INSERT INTO ${this.S}.sys_namespaces (project, namespace, is_ttl, default_ttl, created_at) VALUES ($1, $2, true, $3, $4)
           ON CONFLICT (project, namespace) DO UPDATE SET is_ttl = true, default_ttl = EXCLUDED.default_ttl, created_at = EXCLUDED.created_at`,
          [ns.project, ns.namespace, ns.defaultTtl, options.preserveTimestamps ? ns.createdAt : now],
          PREPARED,
        );
      }
      // A key holds one row: the last entry of each address wins, as it would one by one.
      const last = new Map<string, Entry>();
      for (const entry of entries) {
        const key = addressKey(entry).join('\u0000');
        last.delete(key);
        last.set(key, entry);
      }
      const rows = [...last.values()];
      if (rows.length > 0) {
        // Nothing to merge with (contents replaced, or no row at all): straight into kv, no upsert.
        const direct = options.replaceContents !== undefined || (await tx.unsafe(`SELECT NOT EXISTS (SELECT 1 FROM ${this.S}.kv) AS empty`))[0]!.empty === true;
        const into = direct ? `${this.S}.kv` : 'prontodb_import';
        if (!direct) {
          await tx.unsafe(
            `CREATE TEMPORARY TABLE prontodb_import (project text, namespace text, key text, context text, value bytea, created_at bigint, updated_at bigint, expires_at bigint) ON COMMIT DROP`,
          );
        }
        try {
          await copyIn(tx, `COPY ${into} (${ENTRY_COLUMNS}) FROM STDIN (FORMAT binary)`, copyChunks(rows, now, options, () => this.error('cancelled', 'Operation cancelled')));
        } catch (error) {
          // Another writer committed one of these addresses meanwhile: decide again, now merging.
          if (direct && errorCode(error) === '23505') throw new RaceLost();
          throw error;
        }
        if (!direct) {
          await tx.unsafe(
            `INSERT INTO ${this.S}.kv (${ENTRY_COLUMNS}) SELECT ${ENTRY_COLUMNS} FROM prontodb_import
             ON CONFLICT (project, namespace, key, context_key) DO UPDATE SET value = EXCLUDED.value, created_at = EXCLUDED.created_at,
               updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at`,
          );
        }
      }
      if (options.signal?.aborted) throw this.error('cancelled', 'Operation cancelled');
      options.onProgress?.(1, `Imported ${entries.length} entries`);
      await context.record(options.audit?.operation ?? 'import', null, null, null, options.audit?.detail ?? `${entries.length} entries, ${ttlNamespaces.length} TTL namespaces`);
      context.changed = entries.length > 0 || ttlNamespaces.length > 0 || options.replaceContents !== undefined;
      return entries.length;
    });
  }

  // ---- health and maintenance ------------------------------------------------------------------

  /** Bytes of the schema's tables with their indexes and TOAST. */
  private async sizeOf(sql: Sql | TransactionSql): Promise<number> {
    const [row] = await sql.unsafe(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [this.schema],
      PREPARED,
    );
    return row!.size as number;
  }

  async stats(): Promise<StoreStats> {
    const empty = (pageSize: number): StoreStats => ({
      sizeBytes: 0,
      pageSize,
      pageCount: 0,
      freePages: 0,
      entries: 0,
      expiredEntries: 0,
      duplicateRows: 0,
      projects: 0,
      namespaces: 0,
      ttlNamespaces: 0,
      oldestWrite: null,
      newestWrite: null,
      // A database made now starts at the latest version.
      schemaVersion: LATEST_POSTGRES_SCHEMA_VERSION,
      latestSchemaVersion: LATEST_POSTGRES_SCHEMA_VERSION,
    });
    return this.read(
      async (sql, now) => {
        const [block] = await sql.unsafe(`SELECT current_setting('block_size')::int AS size`);
        const pageSize = block!.size as number;
        if (!(await this.schemaExists(sql))) return empty(pageSize);
        return sql.begin('isolation level repeatable read read only', async (tx) => {
          const sizeBytes = await this.sizeOf(tx);
          const [counts] = await tx.unsafe(
            `SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > $1) AS live,
                    count(*) FILTER (WHERE expires_at <= $1) AS expired,
                    count(DISTINCT project) FILTER (WHERE expires_at IS NULL OR expires_at > $1) AS projects,
                    count(DISTINCT (project, namespace)) FILTER (WHERE expires_at IS NULL OR expires_at > $1) AS namespaces,
                    min(updated_at) AS oldest, max(updated_at) AS newest
               FROM ${this.S}.kv`,
            [now],
            PREPARED,
          );
          const [ttl] = await tx.unsafe(`SELECT count(*) AS n FROM ${this.S}.sys_namespaces WHERE is_ttl`, [], PREPARED);
          const settings = await this.settingsOf(tx);
          return {
            sizeBytes,
            pageSize,
            pageCount: Math.ceil(sizeBytes / pageSize),
            freePages: await this.unusedPages(tx, pageSize),
            entries: counts!.live as number,
            expiredEntries: counts!.expired as number,
            // The primary key holds one row per address: nothing like the Rust CLI's duplicates can exist.
            duplicateRows: 0,
            projects: counts!.projects as number,
            namespaces: counts!.namespaces as number,
            ttlNamespaces: ttl!.n as number,
            oldestWrite: counts!.oldest as number | null,
            newestWrite: counts!.newest as number | null,
            schemaVersion: settings.version,
            latestSchemaVersion: LATEST_POSTGRES_SCHEMA_VERSION,
          };
        }) as Promise<StoreStats>;
      },
      () => empty(8192),
    );
  }

  /**
   * Pages of the values and audit tables that hold no visible row: space deleted rows left, which
   * `compact` (VACUUM FULL) gives back. Counted from the rows' own page numbers (ctid).
   */
  private async unusedPages(tx: TransactionSql, pageSize: number): Promise<number> {
    let unused = 0;
    for (const table of ['kv', 'prontodb_audit']) {
      const [row] = await tx.unsafe(
        `SELECT pg_relation_size($1::regclass) AS bytes, (SELECT count(DISTINCT (ctid::text::point)[0]) FROM ${this.S}.${table}) AS used`,
        [`${this.S}.${table}`],
        PREPARED,
      );
      unused += Math.max(0, Math.ceil((row!.bytes as number) / pageSize) - (row!.used as number));
    }
    return unused;
  }

  namespaceStats(): Promise<NamespaceStats[]> {
    return this.read(async (sql, now) => {
      const rows = await sql.unsafe(
        `SELECT project, namespace, count(*) AS entries,
                count(*) FILTER (WHERE expires_at <= $2) AS minute, count(*) FILTER (WHERE expires_at <= $3) AS hour, count(*) FILTER (WHERE expires_at <= $4) AS day
           FROM ${this.S}.kv WHERE expires_at IS NULL OR expires_at > $1 GROUP BY project, namespace ORDER BY project, namespace`,
        [now, now + 60, now + 3600, now + 86_400],
        PREPARED,
      );
      return rows.map((row) => ({
        project: row.project as string,
        namespace: row.namespace as string,
        entries: row.entries as number,
        expiring: { minute: row.minute as number, hour: row.hour as number, day: row.day as number },
      }));
    }, () => []);
  }

  /**
   * What can be checked from a client: the tables and their columns as this version made them, every
   * index valid (a failed concurrent build leaves one invalid), a schema version this build knows.
   * The server checks its own pages (checksums, `amcheck` for those who install it).
   */
  integrityCheck(): Promise<string[]> {
    return this.read(async (sql) => {
      if (!(await this.schemaExists(sql))) return ['ok'];
      const problems: string[] = [];
      const columns = await sql.unsafe(
        `SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) AS columns FROM information_schema.columns WHERE table_schema = $1 GROUP BY table_name`,
        [this.schema],
        PREPARED,
      );
      const found = new Map(columns.map((row) => [row.table_name as string, row.columns as string]));
      for (const [table, expected] of Object.entries(POSTGRES_TABLE_COLUMNS)) {
        const actual = found.get(table);
        if (actual === undefined) problems.push(`table ${table} is missing`);
        else if (actual !== expected.join(',')) problems.push(`table ${table} has columns (${actual.split(',').join(', ')}), expected (${expected.join(', ')})`);
      }
      const invalid = await sql.unsafe(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND NOT (i.indisvalid AND i.indisready)`,
        [this.schema],
        PREPARED,
      );
      for (const row of invalid) problems.push(`index ${String(row.name)} is invalid (rebuild it with REINDEX)`);
      const { version } = await this.settingsOf(sql);
      if (version < 1) problems.push('the schema version is missing from prontodb_settings');
      else if (version > LATEST_POSTGRES_SCHEMA_VERSION) problems.push(`schema version ${version} is newer than this ProntoDB knows (${LATEST_POSTGRES_SCHEMA_VERSION})`);
      return problems.length > 0 ? problems : ['ok'];
    }, () => ['ok']);
  }

  migrate(options: { dryRun?: boolean } = {}): Promise<MigrationReport> {
    const report = (from: number, apply: boolean): MigrationReport => {
      const steps = pendingPostgresMigrations(from).map((step) => ({ version: step.version, name: step.name, description: step.description, rowsChanged: 0 }));
      return { from, to: steps.length ? steps[steps.length - 1]!.version : from, steps, dryRun: !apply };
    };
    if (options.dryRun) {
      return this.read(async (sql) => ((await this.schemaExists(sql)) ? report((await this.settingsOf(sql)).version, false) : report(LATEST_POSTGRES_SCHEMA_VERSION, false)), () =>
        report(LATEST_POSTGRES_SCHEMA_VERSION, false),
      );
    }
    return this.write(async (context) => {
      const { tx, now } = context;
      // Writers wait while the schema changes under them.
      await tx.unsafe(`LOCK TABLE ${this.S}.kv IN SHARE ROW EXCLUSIVE MODE`);
      const { version } = await this.settingsOf(tx);
      const result = report(version, true);
      for (const step of pendingPostgresMigrations(version)) {
        await tx.unsafe(step.sql(this.S, now));
        await tx.unsafe(`UPDATE ${this.S}.prontodb_settings SET value = $1 WHERE name = $2`, [String(step.version), SCHEMA_VERSION_SETTING]);
      }
      if (result.steps.length > 0) {
        await context.record('migrate', null, null, null, `schema version ${result.from} -> ${result.to}: ${result.steps.map((step) => step.name).join(', ')}`);
        context.changed = true;
      }
      return result;
    });
  }

  /** The primary key holds one row per address, so there is never anything to collapse. */
  collapseDuplicates(): Promise<number> {
    return this.read(async () => 0, () => 0);
  }

  /** VACUUM FULL rewrites each table without dead rows; it cannot run inside a transaction, and locks the tables meanwhile. */
  async compact(): Promise<{ before: number; after: number }> {
    this.checkOpen();
    const actor = this.core.currentActor();
    return this.track(
      (async () => {
        try {
          if (!(await this.schemaExists())) return { before: 0, after: 0 };
          // VACUUM skips tables of other owners with a warning only: say so instead of reporting nothing done.
          const refused = await compactRefusal(this.sql, this.schema, this.shown);
          if (refused !== undefined) throw this.error('io', refused);
          const before = await this.sizeOf(this.sql);
          await this.sql.unsafe(`VACUUM (FULL) ${Object.keys(POSTGRES_TABLE_COLUMNS).map((table) => `${this.S}.${table}`).join(', ')}`);
          const after = await this.sizeOf(this.sql);
          await this.sql.begin(async (tx) => {
            const settings = await this.settingsOf(tx);
            await this.recorder(tx, settings.audit, actor, () => undefined)('compact', null, null, null, `${before} -> ${after} bytes`);
          });
          return { before, after };
        } catch (error) {
          throw wrapError(this.core, this.location, error);
        }
      })(),
    );
  }

  /** Asked from the catalog and the privilege functions, without writing (access.ts). */
  writeAccess(): Promise<WriteAccess> {
    return this.read((sql) => writeAccessOf(sql, this.schema, this.shown), () => ({ writable: false, reason: `${this.shown} cannot be checked` }));
  }

  // ---- audit log ---------------------------------------------------------------------------------

  private recorder(tx: TransactionSql, settings: AuditSettings, actor: Actor | undefined, written: () => void): Recorder {
    if (!settings.enabled) return async () => undefined;
    return async (operation, address, before, after, detail) => {
      const kept = settings.keepValueBytes > 0 && typeof before === 'string' && Buffer.byteLength(before, 'utf8') <= settings.keepValueBytes ? bytes(before) : null;
      await tx.unsafe(
        `INSERT INTO ${this.S}.prontodb_audit (at, "user", cursor, client, host, pid, operation, project, namespace, key, context, old_digest, new_digest, old_value, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          ...auditRecordHead(this.now(), actor, operation, address),
          digest(before),
          digest(after),
          kept,
          detail ?? null,
        ] as never[],
        PREPARED,
      );
      written();
    };
  }

  private async applyAuditRetention(tx: TransactionSql, settings: AuditSettings): Promise<void> {
    if (settings.keepDays > 0) await tx.unsafe(`DELETE FROM ${this.S}.prontodb_audit WHERE at < $1`, [this.now() - settings.keepDays * 86_400_000], PREPARED);
    if (settings.keepRows > 0) {
      await tx.unsafe(
        `DELETE FROM ${this.S}.prontodb_audit WHERE id < (SELECT id FROM ${this.S}.prontodb_audit ORDER BY id DESC OFFSET $1 LIMIT 1)`,
        [settings.keepRows - 1],
        PREPARED,
      );
    }
  }

  auditSettings(): Promise<AuditSettings> {
    return this.read(async (sql) => ({ ...(await this.settingsOf(sql)).audit }), () => ({ ...DEFAULT_AUDIT_SETTINGS }));
  }

  configureAudit(change: Partial<AuditSettings>): Promise<AuditSettings> {
    const actor = this.core.currentActor();
    return this.write(async (context) => {
      const before = (await this.settingsOf(context.tx)).audit;
      const settings = { ...before, ...change };
      for (const [name, value] of Object.entries(settings)) {
        if (name !== 'enabled' && (!Number.isSafeInteger(value) || (value as number) < 0)) throw this.error('usage', `Audit setting ${name} must be a whole number, 0 or more`);
      }
      if (before.enabled && !settings.enabled) await context.record('audit-off', null);
      for (const [name, value] of settingsRows(settings)) {
        await context.tx.unsafe(`INSERT INTO ${this.S}.prontodb_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, [name, value], PREPARED);
      }
      if (!before.enabled && settings.enabled) await this.recorder(context.tx, settings, actor, () => undefined)('audit-on', null);
      context.changed = true;
      return { ...settings };
    });
  }

  auditRecords(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.read(async (sql) => {
      const clauses: string[] = [];
      const params: unknown[] = [];
      if (query.address) {
        const { project, namespace, key, context } = query.address;
        clauses.push(`project = $${params.push(project)} AND namespace = $${params.push(namespace)} AND key = $${params.push(key)} AND context IS NOT DISTINCT FROM $${params.push(context)}::text`);
      }
      if (query.since !== undefined) clauses.push(`at >= $${params.push(query.since)}`);
      const limit = query.limit === undefined ? '' : ` LIMIT $${params.push(query.limit)}`;
      const rows = await sql.unsafe(
        `SELECT id, at, "user", cursor, client, host, pid, operation, project, namespace, key, context, old_digest, new_digest, old_value, detail
           FROM ${this.S}.prontodb_audit ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC${limit}`,
        params as never[],
        PREPARED,
      );
      return rows.map((row) => ({
        id: row.id as number,
        at: row.at as number,
        user: row.user as string | null,
        cursor: row.cursor as string | null,
        client: row.client as string | null,
        host: row.host as string | null,
        pid: row.pid as number | null,
        operation: row.operation as AuditOperation,
        project: row.project as string | null,
        namespace: row.namespace as string | null,
        key: row.key as string | null,
        context: row.context as string | null,
        oldDigest: row.old_digest as string | null,
        newDigest: row.new_digest as string | null,
        oldValue: row.old_value === null ? null : text(row.old_value),
        detail: row.detail as string | null,
      }));
    }, () => []);
  }

  noteInAudit(operation: AuditOperation, detail: string): Promise<void> {
    return this.write(async (context) => {
      await context.record(operation, null, null, null, detail);
    });
  }

  private checkCondition(address: Address, expected: string | undefined, current: string | undefined): void {
    if (expected === current) return;
    const where = describeAddress(address);
    const message =
      expected === undefined
        ? `${where} already holds a value`
        : current === undefined
          ? `Nothing is stored at ${where} (a value was expected)`
          : `The value at ${where} is not the expected one`;
    throw new this.core.ConditionFailedError(message, current);
  }

  // ---- change notification ---------------------------------------------------------------------

  onDidChange(listener: (event: ChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.listener && !this.closed) {
      this.listener = new ChangeListener(this.serverUrl, this.schema, this.shown, {
        notified: (payload) => {
          if (payload !== this.origin) this.emitExternalSoon();
        },
        resumed: () => {
          this.connection?.(this.location, 'restored');
          this.emitExternalSoon();
        },
        lost: () => this.connection?.(this.location, 'lost'),
        log: (line) => this.log(line),
      }, this.core);
      this.listener.start();
    }
    return {
      dispose: () => {
        this.listeners.delete(listener);
        if (this.listeners.size > 0 || !this.listener || this.lingerTimer) return;
        this.lingerTimer = setTimeout(() => {
          this.lingerTimer = undefined;
          if (this.listeners.size === 0) void this.stopListening();
        }, LISTENER_LINGER_MS);
        this.lingerTimer.unref();
      },
    };
  }

  private emit(event: ChangeEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** A burst of other processes' commits is one event. */
  private emitExternalSoon(): void {
    if (this.externalPending) return;
    this.externalPending = true;
    setImmediate(() => {
      this.externalPending = false;
      if (!this.closed) this.emit({ origin: 'external' });
    });
  }

  private async stopListening(): Promise<void> {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.stop();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.inFlight]);
    this.closed = true;
    this.listeners.clear();
    await this.stopListening();
    await this.sql.end({ timeout: 5 }).catch(() => undefined);
  }
}
