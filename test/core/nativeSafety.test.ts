/**
 * Issue 6, items 1–4: an acknowledged write is never lost to a paused writer whose lock another
 * takes, to a native SQLite process in rollback-journal or WAL mode beside us, to a native process
 * that starts writing in the instant before our rename, or to a device, FIFO or symlink at the
 * database path. Real processes, real files, the system sqlite3.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { isProntoError } from '../../src/core/errors';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { holderState, lockFile, lockPathFor } from '../../src/core/lock';
import { posixLockHolders, rollBackJournal } from '../../src/core/nativeSqlite';
import { SCHEMA_SQL } from '../../src/core/schema';
import { loadSqlJs } from '../../src/core/sqljs';
import type { Address } from '../../src/core/types';
import { integrityCheck, requireSqlite3, Sandbox, snapshot, sqlite3, sqliteRows } from '../helpers/cliHarness';
import { CAN_SEE_POSIX_LOCKS, holdsPosixLock, NativeSession } from '../helpers/nativeSession';

/** The fs module object itself (not an import namespace), so a test can wrap one of its functions. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('node:fs') as { fdatasync: typeof fs.fdatasync; renameSync: typeof fs.renameSync };

const at = (project: string, namespace: string, key: string): Address => ({ project, namespace, key, context: null });

let sql: SqlJsStatic;
let box: Sandbox;
const natives: NativeSession[] = [];
const stores: SqlJsFileStore[] = [];

function native(file: string, args: string[] = []): NativeSession {
  const session = new NativeSession(file, args);
  natives.push(session);
  return session;
}

function openStore(file: string): SqlJsFileStore {
  const store = new SqlJsFileStore(file, sql, { lock: { timeoutMs: 5000 } });
  stores.push(store);
  return store;
}

/** A rollback-journal (DELETE mode) database, as a native program that never enabled WAL makes it. */
function makeRollbackDatabase(file: string, rows = "INSERT INTO kv VALUES ('p','n','base',NULL,'committed',1,1,NULL);"): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  sqlite3(file, `PRAGMA journal_mode=DELETE;\n${SCHEMA_SQL}\n${rows}`);
}

