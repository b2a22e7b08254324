/**
 * status, doctor and migrate on files made the way the Rust CLI makes them, with the system
 * `sqlite3`: duplicates from its `INSERT OR REPLACE`, WAL mode and a `-wal` a killed native writer
 * left, legacy cursor files, leftovers of interrupted writers. Each problem is found, repaired by
 * `--fix` or `migrate`, integrity_check passes after, and no value is lost (exports compared).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LATEST_SCHEMA_VERSION } from '../../src/core/migrations';
import { SCHEMA_SQL } from '../../src/core/schema';
import { CLI, integrityCheck, requireSqlite3, Sandbox, sqlite3, sqliteRows } from '../helpers/cliHarness';
import { NativeSession } from '../helpers/nativeSession';

const SPAWN = { via: 'spawn' } as const;
let box: Sandbox;

before(function () {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'node esbuild.config.mjs' first`);
  requireSqlite3();
});
beforeEach(() => {
  box = new Sandbox('prontodb-health-');
  box.env.PRONTODB_BACKUP_DIR = box.path('backups');
});
afterEach(() => box.cleanup());

/** The Rust CLI's write statement (spec §4.4), run by the system sqlite3. */
function rustSet(file: string, project: string, namespace: string, key: string, value: string, at: number): void {
  sqlite3(file, `INSERT OR REPLACE INTO kv (project, namespace, key, context, value, created_at, updated_at, expires_at) VALUES ('${project}','${namespace}','${key}',NULL,'${value}',${at},${at},NULL);`);
}

