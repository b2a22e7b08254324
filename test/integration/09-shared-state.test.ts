// Issue 6 items 14, 15 and 21: what a new user sees with nothing on disk, views that follow what the
// command line does to databases and cursors, and how a database row reads to a screen reader.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliOk, dirs, ensureWorkAndPlay, getApi, labelOf, nextEvent, poll, sleep, standalone, withStubs } from './helpers';

/** Every file and folder under `dir`, relative (empty when it does not exist). */
function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('a new user with nothing on disk (issue 6 item 14)', () => {
  standalone('09-new-user');
  const empty = () => path.join(dirs.scratch, 'empty-home-data');

  before(async () => {
    const { service } = await getApi();
    fs.rmSync(empty(), { recursive: true, force: true });
    await vscode.workspace.getConfiguration('prontodb').update('dataDirectory', empty(), vscode.ConfigurationTarget.Global);
    await poll('the engine to use the empty data directory', () => service.pronto.layout.dataDir === empty());
  });
  after(async () => {
    const { service } = await getApi();
    await vscode.workspace.getConfiguration('prontodb').update('dataDirectory', dirs.data, vscode.ConfigurationTarget.Global);
    await poll('the engine to use the test data directory again', () => service.pronto.layout.dataDir === dirs.data);
  });

  it('the Databases view has no rows (so VS Code shows its welcome content), and showing it creates nothing', async () => {
    const { databases, views, service, statusBar } = await getApi();
    assert.deepEqual(await databases.getChildren(), [], 'no "main · active" row for a database nobody created');
    await vscode.commands.executeCommand('workbench.view.extension.prontodb');
    await poll('the Databases view to be visible', () => views.databases.visible);
    await poll('the status bar to show main', () => statusBar.text.includes('main'));
    // Reading a missing value and opening the view must not create the database or its folder.
    await withStubs((s) => s.inputs('app.config.anything').quietMessages(), async () => {
      assert.equal(await vscode.commands.executeCommand('prontodb.getValue'), undefined);
    });
    await service.session();
    await sleep(500);
    assert.deepEqual(listTree(empty()), [], 'nothing under the data directory');
    assert.equal(fs.existsSync(empty()), false);
    assert.deepEqual(await databases.getChildren(), []);
  });

  it('the first write creates the database, and the view shows it without a refresh', async () => {
    const { databases } = await getApi();
    const refreshed = nextEvent(databases.onDidChangeTreeData, 'the view to refresh after the first write', 3000);
    await withStubs((s) => s.inputs('app.config.first', 'hello').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.setValue');
    });
    await refreshed;
    assert.ok(fs.existsSync(path.join(empty(), 'main', 'pronto.main.prdb')));
    const roots = await databases.getChildren();
    assert.deepEqual(roots.map((node) => labelOf(databases.getTreeItem(node))), ['main']);
    const item = databases.getTreeItem(roots[0]!);
    assert.match(String(item.description), /^active · \d+ (B|KB)$/);
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
  });

  it('a database the CLI creates or deletes shows up without a refresh', async () => {
    const { databases } = await getApi();
    const env = { PRONTODB_DATA_DIR: empty() };
    let refreshed = nextEvent(databases.onDidChangeTreeData, 'the view to refresh after `db create`', 3000);
    await cliOk(['db', 'create', 'fromcli'], { env });
    await refreshed;
    assert.deepEqual((await databases.getChildren()).map((node) => labelOf(databases.getTreeItem(node))), ['fromcli', 'main']);
    refreshed = nextEvent(databases.onDidChangeTreeData, 'the view to refresh after `db delete`', 3000);
    await cliOk(['db', 'delete', 'fromcli', '--force'], { env });
    await refreshed;
    assert.deepEqual((await databases.getChildren()).map((node) => labelOf(databases.getTreeItem(node))), ['main']);
  });
});

describe('the Cursors view follows the command line (issue 6 item 15)', () => {
  standalone('09-cursors-view');
  before(ensureWorkAndPlay);

  const names = async () => (await getApi()).cursors.getChildren().map((node) => node.cursor.name);

  it('refreshes when the CLI creates, renames and deletes a cursor', async () => {
    const { cursors } = await getApi();
    assert.ok(!(await names()).includes('clicur'));
    for (const [args, check] of [
      [['cursor', 'set', 'clicur', 'work'], (list: string[]) => list.includes('clicur')],
      [['cursor', 'rename', 'clicur', 'clicur2'], (list: string[]) => list.includes('clicur2') && !list.includes('clicur')],
      [['cursor', 'delete', 'clicur2'], (list: string[]) => !list.includes('clicur2')],
    ] as const) {
      const started = Date.now();
      const refreshed = nextEvent(cursors.onDidChangeTreeData, `the Cursors view to refresh after \`prontodb ${args.join(' ')}\``, 3000);
      await cliOk([...args]);
      await refreshed;
      console.log(`      ${args.slice(0, 2).join(' ')}: refreshed ${Date.now() - started} ms after the CLI started`);
      assert.ok(check(await names()), `after ${args.join(' ')}: ${(await names()).join(', ')}`);
    }
  });

  it('marks the cursor the CLI selects with `cursor use`', async () => {
    const { cursors, service } = await getApi();
    const refreshed = nextEvent(cursors.onDidChangeTreeData, 'the Cursors view to refresh after `cursor use`', 3000);
    await cliOk(['cursor', 'use', 'pl']);
    await refreshed;
    assert.equal(cursors.getChildren().find((node) => node.active)?.cursor.name, 'pl');
    assert.equal(service.target().cursor?.name, 'pl');
  });
});

describe('database rows for screen readers (issue 6 item 21)', () => {
  standalone('09-a11y');
  before(async () => {
    await ensureWorkAndPlay();
    await cliOk(['set', 'a11y.check.row', 'x']); // main exists
  });

  it('a database row is announced as "name, active, size", not by its file path', async () => {
    const { databases } = await getApi();
    const roots = await databases.getChildren();
    for (const node of roots) {
      if (node.kind !== 'database') continue;
      const item = databases.getTreeItem(node);
      assert.ok(item.accessibilityInformation, `${labelOf(item)} has accessibility information`);
      assert.equal(item.accessibilityInformation.label, [labelOf(item), ...String(item.description).split(' · ')].join(', '));
      assert.ok(!item.accessibilityInformation.label.includes(path.sep), item.accessibilityInformation.label);
    }
    const main = roots.find((node) => node.kind === 'database' && node.ref.database === 'main')!;
    assert.match(databases.getTreeItem(main).accessibilityInformation!.label, /^main, active, \d+(\.\d)? (B|KB|MB)$/);
    const work = roots.find((node) => node.kind === 'database' && node.ref.database === 'work')!;
    assert.match(databases.getTreeItem(work).accessibilityInformation!.label, /^work, \d+(\.\d)? (B|KB|MB)$/);
  });
});
