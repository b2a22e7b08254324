/**
 * The KvStore contract against a real PostgreSQL server (test/helpers/postgres.ts): each test gets a
 * ProntoDB database of its own (a schema) on one throwaway cluster, as a login role that owns its
 * PostgreSQL database and nothing else; two stores on it act as two processes or machines.
 */
import * as assert from 'node:assert/strict';
import postgres from 'postgres';
import { PostgresBackend } from '../../src/core/postgres/backend';
import { canonicalPostgresLocation, parsePostgresLocation, postgresDatabaseLocation } from '../../src/core/postgres/location';
import { isProntoError, usageError } from '../../src/core/errors';
import { commandLineSelection } from '../../src/core/resolution';
import type { KvStore } from '../../src/core/store';
import { makeTempHome } from '../helpers/tempHome';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { at, kvStoreContract } from './contract/kvStoreContract';

let cluster: PostgresCluster;
let teamUrl: string;
let counter = 0;

before(async function () {
  this.timeout(120_000);
  cluster = await startPostgres();
  teamUrl = (await cluster.createRoleAndDatabase('alice', 'team')).url;
  await cluster.admin([`CREATE ROLE contract_reader LOGIN PASSWORD 'reader-pw'`]);
});

after(() => cluster?.destroy());

kvStoreContract('PostgreSQL store', async (now) => {
  const location = postgresDatabaseLocation(teamUrl, `contract${++counter}`, usageError);
  const backend = new PostgresBackend({ now });
  const open = (): KvStore => backend.createStore(location);
  return {
    open,
    openAnother: open,
    // Another role with the reader's privileges of docs/postgres/roles.sql (SELECT only), granted by the owner.
    openReadOnly: async () => {
      const { schema, database } = parsePostgresLocation(location, usageError);
      const owner = postgres(teamUrl, { max: 1, onnotice: () => undefined, fetch_types: false });
      try {
        await owner.unsafe(`GRANT USAGE ON SCHEMA "${schema}" TO contract_reader`);
        await owner.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO contract_reader`);
      } finally {
        await owner.end({ timeout: 1 });
      }
      return backend.createStore(cluster.url({ user: 'contract_reader', password: 'reader-pw', database: 'team', prontodb: database }));
    },
    cleanup: async () => {
      if (await backend.exists(location)) await backend.atServer(teamUrl).deleteDatabase(parsePostgresLocation(location, usageError).database);
    },
  };
});

describe('PostgreSQL locations and named databases', function () {
  this.timeout(30_000);

  it('reads postgres:// and postgresql:// URLs, the ProntoDB database in ?prontodb=, main by default', () => {
    const parsed = parsePostgresLocation('postgresql://bob:s3cret@h1:5432,h2:5433/team?target_session_attrs=read-write&prontodb=notes', usageError);
    assert.deepEqual([parsed.serverUrl, parsed.database, parsed.schema], ['postgres://bob:s3cret@h1:5432,h2:5433/team?target_session_attrs=read-write', 'notes', 'prontodb_notes']);
    assert.equal(parsePostgresLocation('postgres://h/team', usageError).database, 'main');
    assert.equal(canonicalPostgresLocation('postgresql://h/team?prontodb=main', usageError), 'postgres://h/team');
    assert.equal(postgresDatabaseLocation('postgres://h/team?sslmode=require&prontodb=x', 'y', usageError), 'postgres://h/team?sslmode=require&prontodb=y');
    for (const [bad, why] of [
      ['postgres://u:pw@h/team?prontodb=bad/name', /invalid/],
      ['postgres://u:pw@h/team?prontodb=' + 'x'.repeat(55), /at most 54 characters/],
      ['postgres://u:pw@h/a/b', /more than one database/],
    ] as const) {
      assert.throws(
        () => parsePostgresLocation(bad, usageError, 'cursor \'t\''),
        (error: unknown) => isProntoError(error, 'usage') && why.test(error.message) && !error.message.includes(':pw@') && error.message.includes("cursor 't'"),
        bad,
      );
    }
  });

  it('--database-url and PRONTODB_DATABASE_URL select a database on a server; with --database, that server\'s named database', async () => {
    const U = 'postgres://u:pw@h/team';
    assert.deepEqual(commandLineSelection({ flags: { databaseUrl: U }, env: {} }), { database: undefined, databaseUrl: U, cursor: undefined, user: undefined });
    assert.deepEqual(commandLineSelection({ flags: { database: 'notes' }, env: { PRONTODB_DATABASE_URL: U } }), { database: 'notes', databaseUrl: U, cursor: undefined, user: undefined });
    assert.deepEqual(commandLineSelection({ flags: { cursor: 'c' }, env: { PRONTODB_DATABASE_URL: U } }), { database: undefined, cursor: 'c', user: undefined }, 'a --cursor flag outranks the environment');
    assert.equal(commandLineSelection({ flags: {}, env: { PRONTODB_DATABASE_URL: U, PRONTODB_DATABASE_PATH: '/x.prdb' } }).databaseUrl, U);
    const temp = makeTempHome();
    try {
      const pronto = temp.pronto();
      const plain = pronto.resolve({ databaseUrl: U });
      assert.deepEqual([plain.location, plain.origin, plain.source, plain.databaseName], [U, 'database-url', 'database URL', undefined]);
      const named = pronto.resolve({ databaseUrl: U, database: 'notes' });
      assert.deepEqual([named.location, named.origin, named.source, named.databaseName], ['postgres://u:pw@h/team?prontodb=notes', 'database', '--database on postgres://u:***@h/team', undefined]);
      assert.equal(pronto.backendFor(named.location).title, 'PostgreSQL server');
      assert.throws(() => pronto.resolve({ databaseUrl: temp.home + '/x.prdb', database: 'notes' }), (error: unknown) => isProntoError(error, 'usage') && /is not a server/.test(error.message));
    } finally {
      await temp.cleanup();
    }
  });

  it('creates, lists and deletes named databases side by side on one server, each a schema', async () => {
    const server = new PostgresBackend().atServer(teamUrl);
    const before = (await server.listDatabases()).map((db) => db.name);
    for (const name of ['side-a', 'side.b']) {
      const location = await server.prepareDatabase(name);
      const store = await server.openStore(location);
      await store.set(at('p', 'n', 'k'), name);
      await store.close();
    }
    await assert.rejects(server.prepareDatabase('side-a'), (error) => isProntoError(error, 'conflict'));
    const listed = (await server.listDatabases()).filter((db) => !before.includes(db.name));
    assert.deepEqual(listed.map((db) => [db.name, db.location]), [
      ['side-a', postgresDatabaseLocation(teamUrl, 'side-a', usageError)],
      ['side.b', postgresDatabaseLocation(teamUrl, 'side.b', usageError)],
    ]);
    assert.ok(listed.every((db) => db.size > 0));
    // Each holds its own value; the schemas are what PostgreSQL shows.
    const reader = await server.openStore(server.databaseLocation('side.b'));
    assert.equal((await reader.get(at('p', 'n', 'k')))?.value, 'side.b');
    const sql = postgres(teamUrl, { max: 1, onnotice: () => undefined });
    const schemas = (await sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'prontodb_side%' ORDER BY 1`).map((row) => row.nspname as string);
    assert.deepEqual(schemas, ['prontodb_side-a', 'prontodb_side.b']);
    await server.deleteDatabase('side-a');
    assert.equal(await server.exists(server.databaseLocation('side-a')), false);
    assert.equal(await server.exists(server.databaseLocation('side.b')), true);
    await reader.close();
    await server.deleteDatabase('side.b');
    await sql.end();
  });

  it('a database dropped under an open store reads as empty, and the next write makes it again', async () => {
    const server = new PostgresBackend().atServer(teamUrl);
    const store = await server.openStore(server.databaseLocation('dropped'));
    await store.set(at('p', 'n', 'k'), 'v');
    await server.deleteDatabase('dropped');
    assert.equal(await store.get(at('p', 'n', 'k')), undefined);
    await store.set(at('p', 'n', 'k'), 'again');
    assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'again');
    await store.close();
    await server.deleteDatabase('dropped');
  });

  it('change notifications survive a server killed and restarted: the listener reconnects, says so, and reads are current', async function () {
    this.timeout(90_000);
    const lines: string[] = [];
    const backend = new PostgresBackend({ log: (line) => lines.push(line) });
    const location = postgresDatabaseLocation(teamUrl, 'restarted', usageError);
    const watcher = backend.createStore(location);
    const writer = backend.createStore(location);
    const events: string[] = [];
    const subscription = watcher.onDidChange((event) => events.push(event.origin));
    const waitFor = async (condition: () => boolean, ms: number): Promise<boolean> => {
      for (const start = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 50))) if (Date.now() - start > ms) return false;
      return true;
    };
    /** Writes until the watcher hears one: it starts listening a moment after subscribing (or reconnecting). */
    const heard = async (value: string): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        events.length = 0;
        await writer.set(at('p', 'n', 'k'), value);
        if (await waitFor(() => events.includes('external'), 1000)) return;
        assert.ok(attempt < 20, `no change event for a write of '${value}' (log: ${lines.join(' | ')})`);
      }
    };
    try {
      await heard('before');
      cluster.kill();
      assert.ok(await waitFor(() => lines.some((line) => line.startsWith('Lost the')), 30_000), 'the lost connection is logged');
      await assert.rejects(writer.set(at('p', 'n', 'k'), 'while down'), (error: unknown) => isProntoError(error, 'io') && /^Cannot reach the server of /.test(error.message));
      events.length = 0;
      // Backends of the killed postmaster may hold its shared memory a moment longer.
      for (let attempt = 1; ; attempt++) {
        try {
          cluster.start();
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      assert.ok(
        await waitFor(() => lines.some((line) => line.startsWith('Listening for changes')) && events.includes('external'), 30_000),
        `listening again, reported as a change (log: ${lines.join(' | ')})`,
      );
      await heard('after');
      assert.equal((await watcher.get(at('p', 'n', 'k')))?.value, 'after');
      assert.ok(lines.every((line) => !line.includes(new URL(teamUrl).password)), lines.join('\n'));
    } finally {
      subscription.dispose();
      await watcher.close();
      await writer.close();
    }
    await backend.atServer(teamUrl).deleteDatabase('restarted');
  });

  it('says which server cannot be reached, without its password', async () => {
    const backend = new PostgresBackend();
    const store = await backend.openStore('postgres://bob:hunter2@127.0.0.1:1/team?connect_timeout=2');
    await assert.rejects(store.get(at('p', 'n', 'k')), (error: unknown) => {
      assert.ok(isProntoError(error, 'io'), String(error));
      assert.match(error.message, /^Cannot reach the server of postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/team\?connect_timeout=2: /);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
    await store.close();
    const wrongPassword = await backend.openStore(cluster.url({ user: 'alice', password: 'not-it', database: 'team' }));
    await assert.rejects(wrongPassword.set(at('p', 'n', 'k'), 'v'), (error: unknown) => isProntoError(error, 'io') && /refused the login: password authentication failed for user "alice"/.test(error.message) && !error.message.includes('not-it'));
    await wrongPassword.close();
  });
});
