import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { isProntoError } from '../../src/core/errors';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { acquireFileLock } from '../../src/core/lock';
import { SCHEMA_SQL } from '../../src/core/schema';
import { loadSqlJs } from '../../src/core/sqljs';
import type { Address } from '../../src/core/types';
import { makeTempHome, type TempHome } from '../helpers/tempHome';

const at = (project: string, namespace: string, key: string, context: string | null = null): Address => ({ project, namespace, key, context });

describe('SqlJsFileStore', () => {
  let sql: SqlJsStatic;
  let temp: TempHome;
  let file: string;
  let clock: number;
  const stores: SqlJsFileStore[] = [];

  function openStore(options: ConstructorParameters<typeof SqlJsFileStore>[2] = {}): SqlJsFileStore {
    const store = new SqlJsFileStore(file, sql, { now: () => clock, ...options });
    stores.push(store);
    return store;
  }

  /** Rows as a separate reader sees them on disk. */
  function rowsOnDisk(where = '1=1'): unknown[][] {
    const db = new sql.Database(fs.readFileSync(file));
    try {
      const result = db.exec(`SELECT project, namespace, key, context, value, expires_at FROM kv WHERE ${where} ORDER BY rowid`);
      return result.length ? result[0]!.values : [];
    } finally {
      db.close();
    }
  }

  before(async () => {
    sql = await loadSqlJs();
  });

  beforeEach(() => {
    temp = makeTempHome();
    file = path.join(temp.home, 'db', 'pronto.test.prdb');
    clock = 1_800_000_000_000;
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await temp.cleanup();
  });

  it('reads a missing file as an empty database without creating it', async () => {
    const store = openStore();
    assert.equal(await store.get(at('p', 'n', 'k')), undefined);
    assert.deepEqual(await store.projects(), []);
    assert.equal(fs.existsSync(file), false);
  });

  it('writes one row per address, also without a context, and keeps created_at', async () => {
    const store = openStore();
    await store.set(at('p', 'n', 'k'), 'v1');
    clock += 5000;
    await store.set(at('p', 'n', 'k'), 'v2');
    await store.set(at('p', 'n', 'k', 'prod'), 'c1');
    await store.set(at('p', 'n', 'k', 'prod'), 'c2');
    assert.deepEqual(rowsOnDisk(), [
      ['p', 'n', 'k', null, 'v2', null],
      ['p', 'n', 'k', 'prod', 'c2', null],
    ]);
    const entry = await store.get(at('p', 'n', 'k'));
    assert.equal(entry?.value, 'v2');
    assert.equal(entry?.updatedAt, entry!.createdAt + 5);
  });

  it("keeps the file in the Rust CLI format: WAL header, the Rust CLI's schema and the latest migration's index", async () => {
    const store = openStore();
    await store.set(at('p', 'n', 'k'), 'v');
    const bytes = fs.readFileSync(file);
    assert.deepEqual([bytes[18], bytes[19]], [2, 2]);
    const db = new sql.Database(bytes);
    const objects = db.exec(`SELECT type, name FROM sqlite_master ORDER BY name`)[0]!.values;
    db.close();
    assert.deepEqual(objects, [
      ['index', 'idx_kv_expiry'],
      ['table', 'kv'],
      ['index', 'kv_unique_address'],
      ['index', 'sqlite_autoindex_kv_1'],
      ['index', 'sqlite_autoindex_sys_namespaces_1'],
      ['table', 'sys_namespaces'],
    ]);
  });

  it('reads the newest of duplicate rows the Rust CLI left, and a set collapses them', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new sql.Database();
    db.exec(SCHEMA_SQL);
    for (const [value, time] of [['old', 1], ['newer', 2], ['newest', 3]] as const) {
      db.run(`INSERT INTO kv VALUES ('p','n','k',NULL,?,?,?,NULL)`, [value, time, time]);
    }
    fs.writeFileSync(file, db.export());
    db.close();
    const store = openStore();
    assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'newest');
    assert.deepEqual((await store.list({ project: 'p', namespace: 'n' })).map((e) => e.value), ['newest']);
    await store.set(at('p', 'n', 'k'), 'mine');
    assert.deepEqual(rowsOnDisk(), [['p', 'n', 'k', null, 'mine', null]]);
  });

  it('deletes every duplicate and reports whether a live value existed', async () => {
    const store = openStore();
    await store.set(at('p', 'n', 'k'), 'v');
    assert.equal(await store.delete(at('p', 'n', 'k')), true);
    assert.equal(await store.delete(at('p', 'n', 'k')), false);
    assert.deepEqual(rowsOnDisk(), []);
  });



  describe('durability and concurrency', () => {
    it('commits 1,000 concurrent sets in a handful of file writes, all on disk when they resolve', async () => {
      const store = openStore();
      await store.set(at('p', 'n', 'seed'), 'x');
      const before = store.fileWrites;
      await Promise.all(Array.from({ length: 1000 }, (_, i) => store.set(at('p', 'n', `k${i}`), `v${i}`)));
      assert.ok(store.fileWrites - before <= 2, `expected group commit, saw ${store.fileWrites - before} writes`);
      assert.equal(rowsOnDisk(`key LIKE 'k%'`).length, 1000);
    });

    it('leaves the file as it was when the lock cannot be had, and forgets the failed write', async () => {
      const store = openStore({ lock: { timeoutMs: 200 } });
      await store.set(at('p', 'n', 'k'), 'kept');
      const before = fs.readFileSync(file);
      const release = await acquireFileLock(file);
      try {
        await assert.rejects(store.set(at('p', 'n', 'k'), 'lost'), (error) => isProntoError(error, 'locked'));
      } finally {
        await release();
      }
      assert.deepEqual(fs.readFileSync(file), before);
      assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'kept');
    });

    it('sees another writer’s change on the next read and reports it as an external change', async () => {
      const mine = openStore({ watchDebounceMs: 10 });
      const theirs = openStore();
      await mine.set(at('p', 'n', 'k'), 'mine');
      const external = new Promise<string>((resolve) => {
        const subscription = mine.onDidChange((event) => {
          subscription.dispose();
          resolve(event.origin);
        });
      });
      assert.equal((await theirs.get(at('p', 'n', 'k')))?.value, 'mine');
      await theirs.set(at('p', 'n', 'k'), 'theirs');
      assert.equal(await external, 'external');
      assert.equal((await mine.get(at('p', 'n', 'k')))?.value, 'theirs');
      await mine.set(at('p', 'n', 'other'), 'x');
      assert.deepEqual(rowsOnDisk().map((row) => row[4]), ['theirs', 'x'], 'a writer reloads before writing, so no update is lost');
    });

    it('loses no update even when file identity cannot tell two versions apart (coarse timestamps)', async () => {
      const mine = openStore();
      const theirs = openStore();
      await mine.set(at('p', 'n', 'a'), '1');
      await theirs.set(at('p', 'n', 'b'), '2');
      // Pretend the file system reported the same inode, size and times for their version.
      const internals = mine as unknown as { version: { identity: unknown } };
      const stat = fs.statSync(file);
      internals.version.identity = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
      await mine.set(at('p', 'n', 'c'), '3');
      assert.deepEqual(rowsOnDisk().map((row) => row[2]), ['a', 'b', 'c']);
      const header = fs.readFileSync(file).subarray(0, 100);
      assert.equal(header.readUInt32BE(24), 3, 'every write increments the change counter');
      assert.equal(header.readUInt32BE(92), 3, 'and keeps version-valid-for in step');
    });

    it('reports an external change that a read noticed before the directory watcher did', async () => {
      const mine = openStore({ watchDebounceMs: 60_000 });
      const theirs = openStore();
      await mine.set(at('p', 'n', 'k'), 'mine');
      const origins: string[] = [];
      const subscription = mine.onDidChange((event) => origins.push(event.origin));
      await theirs.set(at('p', 'n', 'k'), 'theirs');
      assert.equal((await mine.get(at('p', 'n', 'k')))?.value, 'theirs');
      await new Promise((resolve) => setImmediate(resolve));
      subscription.dispose();
      assert.deepEqual(origins, ['external']);
    });

    it('imports all or nothing: a cancelled import writes nothing', async () => {
      const store = openStore();
      await store.set(at('p', 'n', 'k'), 'before');
      const before = fs.readFileSync(file);
      const entries = Array.from({ length: 20_000 }, (_, i) => ({ ...at('p', 'n', `i${i}`), value: 'v', createdAt: 1, updatedAt: 1, expiresAt: null }));
      const controller = new AbortController();
      const importing = store.importEntries(entries, [], {
        signal: controller.signal,
        onProgress: (fraction) => {
          if (fraction > 0.2) controller.abort();
        },
      });
      await assert.rejects(importing, (error) => isProntoError(error, 'cancelled'));
      assert.deepEqual(fs.readFileSync(file), before);
      assert.equal(await store.count({ project: 'p', namespace: 'n' }), 1);
      assert.equal(await store.importEntries(entries, [], { preserveTimestamps: true }), 20_000);
      assert.equal(await store.count({ project: 'p', namespace: 'n' }), 20_001);
    });
  });

  describe('editing operations commit once (the contract suite checks their behaviour)', () => {
    it('rename moves a value in one commit, keeping its creation time and expiry', async () => {
      const store = openStore();
      await store.createCache('p', 'cache', 3600);
      await store.set(at('p', 'cache', 'old'), 'v', { ttlSeconds: 90 });
      const before = (await store.get(at('p', 'cache', 'old')))!;
      clock += 5000;
      const writes = store.fileWrites;
      await store.rename(at('p', 'cache', 'old'), at('p', 'cache', 'new', 'ctx'));
      assert.equal(store.fileWrites - writes, 1, 'one commit');
      assert.equal(await store.get(at('p', 'cache', 'old')), undefined);
      const after = (await store.get(at('p', 'cache', 'new', 'ctx')))!;
      assert.deepEqual([after.value, after.createdAt, after.expiresAt, after.updatedAt], ['v', before.createdAt, before.expiresAt, clock / 1000]);
      assert.deepEqual(rowsOnDisk("key IN ('old', 'new')").map((row) => row[2]), ['new']);
    });

    it('deleteScope removes a namespace or a project with its TTL settings in one commit, and says how many values went', async () => {
      const store = openStore();
      await store.createCache('p', 'cache', 60);
      await store.set(at('p', 'cache', 'c1'), '1');
      for (const key of ['a', 'b', 'c']) await store.set(at('p', 'n', key), key);
      await store.set(at('q', 'n', 'keep'), 'kept');
      let writes = store.fileWrites;
      assert.equal(await store.deleteScope({ project: 'p', namespace: 'n' }), 3);
      assert.equal(store.fileWrites - writes, 1);
      assert.deepEqual(await store.namespaces('p'), ['cache']);
      writes = store.fileWrites;
      assert.equal(await store.deleteScope({ project: 'p' }), 1);
      assert.equal(store.fileWrites - writes, 1);
      assert.deepEqual(await store.projects(), ['q']);
      assert.deepEqual(await store.ttlNamespaces(), []);
      assert.equal(await store.deleteScope({ project: 'nothing' }), 0);
      assert.equal((await store.get(at('q', 'n', 'keep')))?.value, 'kept');
    });
  });

  describe('files it must not write', () => {
    function assertRefused(content: Buffer, code: string, message: RegExp): Promise<void> {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      const store = openStore();
      return (async () => {
        await assert.rejects(store.set(at('p', 'n', 'k'), 'v'), (error) => isProntoError(error) && error.code === code && message.test(error.message));
        await assert.rejects(store.get(at('p', 'n', 'k')), (error) => isProntoError(error) && error.code === code);
        assert.deepEqual(fs.readFileSync(file), content);
      })();
    }

    it('refuses a file that is not SQLite', () => assertRefused(Buffer.from('hello, I am a text file, not a database at all, and I am long enough to have a header'.repeat(3)), 'not-sqlite', /is not an SQLite database/));

    it('refuses an SQLite file of another program', () => {
      const db = new sql.Database();
      db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)');
      const bytes = Buffer.from(db.export());
      db.close();
      return assertRefused(bytes, 'foreign-schema', /not a ProntoDB one \(tables: accounts\)/);
    });

    it('refuses a kv table with other columns', () => {
      const db = new sql.Database();
      db.exec('CREATE TABLE kv (k TEXT, v TEXT)');
      const bytes = Buffer.from(db.export());
      db.close();
      return assertRefused(bytes, 'foreign-schema', /table 'kv' has columns \(k, v\)/);
    });

    it('refuses a corrupt database', async () => {
      const db = new sql.Database();
      db.exec(SCHEMA_SQL);
      for (let i = 0; i < 2000; i++) db.run(`INSERT INTO kv VALUES ('p','n',?,NULL,?,1,1,NULL)`, [`k${i}`, 'v'.repeat(50)]);
      const bytes = Buffer.from(db.export());
      db.close();
      bytes.fill(0xa5, 4096 * 3, 4096 * 6); // scribble over b-tree pages
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      const store = openStore();
      await assert.rejects(store.set(at('p', 'n', 'k'), 'v'), (error) => isProntoError(error, 'not-sqlite') && /corrupt/.test(error.message));
      assert.deepEqual(fs.readFileSync(file), bytes);
    });

    it('refuses to write over an uncheckpointed -wal but still reads, with a warning', async () => {
      const store = openStore();
      await store.set(at('p', 'n', 'k'), 'v');
      const before = fs.readFileSync(file);
      fs.writeFileSync(`${file}-wal`, Buffer.alloc(4096, 1));
      const reader = openStore();
      assert.equal((await reader.get(at('p', 'n', 'k')))?.value, 'v');
      assert.match(reader.staleReadWarning ?? '', /reads may be stale/);
      await assert.rejects(reader.set(at('p', 'n', 'k'), 'x'), (error) => isProntoError(error, 'wal-pending') && /wal_checkpoint/.test(error.message));
      assert.deepEqual(fs.readFileSync(file), before);
    });
  });
});