function keysOnDisk(file: string): string[] {
  return sqliteRows(file, 'SELECT key FROM kv ORDER BY key;').map(([key]) => key!);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

before(async () => {
  requireSqlite3();
  sql = await loadSqlJs();
});

beforeEach(() => {
  box = new Sandbox('prontodb-native-');
});

afterEach(async () => {
  await Promise.all(natives.splice(0).map((session) => session.kill()));
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  box.cleanup();
});

describe('item 1: a live writer keeps its lock however long it is paused', () => {
  it('a writer paused (SIGSTOP) past the old 10 s staleness keeps its lock; the waiter waits, and both writes land', async function () {
    this.timeout(90_000);
    const file = box.dbFile('main');
    // A big database keeps the first writer inside its commit long enough to be stopped there.
    const entries = Array.from({ length: 60_000 }, (_, index) => ({ project: 's', namespace: 'big', key: `k${index}`, value: 'x'.repeat(250) }));
    await box.ok(['import', '-'], { input: JSON.stringify({ entries }), via: 'spawn', timeoutMs: 60_000 });
    assert.ok(fs.statSync(file).size > 15_000_000, 'the database is big enough to stop a writer inside its commit');

    const first = spawn(process.execPath, [path.join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'set', 's.t.A', 'a'], { env: box.env, cwd: box.root, stdio: 'ignore' });
    const firstExit = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    await waitFor(() => fs.existsSync(lockPathFor(file)) || first.exitCode !== null, 'the first writer to take the lock', 30_000);
    first.kill('SIGSTOP');
    assert.equal(first.exitCode, null, 'the first writer was stopped while holding the lock');
    try {
      const secondStarted = Date.now();
      let secondDone = 0;
      const second = box.run(['set', 's.t.B', 'b'], { via: 'spawn', timeoutMs: 60_000 }).then((result) => {
        secondDone = Date.now();
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 13_000));
      assert.equal(secondDone, 0, `the second writer finished ${secondDone - secondStarted} ms in, while the lock holder was paused: it took a live lock`);
      first.kill('SIGCONT');
      const [firstCode, secondResult] = await Promise.all([firstExit, second]);
      assert.equal(firstCode, 0, 'the paused writer completes once resumed');
      assert.equal(secondResult.code, 0, secondResult.stderr);
    } finally {
      first.kill('SIGCONT');
    }
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(sqliteRows(file, "SELECT key, value FROM kv WHERE project = 's' AND namespace = 't' ORDER BY key;"), [
      ['A', 'a'],
      ['B', 'b'],
    ]);
  });

  it('a waiter that gives up says who holds the lock and fails; nothing is written', async function () {
    this.timeout(30_000);
    const file = box.dbFile('main');
    await box.ok(['set', 'k', 'before']);
    const holder = await lockFile(file);
    try {
      const before = snapshot(file)!;
      const result = await box.fixture('writer', ['late-', '1', '1500']);
      assert.equal(result.code, 1, 'the writer gives up with an error');
      assert.match(result.stderr, /Gave up after 1\.5 s waiting for .*locked by process \d+ on /);
      assert.ok(snapshot(file)!.equals(before), 'nothing was written');
    } finally {
      await holder.release();
    }
  });

  it('a lock left by a dead process, or by a reused pid, is taken over at once; another host\'s is not', async () => {
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const probe = await lockFile(file);
    const [holderName] = fs.readdirSync(probe.lockPath);
    const me = JSON.parse(fs.readFileSync(path.join(probe.lockPath, holderName!), 'utf8')) as { host: string; pid: number; start: string | null; boot: string | null; pidns: string | null };
    await probe.release();
    assert.equal(holderState(me), 'alive', 'this process is alive');

    // A pid that no longer exists: a child that has exited.
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(exited.stdout);
    assert.equal(holderState({ ...me, pid: deadPid, start: '1' }), 'dead');
    // Our own pid with another start time: the pid was reused by a new process.
    if (me.start !== null) assert.equal(holderState({ ...me, start: String(Number(me.start) + 1) }), 'dead');
    assert.equal(holderState({ ...me, host: `${me.host}-elsewhere` }), 'unknown');

    const plant = (holder: object): void => {
      fs.mkdirSync(lockPathFor(file));
      fs.writeFileSync(path.join(lockPathFor(file), 'holder-planted'), JSON.stringify({ token: 'planted', since: Date.now(), ...holder }));
    };
    plant({ ...me, pid: deadPid, start: '1' });
    const taken = await lockFile(file, { timeoutMs: 500 });
    await taken.release();
    assert.equal(fs.existsSync(lockPathFor(file)), false);

    plant({ ...me, host: `${me.host}-elsewhere` });
    await assert.rejects(lockFile(file, { timeoutMs: 300 }), (error: unknown) => isProntoError(error, 'locked') && /another host/.test((error as Error).message));
  });

  it('the waiting place of a writer killed while it waited for the lock is removed by the next lock holder; a live waiter\'s stays', async () => {
    const file = box.dbFile('main');
    await box.ok(['set', 'k', 'v']);
    const probe = await lockFile(file);
    const [holderName] = fs.readdirSync(probe.lockPath);
    const me = JSON.parse(fs.readFileSync(path.join(probe.lockPath, holderName!), 'utf8')) as Record<string, unknown>;
    await probe.release();
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const plant = (token: string, holder: object): string => {
      const pending = `${lockPathFor(file)}.${token}.pending`;
      fs.mkdirSync(pending);
      fs.writeFileSync(path.join(pending, `holder-${token}`), JSON.stringify({ ...holder, token }));
      return pending;
    };
    const dead = plant('dead-1', { ...me, pid: Number(exited.stdout), start: '1' });
    const live = plant('live-1', me);
    // Killed between creating its waiting place and writing its holder file: only its name tells its pid.
    const orphan = `${lockPathFor(file)}.${exited.stdout}-0123abcd.pending`;
    fs.mkdirSync(orphan);
    const unnamed = `${lockPathFor(file)}.${process.pid}-4567abcd.pending`;
    fs.mkdirSync(unnamed);
    await box.ok(['set', 'k', 'w']);
    assert.equal(fs.existsSync(dead), false, 'a dead waiter\'s pending directory is removed');
    assert.equal(fs.existsSync(orphan), false, 'a holder-less pending directory of a process that no longer exists is removed at once');
    assert.equal(fs.existsSync(live), true, 'a live waiter\'s pending directory stays');
    assert.equal(fs.existsSync(unnamed), true, 'a fresh holder-less one of a live process stays (it may be writing its holder file)');
    fs.rmSync(live, { recursive: true });
    fs.rmSync(unnamed, { recursive: true });
  });

  it('a writer that no longer holds the lock at the moment of the rename does not replace the file or acknowledge', async () => {
    const file = box.dbFile('main');
    const store = openStore(file);
    await store.set(at('p', 'n', 'k'), 'one');
    const before = snapshot(file)!;
    const realFdatasync = realFs.fdatasync;
    // While the new content is being synced, the lock directory is taken from under the writer.
    realFs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      realFs.fdatasync = realFdatasync;
      fs.rmSync(lockPathFor(file), { recursive: true, force: true });
      realFdatasync(fd, callback);
    }) as typeof fs.fdatasync;
    try {
      await assert.rejects(store.set(at('p', 'n', 'k'), 'two'), (error: unknown) => isProntoError(error, 'locked') && /Lost the lock/.test((error as Error).message));
    } finally {
      realFs.fdatasync = realFdatasync;
    }
    assert.ok(snapshot(file)!.equals(before), 'the file was not replaced');
    assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'one');
  });
});

