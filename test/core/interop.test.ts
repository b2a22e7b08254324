/**
 * Interoperability with native SQLite (the system `sqlite3`, as the Rust CLI uses it): files it made
 * in the Rust CLI's layout and WAL mode are read and written correctly, files we make open in it, a
 * pending `-wal` is never written over, and broken or foreign files are refused and left untouched.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProntoError } from '../../src/core/errors';
import { ProntoDB } from '../../src/core/pronto';
import { LATEST_SCHEMA_ADDITIONS, LATEST_SCHEMA_VERSION } from '../../src/core/migrations';
import { SCHEMA_SQL } from '../../src/core/schema';
import {
  CREATED_SCHEMA_OBJECTS,
  EXPECTED_SCHEMA_OBJECTS,
  headerFormatBytes,
  integrityCheck,
  lines,
  requireSqlite3,
  Sandbox,
  schemaObjects,
  snapshot,
  sqlite3,
  sqliteRows,
} from '../helpers/cliHarness';
import { NativeSession } from '../helpers/nativeSession';

let box: Sandbox;

before(() => requireSqlite3());

beforeEach(() => {
  box = new Sandbox('prontodb-interop-');
});

afterEach(() => {
  box.cleanup();
});

/** The Rust CLI's way of making a database: WAL mode, the exact DDL, then its rows. */
function makeRustDatabase(file: string, inserts: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}\n${inserts}`);
  assert.equal(fs.existsSync(`${file}-wal`), false, 'sqlite3 checkpoints and removes -wal when it closes');
}

function masterRows(file: string): string[][] {
  return sqliteRows(file, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;');
}

/** Rows of one address, oldest first, as the Rust CLI stored them. */
function rowsOf(file: string, where: string): string[][] {
  return sqliteRows(file, `SELECT value, quote(context) FROM kv WHERE ${where} ORDER BY rowid;`);
}

function listDir(directory: string): string[] {
  return fs.readdirSync(directory).sort();
}

const RUST_ROWS = `
-- Context-less overwrites made duplicates (docs/FORMAT.md#null-context-duplicates), oldest first; the Rust CLI reads 'old'.
INSERT INTO kv VALUES ('default','default','dup',NULL,'old',100,100,NULL);
INSERT INTO kv VALUES ('default','default','dup',NULL,'middle',200,200,NULL);
INSERT INTO kv VALUES ('default','default','dup',NULL,'newest',300,300,NULL);
-- Same second: only the insertion order (rowid) tells which came last.
INSERT INTO kv VALUES ('p','n','same',NULL,'first',500,500,NULL);
INSERT INTO kv VALUES ('p','n','same',NULL,'second',500,500,NULL);
-- '' context (dotted 'k__' in the Rust CLI) is distinct from NULL.
INSERT INTO kv VALUES ('p','n','k','','empty-context',100,100,NULL);
INSERT INTO kv VALUES ('p','n','k',NULL,'no-context',100,100,NULL);
INSERT INTO kv VALUES ('p','n','k','prod','prod-value',100,100,NULL);
-- A TTL namespace with an expired and a live row.
INSERT INTO sys_namespaces VALUES ('p','cache',1,3600,100);
INSERT INTO kv VALUES ('p','cache','old',NULL,'expired',1,1,2);
INSERT INTO kv VALUES ('p','cache','live',NULL,'fresh',1,1,4102444800);
`;

describe('interop: a database made by sqlite3 in the Rust CLI layout and WAL mode', () => {
  let file: string;

  beforeEach(() => {
    file = box.dbFile('main');
    makeRustDatabase(file, RUST_ROWS);
    assert.deepEqual(headerFormatBytes(file), [2, 2]);
  });

  it('is read by the CLI: newest duplicate wins, contexts are distinct, expired rows are hidden', async () => {
    const before = snapshot(file)!;
    const [dup, same, k, prod, expired, live, keys, scanPn, scanCache, projects] = await Promise.all([
      box.ok(['get', 'dup']),
      box.ok(['get', 'p.n.same']),
      box.ok(['get', 'p.n.k']),
      box.ok(['get', 'p.n.k__prod']),
      box.run(['get', 'p.cache.old']),
      box.ok(['get', 'p.cache.live']),
      box.ok(['keys']),
      box.ok(['scan', 'p.n']),
      box.ok(['scan', 'p.cache']),
      box.ok(['projects']),
    ]);
    assert.equal(dup, 'newest\n');
    assert.equal(same, 'second\n');
    assert.equal(k, 'no-context\n');
    assert.equal(prod, 'prod-value\n');
    assert.deepEqual([expired.code, expired.stdout], [2, '']);
    assert.equal(live, 'fresh\n');
    assert.deepEqual(lines(keys), ['dup'], 'duplicates are listed once');
    // (The 'same' duplicates, written within one second, have their own test below.)
    assert.deepEqual(lines(scanPn).filter((line) => !line.startsWith('same=')), ['k=no-context', 'k__=empty-context', 'k__prod=prod-value']);
    assert.deepEqual(lines(scanCache), ['live=fresh']);
    assert.deepEqual(lines(projects), ['default', 'p']);
    assert.ok(snapshot(file)!.equals(before), 'reads must not write');
  });

  it('is read by the core API, including the "" context the CLI cannot address', async () => {
    const pronto = new ProntoDB({ env: box.env, cwd: box.root });
    try {
      const session = await pronto.open();
      assert.equal((await session.get({ project: 'p', namespace: 'n', key: 'k', context: '' }))?.value, 'empty-context');
      assert.equal((await session.get({ project: 'p', namespace: 'n', key: 'k', context: null }))?.value, 'no-context');
      assert.equal((await session.get('dup'))?.value, 'newest');
      const listed = await session.store.list({ project: 'default', namespace: 'default' });
      assert.deepEqual(listed.map((entry) => entry.value), ['newest']);
      assert.equal(await session.store.count({ project: 'default', namespace: 'default' }), 1);
    } finally {
      await pronto.close();
    }
  });

  it('scan and export pick the same duplicate as get when the duplicates share a timestamp (newest = last inserted)', async () => {
    assert.equal(await box.ok(['get', 'p.n.same']), 'second\n');
    assert.deepEqual(lines(await box.ok(['scan', 'p.n.same'])), ['same=second']);
    const exported = JSON.parse(await box.ok(['export', 'p.n'])) as { entries: Array<{ key: string; context: string | null; value: string }> };
    const same = exported.entries.filter((entry) => entry.key === 'same');
    assert.deepEqual(same.map((entry) => entry.value), ['second']);
    assert.deepEqual(exported.entries.map((entry) => `${entry.key}/${entry.context}`), ['k/null', 'k/', 'k/prod', 'same/null']);
  });

  it('pages through duplicates without skipping keys', async () => {
    sqlite3(file, "INSERT INTO kv VALUES ('default','default','zzz',NULL,'after the duplicates',1,1,NULL);");
    const pronto = new ProntoDB({ env: box.env, cwd: box.root });
    try {
      const session = await pronto.open();
      const seen: string[] = [];
      let after: { key: string; context: string | null } | undefined;
      for (let round = 0; round < 10; round++) {
        const page = await session.page({ project: 'default', namespace: 'default', limit: 1, ...(after ? { after } : {}) });
        seen.push(...page.entries.map((entry) => `${entry.key}=${entry.value}`));
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(seen, ['dup=newest', 'zzz=after the duplicates']);
    } finally {
      await pronto.close();
    }
  });

  it('takes our writes: sqlite3 sees them, duplicates collapse to one row, the file stays a valid WAL-mode database with the same schema', async () => {
    const schemaBefore = masterRows(file);
    await box.ok(['set', 'dup', 'ours'], { via: 'spawn' }); // the shipped bundle, once
    await box.ok(['set', 'p.n.k', 'replaced']);
    await box.ok(['set', 'p.n.same', 'third']);
    await box.ok(['set', 'p.cache.new', 'cached']);
    await box.ok(['set', 'fresh.key', 'ünï 🎉']);

    assert.deepEqual(rowsOf(file, "key = 'dup'"), [['ours', 'NULL']]);
    assert.deepEqual(rowsOf(file, "project = 'p' AND key = 'same'"), [['third', 'NULL']]);
    // Only the NULL-context row of p.n.k was replaced; '' and 'prod' are other addresses.
    assert.deepEqual(
      sqliteRows(file, "SELECT quote(context), value FROM kv WHERE project = 'p' AND key = 'k' ORDER BY context;"),
      [['NULL', 'replaced'], ["''", 'empty-context'], ["'prod'", 'prod-value']],
    );
    // The TTL namespace sqlite3 registered applies to our write.
    assert.deepEqual(sqliteRows(file, "SELECT expires_at - updated_at FROM kv WHERE key = 'new';"), [['3600']]);
    assert.deepEqual(sqliteRows(file, "SELECT value FROM kv WHERE project = 'default' AND namespace = 'fresh' AND key = 'key';"), [['ünï 🎉']]);
    // The Rust CLI's own read statement (first matching row) now sees our value.
    assert.deepEqual(sqliteRows(file, "SELECT value FROM kv WHERE project='default' AND namespace='default' AND key='dup' AND (context IS NULL);"), [['ours']]);

    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(headerFormatBytes(file), [2, 2]);
    assert.equal(sqlite3(file, 'PRAGMA journal_mode;').trim(), 'wal');
    assert.deepEqual(schemaObjects(file), EXPECTED_SCHEMA_OBJECTS);
    assert.deepEqual(masterRows(file), schemaBefore, 'sqlite_master (names and DDL text) must be unchanged');
    assert.deepEqual(listDir(path.dirname(file)), ['pronto.main.prdb'], 'no -wal, -shm, temp or lock files are left behind');
  });

  it('del removes every duplicate of an address', async () => {
    await box.ok(['del', 'dup']);
    assert.deepEqual(rowsOf(file, "key = 'dup'"), []);
    assert.equal((await box.run(['get', 'dup'])).code, 2);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('sqlite3 writes after ours are read back: both programs can take turns', async () => {
    await box.ok(['set', 'turn.one', 'ours']);
    sqlite3(file, "INSERT OR REPLACE INTO kv VALUES ('default','turn','two',NULL,'native',1,1,NULL);");
    assert.equal(fs.existsSync(`${file}-wal`), false);
    assert.equal(await box.ok(['get', 'turn.two']), 'native\n');
    await box.ok(['set', 'turn.three', 'ours again']);
    assert.deepEqual(sqliteRows(file, "SELECT key, value FROM kv WHERE namespace = 'turn' ORDER BY key;"), [
      ['one', 'ours'],
      ['three', 'ours again'],
      ['two', 'native'],
    ]);
    assert.equal(integrityCheck(file), 'ok');
  });
});

describe('interop: files we create', () => {
  it('open in sqlite3 with the exact schema, a WAL header and our data', async () => {
    await box.ok(['set', 'p.n.k', 'v1']);
    await box.ok(['set', 'p.n.k__ctx', 'v2']);
    await box.ok(['create-cache', 'p.t', '60']);
    await box.ok(['db', 'create', 'empty']);
    for (const file of [box.dbFile('main'), box.dbFile('empty')]) {
      assert.deepEqual(headerFormatBytes(file), [2, 2], `${file} header`);
      assert.equal(integrityCheck(file), 'ok');
      assert.deepEqual(schemaObjects(file), CREATED_SCHEMA_OBJECTS);
      assert.equal(sqlite3(file, 'PRAGMA journal_mode;').trim(), 'wal');
      assert.equal(sqlite3(file, 'PRAGMA user_version;').trim(), String(LATEST_SCHEMA_VERSION), 'a new file starts at the latest schema version');
      // The DDL is the Rust CLI's, up to whitespace, plus the latest migration's unique address index.
      const ddl = sqliteRows(file, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name;").map(([sql]) => normalize(sql!));
      const ddlOf = (text: string) => text.split(';').map((statement) => normalize(statement.replace(/IF NOT EXISTS /g, ''))).filter((statement) => statement && !statement.startsWith('PRAGMA'));
      const expected = [...ddlOf(SCHEMA_SQL), ...ddlOf(LATEST_SCHEMA_ADDITIONS)].sort();
      assert.deepEqual([...ddl].sort(), expected);
    }
    const main = box.dbFile('main');
    assert.deepEqual(sqliteRows(main, 'SELECT project, namespace, key, quote(context), value, typeof(created_at), typeof(expires_at) FROM kv ORDER BY context;'), [
      ['p', 'n', 'k', 'NULL', 'v1', 'integer', 'null'],
      ['p', 'n', 'k', "'ctx'", 'v2', 'integer', 'null'],
    ]);
    assert.deepEqual(sqliteRows(main, 'SELECT project, namespace, is_ttl, default_ttl, typeof(created_at) FROM sys_namespaces;'), [['p', 't', '1', '60', 'integer']]);
    // The Rust CLI's upsert works on our file (the primary key is intact).
    sqlite3(main, "INSERT OR REPLACE INTO kv VALUES ('p','n','k','ctx','rust',1,1,NULL);");
    assert.equal(await box.ok(['get', 'p.n.k__ctx']), 'rust\n');
  });
});

describe('interop: a database in rollback-journal mode', () => {
  it('keeps its journal mode: we never switch a file to WAL', async () => {
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(file, `${SCHEMA_SQL}\nINSERT INTO kv VALUES ('p','n','k',NULL,'native',1,1,NULL);`);
    assert.deepEqual(headerFormatBytes(file), [1, 1]);
    assert.equal(await box.ok(['get', 'p.n.k']), 'native\n');
    await box.ok(['set', 'p.n.k2', 'ours']);
    assert.deepEqual(headerFormatBytes(file), [1, 1]);
    assert.equal(sqlite3(file, 'PRAGMA journal_mode;').trim(), 'delete');
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(sqliteRows(file, 'SELECT key, value FROM kv ORDER BY key;'), [['k', 'native'], ['k2', 'ours']]);
  });
});

describe('interop: a pending -wal beside the file', () => {
  let file: string;
  let native: NativeSession | undefined;

  beforeEach(() => {
    file = box.dbFile('main');
    makeRustDatabase(file, "INSERT INTO kv VALUES ('default','default','base',NULL,'committed',1,1,NULL);");
  });

  afterEach(async () => {
    await native?.kill();
    native = undefined;
  });

  /** A native writer commits into -wal and never checkpoints: running, then killed (a crash). */
  async function leavePendingWal(): Promise<void> {
    native = new NativeSession(file);
    await native.exec("PRAGMA wal_autocheckpoint=0;\nINSERT INTO kv VALUES ('default','default','walkey',NULL,'only in the wal',2,2,NULL);");
    assert.ok(fs.statSync(`${file}-wal`).size > 0, 'the -wal holds the native commit');
  }

  async function assertWriteRefused(): Promise<void> {
    const main = snapshot(file)!;
    const wal = snapshot(`${file}-wal`)!;
    const stderr = await box.fails(['set', 'ours', 'lost?'], { via: 'spawn' });
    assert.match(stderr, /checkpoint/i);
    assert.ok(stderr.includes(`${file}-wal`), `the message should name the -wal file: ${stderr}`);
    assert.ok(snapshot(file)!.equals(main), 'the database file must be left byte-identical');
    assert.ok(snapshot(`${file}-wal`)!.equals(wal), 'the -wal must be left byte-identical');

    const pronto = new ProntoDB({ env: box.env, cwd: box.root });
    try {
      const session = await pronto.open();
      await assert.rejects(session.set('ours', 'lost?'), (error: unknown) => isProntoError(error, 'wal-pending'));
      assert.match((session.store as { staleReadWarning?: string }).staleReadWarning ?? '', /stale/);
    } finally {
      await pronto.close();
    }
    assert.ok(snapshot(file)!.equals(main) && snapshot(`${file}-wal`)!.equals(wal));

    // Reads still work (from the file as last checkpointed), with a warning that they may be stale.
    const read = await box.run(['get', 'base']);
    assert.deepEqual([read.code, read.stdout], [0, 'committed\n']);
    assert.match(read.stderr, /stale/);
  }

  it('refuses writes while the native writer is still running, and after it crashed (SIGKILL)', async () => {
    await leavePendingWal();
    await assertWriteRefused();
    await native!.kill();
    assert.ok(fs.statSync(`${file}-wal`).size > 0, 'a crashed writer leaves its -wal');
    await assertWriteRefused();
  });

  it('accepts writes again once the -wal is checkpointed, and nothing is lost', async () => {
    await leavePendingWal();
    await native!.kill();
    sqlite3(file, 'PRAGMA wal_checkpoint(TRUNCATE);');
    await box.ok(['set', 'ours', 'kept']);
    assert.deepEqual(sqliteRows(file, 'SELECT key, value FROM kv ORDER BY key;'), [
      ['base', 'committed'],
      ['ours', 'kept'],
      ['walkey', 'only in the wal'],
    ]);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('does not write while a native process holds the database open with an empty -wal (no update is lost)', async () => {
    // A native connection that has only read: WAL mode leaves an empty -wal and a -shm while it is open.
    native = new NativeSession(file);
    await native.exec('SELECT count(*) FROM kv;');
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
    const ours = await box.run(['set', 'ours', 'acknowledged?']);
    // The native process now writes and exits normally.
    await native.exec("INSERT INTO kv VALUES ('default','default','native',NULL,'native write',3,3,NULL);");
    await native.quit();
    const keys = sqliteRows(file, 'SELECT key FROM kv ORDER BY key;').map(([key]) => key);
    assert.ok(keys.includes('native'), `the native process's committed write was lost (keys: ${keys.join(', ')})`);
    if (ours.code === 0) assert.ok(keys.includes('ours'), `our acknowledged write was lost (keys: ${keys.join(', ')})`);
    else assert.match(ours.stderr, /checkpoint|open|in use/i);
    assert.equal(integrityCheck(file), 'ok');
  });
});

