/**
 * Issue 12, the parts behind an incremental commit: the pages sql.js changed (sqlJsPages.ts), the
 * write-ahead log format (walFile.ts), which commits take the log and which the whole file, and the
 * verified-version cache that spares a process's first write its PRAGMA quick_check.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { loadSqlJs } from '../../src/core/sqljs';
import { openTrackedDatabase } from '../../src/core/sqlJsPages';
import { applyWal, buildWal, readCommittedWal, walHeaderKind } from '../../src/core/walFile';
import type { Address } from '../../src/core/types';
import { integrityCheck, requireSqlite3, Sandbox, sqlite3, sqliteRows } from '../helpers/cliHarness';

let sql: SqlJsStatic;
let box: Sandbox;
const at = (key: string): Address => ({ project: 'p', namespace: 'n', key, context: null });

before(async () => {
  requireSqlite3();
  sql = await loadSqlJs();
});

beforeEach(() => {
  box = new Sandbox('prontodb-incremental-');
});

afterEach(() => box.cleanup());

async function bigDatabase(file: string, keys = 3000): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const store = new SqlJsFileStore(file, sql);
  await store.importEntries(
    Array.from({ length: keys }, (_, index) => ({ project: 'p', namespace: 'n', key: `k${String(index).padStart(5, '0')}`, context: null, value: `value ${index} ${'x'.repeat(60)}`, createdAt: 1, updatedAt: 1, expiresAt: null })),
    [],
  );
  await store.close();
}

describe('the pages sql.js changed (sqlJsPages.ts)', () => {
  it('are exactly the pages whose bytes differ between the database before and after a transaction, with their new content', () => {
    const seed = new sql.Database();
    seed.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);');
    for (let index = 0; index < 2000; index++) seed.exec(`INSERT INTO t VALUES (${index}, '${'v'.repeat(50)}${index}');`);
    const before = seed.export();
    seed.close();
    const { db, pages } = openTrackedDatabase(sql, before);
    try {
      assert.ok(pages, 'tracking works with this sql.js');
      db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY;');
      db.exec("BEGIN; UPDATE t SET v = 'changed' WHERE k IN (5, 999, 1998); INSERT INTO t VALUES (5000, 'new'); COMMIT;");
      const after = db.export();
      const pageSize = 4096;
      const written = pages.writtenPages(pageSize)!;
      const differing: number[] = [];
      for (let page = 1; page * pageSize <= Math.max(before.length, after.length); page++) {
        const a = before.subarray((page - 1) * pageSize, page * pageSize);
        const b = after.subarray((page - 1) * pageSize, page * pageSize);
        // The first 100 bytes are the header, which export() rewrites (its own change counter).
        const from = page === 1 ? 100 : 0;
        if (!Buffer.from(a.subarray(from)).equals(Buffer.from(b.subarray(from)))) differing.push(page);
      }
      assert.ok(differing.length > 1 && differing.length < 20, `a few pages changed: ${differing.join(', ')}`);
      for (const page of differing) assert.ok(written.has(page), `page ${page} changed but was not reported`);
      for (const [page, data] of written) {
        assert.deepEqual(Buffer.from(data.subarray(page === 1 ? 100 : 0)), Buffer.from(after.subarray((page - 1) * pageSize + (page === 1 ? 100 : 0), page * pageSize)), `page ${page}: the content reported is what SQLite wrote`);
      }
      pages.reset(after.length);
      assert.equal(pages.writtenPages(pageSize)!.size, 0, 'forgotten once on disk');
    } finally {
      pages?.dispose();
      db.close();
    }
  });
});

describe('the write-ahead log format (walFile.ts)', () => {
  const pageSize = 4096;
  const page = (fill: number): Buffer => Buffer.alloc(pageSize, fill);

  it('round-trips: what buildWal commits, readCommittedWal finds; the placeholder header and a torn one commit nothing', () => {
    const wal = buildWal(pageSize, [{ pageNumber: 1, data: page(1) }, { pageNumber: 3, data: page(3) }, { pageNumber: 4, data: page(4) }], 4);
    assert.equal(walHeaderKind(wal.body.subarray(0, 32)), 'ours-uncommitted');
    assert.equal(readCommittedWal(wal.body), undefined, 'before the header: nothing committed');
    const committed = Buffer.from(wal.body);
    wal.header.copy(committed, 0);
    assert.equal(walHeaderKind(committed.subarray(0, 32)), 'ours');
    const read = readCommittedWal(committed)!;
    assert.deepEqual([read.pageSize, read.pageCount, [...read.pages.keys()]], [pageSize, 4, [1, 3, 4]]);
    assert.deepEqual(Buffer.from(read.pages.get(3)!), page(3));
    for (let cut = 1; cut < 32; cut++) {
      const torn = Buffer.from(wal.body);
      wal.header.copy(torn, 0, 0, cut);
      assert.notEqual(walHeaderKind(torn.subarray(0, 32)), 'ours', `a header torn after ${cut} bytes is not valid`);
      assert.equal(readCommittedWal(torn), undefined);
    }
    // A frame torn or missing at the end: the transaction (which ends there) does not count.
    assert.equal(readCommittedWal(committed.subarray(0, committed.length - 100)), undefined);
    const flipped = Buffer.from(committed);
    flipped[32 + 24 + 10] = flipped[32 + 24 + 10]! ^ 0xff;
    assert.equal(readCommittedWal(flipped), undefined, 'a changed byte breaks the checksum chain');
    // Applied over a file of 2 pages: grown to 4, pages 1, 3, 4 from the log, page 2 kept.
    const applied = applyWal(Buffer.concat([page(9), page(2)]), read);
    assert.deepEqual([applied.length, applied[0], applied[pageSize], applied[2 * pageSize], applied[3 * pageSize]], [4 * pageSize, 1, 2, 3, 4]);
  });

  it("a native process's log with a commit in it is told apart from ours (and sqlite3 reads it)", () => {
    const file = box.path('native.db');
    sqlite3(file, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (x); INSERT INTO t VALUES ('native');");
    // A native log with a commit in it, copied aside before sqlite3 closes it (it would remove it).
    const copy = box.path('copy.db');
    const script = `PRAGMA wal_autocheckpoint=0;\nINSERT INTO t VALUES ('pending');\n.shell cp '${file}' '${copy}'\n.shell cp '${file}-wal' '${copy}-wal'\n`;
    sqlite3(file, script);
    assert.equal(walHeaderKind(fs.readFileSync(`${copy}-wal`).subarray(0, 32)), 'native');
    assert.deepEqual(sqliteRows(copy, 'SELECT x FROM t ORDER BY rowid;'), [['native'], ['pending']]);
  });
});

describe('which commits write only the changed pages', () => {
  it('a small change to a file of some size: written in place through the log, nothing left beside it; a big one (import) replaces the file', async () => {
    const file = box.dbFile('main');
    await bigDatabase(file);
    const inode = fs.statSync(file).ino;
    const store = new SqlJsFileStore(file, sql);
    try {
      await store.set(at('k01500'), 'small change');
      assert.equal(fs.statSync(file).ino, inode, 'in place');
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['pronto.main.prdb']);
      await store.importEntries(
        Array.from({ length: 3000 }, (_, index) => ({ project: 'p', namespace: 'n', key: `k${String(index).padStart(5, '0')}`, context: null, value: `rewritten ${index}`, createdAt: 2, updatedAt: 2, expiresAt: null })),
        [],
      );
      assert.notEqual(fs.statSync(file).ino, inode, 'most pages changed: the whole file was replaced');
    } finally {
      await store.close();
    }
    assert.equal(integrityCheck(file), 'ok');
    assert.equal(sqliteRows(file, "SELECT value FROM kv WHERE key = 'k01500';")[0]![0], 'rewritten 1500');
  });

  it('a file in rollback-journal format is always written whole, and keeps its format', async () => {
    const file = box.dbFile('main');
    await bigDatabase(file);
    sqlite3(file, 'PRAGMA journal_mode=DELETE;');
    const inode = fs.statSync(file).ino;
    const store = new SqlJsFileStore(file, sql);
    try {
      await store.set(at('k00001'), 'changed');
    } finally {
      await store.close();
    }
    assert.notEqual(fs.statSync(file).ino, inode);
    assert.equal(sqlite3(file, 'PRAGMA journal_mode;').trim(), 'delete');
    assert.equal(integrityCheck(file), 'ok');
  });

  it('PRONTODB_INCREMENTAL_WRITES=0 makes every commit replace the whole file', async () => {
    const file = box.dbFile('main');
    await bigDatabase(file);
    const inode = fs.statSync(file).ino;
    await box.ok(['set', 'p.n.k00001', 'whole'], { via: 'spawn', env: { PRONTODB_INCREMENTAL_WRITES: '0' } });
    assert.notEqual(fs.statSync(file).ino, inode);
    const again = fs.statSync(file).ino;
    await box.ok(['set', 'p.n.k00002', 'in place'], { via: 'spawn' });
    assert.equal(fs.statSync(file).ino, again);
    assert.equal(integrityCheck(file), 'ok');
  });
});

describe('the verified-version cache (verifiedVersions.ts)', () => {
  /** Runs `action` and says whether PRAGMA quick_check ran meanwhile (sql.js statements are spied on). */
  async function quickChecks(action: () => Promise<void>): Promise<number> {
    const prototype = sql.Database.prototype as unknown as { prepare: (text: string, ...rest: unknown[]) => unknown };
    const prepare = prototype.prepare;
    let count = 0;
    prototype.prepare = function (this: unknown, text: string, ...rest: unknown[]) {
      if (/quick_check/i.test(text)) count++;
      return prepare.call(this, text, ...rest);
    };
    try {
      await action();
    } finally {
      prototype.prepare = prepare;
    }
    return count;
  }

  it("skips the first write's quick_check on a version checked or written by ProntoDB, and checks again after a change by anyone else", async () => {
    const file = box.dbFile('main');
    await bigDatabase(file);
    // The import wrote this version: a new process's first write needs no check.
    const fresh = async (key: string, value: string): Promise<void> => {
      const store = new SqlJsFileStore(file, sql);
      try {
        await store.set(at(key), value);
      } finally {
        await store.close();
      }
    };
    assert.equal(await quickChecks(() => fresh('k00001', 'a')), 0, 'a version we wrote');
    assert.equal(await quickChecks(() => fresh('k00002', 'b')), 0, 'and the one written after it');
    sqlite3(file, "UPDATE kv SET value = 'native' WHERE key = 'k00003';");
    assert.equal(await quickChecks(() => fresh('k00004', 'c')), 1, 'a version written by another program is checked');
    assert.equal(await quickChecks(() => fresh('k00005', 'd')), 0, 'once');
  });

  it('does not trust a file corrupted in place after it was verified', async () => {
    const file = box.dbFile('main');
    await bigDatabase(file);
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, Buffer.alloc(4096, 0xee), 0, 4096, size - 3 * 4096);
    } finally {
      fs.closeSync(fd);
    }
    const store = new SqlJsFileStore(file, sql);
    try {
      await assert.rejects(store.set(at('k00001'), 'x'), /corrupt|malformed/);
    } finally {
      await store.close();
    }
  });
});
