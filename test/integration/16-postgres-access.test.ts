// A server database opened with the reader role of docs/postgres/roles.sql, in the real extension
// host: the ProntoDB view marks it read-only (description, tooltip, a context value that hides the
// writing actions), and a write from the view fails with the read-only reason, nothing changed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startTeam, type Team } from '../helpers/postgresTeam';
import { cliOk, getApi, labelOf, nodeAt, outsideHostTemp, poll, standalone, withStubs } from './helpers';

describe('PostgreSQL reader role in the ProntoDB view', () => {
  standalone('16-postgres-access');
  let team: Team;
  let savedPassword: string | undefined;

  before(async function () {
    this.timeout(180_000);
    team = await outsideHostTemp(() => startTeam());
    await cliOk(['--database-url', team.url('ada'), 'db', 'create', 'main']);
    await cliOk(['--database-url', team.url('wes'), 'set', 'work.notes.plan', 'step 1']);
    // The cursor holds the URL without its password; the driver takes it from PGPASSWORD, as a user's shell would give it.
    savedPassword = process.env.PGPASSWORD;
    process.env.PGPASSWORD = 'rita-pw-3';
    const { service } = await getApi();
    await service.pronto.cursors.set('teamread', 'default', { location: team.cluster.url({ user: 'rita', password: null, database: 'team' }) });
    await service.select({ kind: 'cursor', name: 'teamread' }, 'global');
  });

  after(async function () {
    this.timeout(60_000);
    const { service } = await getApi();
    await service.select(undefined, 'global');
    service.pronto.cursors.delete('teamread', 'default');
    if (savedPassword === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = savedPassword;
    team?.cluster.destroy();
  });

  it('marks the database read-only: description, tooltip with the reason, context value', async function () {
    this.timeout(30_000);
    const { databases } = await getApi();
    const item = await poll('the active server database in the tree, marked read-only', async () => {
      const roots = await databases.getChildren();
      const items = roots.map((node) => databases.getTreeItem(node));
      return items.find((each) => labelOf(each) === 'teamread' && /read-only/.test(String(each.description)));
    }, 20_000);
    assert.equal(item.description, 'active · read-only');
    assert.equal(item.contextValue, 'activeDatabaseReadOnly');
    assert.match(String(item.tooltip), /^postgres:\/\/rita@127\.0\.0\.1:\d+\/team\n\nRead-only: role rita may not write postgres:\/\/rita@127\.0\.0\.1:\d+\/team \(no INSERT, UPDATE and DELETE on its tables\)$/);
    // Reading works: the tree lists what the writer stored.
    assert.equal(labelOf(databases.getTreeItem(await nodeAt('teamread', 'work', 'notes', 'plan'))), 'plan');
  });

  it('a write from the view (Delete on a key) shows the read-only error and changes nothing', async function () {
    this.timeout(30_000);
    const key = await nodeAt('teamread', 'work', 'notes', 'plan');
    await withStubs((s) => s.quietMessages('Delete'), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.deleteValue', key);
      const errors = stubs.messages('showErrorMessage');
      assert.equal(errors.length, 1, JSON.stringify(stubs.calls.map((call) => call.name)));
      assert.match(errors[0]!, /^ProntoDB: read-only: postgres:\/\/rita@127\.0\.0\.1:\d+\/team refuses this write \(permission denied for table kv\)$/);
    });
    assert.equal(await cliOk(['--database-url', team.url('wes'), 'get', 'work.notes.plan']), 'step 1\n');
  });

  it('the writer\'s database is not marked', async function () {
    this.timeout(30_000);
    const { service, databases } = await getApi();
    process.env.PGPASSWORD = 'wes-pw-2';
    await service.pronto.cursors.set('teamwrite', 'default', { location: team.cluster.url({ user: 'wes', password: null, database: 'team' }) });
    await service.select({ kind: 'cursor', name: 'teamwrite' }, 'global');
    try {
      const item = await poll('the writer\'s database in the tree', async () => {
        const roots = await databases.getChildren();
        return roots.map((node) => databases.getTreeItem(node)).find((each) => labelOf(each) === 'teamwrite');
      }, 20_000);
      assert.equal(item.description, 'active');
      assert.equal(item.contextValue, 'activeDatabase');
    } finally {
      await service.select({ kind: 'cursor', name: 'teamread' }, 'global');
      service.pronto.cursors.delete('teamwrite', 'default');
      process.env.PGPASSWORD = 'rita-pw-3';
    }
  });
});
