/**
 * Copying whole databases between locations (src/core/copy.ts) and the backups and restores of
 * server databases built on it (src/core/serverBackup.ts), against real SQLite files (seeded and
 * checked with the system `sqlite3`) and a real PostgreSQL server (test/helpers/postgres.ts).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import postgres from 'postgres';
import { copyDatabase, type CopyLocation, resolveCopyLocation } from '../../src/core/copy';
import { isProntoError, usageError } from '../../src/core/errors';
import { postgresDatabaseLocation } from '../../src/core/postgres/location';
import type { ProntoDB } from '../../src/core/pronto';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { makeTempHome, type TempHome } from '../helpers/tempHome';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (project TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, context TEXT, value TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY (project, namespace, key, context));
CREATE TABLE IF NOT EXISTS sys_namespaces (project TEXT NOT NULL, namespace TEXT NOT NULL, is_ttl BOOLEAN NOT NULL DEFAULT 0,
  default_ttl INTEGER, created_at INTEGER NOT NULL, PRIMARY KEY (project, namespace));
CREATE INDEX IF NOT EXISTS idx_kv_expiry ON kv(expires_at) WHERE expires_at IS NOT NULL;`;

const NOW = Math.floor(Date.now() / 1000);
const FUTURE = NOW + 86_400 * 30;

/** Values whose bytes must survive: every COPY escape, NUL-free control characters, a BOM, astral characters, nothing at all. */
const AWKWARD_VALUES = ['plain', '', 'tab\there', 'line\nbreak\r\ncrlf\rcr', 'back\\slash \\N \\x41', '\ufeffbom', 'emoji 😀 ü ß 中', '{"json": [1, 2]}', ' spaced '];

function sqlQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A Rust-CLI-schema file written by the system sqlite3: `''` and NULL contexts, old timestamps, one expired row, a TTL namespace. */
function seedFile(file: string, extraRows = 0): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rows: string[] = [];
  AWKWARD_VALUES.forEach((value, i) => {
    rows.push(`('app', 'config', 'k${i}', NULL, ${sqlQuote(value)}, ${1_600_000_000 + i}, ${1_650_000_000 + i}, NULL)`);
  });
  rows.push(`('app', 'config', 'k0', '', 'empty context', 1600000100, 1600000200, NULL)`);
  rows.push(`('app', 'config', 'k0', 'prod', 'a context', 1600000300, 1600000400, ${FUTURE})`);
  rows.push(`('meta.proj', 'ns', 'key', NULL, 'under a meta context', 1500000000, 1500000001, NULL)`);
  rows.push(`('app', 'cache', 'gone', NULL, 'expired', 1600000000, 1600000000, ${NOW - 10})`);
  rows.push(`('app', 'cache', 'live', NULL, 'cached', 1600000000, 1600000001, ${FUTURE})`);
  for (let i = 0; i < extraRows; i++) rows.push(`('bulk', 'rows', 'key${String(i).padStart(6, '0')}', NULL, 'value ${i}', ${1_600_000_000 + i}, ${1_600_000_000 + i}, NULL)`);
  const inserts: string[] = [];
  for (let i = 0; i < rows.length; i += 500) inserts.push(`INSERT INTO kv VALUES ${rows.slice(i, i + 500).join(', ')};`);
  execFileSync('sqlite3', [file], {
    input: `${SCHEMA}\nBEGIN;\n${inserts.join('\n')}\nINSERT INTO sys_namespaces VALUES ('app', 'cache', 1, 3600, 1599999999);\nCOMMIT;\n`,
  });
}

/** Every row of a SQLite file as text (values in hex), sorted; with `live`, without expired rows. */
function fileRows(file: string, live = true): string[] {
  const where = live ? `WHERE expires_at IS NULL OR expires_at > ${NOW}` : '';
  const out = execFileSync('sqlite3', [file, `SELECT project, namespace, key, quote(context), hex(value), created_at, updated_at, quote(expires_at) FROM kv ${where} ORDER BY 1, 2, 3, 4`], {
    encoding: 'utf8',
  });
  // Sorted here, as serverRows sorts: SQL would order the quoted contexts differently.
  return out.split('\n').filter(Boolean).sort();
}