/** A database as the Rust CLI leaves it: its DDL in WAL mode, three sets of one context-less key (three rows), others. */
function rustDatabase(name = 'main'): string {
  const file = box.dbFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}`);
  for (const [value, at] of [['v1', 100], ['v2', 200], ['v3', 300]] as const) rustSet(file, 'app', 'cfg', 'mode', value, at);
  rustSet(file, 'app', 'cfg', 'other', 'x', 150);
  sqlite3(file, "INSERT OR REPLACE INTO kv VALUES ('app','cfg','mode','prod','p1',100,100,NULL);");
  return file;
}

async function exportAll(): Promise<unknown> {
  const out = box.path(`export-${Math.random().toString(36).slice(2)}.json`);
  await box.ok(['export', '--output', out]);
  const { entries } = JSON.parse(fs.readFileSync(out, 'utf8')) as { entries: Array<Record<string, unknown>> };
  return entries.map(({ project, namespace, key, context, value }) => ({ project, namespace, key, context, value }));
}

interface Check {
  name: string;
  status: string;
  message: string;
  fix?: string;
  fixed?: boolean;
}

async function doctor(args: string[] = []): Promise<{ code: number | null; checks: Record<string, Check> }> {
  const result = await box.run(['doctor', '--json', ...args]);
  const report = JSON.parse(result.stdout) as { checks: Check[] };
  return { code: result.code, checks: Object.fromEntries(report.checks.map((check) => [check.name, check])) };
}

describe('status', () => {
  it('--json: the documented fields of a Rust-made file, nothing created or changed', async () => {
    const file = rustDatabase();
    const before = fs.readFileSync(file);
    const status = JSON.parse(await box.ok(['status', '--json'])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(status), [
      'format', 'database', 'location', 'backend', 'chosen_by', 'cursor', 'user', 'exists', 'writable', 'read_only_reason', 'size_bytes', 'page_size', 'pages', 'free_pages',
      'keys', 'expired_entries', 'duplicate_rows', 'projects', 'namespaces', 'ttl_namespaces', 'oldest_write', 'newest_write',
      'schema_version', 'latest_schema_version', 'migration_available', 'backups',
    ]);
    assert.deepEqual(
      [status.database, status.location, status.chosen_by, status.exists, status.keys, status.duplicate_rows, status.projects, status.namespaces],
      ['main', file, 'default', true, 3, 2, 1, 1],
    );
    assert.deepEqual([status.oldest_write, status.newest_write], [new Date(100_000).toISOString(), new Date(300_000).toISOString()]);
    assert.deepEqual([status.schema_version, status.latest_schema_version, status.migration_available], [0, LATEST_SCHEMA_VERSION, true]);
    assert.deepEqual(status.backups, { directory: box.path('backups'), count: 0, newest: null, newest_file: null, total_bytes: 0 });
    assert.equal(status.size_bytes, fs.statSync(file).size);
    assert.ok(fs.readFileSync(file).equals(before), 'status changes nothing');
    assert.match(await box.ok(['status']), /schema: +version 0 \(version 2 available: prontodb migrate\)/);
  });

  it('--all lists every named database; a database that does not exist yet is reported, not created', async () => {
    await box.ok(['db', 'create', 'alpha']);
    await box.ok(['--database', 'alpha', 'set', 'k', 'v']);
    await box.ok(['db', 'create', 'beta']);
    const all = JSON.parse(await box.ok(['status', '--all', '--json'])) as Array<Record<string, unknown>>;
    assert.deepEqual(all.map((db) => [db.database, db.keys, db.migration_available]), [['alpha', 1, false], ['beta', 0, false]]);
    const missing = JSON.parse(await box.ok(['--database', 'nothing', 'status', '--json'])) as Record<string, unknown>;
    assert.deepEqual([missing.exists, missing.keys], [false, 0]);
    assert.equal(fs.existsSync(box.dbFile('nothing')), false);
  });
});

describe('doctor', () => {
  it('finds the Rust duplicates and the pending migration (exit 4), fixes both without losing a value', async () => {
    const file = rustDatabase();
    const exported = await exportAll();
    const found = await doctor();
    assert.equal(found.code, 4, 'warnings only');
    assert.equal(found.checks.duplicates!.status, 'warn');
    assert.match(found.checks.duplicates!.message, /^2 extra rows/);
    assert.equal(found.checks.migration!.status, 'warn');
    assert.equal(found.checks.integrity!.status, 'ok');
    const fixed = await doctor(['--fix']);
    assert.equal(fixed.checks.duplicates!.fixed, true);
    assert.equal(fixed.checks.migration!.fixed, true);
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(await exportAll(), exported, 'the newest value of every address is kept');
    assert.deepEqual(sqliteRows(file, "SELECT count(*) FROM kv WHERE key = 'mode' AND context IS NULL;"), [['1']]);
  });

  it('a -wal a killed native writer left is an error; --fix checkpoints it with sqlite3 and the value appears', async function () {
    const file = rustDatabase();
    const native = new NativeSession(file);
    await native.exec("PRAGMA journal_mode=WAL; INSERT OR REPLACE INTO kv VALUES ('app','cfg','late','p','1',1,1,NULL);");
    const running = await doctor();
    assert.equal(running.checks.native_sidecars!.status, 'warn', 'a running native writer is reported, not an error');
    const notTouched = await doctor(['--fix']);
    assert.equal(fs.existsSync(`${file}-wal`), true, 'never fixed while it runs');
    assert.notEqual(notTouched.checks.native_sidecars!.fixed, true);
    await native.kill();
    const crashed = await doctor();
    assert.equal(crashed.code, 1);
    assert.equal(crashed.checks.native_sidecars!.status, 'error');
    assert.match(crashed.checks.native_sidecars!.message, /-wal holds changes/);
    const fixed = await doctor(['--fix']);
    assert.equal(fixed.checks.native_sidecars!.fixed, true);
    assert.equal(await box.ok(['get', 'app.cfg.late__p']), '1\n');
    assert.equal(integrityCheck(file), 'ok');
  });

  it('leftovers of interrupted writers: temp files and a dead process’s lock, removed by --fix', async () => {
    await box.ok(['set', 'k', 'v']);
    const file = box.dbFile();
    fs.writeFileSync(path.join(path.dirname(file), `.${path.basename(file)}.abc123.prontodb-tmp`), 'partial');
    // A lock whose holder (a process that already exited) no longer exists.
    const finished = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const lock = `${file}.lock`;
    fs.mkdirSync(lock);
    fs.writeFileSync(
      path.join(lock, 'holder-dead'),
      JSON.stringify({ host: os.hostname(), pid: Number(finished.stdout.trim()), start: '1', boot: null, pidns: fs.readlinkSync('/proc/self/ns/pid'), token: 'dead', since: Date.now() }),
    );
    const found = await doctor();
    assert.equal(found.checks.leftovers!.status, 'warn');
    assert.match(found.checks.leftovers!.message, /1 temporary file\(s\) of an interrupted write; a lock left by process \d+/);
    const fixed = await doctor(['--fix']);
    assert.equal(fixed.checks.leftovers!.fixed, true);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['pronto.main.prdb']);
    assert.equal(await box.ok(['get', 'k']), 'v\n');
  });

  it('expired values and free space: warned, purged and compacted by --fix, live values kept', async () => {
    await box.ok(['set', 'keep.me.now', 'kept']);
    const file = box.dbFile();
    const rows = Array.from({ length: 6000 }, (_, i) => `('c','n','k${i}',NULL,'${'x'.repeat(400)}',1,1,${i < 1500 ? 2 : 'NULL'})`).join(',');
    sqlite3(file, `INSERT INTO kv VALUES ${rows}; DELETE FROM kv WHERE project = 'c' AND expires_at IS NULL;`);
    const exported = await exportAll();
    const found = await doctor();
    assert.equal(found.checks.expired!.status, 'warn');
    assert.match(found.checks.expired!.message, /^1500 expired values/);
    assert.equal(found.checks.fragmentation!.status, 'warn');
    const fixed = await doctor(['--fix']);
    assert.deepEqual([fixed.checks.expired!.fixed, fixed.checks.fragmentation!.fixed], [true, true]);
    assert.deepEqual(sqliteRows(file, 'PRAGMA freelist_count;'), [['0']]);
    assert.deepEqual(await exportAll(), exported);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('cursors pointing at missing databases, legacy cursor files and stale backups are warnings', async () => {
    await box.ok(['db', 'create', 'gone']);
    await box.ok(['cursor', 'set', 'dangling', 'gone']);
    fs.rmSync(path.dirname(box.dbFile('gone')), { recursive: true });
    await box.ok(['cursor', 'set', 'dangling', box.path('nowhere.prdb')]);
    await box.ok(['set', 'k', 'v']);
    const backup = await box.run(['backup'], SPAWN);
    assert.equal(backup.code, 0, backup.stderr);
    const [archive] = fs.readdirSync(box.path('backups'));
    const old = new Date(Date.now() - 10 * 86_400_000);
    fs.utimesSync(path.join(box.path('backups'), archive!), old, old);
    const found = await doctor();
    assert.equal(found.checks.cursors!.status, 'warn');
    assert.match(found.checks.cursors!.message, /dangling \(user default\) -> .*nowhere\.prdb/);
    assert.equal(found.checks.backups!.status, 'warn');
    assert.match(found.checks.backups!.message, /older than 7 days/);
  });

  it('a foreign schema is an error (exit 1), and a newer schema version is refused for writing', async () => {
    const file = box.dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(file, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);');
    const foreign = await doctor();
    assert.equal(foreign.code, 1);
    assert.equal(foreign.checks.schema!.status, 'error');
    fs.rmSync(file);
    await box.ok(['set', 'k', 'v']);
    sqlite3(file, 'PRAGMA user_version = 99;');
    assert.equal(await box.ok(['get', 'k']), 'v\n', 'reading still works');
    assert.match(await box.fails(['set', 'k', 'w']), /schema version 99, newer than this ProntoDB knows \(2\); it can be read but not written/);
    assert.equal((await doctor()).checks.migration!.status, 'error');
    assert.deepEqual(sqliteRows(file, "SELECT value FROM kv WHERE key = 'k';"), [['v']]);
  });
});

describe('migrate', () => {
  it('--dry-run says what would change and changes nothing', async () => {
    const file = rustDatabase();
    const before = fs.readFileSync(file);
    const out = await box.ok(['migrate', '--dry-run']);
    assert.match(out, /^pending: 1 collapse-duplicates: .* \(2 rows\)\npending: 2 unique-address: /);
    assert.ok(fs.readFileSync(file).equals(before));
    assert.equal(fs.existsSync(box.path('backups')), false, 'no safety backup for a dry run');
  });

  it('takes a safety backup, collapses duplicates, adds the unique index; the Rust statement no longer duplicates; idempotent', async () => {
    const file = rustDatabase();
    const exported = await exportAll();
    const result = await box.run(['migrate'], SPAWN);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^applied: 1 collapse-duplicates: .* \(2 rows\)\napplied: 2 unique-address: /);
    const [safety] = fs.readdirSync(box.path('backups'));
    assert.match(safety!, /^prontodb_main_\d{8}\.tar\.gz$/);
    assert.match(result.stderr, /Safety backup: .*prontodb_main_\d{8}\.tar\.gz/);
    assert.equal(sqlite3(file, 'PRAGMA user_version;').trim(), String(LATEST_SCHEMA_VERSION));
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(await exportAll(), exported);
    // The Rust CLI's exact write, run by native SQLite on the migrated file, now replaces.
    rustSet(file, 'app', 'cfg', 'mode', 'v4', 400);
    rustSet(file, 'app', 'cfg', 'mode', 'v5', 500);
    assert.deepEqual(sqliteRows(file, "SELECT value FROM kv WHERE key = 'mode' AND context IS NULL;"), [['v5']]);
    assert.equal(await box.ok(['get', 'app.cfg.mode']), 'v5\n');
    assert.equal(await box.ok(['get', 'app.cfg.mode__prod']), 'p1\n', "a context's row is another address");
    const again = await box.run(['migrate']);
    assert.match(again.stderr, /Nothing to migrate: main is at schema version 2/);
    assert.equal(fs.readdirSync(box.path('backups')).length, 1, 'no second safety backup');
    // Restoring the safety backup brings the unmigrated file back.
    await box.ok(['restore', path.join(box.path('backups'), safety!)]);
    assert.equal(sqlite3(box.dbFile(), 'PRAGMA user_version;').trim(), '0');
  });

  it('moves legacy cursor files into their databases\' folders, copying them into the backup directory first', async () => {
    await box.ok(['set', 'k', 'v']);
    const legacy = path.join(box.dataDir, 'cursors');
    fs.mkdirSync(legacy, { recursive: true });
    const json = { database_path: box.dbFile(), default_project: 'app', default_namespace: null, meta_context: null, created_at: '2024-01-01T00:00:00Z', user: 'default' };
    fs.writeFileSync(path.join(legacy, 'old.cursor'), JSON.stringify(json));
    fs.writeFileSync(path.join(legacy, 'old.bob.cursor'), JSON.stringify({ ...json, user: 'bob' }));
    assert.equal((await doctor()).checks.legacy_cursors!.status, 'warn');
    const out = await box.ok(['migrate']);
    assert.match(out, /moved: cursor old \(user bob\) -> .*main\/cursors\/old\.bob\.cursor/);
    assert.deepEqual(fs.readdirSync(legacy), []);
    assert.deepEqual(fs.readdirSync(path.join(box.dataDir, 'main', 'cursors')).sort(), ['old.bob.cursor', 'old.cursor']);
    const copies = fs.readdirSync(box.path('backups')).find((name) => name.startsWith('prontodb_legacy-cursors_'))!;
    assert.deepEqual(fs.readdirSync(path.join(box.path('backups'), copies)).sort(), ['old.bob.cursor', 'old.cursor']);
    assert.match(await box.ok(['cursor', 'list']), /old/);
    assert.equal(await box.ok(['--cursor', 'old', 'get', 'default.default.k']), 'v\n');
    assert.equal((await doctor()).checks.legacy_cursors!.status, 'ok');
  });
});
