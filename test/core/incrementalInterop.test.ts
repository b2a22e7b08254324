/**
 * Issue 12, interop both ways for commits that write only the changed pages (through SQLite's
 * write-ahead log format, sqliteFileBacking.ts): a file in the Rust CLI's layout and WAL mode is
 * read by the system sqlite3 (with the Rust CLI's own statements) and by our loader while a writer
 * is stopped at each step of its commit, and after it; native writes and checkpoints after ours lose
 * nothing; our loader and the next writer complete a log a killed writer left, as sqlite3 does.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { SCHEMA_SQL } from '../../src/core/schema';
import { loadSqlJs } from '../../src/core/sqljs';
import { walHeaderKind } from '../../src/core/walFile';
import { FIXTURES, headerFormatBytes, integrityCheck, requireSqlite3, Sandbox, sleep, sqlite3, sqliteRows } from '../helpers/cliHarness';

let sql: SqlJsStatic;
let box: Sandbox;

before(async () => {
  requireSqlite3();
  sql = await loadSqlJs();
});

beforeEach(() => {
  box = new Sandbox('prontodb-walinterop-');
});

afterEach(() => box.cleanup());

/** The Rust CLI's way of making a database (WAL mode, its DDL), with enough rows for small writes to go through the log. */
function makeRustDatabase(file: string, rows = 2000): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const inserts = Array.from({ length: rows }, (_, index) => `INSERT INTO kv VALUES ('default','default','k${index}',NULL,'native ${index} ${'n'.repeat(50)}',1,1,NULL);`).join('\n');
  sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}\nBEGIN;\n${inserts}\nCOMMIT;`);
  assert.deepEqual(headerFormatBytes(file), [2, 2]);
}

/** The Rust CLI's read statement: the first row of the address. */
function rustGet(file: string, key: string): string | undefined {
  return sqliteRows(file, `SELECT value FROM kv WHERE project='default' AND namespace='default' AND key='${key}' AND (context IS NULL);`)[0]?.[0];
}

async function oursGet(file: string, key: string): Promise<{ value: string | undefined; integrity: string }> {
  const store = new SqlJsFileStore(file, sql);
  try {
    const entry = await store.get({ project: 'default', namespace: 'default', key, context: null });
    return { value: entry?.value, integrity: (await store.integrityCheck()).join('; ') };
  } finally {
    await store.close();
  }
}

/** Runs the crash-writer fixture on `file` with `env` (a pause or kill switch); resolves when it exits. */
function startWriter(file: string, batches: Array<Array<[string, string | null]>>, env: Record<string, string>): { done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const plan = box.path(`plan-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(plan, JSON.stringify({ batches: batches.map((batch) => batch.map(([key, value]) => [key, value])) }));
  const child = spawn(process.execPath, [path.join(FIXTURES, 'crashWriter.js'), file, plan], {
    env: box.envWith({ CRASH_PROJECT: 'default', CRASH_NAMESPACE: 'default', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const STEPS_BEFORE_COMMIT = ['wal-created', 'wal-frames-written', 'wal-frames-synced'];
const STEPS_AFTER_COMMIT = ['wal-header-written', 'wal-committed', 'checkpoint-page', 'checkpoint-written', 'checkpoint-synced', 'wal-removed'];

describe('interop (issue 12): native SQLite reads a file while and after we write only its changed pages', () => {
  for (const step of [...STEPS_BEFORE_COMMIT, ...STEPS_AFTER_COMMIT]) {
    const committed = STEPS_AFTER_COMMIT.includes(step);
    it(`a writer stopped at ${step}: sqlite3 (the Rust CLI's statement) and our loader read the ${committed ? 'new' : 'old'} value, integrity ok; then the write completes`, async function () {
      this.timeout(60_000);
      const file = box.dbFile('main');
      makeRustDatabase(file);
      const pauseDir = box.path('pause');
      fs.mkdirSync(pauseDir);
      const writer = startWriter(file, [[['k777', 'ours']]], { PRONTODB_TEST_PAUSE_AT: step, PRONTODB_TEST_PAUSE_DIR: pauseDir });
      await waitFor(() => fs.existsSync(path.join(pauseDir, 'paused')), `the writer to stop at ${step}`);
      const expected = committed ? 'ours' : `native 777 ${'n'.repeat(50)}`;
      if (step !== 'wal-removed') assert.ok(fs.existsSync(`${file}-wal`), 'the log exists while the commit is under way');
      // Our loader first (it only reads), then sqlite3 (which completes a committed log on open and
      // removes it when it closes: the writer must cope with that when it goes on).
      const ours = await oursGet(file, 'k777');
      assert.deepEqual(ours, { value: expected, integrity: 'ok' }, 'our loader');
      assert.equal(rustGet(file, 'k777'), expected, 'the Rust CLI statement through sqlite3');
      assert.equal(integrityCheck(file), 'ok');
      fs.writeFileSync(path.join(pauseDir, 'continue'), '');
      const result = await writer.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'ACK 0\n');
      assert.equal(rustGet(file, 'k777'), 'ours');
      assert.deepEqual(await oursGet(file, 'k777'), { value: 'ours', integrity: 'ok' });
      assert.equal(integrityCheck(file), 'ok');
      assert.deepEqual(headerFormatBytes(file), [2, 2], 'the file stays in WAL format');
      assert.equal(sqlite3(file, 'PRAGMA journal_mode;').trim(), 'wal');
      assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['pronto.main.prdb'], 'no -wal, -shm or lock left');
    });
  }

  it('native writes and a native checkpoint after ours lose nothing; ours after theirs neither', async function () {
    this.timeout(60_000);
    const file = box.dbFile('main');
    makeRustDatabase(file);
    const store = new SqlJsFileStore(file, sql);
    const at = (key: string) => ({ project: 'default', namespace: 'default', key, context: null });
    const inode = fs.statSync(file).ino;
    try {
      await store.set(at('ours1'), 'first');
      assert.equal(fs.existsSync(`${file}-wal`), false);
      sqlite3(file, "INSERT OR REPLACE INTO kv VALUES ('default','default','native1',NULL,'native write',2,2,NULL);");
      assert.equal((await store.get(at('native1')))?.value, 'native write', 'our next read sees the native write');
      await store.set(at('ours2'), 'second');
      sqlite3(file, 'PRAGMA wal_checkpoint(TRUNCATE);');
      await store.set(at('k5'), 'changed by us');
      sqlite3(file, "UPDATE kv SET value = 'changed natively' WHERE key = 'k6';");
      await store.set(at('ours3'), 'third');
      assert.equal(store.fileWrites, 4);
    } finally {
      await store.close();
    }
    assert.equal(fs.statSync(file).ino, inode, 'written in place (through the log), never replaced');
    assert.deepEqual(
      sqliteRows(file, "SELECT key, value FROM kv WHERE key IN ('ours1','native1','ours2','k5','k6','ours3') ORDER BY key;"),
      [
        ['k5', 'changed by us'],
        ['k6', 'changed natively'],
        ['native1', 'native write'],
        ['ours1', 'first'],
        ['ours2', 'second'],
        ['ours3', 'third'],
      ],
    );
    assert.equal(sqliteRows(file, 'SELECT count(*) FROM kv;')[0]![0], String(2000 + 4));
    assert.equal(integrityCheck(file), 'ok');
  });

  it('a log left by a killed writer: read by our loader and sqlite3 alike; completed by sqlite3, or by our next writer; a native write after it is kept', async function () {
    this.timeout(60_000);
    const file = box.dbFile('main');
    makeRustDatabase(file);
    // Killed right after the commit point: the log holds the write, the file does not yet.
    const killed = await startWriter(file, [[['k1', 'in the log']]], { CRASH_KILL_AT: 'wal-committed' }).done;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const log = fs.readFileSync(`${file}-wal`);
    assert.equal(walHeaderKind(log.subarray(0, 32)), 'ours', 'a committed log of ours is left');
    assert.equal((await oursGet(file, 'k1')).value, 'in the log', 'our loader applies it');
    assert.ok(fs.existsSync(`${file}-wal`), 'reading does not complete it');
    const copy = box.path('copy.prdb');
    fs.copyFileSync(file, copy);
    fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    // sqlite3 reads the same from the same files, and completes the log itself.
    assert.equal(rustGet(copy, 'k1'), 'in the log');
    assert.equal(fs.existsSync(`${copy}-wal`), false, 'sqlite3 checkpointed and removed it');
    assert.equal(integrityCheck(copy), 'ok');
    // Our next writer completes it too, before its own write.
    const next = await startWriter(file, [[['k2', 'after']]], {}).done;
    assert.equal(next.code, 0, next.stderr);
    assert.equal(fs.existsSync(`${file}-wal`), false);
    assert.deepEqual([rustGet(file, 'k1'), rustGet(file, 'k2')], ['in the log', 'after']);
    // Native writes after that, then ours: everything stays.
    sqlite3(file, "UPDATE kv SET value = 'native' WHERE key = 'k3';");
    const last = await startWriter(file, [[['k4', 'ours again']]], {}).done;
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual(
      sqliteRows(file, "SELECT key, value FROM kv WHERE key IN ('k1','k2','k3','k4') ORDER BY key;"),
      [
        ['k1', 'in the log'],
        ['k2', 'after'],
        ['k3', 'native'],
        ['k4', 'ours again'],
      ],
    );
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['pronto.main.prdb']);
  });

  it('a log that was never committed (killed before the commit point) counts for nobody and is removed by the next writer', async function () {
    this.timeout(60_000);
    const file = box.dbFile('main');
    makeRustDatabase(file);
    const killed = await startWriter(file, [[['k1', 'never committed']]], { CRASH_KILL_AT: 'wal-frames-synced' }).done;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(walHeaderKind(fs.readFileSync(`${file}-wal`).subarray(0, 32)), 'ours-uncommitted');
    const original = `native 1 ${'n'.repeat(50)}`;
    assert.equal((await oursGet(file, 'k1')).value, original);
    const copy = box.path('copy.prdb');
    fs.copyFileSync(file, copy);
    fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    assert.equal(rustGet(copy, 'k1'), original, 'sqlite3 ignores it too');
    const next = await startWriter(file, [[['k2', 'after']]], {}).done;
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual([rustGet(file, 'k1'), rustGet(file, 'k2')], [original, 'after']);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['pronto.main.prdb']);
  });
});