function fileTtl(file: string): string {
  return execFileSync('sqlite3', [file, 'SELECT project, namespace, is_ttl, default_ttl, created_at FROM sys_namespaces ORDER BY 1, 2'], { encoding: 'utf8' }).trim();
}

describe('copy: whole databases between files and servers', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let teamUrl: string;
  let admin: postgres.Sql;
  let home: TempHome;
  let pronto: ProntoDB;
  let counter = 0;

  before(async function () {
    cluster = await startPostgres();
    teamUrl = (await cluster.createRoleAndDatabase('dana', 'team')).url;
    admin = postgres(cluster.url({ database: 'team' }), { max: 1, onnotice: () => undefined, fetch_types: false });
  });

  after(async () => {
    await admin?.end({ timeout: 1 });
    cluster?.destroy();
  });

  beforeEach(() => {
    home = makeTempHome();
    pronto = home.pronto();
  });

  afterEach(() => home.cleanup());

  const serverDb = (name = `copy${++counter}`): string => postgresDatabaseLocation(teamUrl, name, usageError);
  const at = (text: string, role: 'source' | 'target' = 'source', server?: string): CopyLocation => resolveCopyLocation(pronto, text, role, server);

  /** The rows of a server database as fileRows shows a file's. */
  async function serverRows(name: string): Promise<string[]> {
    const rows = await admin.unsafe(
      `SELECT project, namespace, key, CASE WHEN context IS NULL THEN 'NULL' ELSE '''' || replace(context, '''', '''''') || '''' END AS context,
              upper(encode(value, 'hex')) AS value, created_at, updated_at, coalesce(expires_at::text, 'NULL') AS expires_at
         FROM "prontodb_${name}".kv ORDER BY project, namespace, key, context_key`,
    );
    return rows.map((r) => [r.project, r.namespace, r.key, r.context, r.value, r.created_at, r.updated_at, r.expires_at].join('|')).sort();
  }

  async function serverTtl(name: string): Promise<string> {
    const rows = await admin.unsafe(`SELECT project, namespace, is_ttl::int AS t, default_ttl, created_at FROM "prontodb_${name}".sys_namespaces ORDER BY 1, 2`);
    return rows.map((r) => [r.project, r.namespace, r.t, r.default_ttl, r.created_at].join('|')).join('\n');
  }

  it('file → server → file keeps every live row exactly (NULL and empty contexts, value bytes, timestamps, expiry) and the TTL namespaces; expired rows stay behind', async () => {
    const source = path.join(home.home, 'source.prdb');
    seedFile(source);
    const expected = fileRows(source);
    assert.equal(fileRows(source, false).length, expected.length + 1, 'the seed holds one expired row');

    const name = `exact${++counter}`;
    const result = await copyDatabase(pronto, at(source), at(serverDb(name), 'target'));
    assert.deepEqual(result, { entries: expected.length, ttlNamespaces: 1 });
    assert.deepEqual(await serverRows(name), expected);
    assert.equal(await serverTtl(name), 'app|cache|1|3600|1599999999');

    const back = path.join(home.home, 'back', 'copy.prdb');
    fs.mkdirSync(path.dirname(back));
    await copyDatabase(pronto, at(serverDb(name)), at(back, 'target'));
    assert.deepEqual(fileRows(back, false), expected, 'the file written from the server holds exactly the live rows');
    assert.equal(fileTtl(back), 'app|cache|1|3600|1599999999');
    assert.equal(execFileSync('sqlite3', [back, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim(), 'ok');
  });

  it('server → server, and bare names mean the named databases of the --database-url server', async () => {
    const source = path.join(home.home, 'source.prdb');
    seedFile(source);
    await copyDatabase(pronto, at(source), at(serverDb('srcA'), 'target'));
    await copyDatabase(pronto, at('srcA', 'source', teamUrl), at('dstA', 'target', teamUrl));
    assert.deepEqual(await serverRows('dstA'), await serverRows('srcA'));
    assert.deepEqual(await serverRows('dstA'), fileRows(source));
    // Without a server, a bare name is a database of the data directory.
    await copyDatabase(pronto, at('dstA', 'source', teamUrl), at('local', 'target'));
    assert.deepEqual(fileRows(pronto.home.databaseLocation('local'), false), fileRows(source));
  });

  it('refuses a target that holds data, changing nothing; with replace, its contents are replaced in one commit', async () => {
    const source = path.join(home.home, 'source.prdb');
    seedFile(source);
    const name = `full${++counter}`;
    const target = pronto.home.databaseLocation('filled');
    for (const location of [serverDb(name), target]) {
      const session = await pronto.open({ database: undefined, cursor: undefined, ...(location.startsWith('postgres') ? { databaseUrl: location } : { database: 'filled' }) });
      await session.set('old.stuff.here', 'old value');
      await assert.rejects(copyDatabase(pronto, at(source), at(location, 'target')), (error: Error) => isProntoError(error) && error.code === 'conflict' && /not empty.*--replace/.test(error.message));
      assert.equal((await session.get('old.stuff.here'))?.value, 'old value');
      await copyDatabase(pronto, at(source), at(location, 'target'), { replace: true });
      assert.equal(await session.get('old.stuff.here'), undefined, 'replace removes what the target held');
    }
    assert.deepEqual(await serverRows(name), fileRows(source));
    assert.deepEqual(fileRows(target, false), fileRows(source));
  });

  it('a cancelled copy leaves the target as it was: nothing of the rows, and no new database', async () => {
    const source = path.join(home.home, 'big.prdb');
    seedFile(source, 20_000);
    const existing = `cancel${++counter}`;
    const session = await pronto.open({ databaseUrl: serverDb(existing) });
    await session.set('keep.this.one', 'kept');
    for (const [target, replace] of [
      [serverDb(existing), true],
      [serverDb(`fresh${++counter}`), false],
      [path.join(home.home, 'fresh.prdb'), false],
      ['freshnamed', false],
    ] as const) {
      const abort = new AbortController();
      const seen: number[] = [];
      await assert.rejects(
        copyDatabase(pronto, at(source), at(target, 'target'), {
          replace,
          signal: abort.signal,
          onProgress: ({ done }) => {
            seen.push(done);
            if (done > 0) abort.abort();
          },
        }),
        (error: Error) => isProntoError(error) && error.code === 'cancelled',
      );
      assert.ok(seen.some((done) => done > 0), `${target}: progress was reported mid-way (${seen.join(', ')})`);
      const location = at(target, 'target').location;
      if (target === serverDb(existing)) {
        assert.deepEqual((await session.store.projects()).sort(), ['keep']);
      } else {
        assert.equal(await pronto.backendFor(location).exists(location), false, `${at(target, "target").shown} was not left behind`);
      }
    }
    assert.equal(fs.existsSync(path.dirname(pronto.home.databaseLocation('freshnamed'))), false, 'no folder left for the new named database');
  });

  it("records the copy in the target's audit log when the log is on", async () => {
    const source = path.join(home.home, 'source.prdb');
    seedFile(source);
    const name = `audited${++counter}`;
    const store = await pronto.store(serverDb(name));
    await store.configureAudit({ enabled: true });
    await copyDatabase(pronto, at(source), at(serverDb(name), 'target'), { actor: { user: 'erin' } });
    const [record] = await store.auditRecords({ limit: 1 });
    assert.equal(record?.operation, 'copy');
    assert.equal(record?.user, 'erin');
    assert.match(record?.detail ?? '', /from .*source\.prdb: 13 entries, 1 TTL namespaces/);
  });

  it('refuses bad locations with a clear error: the same database twice, a malformed URL, an unknown scheme, a bad name, a missing source', async () => {
    const source = path.join(home.home, 'source.prdb');
    seedFile(source);
    const usage = (pattern: RegExp) => (error: Error) => isProntoError(error) && error.code === 'usage' && pattern.test(error.message);
    await assert.rejects(copyDatabase(pronto, at(source), at(source, 'target')), usage(/same database/));
    await assert.rejects(copyDatabase(pronto, at(serverDb('same')), at(serverDb('same').replace('postgres://', 'postgresql://'), 'target')), usage(/same database/));
    assert.throws(() => at('postgres://host/a/b'), usage(/more than one database/));
    assert.throws(() => at('mysql://host/db'), usage(/No backend for mysql:\/\//));
    assert.throws(() => at('no such name!', 'target'), usage(/neither a database name, a file path nor a postgres:\/\/ URL/));
    await assert.rejects(copyDatabase(pronto, at('absent'), at(serverDb(), 'target')), (error: Error) => isProntoError(error) && error.code === 'not-found' && /absent/.test(error.message));
    await assert.rejects(copyDatabase(pronto, at(serverDb('nothere')), at('x', 'target')), (error: Error) => isProntoError(error) && error.code === 'not-found');
  });

  it('a bulk import into an empty server database that races a writer of one of its addresses retries as a merge: nothing lost, nothing doubled', async () => {
    const name = `race${++counter}`;
    const store = await pronto.store(serverDb(name));
    await store.initialize();
    const entries = Array.from({ length: 5000 }, (_, i) => ({ project: 'bulk', namespace: 'rows', key: `k${String(i).padStart(5, '0')}`, context: null, value: `imported ${i}`, createdAt: 1, updatedAt: 2, expiresAt: null }));
    // Another machine's write of k04000, not committed yet: invisible, so the import sees an empty table and copies straight in.
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const holding = new Promise<void>((resolve) => (inserted = resolve));
    const other = postgres(cluster.url({ database: 'team' }), { max: 1, onnotice: () => undefined, fetch_types: false });
    const written = other.begin(async (tx) => {
      await tx.unsafe(`INSERT INTO "prontodb_${name}".kv (project, namespace, key, context, value, created_at, updated_at) VALUES ('bulk', 'rows', 'k04000', NULL, '\\x6f74686572', 5, 5)`);
      inserted();
      await committing;
    });
    await holding;
    const importing = store.importEntries(entries, [], { preserveTimestamps: true });
    // The COPY waits on the uncommitted row; once it commits, the COPY's row is a duplicate.
    for (let i = 0; i < 200; i++) {
      const waiting = await admin.unsafe(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'prontodb' AND wait_event_type = 'Lock'`);
      if (waiting.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    commit();
    await written;
    await other.end({ timeout: 1 });
    assert.equal(await importing, 5000);
    const rows = await serverRows(name);
    assert.equal(rows.length, 5000);
    assert.ok(rows.includes('bulk|rows|k04000|NULL|' + Buffer.from('imported 4000').toString('hex').toUpperCase() + '|1|2|NULL'), 'the import, which committed last, wins');
  });

  describe('backups of server databases', () => {
    it('writes the file archive format: restored into a file database it reads the same (system sqlite3), and back into a server', async () => {
      const source = path.join(home.home, 'source.prdb');
      seedFile(source);
      await copyDatabase(pronto, at(source), at(serverDb('archived'), 'target'));
      const outputDir = path.join(home.home, 'backups');
      const made = await pronto.backupDatabase('archived', { outputDir }, teamUrl);
      assert.match(path.basename(made.file), /^prontodb_archived_\d{8}\.tar\.gz$/);
      const listing = execFileSync('tar', ['tzf', made.file], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      assert.deepEqual(listing, ['archived/', 'archived/pronto.archived.prdb']);

      // Into the data directory, as a file backup would be restored.
      const restored = await pronto.restoreDatabase(made.file, { safetyDir: outputDir, target: 'fromserver' });
      assert.equal(restored.database, 'fromserver');
      const file = pronto.home.databaseLocation('fromserver');
      assert.deepEqual(fileRows(file, false), fileRows(source));
      assert.equal(fileTtl(file), 'app|cache|1|3600|1599999999');
      assert.equal(execFileSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim(), 'ok');

      // Into another server database, replacing what it held after a safety copy of it.
      const session = await pronto.open({ databaseUrl: serverDb('restored') });
      await session.set('old.stuff.here', 'old');
      const back = await pronto.restoreDatabase(made.file, { safetyDir: outputDir, target: 'restored' }, {}, teamUrl);
      assert.ok(back.safetyCopy && fs.existsSync(back.safetyCopy), 'a safety copy of the replaced contents');
      assert.deepEqual(await serverRows('restored'), fileRows(source));
      // The safety copy is an archive like any other: it holds the old value.
      const check = await pronto.restoreDatabase(back.safetyCopy, { safetyDir: outputDir, target: 'safety' });
      assert.equal((await (await pronto.open({ database: check.database })).get('old.stuff.here'))?.value, 'old');
    });

    it('a file database archive restores into a server database', async () => {
      const file = pronto.home.databaseLocation('local');
      seedFile(file);
      const outputDir = path.join(home.home, 'backups');
      const made = await pronto.backupDatabase('local', { outputDir });
      await pronto.restoreDatabase(made.file, { safetyDir: outputDir }, {}, teamUrl);
      assert.deepEqual(await serverRows('local'), fileRows(file));
    });

    it('a restore cut halfway (its connection killed while rows are going in) leaves the old contents', async () => {
      const file = pronto.home.databaseLocation('big');
      seedFile(file, 30_000);
      const outputDir = path.join(home.home, 'backups');
      const made = await pronto.backupDatabase('big', { outputDir });
      const session = await pronto.open({ databaseUrl: serverDb('victim1') });
      await session.set('old.stuff.here', 'old');
      // An uncommitted row with the key of the archive's 15,001st row: the restore's COPY stops there, half done, waiting for it.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const blocker = postgres(cluster.url({ database: 'team' }), { max: 1, onnotice: () => undefined, fetch_types: false });
      let inserted!: () => void;
      const holding = new Promise<void>((resolve) => (inserted = resolve));
      const blocked = blocker
        .begin(async (tx) => {
          await tx.unsafe(`INSERT INTO "prontodb_victim1".kv (project, namespace, key, context, value, created_at, updated_at) VALUES ('bulk', 'rows', 'key015000', NULL, '\\x00', 0, 0)`);
          inserted();
          await released;
          throw new Error('rolled back on purpose');
        })
        .catch(() => undefined);
      await holding;
      const progress: string[] = [];
      const restoring = pronto.restoreDatabase(made.file, { safetyDir: outputDir, target: 'victim1', onProgress: (_fraction, message) => progress.push(message) }, {}, teamUrl);
      let waiting: postgres.Row[] = [];
      for (let i = 0; i < 200 && waiting.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        waiting = await admin.unsafe(`SELECT pid FROM pg_stat_activity WHERE application_name = 'prontodb' AND wait_event_type = 'Lock'`);
      }
      assert.equal(waiting.length, 1, 'the restore is waiting on the held row');
      assert.ok(progress.some((line) => /Restored [1-9]\d* of 30013 entries/.test(line)), `rows were going in: ${progress.join('; ')}`);
      await admin.unsafe(`SELECT pg_terminate_backend(${waiting[0]!.pid})`);
      await assert.rejects(restoring, (error: Error) => isProntoError(error) && /Cannot reach the server/.test(error.message));
      release();
      await blocked;
      await blocker.end({ timeout: 1 });
      const rows = await serverRows('victim1');
      assert.deepEqual(rows.length, 1, `only the old row: ${rows.slice(0, 3).join(', ')}`);
      assert.match(rows[0]!, /^old\|stuff\|here\|NULL\|6F6C64\|/);
    });

    it('a restore cut halfway (the server killed) leaves the old contents', async () => {
      const file = pronto.home.databaseLocation('big');
      seedFile(file, 30_000);
      const outputDir = path.join(home.home, 'backups');
      const made = await pronto.backupDatabase('big', { outputDir });
      const session = await pronto.open({ databaseUrl: serverDb('victim2') });
      await session.set('old.stuff.here', 'old');
      let fired = false;
      await assert.rejects(
        pronto.restoreDatabase(
          made.file,
          {
            safetyDir: outputDir,
            target: 'victim2',
            onProgress: (_fraction, message) => {
              // SIGKILL, at once: the transaction is mid-COPY when the server goes.
              if (fired || !/Restored [1-9]\d* of 30013/.test(message)) return;
              fired = true;
              cluster.kill();
            },
          },
          {},
          teamUrl,
        ),
        (error: Error) => isProntoError(error) && /Cannot reach the server/.test(error.message),
      );
      assert.ok(fired, 'the restore was cut while rows were being written');
      cluster.start();
      await admin.end({ timeout: 1 });
      admin = postgres(cluster.url({ database: 'team' }), { max: 1, onnotice: () => undefined, fetch_types: false });
      const rows = await serverRows('victim2');
      assert.equal(rows.length, 1, `only the old row: ${rows.slice(0, 3).join(', ')}`);
      assert.match(rows[0]!, /^old\|stuff\|here\|NULL\|6F6C64\|/);
    });
  });
});
