/**
 * What the PostgreSQL backend offers its host (the extension) besides the store contract: a password
 * hook for URLs that carry none (VS Code's SecretStorage behind it) and reports of the change
 * connection being lost and back (the status bar). Against a real throwaway cluster.
 */
import * as assert from 'node:assert/strict';
import { isProntoError, usageError } from '../../src/core/errors';
import { PostgresBackend } from '../../src/core/postgres/backend';
import { postgresDatabaseLocation } from '../../src/core/postgres/location';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { at } from './contract/kvStoreContract';

describe('PostgreSQL backend hooks for the extension', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster;
  let password: string;
  /** The role's URL without its password. */
  let bare: string;

  before(async function () {
    this.timeout(120_000);
    cluster = await startPostgres();
    ({ password } = await cluster.createRoleAndDatabase('bob', 'hooks'));
    bare = cluster.url({ user: 'bob', password: null, database: 'hooks' });
  });

  after(() => cluster?.destroy());

  const waitFor = async (condition: () => boolean, ms: number): Promise<boolean> => {
    for (const start = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 50))) if (Date.now() - start > ms) return false;
    return true;
  };

  it('a URL without a password logs in with the one the hook gives, for the store and the named databases alike', async () => {
    const asked: string[] = [];
    const backend = new PostgresBackend({
      password: async (serverUrl) => {
        asked.push(serverUrl);
        return password;
      },
    });
    const location = postgresDatabaseLocation(bare, 'notes', usageError);
    const store = backend.createStore(location);
    try {
      await store.set(at('p', 'n', 'k'), 'v');
      assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'v');
    } finally {
      await store.close();
    }
    assert.equal(await backend.exists(location), true);
    assert.deepEqual((await backend.atServer(bare).listDatabases()).map((db) => db.name), ['notes']);
    assert.ok(asked.length >= 3, `asked for each new connection: ${asked.length}`);
    // The server's URL: no password, no ProntoDB parameter.
    assert.deepEqual([...new Set(asked)], [bare]);
    await backend.atServer(bare).deleteDatabase('notes');
  });

  it('no password from the hook: the server refuses the login with one clear line, no password in it', async () => {
    const backend = new PostgresBackend({ password: async () => undefined });
    const store = backend.createStore(postgresDatabaseLocation(bare, 'refused', usageError));
    try {
      await assert.rejects(store.get(at('p', 'n', 'k')), (error: unknown) => {
        assert.ok(isProntoError(error, 'io'), String(error));
        assert.match(error.message, /^The server of postgres:\/\/bob@127\.0\.0\.1:\d+\/hooks.* refused the login: /);
        assert.ok(!error.message.includes(password));
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it('a password in the URL or PGPASSWORD wins: the hook is not asked', async () => {
    let asked = 0;
    const backend = new PostgresBackend({
      password: async () => {
        asked++;
        return 'wrong';
      },
    });
    const withPassword = cluster.url({ user: 'bob', password, database: 'hooks' });
    assert.equal(await backend.exists(postgresDatabaseLocation(withPassword, 'nothing', usageError)), false);
    const saved = process.env.PGPASSWORD;
    process.env.PGPASSWORD = password;
    try {
      assert.equal(await backend.exists(postgresDatabaseLocation(bare, 'nothing', usageError)), false);
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = saved;
    }
    assert.equal(asked, 0);
  });

  it('the change connection reports when it is lost and when it is back, with the store\'s location', async function () {
    this.timeout(90_000);
    const reports: Array<[string, string]> = [];
    const backend = new PostgresBackend({ password: async () => password, connection: (location, state) => reports.push([location, state]) });
    const location = postgresDatabaseLocation(bare, 'reports', usageError);
    const watcher = backend.createStore(location);
    const events: string[] = [];
    const subscription = watcher.onDidChange((event) => events.push(event.origin));
    try {
      await watcher.set(at('p', 'n', 'k'), 'created');
      await new Promise((resolve) => setTimeout(resolve, 500)); // listening
      assert.deepEqual(reports, [], 'nothing to report while connected');
      cluster.kill();
      assert.ok(await waitFor(() => reports.length > 0, 30_000), 'the loss is reported');
      assert.deepEqual(reports, [[location, 'lost']]);
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
      events.length = 0;
      assert.ok(await waitFor(() => reports.length > 1, 30_000), 'the return is reported');
      assert.deepEqual(reports, [[location, 'lost'], [location, 'restored']]);
      assert.ok(await waitFor(() => events.includes('external'), 5_000), 'and reported as a change: writes made meanwhile were not heard');
    } finally {
      subscription.dispose();
      await watcher.close();
    }
    await backend.atServer(bare).deleteDatabase('reports');
  });
});