describe('readers in other processes (issue 12): never a half-written state while pages are written in place', () => {
  it('a writer process commits batches that keep four keys on different pages equal; a reader that reloads on every change always sees them equal, integrity ok', async function () {
    this.timeout(180_000);
    const file = box.dbFile('main');
    makeRustDatabase(file, 3000);
    const keys = ['k5', 'k1000', 'k2000', 'k2995'];
    sqlite3(file, `UPDATE kv SET value = 'start' WHERE key IN (${keys.map((key) => `'${key}'`).join(',')});`);
    const rounds = 150;
    const batches = Array.from({ length: rounds }, (_, round) => keys.map((key) => [key, `round ${round} ${'r'.repeat(round % 40)}`] as [string, string]));
    const writer = startWriter(file, batches, {});
    const store = new SqlJsFileStore(file, sql);
    let reads = 0;
    const distinct = new Set<string>();
    let finished = false;
    void writer.done.then(() => (finished = true));
    try {
      while (!finished) {
        const rows = await store.list({ project: 'default', namespace: 'default', keyPrefix: 'k' });
        const values = keys.map((key) => rows.find((entry) => entry.key === key)?.value);
        assert.ok(values.every((value) => value === values[0]), `a torn read: ${JSON.stringify(values.map((value) => value?.slice(0, 12)))} after ${reads} reads`);
        distinct.add(values[0] ?? '');
        reads++;
        if (reads % 50 === 0) assert.deepEqual(await store.integrityCheck(), ['ok']);
        await sleep(0);
      }
    } finally {
      await store.close();
    }
    const result = await writer.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n').filter(Boolean).length, rounds);
    console.log(`      ${reads} reads, ${distinct.size} states seen`);
    assert.ok(distinct.size > 10, `the reader saw ${distinct.size} of the ${rounds} states in ${reads} reads: it did read during the writes`);
    assert.deepEqual(keys.map((key) => rustGet(file, key)), keys.map(() => batches[rounds - 1]![0]![1]));
  });
});