describe('interop: files that are not ProntoDB databases are refused and left untouched', () => {
  const file = () => box.dbFile('main');

  /** Every command fails with the expected message and the file (and its folder) stay as they were. */
  async function assertRefused(pattern: RegExp): Promise<void> {
    const bytes = snapshot(file())!;
    const folder = listDir(path.dirname(file()));
    const [set, get, keys, imported] = await Promise.all([
      box.fails(['set', 'k', 'v']),
      box.fails(['get', 'k']),
      box.fails(['keys']),
      box.fails(['import', '-', '--format', 'csv'], { input: 'project,namespace,key,context,value\np,n,k,,v\n' }),
    ]);
    for (const stderr of [set, get, keys, imported]) {
      assert.match(stderr, pattern);
      assert.ok(stderr.includes(file()), `the error should name the file: ${stderr}`);
    }
    assert.ok(snapshot(file())!.equals(bytes), 'the file must be left byte-identical');
    assert.deepEqual(listDir(path.dirname(file())), folder, 'no temp, lock or sidecar files are left behind');
  }

  function write(bytes: Buffer): void {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), bytes);
  }

  /** A valid ProntoDB file with enough rows to span several pages. */
  function validDatabase(): Buffer {
    const scratch = box.path('scratch.prdb');
    const rows = Array.from({ length: 60 }, (_, i) => `INSERT INTO kv VALUES ('p','n','k${i}',NULL,'${'x'.repeat(300)}',1,1,NULL);`).join('\n');
    makeRustDatabase(scratch, rows);
    return fs.readFileSync(scratch);
  }

  it('a text file', async () => {
    write(Buffer.from('this is not a database\n'.repeat(20)));
    await assertRefused(/not an SQLite database/);
  });

  it('a file shorter than the SQLite header', async () => {
    write(validDatabase().subarray(0, 50));
    await assertRefused(/not an SQLite database/);
  });

  it('a truncated SQLite file', async () => {
    const valid = validDatabase();
    assert.ok(valid.length > 4 * 4096);
    write(valid.subarray(0, 2 * 4096));
    await assertRefused(/corrupt|malformed/);
  });

  it('an SQLite file with a corrupted page', async () => {
    const valid = Buffer.from(validDatabase());
    // Overwrite one of kv's leaf pages (pages 7.. hold its rows; the last one is a kv leaf) with garbage.
    const pageSize = valid.readUInt16BE(16);
    const page = valid.length / pageSize - 2;
    for (let offset = page * pageSize; offset < (page + 1) * pageSize; offset++) valid[offset] = (offset * 131 + 7) & 0xff;
    write(valid);
    assert.notEqual(integrityCheck(file()), 'ok');
    const bytes = snapshot(file())!;
    const stderr = await box.fails(['set', 'k', 'v']);
    assert.match(stderr, /corrupt|malformed/);
    assert.ok(snapshot(file())!.equals(bytes), 'the file must be left byte-identical');
  });

  it('an SQLite database with a foreign schema', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    sqlite3(file(), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hello');");
    await assertRefused(/not a ProntoDB/);
    assert.deepEqual(sqliteRows(file(), 'SELECT name FROM sqlite_master;'), [['notes']]);
  });

  it('a kv table with other columns', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    sqlite3(file(), 'CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT);');
    await assertRefused(/kv.*columns/);
  });

  it('an empty (0-byte) file is an empty database, as for the Rust CLI', async () => {
    write(Buffer.alloc(0));
    await box.ok(['set', 'k', 'v']);
    assert.equal(integrityCheck(file()), 'ok');
    assert.deepEqual(schemaObjects(file()), CREATED_SCHEMA_OBJECTS);
  });
});

function normalize(sql: string): string {
  return sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
}
