// The Databases tree through its provider (the object VS Code's tree view calls).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliOk, dirs, getApi, labelOf, labelsUnder, nextEvent, nodeAt, poll, standalone, withStubs } from './helpers';

const BIG = 2500;

describe('Databases tree', () => {
  standalone('03-tree');
  before(async function () {
    this.timeout(30000);
    await cliOk(['set', 'tree.test.main', 'exists']); // main, the active database, is listed first
    await cliOk(['db', 'create', 'treedb']);
    const db = ['--database', 'treedb'];
    await cliOk([...db, 'set', 'shop.items.apple', 'red and crunchy']);
    await cliOk([...db, 'set', 'shop.items.apple__v2', 'green']);
    await cliOk([...db, 'set', 'shop.items.pear', 'x'.repeat(300)]);
    await cliOk([...db, 'create-cache', 'shop.sessions', '7200']);
    await cliOk([...db, 'set', 'shop.sessions.s1', 'abc']);
    await cliOk([...db, 'set', 'tools.misc.one', '1']);
    const entries = Array.from({ length: BIG }, (_, index) => ({
      project: 'shop', namespace: 'big', key: `key${String(index).padStart(4, '0')}`, value: `value ${index}`,
    }));
    const file = path.join(dirs.scratch, 'big.json');
    fs.writeFileSync(file, JSON.stringify(entries));
    await cliOk([...db, 'import', file]);
  });

  it('lists databases at the root, the active one marked and expanded', async () => {
    const { databases } = await getApi();
    const roots = await databases.getChildren();
    const items = roots.map((node) => databases.getTreeItem(node));
    const labels = items.map(labelOf);
    for (const name of ['main', 'treedb']) assert.ok(labels.includes(name), `roots: ${labels.join(', ')}`);
    const main = items.find((item) => labelOf(item) === 'main')!;
    assert.match(String(main.description), /^active/);
    assert.equal(main.contextValue, 'activeDatabase');
    assert.equal(main.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    const treedb = items.find((item) => labelOf(item) === 'treedb')!;
    assert.equal(treedb.contextValue, 'database');
    assert.equal(treedb.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.equal(treedb.tooltip, path.join(dirs.data, 'treedb', 'pronto.treedb.prdb'));
  });

  it('database → project → namespace → key, contexts shown as key__context', async () => {
    assert.deepEqual(await labelsUnder(await nodeAt('treedb')), ['shop', 'tools']);
    assert.deepEqual(await labelsUnder(await nodeAt('treedb', 'shop')), ['big', 'items', 'sessions']);
    assert.deepEqual(await labelsUnder(await nodeAt('treedb', 'shop', 'items')), ['apple', 'apple__v2', 'pear']);
  });

  it('a key shows a value preview as description and value + timestamps in its tooltip', async () => {
    const { databases } = await getApi();
    const apple = databases.getTreeItem(await nodeAt('treedb', 'shop', 'items', 'apple__v2'));
    assert.equal(apple.description, 'green');
    assert.equal(apple.contextValue, 'key');
    assert.equal(apple.command?.command, 'prontodb.openValue');
    assert.equal(apple.resourceUri?.scheme, 'prontodb');
    const tooltip = apple.tooltip as vscode.MarkdownString;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /shop\.items\.apple__v2/);
    assert.match(tooltip.value, /```text\ngreen\n```/);
    assert.match(tooltip.value, /Created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.match(tooltip.value, /Updated \d{4}-/);
    const pear = databases.getTreeItem(await nodeAt('treedb', 'shop', 'items', 'pear'));
    assert.equal(pear.description, `${'x'.repeat(60)}…`, 'long values are cut in the description');
  });

  it('marks the TTL namespace and its expiring keys with the time left', async () => {
    const { databases } = await getApi();
    const sessions = databases.getTreeItem(await nodeAt('treedb', 'shop', 'sessions'));
    assert.equal(sessions.description, '1 key · TTL 2h');
    assert.equal(sessions.contextValue, 'ttlNamespace');
    assert.match(String(sessions.tooltip), /TTL namespace/);
    assert.equal((sessions.iconPath as vscode.ThemeIcon).id, 'watch');
    const s1 = databases.getTreeItem(await nodeAt('treedb', 'shop', 'sessions', 's1'));
    assert.match(String(s1.description), /^expires in (2h|1h 59m)$/);
    assert.match((s1.tooltip as vscode.MarkdownString).value, /Expires \d{4}-.* \(in (2h|1h 59m)\)/);
    assert.equal((s1.iconPath as vscode.ThemeIcon).id, 'watch');
    const items = databases.getTreeItem(await nodeAt('treedb', 'shop', 'items'));
    assert.equal(items.description, '3 keys');
    assert.equal(items.contextValue, 'namespace');
  });

  it(`pages a namespace of ${BIG} keys: pageSize keys and "Load more…", which loadMore grows`, async () => {
    const { databases } = await getApi();
    assert.equal(vscode.workspace.getConfiguration('prontodb').get('pageSize'), 200);
    const big = await nodeAt('treedb', 'shop', 'big');
    const started = Date.now();
    let children = await databases.getChildren(big);
    const firstPageMs = Date.now() - started;
    console.log(`      first page of ${BIG} keys in ${firstPageMs} ms`);
    assert.equal(children.length, 201);
    assert.equal(labelOf(databases.getTreeItem(children[0]!)), 'key0000');
    assert.equal(labelOf(databases.getTreeItem(children[199]!)), 'key0199');
    const more = children[200]!;
    assert.equal(more.kind, 'loadMore');
    const moreItem = databases.getTreeItem(more);
    assert.equal(labelOf(moreItem), `Load more… (1,000+ more)`, 'how many remain, counted up to 1,000');
    assert.equal(moreItem.command?.command, 'prontodb.loadMore');

    const refreshed = nextEvent(databases.onDidChangeTreeData, 'the namespace to refresh');
    await vscode.commands.executeCommand(moreItem.command!.command, ...(moreItem.command!.arguments ?? []));
    const element = await refreshed;
    assert.equal(element && element.kind === 'namespace' && element.namespace, 'big', 'only the namespace is refreshed');
    children = await databases.getChildren(big);
    assert.equal(children.length, 401);
    assert.equal(labelOf(databases.getTreeItem(children[399]!)), 'key0399');
    assert.equal(children[400]!.kind, 'loadMore');
  });

  it('the pageSize setting sets the page', async () => {
    const { databases } = await getApi();
    const config = vscode.workspace.getConfiguration('prontodb');
    await config.update('pageSize', 1000, vscode.ConfigurationTarget.Global);
    try {
      const big = await nodeAt('treedb', 'shop', 'big');
      databases.setFilter(big as Extract<typeof big, { kind: 'namespace' }>, undefined); // a filter change restarts paging
      const children = await databases.getChildren(big);
      assert.equal(children.length, 1001);
      assert.equal(children[1000]!.kind, 'loadMore');
    } finally {
      await config.update('pageSize', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('filters a namespace\'s keys by prefix (filterKeys / clearFilter)', async () => {
    const { databases } = await getApi();
    const big = await nodeAt('treedb', 'shop', 'big');
    await withStubs((s) => s.inputs('key24').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.filterKeys', big);
    });
    let labels = await labelsUnder(big);
    assert.equal(labels.length, 100, 'key2400..key2499, no "Load more…"');
    assert.ok(labels.every((label) => label.startsWith('key24')));
    const item = databases.getTreeItem(big);
    assert.equal(item.description, '1,000+ keys · filter: key24*');
    assert.equal(item.contextValue, 'namespaceFiltered');

    await withStubs((s) => s.inputs('key1').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.filterKeys', big);
    });
    labels = await labelsUnder(big);
    assert.equal(labels.length, 201, '1000 keys match: one page and "Load more…"');
    assert.equal(labels[0], 'key1000');
    assert.equal(labels[200], 'Load more… (800 more)', '1000 match, 200 shown');

    await withStubs((s) => s.inputs('nope').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.filterKeys', big);
    });
    assert.deepEqual(await labelsUnder(big), ["No keys start with 'nope'"]);

    await vscode.commands.executeCommand('prontodb.clearFilter', big);
    labels = await labelsUnder(big);
    assert.equal(labels.length, 201);
    assert.equal(labels[0], 'key0000');
    assert.equal(databases.getTreeItem(big).contextValue, 'namespace');
  });

  it('the Databases view opens in the ProntoDB container and becomes visible', async () => {
    const { views } = await getApi();
    await vscode.commands.executeCommand('workbench.view.extension.prontodb');
    await poll('the Databases view to be visible', () => views.databases.visible);
    await poll('the Cursors view to be visible', () => views.cursors.visible);
  });
});
