// Shared helpers for the ProntoDB benchmark: the data set, native fixtures, loading the compiled
// core, statistics. Used by run.mjs (orchestrator) and case.mjs (one measurement per process).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
const requireFromBench = createRequire(path.join(BENCH_DIR, 'package.json'));
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

/** better-sqlite3 from bench/node_modules only: it is not a product dependency. */
export function nativeSqlite() {
  return requireFromBench('better-sqlite3');
}

/**
 * The compiled core (out/src/core, CommonJS), with sql.js's wasm located explicitly.
 * BENCH_CORE_DIR points at another compiled core (e.g. a patched copy) to measure it instead.
 */
export async function loadCore() {
  const core = process.env.BENCH_CORE_DIR ? path.resolve(process.env.BENCH_CORE_DIR) : path.join(ROOT, 'out', 'src', 'core');
  const sqljs = requireFromRoot(path.join(core, 'sqljs.js'));
  const fileStore = requireFromRoot(path.join(core, 'fileStore.js'));
  const pronto = requireFromRoot(path.join(core, 'pronto.js'));
  sqljs.configureSqlJs({ wasmPath: requireFromRoot.resolve('sql.js/dist/sql-wasm.wasm') });
  const sql = await sqljs.loadSqlJs();
  // Since the store was split, the file's replacement lives in the backing; older cores have none.
  const backingFile = path.join(core, 'sqliteFileBacking.js');
  const SqliteFileBacking = fs.existsSync(backingFile) ? requireFromRoot(backingFile).SqliteFileBacking : undefined;
  return { sql, SqlJsFileStore: fileStore.SqlJsFileStore, SqliteFileBacking, Session: pronto.Session, ProntoDB: pronto.ProntoDB };
}

/** A Session over one store, as ProntoDB.open would hand out for a plain database file. */
export function sessionFor(Session, store) {
  return new Session(store, {
    file: store.location,
    user: 'default',
    metaContext: null,
    defaultProject: null,
    defaultNamespace: null,
    source: 'bench',
  });
}

// ---- data set ------------------------------------------------------------------------------------

/** The core's own DDL (the Rust CLI's), so the baseline file is identical. run.mjs compiles out/ first. */
export const { SCHEMA_SQL } = requireFromRoot(path.join(ROOT, 'out', 'src', 'core', 'schema.js'));

export const ENTRY_COLUMNS = 'project, namespace, key, context, value, created_at, updated_at, expires_at';
export const SAME_ADDRESS = 'project = ? AND namespace = ? AND key = ? AND context IS ?';
/** The newest-row read the file store uses (duplicates from Rust-written files: newest wins). */
export const GET_SQL = `SELECT ${ENTRY_COLUMNS} FROM kv WHERE ${SAME_ADDRESS} ORDER BY updated_at DESC, rowid DESC LIMIT 1`;
export const DELETE_SQL = `DELETE FROM kv WHERE ${SAME_ADDRESS}`;
export const INSERT_SQL = `INSERT INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
export const REPLACE_SQL = `INSERT OR REPLACE INTO kv (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** The repository's one seeded generator (test/helpers/seededRandom.js). */
export const { seededRandom: mulberry32 } = requireFromRoot(path.join(ROOT, 'test', 'helpers', 'seededRandom.js'));

const PROJECTS = ['p', 'app', 'web', 'agent'];
const NAMESPACES = ['n', 'config', 'cache', 'state', 'session'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-:/.,{}"';

/** Address of key number i: 4 projects x 5 namespaces, one key in ten with a context. */
export function addressOf(i) {
  return {
    project: PROJECTS[i % 4],
    namespace: NAMESPACES[Math.floor(i / 4) % 5],
    key: `key${i}`,
    context: i % 10 === 7 ? `c${i % 3}` : null,
  };
}

/** `p.n.key120` style text for an address (as the CLI takes it). */
export function addressText(address) {
  return `${address.project}.${address.namespace}.${address.key}${address.context === null ? '' : `__${address.context}`}`;
}

export function randomValue(random, min = 60, max = 100) {
  const length = min + Math.floor(random() * (max - min + 1));
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return text;
}

/** n entries with 60-100 byte values, deterministic for a seed. */
export function makeEntries(n, seed = 1, now = Math.floor(Date.now() / 1000)) {
  const random = mulberry32(seed);
  const entries = new Array(n);
  for (let i = 0; i < n; i++) {
    entries[i] = { ...addressOf(i), value: randomValue(random), createdAt: now, updatedAt: now, expiresAt: null };
  }
  return entries;
}

/** A file with ProntoDB's schema and n keys written by native SQLite, left in WAL format like the Rust CLI's. */
export function makeNativeFixture(file, n, seed = 1, valueBytes = [60, 100]) {
  const Database = nativeSqlite();
  fs.rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_SQL);
  const insert = db.prepare(INSERT_SQL);
  const now = Math.floor(Date.now() / 1000);
  const random = mulberry32(seed);
  const chunk = 50_000;
  for (let start = 0; start < n; start += chunk) {
    db.transaction(() => {
      for (let i = start; i < Math.min(n, start + chunk); i++) {
        const a = addressOf(i);
        insert.run(a.project, a.namespace, a.key, a.context, randomValue(random, valueBytes[0], valueBytes[1]), now, now, null);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return fs.statSync(file).size;
}

/** Opens a native connection the way a durable native writer would: WAL, synchronous=FULL. */
export function openNative(file) {
  const Database = nativeSqlite();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

// ---- misc ------------------------------------------------------------------------------------------

/**
 * The environment of a prontodb process in the bench: its own HOME and data directory, and nothing
 * of the bench's shell that would choose another database (PRONTODB_*, PRONTO_DB, XDG_*).
 */
export function benchEnv(home) {
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), LANG: 'C.UTF-8' };
  if (process.env.PATH) env.PATH = process.env.PATH;
  return env;
}

export function tempDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `prontodb-bench-${label}-`));
}

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(values) {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export function mb(bytes) {
  return bytes / (1024 * 1024);
}