describe('item 2: a native writer in rollback-journal mode', () => {
  it('refuses to write while a native transaction is open (-journal), and the native COMMIT keeps its row', async () => {
    const file = box.dbFile('main');
    makeRollbackDatabase(file);
    const session = native(file);
    await session.exec("PRAGMA journal_mode=DELETE;\nBEGIN IMMEDIATE;\nINSERT INTO kv VALUES ('p','n','native',NULL,'native row',2,2,NULL);");
    assert.ok(fs.existsSync(`${file}-journal`), 'the open native transaction has a journal');
    const before = snapshot(file)!;

    const stderr = await box.fails(['set', 'p.n.ours', 'lost?'], { via: 'spawn' });
    assert.match(stderr, /-journal/);
    assert.ok(snapshot(file)!.equals(before), 'the file was left byte-identical');

    await session.exec('COMMIT;');
    await session.quit();
    assert.deepEqual(keysOnDisk(file), ['base', 'native']);
    await box.ok(['set', 'p.n.ours', 'kept']);
    assert.deepEqual(keysOnDisk(file), ['base', 'native', 'ours']);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('reads a file with a hot journal (native writer killed mid-transaction) as SQLite would: rolled back; writes wait for SQLite to roll it back', async function () {
    this.timeout(30_000);
    const file = box.dbFile('main');
    const rows = Array.from({ length: 300 }, (_, index) => `INSERT INTO kv VALUES ('p','n','k${String(index).padStart(3, '0')}',NULL,'original ${index} ${'o'.repeat(300)}',1,1,NULL);`).join('\n');
    makeRollbackDatabase(file, rows);
    const original = snapshot(file)!;
    const session = native(file);
    // A tiny page cache makes SQLite spill changed pages into the file before the commit, so the
    // file on disk is a mix of old and new pages, held together only by the journal.
    await session.exec(
      `PRAGMA journal_mode=DELETE;\nPRAGMA cache_size=2;\nBEGIN IMMEDIATE;\nUPDATE kv SET value = 'changed ' || key || ' ' || printf('%.300c', 'c');\n` +
        Array.from({ length: 200 }, (_, index) => `INSERT INTO kv VALUES ('p','n','new${index}',NULL,'${'n'.repeat(400)}',2,2,NULL);`).join('\n'),
    );
    await session.kill();
    assert.ok(!snapshot(file)!.equals(original), 'the killed transaction had changed the file in place');
    assert.ok(fs.statSync(`${file}-journal`).size > 0, 'a hot journal was left');
    const hot = snapshot(file)!;
    const journal = snapshot(`${file}-journal`)!;

    // Our reads see the committed state: every original value, none of the transaction's rows.
    assert.equal(await box.ok(['get', 'p.n.k123'], { via: 'spawn' }), `original 123 ${'o'.repeat(300)}\n`);
    assert.equal((await box.ok(['keys', 'p.n'])).split('\n').filter(Boolean).length, 300);
    const rolledBack = rollBackJournal(hot, journal)!;
    const db = new sql.Database(rolledBack);
    try {
      assert.equal(db.exec('PRAGMA integrity_check')[0]!.values[0]![0], 'ok', 'the rolled-back copy is a consistent database');
      assert.equal(db.exec("SELECT count(*) FROM kv WHERE value LIKE 'original%'")[0]!.values[0]![0], 300);
    } finally {
      db.close();
    }

    // Writing is refused and changes nothing, the journal included.
    const stderr = await box.fails(['set', 'p.n.ours', 'lost?'], { via: 'spawn' });
    assert.match(stderr, /-journal.*(in progress|interrupted)/);
    assert.ok(snapshot(file)!.equals(hot) && snapshot(`${file}-journal`)!.equals(journal), 'file and journal left byte-identical');

    // Native SQLite rolls the journal back on its next open and agrees with what we read.
    assert.equal(integrityCheck(file), 'ok');
    assert.equal(fs.existsSync(`${file}-journal`), false);
    assert.equal(sqliteRows(file, "SELECT count(*) FROM kv WHERE value LIKE 'original%';")[0]![0], '300');
    await box.ok(['set', 'p.n.ours', 'kept']);
    assert.equal(integrityCheck(file), 'ok');
    assert.equal(sqliteRows(file, 'SELECT count(*) FROM kv;')[0]![0], '301');
  });
});

describe('item 3: native SQLite beside us, up to the instant of the rename', () => {
  it('an empty -wal and -shm left by `sqlite3 -readonly` that has exited do not block writes (no lock holds them)', async function () {
    if (!CAN_SEE_POSIX_LOCKS) this.skip(); // elsewhere they block, as documented
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}\nINSERT INTO kv VALUES ('default','default','base',NULL,'committed',1,1,NULL);`);
    execFileSync('sqlite3', ['-readonly', file, 'SELECT count(*) FROM kv;']);
    assert.equal(fs.statSync(`${file}-wal`).size, 0, 'sqlite3 -readonly leaves an empty -wal');
    assert.ok(fs.existsSync(`${file}-shm`), 'and a -shm');
    await box.ok(['set', 'ours', 'written']);
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(keysOnDisk(file), ['base', 'ours']);
  });

  it('a native process that merely has the database open (WAL mode, empty -wal) blocks writes, named by pid', async function () {
    if (!CAN_SEE_POSIX_LOCKS) this.skip();
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}`);
    const session = native(file);
    await session.exec('SELECT count(*) FROM kv;');
    const stderr = await box.fails(['set', 'ours', 'x'], { via: 'spawn' });
    assert.match(stderr, new RegExp(`native SQLite process \\(pid ${session.pid}\\) has .* open`));
  });

  it('a native transaction that starts while our new content is being synced stops the rename: an error, not success, and its commit survives', async () => {
    const file = box.dbFile('main');
    makeRollbackDatabase(file);
    const store = openStore(file);
    assert.equal((await store.get(at('p', 'n', 'base')))?.value, 'committed');
    const session = native(file);
    await session.exec('SELECT 1;');
    const realFdatasync = realFs.fdatasync;
    realFs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      realFs.fdatasync = realFdatasync;
      void session
        .exec("PRAGMA journal_mode=DELETE;\nBEGIN IMMEDIATE;\nINSERT INTO kv VALUES ('p','n','native',NULL,'native row',2,2,NULL);")
        .then(() => realFdatasync(fd, callback), (error: NodeJS.ErrnoException) => callback(error));
    }) as typeof fs.fdatasync;
    const before = snapshot(file)!;
    try {
      await assert.rejects(store.set(at('p', 'n', 'ours'), 'not acknowledged'), (error: unknown) => isProntoError(error, 'wal-pending'));
    } finally {
      realFs.fdatasync = realFdatasync;
    }
    assert.ok(snapshot(file)!.equals(before), 'the file was not replaced');
    await session.exec('COMMIT;');
    await session.quit();
    assert.deepEqual(keysOnDisk(file), ['base', 'native']);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('a native WAL-mode connection that opened the old file in the instant of the rename is reported as an error, not success', async function () {
    if (!CAN_SEE_POSIX_LOCKS) this.skip();
    const file = box.dbFile('main');
    makeRollbackDatabase(file);
    sqlite3(file, 'PRAGMA journal_mode=WAL;');
    // The rename instant exists in the whole-file protocol; small changes go through the log
    // (issue 12), whose commit instant has its own test below.
    process.env.PRONTODB_INCREMENTAL_WRITES = '0';
    const store = openStore(file);
    await store.get(at('p', 'n', 'base'));
    let session: NativeSession | undefined;
    const realRename = realFs.renameSync;
    realFs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
      if (to !== file) return realRename(from, to); // the lock directory is published by rename too
      realFs.renameSync = realRename;
      // After the last check, before the rename: a native process opens the file and starts reading.
      session = native(file);
      session.child.stdin.write('BEGIN;\nSELECT count(*) FROM kv;\n');
      const deadline = Date.now() + 10_000;
      while (!holdsPosixLock(session.pid, file)) {
        if (Date.now() > deadline) throw new Error('sqlite3 never locked the file');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      realRename(from, to);
    }) as typeof fs.renameSync;
    try {
      await assert.rejects(
        store.set(at('p', 'n', 'ours'), 'written'),
        (error: unknown) => isProntoError(error, 'wal-pending') && /was written, but a native SQLite process opened it/.test((error as Error).message),
      );
    } finally {
      realFs.renameSync = realRename;
      delete process.env.PRONTODB_INCREMENTAL_WRITES;
    }
    assert.ok(session, 'the rename ran');
    assert.deepEqual(keysOnDisk(file), ['base', 'ours'], 'the write itself is on disk, as the message says');
  });

  it('a native WAL-mode connection that opened the file at the commit point of the log is reported as an error, not success; the log is left to it', async function () {
    if (!CAN_SEE_POSIX_LOCKS) this.skip();
    const file = box.dbFile('main');
    makeRollbackDatabase(file, Array.from({ length: 400 }, (_, index) => `INSERT INTO kv VALUES ('p','n','k${index}',NULL,'${'v'.repeat(200)}',1,1,NULL);`).join('\n'));
    sqlite3(file, 'PRAGMA journal_mode=WAL;');
    const store = openStore(file);
    await store.get(at('p', 'n', 'k1'));
    let session: NativeSession | undefined;
    let syncs = 0;
    const realFdatasync = realFs.fdatasync;
    // The first sync is of the log's frames, the second of its valid header: the commit point.
    realFs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      if (++syncs !== 2) return realFdatasync(fd, callback);
      session = native(file);
      session.child.stdin.write('BEGIN;\nSELECT count(*) FROM kv;\n');
      const deadline = Date.now() + 10_000;
      while (!holdsPosixLock(session.pid, file) && !(fs.existsSync(`${file}-shm`) && holdsPosixLock(session.pid, `${file}-shm`))) {
        if (Date.now() > deadline) throw new Error('sqlite3 never locked the file');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      realFdatasync(fd, callback);
    }) as typeof fs.fdatasync;
    const before = snapshot(file)!;
    try {
      await assert.rejects(
        store.set(at('p', 'n', 'ours'), 'written'),
        (error: unknown) => isProntoError(error, 'wal-pending') && /was written \(into .*-wal\), but a native SQLite process opened it/.test((error as Error).message),
      );
    } finally {
      realFs.fdatasync = realFdatasync;
    }
    assert.ok(session, 'the commit point was reached');
    assert.ok(snapshot(file)!.equals(before), 'the file itself was not touched while the native process may read it');
    assert.ok(fs.existsSync(`${file}-wal`), 'the committed log is left for the native process');
    assert.ok(keysOnDisk(file).includes('ours'), 'the write is in the log native SQLite reads, as the message says');
    await session!.quit();
    assert.equal(integrityCheck(file), 'ok');
    assert.ok(keysOnDisk(file).includes('ours'));
  });
});

