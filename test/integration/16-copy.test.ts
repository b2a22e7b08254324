// Issue 11 item 4: "Copy Database To…" on a database of the ProntoDB view, in the real extension
// host, to a real PostgreSQL server (test/helpers/postgres.ts) and between databases of the data
// directory; checked with the bundled CLI.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CopyResult } from '../../src/core/copy';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { cli, cliGet, cliOk, getApi, labelOf, labelsUnder, nodeAt, outsideHostTemp, REPO_ROOT, standalone, withStubs } from './helpers';

const SRC = ['--database', 'copysrc'];

/** The exported rows of a database (every field but the export's own time), to compare two databases. */
async function exported(args: string[]): Promise<unknown> {
  const document = JSON.parse(await cliOk([...args, 'export']));
  return { entries: document.entries, ttlNamespaces: document.ttlNamespaces };
}

/** Answers the destination picker with the item whose label starts with `label`. */
function pick(label: string) {
  return async (items: vscode.QuickPickItem[]) => {
    const found = items.find((item) => item.label.startsWith(label));
    assert.ok(found, `no '${label}' among ${items.map((item) => item.label).join(', ')}`);
    return found;
  };
}

describe('Copy Database To… (issue 11 item 4)', function () {
  standalone('16-copy');
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let url: string;

  before(async function () {
    this.timeout(180_000);
    cluster = await outsideHostTemp(() => startPostgres());
    url = (await cluster.createRoleAndDatabase('gus', 'team')).url;
    await cliOk(['db', 'create', 'copysrc']);
    await cliOk([...SRC, 'set', 'shop.items.apple', 'red']);
    await cliOk([...SRC, 'set', 'shop.items.apple__ripe', 'dark\nred']);
    await cliOk([...SRC, 'create-cache', 'shop.sessions', '3600']);
    await cliOk([...SRC, 'set', 'shop.sessions.s1', 'token']);
  });

  after(() => cluster?.destroy());

  it('is on the context menu of a database row in the ProntoDB view', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const command = manifest.contributes.commands.find((c: { command: string }) => c.command === 'prontodb.copyDatabase');
    assert.equal(command?.title, 'Copy Database To…');
    const entry = manifest.contributes.menus['view/item/context'].find((m: { command: string }) => m.command === 'prontodb.copyDatabase');
    assert.ok(entry, 'a context-menu entry');
    const { databases } = await getApi();
    const contextValue = databases.getTreeItem(await nodeAt('copysrc')).contextValue!;
    const viewItem = /viewItem =~ \/(.*)\/$/.exec(entry.when)![1]!;
    assert.match(contextValue, new RegExp(viewItem), `the row's context value '${contextValue}' is one the menu entry shows on`);
    assert.match(entry.when, /view == prontodb\.databases/);
  });

  it('copies a database up to a PostgreSQL URL typed in, exactly, with a progress notification', async () => {
    const target = `${url}?prontodb=fromeditor`;
    const result = await withStubs(
      (s) => s.quietMessages().stub('showQuickPick', pick('$(globe)')).inputs(target),
      async () => vscode.commands.executeCommand<CopyResult>('prontodb.copyDatabase', await nodeAt('copysrc')),
    );
    assert.deepEqual(result, { entries: 3, ttlNamespaces: 1 });
    assert.deepEqual(await exported(['--database-url', target]), await exported(SRC));
    assert.equal(await cliGet('shop.items.apple__ripe', ['--database-url', target]), 'dark\nred');
  });

  it('copies into a new database of the data directory, which the view then shows', async () => {
    const result = await withStubs(
      (s) => s.quietMessages().stub('showQuickPick', pick('$(add)')).inputs('copydst'),
      async () => vscode.commands.executeCommand<CopyResult>('prontodb.copyDatabase', await nodeAt('copysrc')),
    );
    assert.equal(result?.entries, 3);
    assert.deepEqual(await exported(['--database', 'copydst']), await exported(SRC));
    assert.ok((await labelsUnder(undefined)).includes('copydst'), 'the new database is in the view');
  });

  it('asks before replacing a database that holds data; no means nothing changes, Replace replaces it', async () => {
    await cliOk(['db', 'create', 'copyfull']);
    await cliOk(['--database', 'copyfull', 'set', 'old.stuff.here', 'old']);
    const declined = await withStubs(
      (s) => s.quietMessages(undefined).stub('showQuickPick', pick('copyfull')),
      async (stubs) => {
        const answer = await vscode.commands.executeCommand('prontodb.copyDatabase', await nodeAt('copysrc'));
        const modal = stubs.calls.find((call) => call.name === 'showWarningMessage');
        assert.match(String(modal?.args[0]), /already holds data\. Replace its contents with 'copysrc'\?/);
        return answer;
      },
    );
    assert.equal(declined, undefined);
    assert.equal(await cliGet('old.stuff.here', ['--database', 'copyfull']), 'old');

    const replaced = await withStubs(
      (s) => s.quietMessages('Replace').stub('showQuickPick', pick('copyfull')),
      async () => vscode.commands.executeCommand<CopyResult>('prontodb.copyDatabase', await nodeAt('copysrc')),
    );
    assert.equal(replaced?.entries, 3);
    assert.equal(await cliGet('old.stuff.here', ['--database', 'copyfull']), undefined);
    assert.deepEqual(await exported(['--database', 'copyfull']), await exported(SRC));
  });

  it('cancelling the progress notification leaves the target unchanged', async () => {
    // Enough rows that the copy reports progress part-way.
    const lines = Array.from({ length: 30_000 }, (_, i) => ({ project: 'bulk', namespace: 'rows', key: `k${i}`, context: null, value: `value ${i}` }));
    const file = path.join(path.dirname(path.dirname(await getApi().then(({ service }) => service.pronto.layout.dataDir))), 'bulk.json');
    fs.writeFileSync(file, JSON.stringify(lines));
    await cliOk(['db', 'create', 'copybig']);
    await cliOk(['--database', 'copybig', 'import', file]);
    const target = `${url}?prontodb=cancelled`;
    await cliOk(['--database-url', target, 'set', 'old.stuff.here', 'old']);

    const win = vscode.window as unknown as { withProgress: typeof vscode.window.withProgress };
    const original = win.withProgress;
    const reports: string[] = [];
    win.withProgress = ((options: vscode.ProgressOptions, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<unknown>) => {
      assert.equal(options.cancellable, true, 'the notification can be cancelled');
      const cancel = new vscode.CancellationTokenSource();
      return task(
        {
          report: (value) => {
            reports.push(value.message ?? '');
            // The user presses Cancel once rows are going in.
            if (/^[1-9][\d,]* \/ 30,000 rows$/.test(value.message ?? '')) cancel.cancel();
          },
        },
        cancel.token,
      );
    }) as typeof vscode.window.withProgress;
    try {
      const answer = await withStubs(
        (s) => s.quietMessages(),
        async () => vscode.commands.executeCommand('prontodb.copyDatabase', await nodeAt('copybig'), target, true),
      );
      assert.equal(answer, undefined, 'nothing copied');
    } finally {
      win.withProgress = original;
    }
    assert.ok(reports.some((line) => /^[1-9][\d,]* \/ 30,000 rows$/.test(line)), `progress in rows: ${reports.join('; ')}`);
    assert.equal(await cliGet('old.stuff.here', ['--database-url', target]), 'old');
    assert.equal(await cliGet('bulk.rows.k1', ['--database-url', target]), undefined);
    const { databases } = await getApi();
    assert.ok(labelOf(databases.getTreeItem(await nodeAt('copybig'))), 'the view still works');
  });

  it('an unusable destination is one clear error message', async () => {
    await withStubs(
      (s) => s.quietMessages(),
      async (stubs) => {
        assert.equal(await vscode.commands.executeCommand('prontodb.copyDatabase', await nodeAt('copysrc'), 'copysrc'), undefined);
        assert.match(stubs.messages('showErrorMessage')[0] ?? '', /^ProntoDB: The source and the target are the same database/);
        assert.equal(await vscode.commands.executeCommand('prontodb.copyDatabase', await nodeAt('copysrc'), 'mysql://h/db'), undefined);
        assert.match(stubs.messages('showErrorMessage')[1] ?? '', /^ProntoDB: No backend for mysql:\/\/ locations/);
      },
    );
    const result = await cli(['--database', 'copysrc', 'get', 'shop.items.apple']);
    assert.equal(result.stdout, 'red\n');
  });
});