describe('item 3: whose lock it is, when inode numbers are reused', () => {
  it('after a rename, a lock on a live file that got the replaced inode number is not ours; a process still holding the replaced file is', async function () {
    if (!CAN_SEE_POSIX_LOCKS) this.skip();
    // The old inode of a file we replace is free for any new file the moment nobody holds it:
    // VS Code's own SQLite state, say. A live, locked file stands in for such a recycled number.
    const other = box.path('someone-elses.db');
    sqlite3(other, 'CREATE TABLE t(x);');
    const session = native(other);
    await session.exec('BEGIN;\nSELECT count(*) FROM t;');
    await waitFor(() => holdsPosixLock(session.pid, other), 'sqlite3 to lock its file');
    const { dev, ino } = fs.statSync(other);
    assert.deepEqual(posixLockHolders([{ dev, ino }]), [session.pid], 'a lock on a file we are about to replace counts');
    assert.deepEqual(posixLockHolders([{ dev, ino, replaced: true }]), [], 'a live file with that inode number is someone else\'s');
    // Once that file is unlinked while the process still holds it, it is what a replaced file looks like.
    fs.rmSync(other);
    assert.deepEqual(posixLockHolders([{ dev, ino, replaced: true }]), [session.pid]);
  });
});

describe('item 4: the database path is not a regular file', () => {
  it('a FIFO is refused at once, for reads and writes, and left in place', async () => {
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('mkfifo', [file]);
    const read = await box.fails(['get', 'k'], { via: 'spawn', timeoutMs: 10_000 });
    assert.match(read, /named pipe/);
    const write = await box.fails(['set', 'k', 'v'], { via: 'spawn', timeoutMs: 10_000 });
    assert.match(write, /named pipe/);
    assert.ok(fs.statSync(file).isFIFO(), 'the FIFO is still there');
  });

  it('a character device named by .prontodb is refused, never replaced', async function () {
    const device = box.path('null-device');
    if (spawnSync('mknod', [device, 'c', '1', '3']).status !== 0) {
      // Not root here: a device node cannot be made, and /dev/null itself must never be the subject.
      this.skip();
    }
    fs.writeFileSync(box.path('.prontodb'), JSON.stringify({ path: device }));
    await box.ok(['allow']); // a path outside the data directory is obeyed once allowed (issue 13)
    const stderr = await box.fails(['set', 'k', 'v'], { via: 'spawn' });
    assert.match(stderr, /character device/);
    assert.ok(fs.statSync(device).isCharacterDevice(), 'the device node is still a device');
    assert.deepEqual(fs.readdirSync(box.root).filter((name) => name.startsWith('null-device')), ['null-device'], 'no lock or temp files are left');
  });

  it('a directory at the database path is refused with a clear message', async () => {
    const file = box.dbFile('main');
    fs.mkdirSync(file, { recursive: true });
    assert.match(await box.fails(['set', 'k', 'v'], { via: 'spawn' }), /is a directory, not a database file/);
  });

  it('a symlinked database writes to its target: the link stays a link, and native sqlite3 sees the write there', async () => {
    const file = box.dbFile('main');
    const real = box.path('elsewhere', 'real.prdb');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(real, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}`);
    fs.symlinkSync(real, file);
    await box.ok(['set', 'k', 'through the link']);
    await box.ok(['set', 'k2', 'again'], { via: 'spawn' });
    assert.ok(fs.lstatSync(file).isSymbolicLink(), 'the link was not replaced by a copy');
    assert.deepEqual(sqliteRows(real, 'SELECT key, value FROM kv ORDER BY key;'), [
      ['k', 'through the link'],
      ['k2', 'again'],
    ]);
    assert.equal(await box.ok(['get', 'k2']), 'again\n');
  });

  it('a dangling symlink is refused with a message naming its target; nothing is created', async () => {
    const file = box.dbFile('main');
    const missing = box.path('nowhere', 'gone.prdb');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(missing, file);
    const stderr = await box.fails(['set', 'k', 'v'], { via: 'spawn' });
    assert.ok(stderr.includes(missing), stderr);
    assert.equal(fs.existsSync(path.dirname(missing)), false);
    assert.ok(fs.lstatSync(file).isSymbolicLink());
  });
});

