// Issue 6 item 20: the smaller things a user of a database explorer expects.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { clearSelections, cli, cliGet, cliOk, closeAllEditors, dirs, getApi, labelOf, labelsUnder, nodeAt, poll, REPO_ROOT, standalone, type WindowStubs, withStubs } from './helpers';

const DB = ['--database', 'acts'];

function inputBoxes(stubs: { calls: Array<{ name: string; args: unknown[] }> }): vscode.InputBoxOptions[] {
  return stubs.calls.filter((call) => call.name === 'showInputBox').map((call) => call.args[0] as vscode.InputBoxOptions);
}

describe('explorer actions (issue 6 item 20)', () => {
  standalone('11-actions');
  before(async () => {
    await cliOk(['db', 'create', 'acts']);
    await cliOk([...DB, 'set', 'shop.items.apple', 'red']);
    await cliOk([...DB, 'set', 'shop.items.pear', 'green']);
    await cliOk([...DB, 'set', 'shop.items.plum__ripe', 'purple']);
    await cliOk([...DB, 'set', 'shop.config.json', '{"a": [1, 2], "b": {"c": true}}']);
    await cliOk([...DB, 'create-cache', 'shop.sessions', '3600']);
    await cliOk([...DB, 'set', 'shop.sessions.s1', 'token', '--ttl', '600']);
    await cliOk([...DB, 'set', 'junk.one.a', '1']);
    await cliOk([...DB, 'set', 'junk.two.b', '2']);
    await cliOk([...DB, 'create-cache', 'junk.temp', '60']);
  });
  afterEach(closeAllEditors);

  it('Create Database refuses an existing name while it is typed', async () => {
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      s_inputsThenCancel(stubs);
      assert.equal(await vscode.commands.executeCommand('prontodb.createDatabase'), undefined);
      const [box] = inputBoxes(stubs);
      assert.equal(await box!.validateInput!('acts'), "Database 'acts' already exists");
      assert.equal(await box!.validateInput!('brand-new'), undefined);
      assert.match(String(await box!.validateInput!('../x')), /is invalid/);
    });
  });

  it('TTL boxes refuse 99999999999999999999 and anything past the engine\'s maximum', async () => {
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      s_inputsThenCancel(stubs, 'shop.more');
      await vscode.commands.executeCommand('prontodb.createCache', await nodeAt('acts', 'shop'));
      const ttlBox = inputBoxes(stubs)[1]!;
      assert.match(String(ttlBox.prompt), /Default time to live/);
      assert.match(String(ttlBox.validateInput!('99999999999999999999')), /whole number of seconds from 1 to \d+/);
      assert.match(String(ttlBox.validateInput!('9007199254740993')), /whole number of seconds from 1 to \d+/);
      assert.match(String(ttlBox.validateInput!('0')), /from 1 to/);
      assert.equal(ttlBox.validateInput!('86400'), undefined);
    });
  });

  it('Delete on an address that holds nothing says so instead of asking to confirm', async () => {
    await withStubs((s) => s.inputs('shop.items.nothing').quietMessages('Delete'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteValue', await nodeAt('acts', 'shop', 'items')), false);
      const modal = stubs.calls.filter((call) => call.name === 'showWarningMessage');
      assert.equal(modal.length, 0, 'no confirmation for nothing');
      assert.match(stubs.messages('showInformationMessage')[0]!, /nothing is stored at shop\.items\.nothing in database 'acts'; nothing to delete/);
    });
  });

  it('a backup offers "Copy Path" where the window cannot reveal files (a browser window, as here), and copies it', async () => {
    assert.notEqual(vscode.env.remoteName, undefined, 'code-server runs the extension remotely');
    let offered: string[] = [];
    const made = await withStubs((s) => {
      s.quietMessages();
      s.stub('showInformationMessage', async (message: string, ...items: string[]) => {
        if (/backed up 'acts'/.test(message)) offered = items;
        return items.includes('Copy Path') ? 'Copy Path' : undefined;
      });
    }, async () => vscode.commands.executeCommand<{ file: string }>('prontodb.backup', await nodeAt('acts')));
    assert.deepEqual(offered, ['Copy Path']);
    await poll('the path on the clipboard', async () => (await vscode.env.clipboard.readText()) === made?.file);
  });

  it('Set Value says which database and which full address the value lands in', async () => {
    const { service } = await getApi();
    await withStubs((s) => s.inputs('items.banana', 'yellow').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.setValue', await nodeAt('acts'));
      const [addressBox, valueBox] = inputBoxes(stubs);
      assert.equal(addressBox!.prompt, "Address to set in database 'acts'");
      assert.match(String(valueBox!.prompt), /^Value for default\.items\.banana in database 'acts' \(one line; for several lines use "Set Value in Editor…"\)$/);
    });
    // From the palette, with a cursor that has a meta context: the cursor, its database and meta are named.
    await service.pronto.cursors.set('metaacts', 'default', { database: 'acts' }, { metaContext: 'm1' });
    await service.select({ kind: 'cursor', name: 'metaacts' }, 'global');
    try {
      await withStubs((s) => s.inputs('p.n.k', 'v').quietMessages(), async (stubs) => {
        await vscode.commands.executeCommand('prontodb.setValue');
        assert.match(String(inputBoxes(stubs)[1]!.prompt), /^Value for p\.n\.k in cursor 'metaacts' \(database 'acts', meta m1\)/);
      });
      const raw = await service.session({ database: 'acts' });
      assert.equal((await raw.get({ project: 'm1.p', namespace: 'n', key: 'k', context: null }))?.value, 'v', 'stored under the meta context');
    } finally {
      await clearSelections();
      service.pronto.cursors.delete('metaacts', 'default');
    }
  });

  it('Copy Address copies the address; its companion copies a command that reads it from that database anywhere', async () => {
    const node = await nodeAt('acts', 'shop', 'items', 'plum__ripe');
    assert.equal(await vscode.commands.executeCommand('prontodb.copyAddress', node), 'shop.items.plum__ripe');
    assert.equal(await vscode.env.clipboard.readText(), 'shop.items.plum__ripe');
    const command = await vscode.commands.executeCommand<string>('prontodb.copyGetCommand', node);
    assert.equal(command, 'prontodb --database acts get shop.items.plum__ripe');
    assert.equal(await vscode.env.clipboard.readText(), command);
    // Pasted into a shell (another cwd, no selection of 'acts'), it prints the value.
    const result = await cli(['-c', command], {
      command: '/bin/sh',
      exactEnv: true,
      env: { PATH: `${path.join(REPO_ROOT, 'dist', 'bin')}${path.delimiter}${process.env.PATH}`, HOME: process.env.HOME!, PRONTODB_DATA_DIR: dirs.data },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'purple\n');
  });

  it('a filtered namespace keeps every action of a namespace, and its filter can be edited and cleared', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const entries: Array<{ command: string; when: string; group?: string }> = manifest.contributes.menus['view/item/context'];
    const commandsFor = (viewItem: string) =>
      new Set(entries.filter((entry) => whenAllows(entry.when, viewItem)).map((entry) => `${entry.command}${entry.group?.startsWith('inline') ? ' (inline)' : ''}`));
    for (const kind of ['namespace', 'ttlNamespace']) {
      const plain = commandsFor(kind);
      const filtered = commandsFor(`${kind}Filtered`);
      assert.ok(plain.size >= 5, `${kind}: ${[...plain].join(', ')}`);
      assert.deepEqual([...plain].filter((command) => !filtered.has(command)), [], `${kind}Filtered lost actions`);
      assert.ok(filtered.has('prontodb.filterKeys (inline)'), 'the filter stays editable');
      assert.ok(filtered.has('prontodb.clearFilter (inline)'));
    }
    const { databases } = await getApi();
    const items = await nodeAt('acts', 'shop', 'items');
    await withStubs((s) => s.inputs('p', '').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.filterKeys', items);
      assert.deepEqual(await labelsUnder(items), ['pear', 'plum__ripe']);
      assert.equal(databases.getTreeItem(items).contextValue, 'namespaceFiltered');
      await vscode.commands.executeCommand('prontodb.filterKeys', items);
      assert.equal(inputBoxes(stubs)[1]!.value, 'p', 'the filter box starts from the current filter');
      assert.match(String(inputBoxes(stubs)[1]!.prompt), /empty: all keys/);
    });
    assert.equal(databases.getTreeItem(items).contextValue, 'namespace', 'an empty filter clears it');
    assert.ok((await labelsUnder(items)).includes('apple'));
  });

  it('a JSON value opens as JSON; other text as plain text', async () => {
    const json = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('acts', 'shop', 'config', 'json'));
    await poll('the JSON language', () => vscode.window.activeTextEditor?.document.languageId === 'json');
    assert.equal(json.document.uri.scheme, 'prontodb');
    const text = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('acts', 'shop', 'items', 'apple'));
    assert.equal(text.document.languageId, 'plaintext');
  });

  it('a multi-line value can be written: "Set Value in Editor…" opens an empty document that saving stores', async () => {
    const editor = await withStubs((s) => s.inputs('shop.notes.readme').quietMessages(), async () =>
      vscode.commands.executeCommand<vscode.TextEditor>('prontodb.editValue', await nodeAt('acts')));
    assert.ok(editor);
    assert.equal(editor.document.getText(), '');
    assert.equal(await cliGet('shop.notes.readme', DB), undefined, 'nothing is written before saving');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(editor.document.uri, new vscode.Position(0, 0), 'line one\nline two\n');
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    assert.equal(await editor.document.save(), true);
    assert.match(String(await cliGet('shop.notes.readme', DB)), /^line one\nline two\n?$/);
    assert.equal((await (await (await getApi()).service.session({ database: 'acts' })).get('shop.notes.readme'))?.value, 'line one\nline two\n');
    // Set Value on a value of several lines opens it as a document instead of a one-line box.
    await closeAllEditors();
    const opened = await withStubs((s) => s.inputs('shop.notes.readme').quietMessages(), async (stubs) => {
      const result = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.setValue', await nodeAt('acts'));
      assert.equal(inputBoxes(stubs).length, 1, 'only the address was asked');
      return result;
    });
    assert.equal(opened?.document.getText(), 'line one\nline two\n');
  });

  it('Delete Namespace and Delete Project confirm with what they delete, then delete all of it at once', async () => {
    const { service } = await getApi();
    await withStubs((s) => s.quietMessages(undefined), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteNamespace', await nodeAt('acts', 'junk', 'one')), undefined);
      assert.match(stubs.messages('showWarningMessage')[0]!, /^Delete namespace junk\.one from database 'acts': 1 value\?$/);
    });
    assert.equal(await cliGet('junk.one.a', DB), '1', 'declined: kept');
    await withStubs((s) => s.quietMessages('Delete'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteNamespace', await nodeAt('acts', 'junk', 'one')), 1);
      assert.equal(stubs.messages('showWarningMessage').length, 1);
    });
    assert.equal(await cliGet('junk.one.a', DB), undefined);
    await withStubs((s) => s.quietMessages('Delete'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteProject', await nodeAt('acts', 'junk')), 1);
      assert.match(stubs.messages('showWarningMessage')[0]!, /^Delete project junk from database 'acts': 1 value in 2 namespaces, and 1 TTL setting\?$/);
    });
    const session = await service.session({ database: 'acts' });
    assert.ok(!(await session.projects()).includes('junk'), 'the project is gone, its TTL namespace too');
    assert.ok(!(await labelsUnder(await nodeAt('acts'))).includes('junk'));
  });

  it('Rename Key moves a value (keeping its expiry), and refuses an address that holds one', async () => {
    const { service } = await getApi();
    const session = await service.session({ database: 'acts' });
    const before = (await session.get('shop.sessions.s1'))!;
    await withStubs((s) => s.inputs('shop.sessions.s2').quietMessages(), async (stubs) => {
      const moved = await vscode.commands.executeCommand('prontodb.renameKey', await nodeAt('acts', 'shop', 'sessions', 's1'));
      assert.deepEqual(moved, { project: 'shop', namespace: 'sessions', key: 's2', context: null });
      const [box] = inputBoxes(stubs);
      assert.equal(box!.value, 'shop.sessions.s1');
      assert.deepEqual(box!.valueSelection, ['shop.sessions.'.length, 'shop.sessions.s1'.length], 'the key is selected for typing over');
      assert.equal(box!.validateInput!('shop.sessions.s1'), 'That is its address now');
    });
    assert.equal(await session.get('shop.sessions.s1'), undefined);
    const after = (await session.get('shop.sessions.s2'))!;
    assert.equal(after.value, 'token');
    assert.ok(Math.abs(after.expiresAt! - before.expiresAt!) <= 2, `expiry ${before.expiresAt} → ${after.expiresAt}`);
    await withStubs((s) => s.inputs('shop.items.pear').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.renameKey', await nodeAt('acts', 'shop', 'items', 'apple'));
      assert.match(stubs.messages('showErrorMessage')[0]!, /shop\.items\.pear already holds a value/);
    });
    assert.equal(await cliGet('shop.items.apple', DB), 'red');
    assert.equal(await cliGet('shop.items.pear', DB), 'green');
  });

  it('Delete and F2 act on the selected row of a view (keybindings while the view has focus)', async function () {
    // A loaded machine can take many seconds to reveal and select a row: wait for that, not a time.
    this.timeout(120000);
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const keys = manifest.contributes.keybindings.map((binding: { key: string; command: string; when: string; args: string }) => `${binding.key} ${binding.command} ${binding.args} ${binding.when}`);
    for (const view of ['databases', 'cursors']) {
      assert.ok(keys.includes(`delete prontodb.deleteSelected ${view} focusedView == prontodb.${view} && !inputFocus`), keys.join('\n'));
      assert.ok(keys.includes(`f2 prontodb.renameSelected ${view} focusedView == prontodb.${view} && !inputFocus`), keys.join('\n'));
    }
    const { views, databases } = await getApi();
    const selectedKey = () => {
      const [node] = views.databases.selection;
      return node?.kind === 'key' && node.ref.database === 'acts' ? node.entry.key : undefined;
    };
    await cliOk([...DB, 'set', 'shop.items.doomed', 'x']);
    await vscode.commands.executeCommand('workbench.view.extension.prontodb');
    // The extension host's copy of the tree can be out of date (after the earlier tests changed rows
    // while the view was hidden, its log says "No tree item with id '1/p acts shop' found"), and then
    // reveal() resolves without selecting anything. reveal() waits for a pending refresh, and a
    // refresh makes the host fetch the rows anew: with it, the reveal lands, whatever ran before.
    databases.refresh();
    await views.databases.reveal(await nodeAt('acts', 'shop', 'items', 'doomed'), { select: true, focus: true });
    await poll('doomed to be selected', () => selectedKey() === 'doomed', 60000);
    await withStubs((s) => s.quietMessages('Delete'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteSelected', 'databases'), true);
      assert.match(stubs.messages('showWarningMessage')[0]!, /Delete the value at shop\.items\.doomed in database 'acts'\?/);
    });
    assert.equal(await cliGet('shop.items.doomed', DB), undefined);
    databases.refresh();
    await views.databases.reveal(await nodeAt('acts', 'shop', 'items', 'pear'), { select: true, focus: true });
    // The key, not just any key: the deleted row may still be the selection until the reveal lands.
    await poll('pear to be selected', () => selectedKey() === 'pear', 60000);
    await withStubs((s) => s.inputs('shop.items.pear2').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.renameSelected', 'databases');
    });
    assert.equal(await cliGet('shop.items.pear2', DB), 'green');
  });

  it('namespaces show how many keys they hold', async () => {
    const { databases } = await getApi();
    const labels = await labelsUnder(await nodeAt('acts', 'shop'));
    const descriptions = Object.fromEntries(
      await Promise.all(labels.map(async (label) => [label, databases.getTreeItem(await nodeAt('acts', 'shop', label)).description] as const)),
    );
    assert.equal(descriptions.items, `${(await labelsUnder(await nodeAt('acts', 'shop', 'items'))).length} keys`);
    assert.equal(descriptions.config, '1 key');
    assert.equal(descriptions.sessions, '1 key · TTL 1h');
    assert.ok(labelOf(databases.getTreeItem(await nodeAt('acts'))) === 'acts');
  });
});

/** Input boxes answered with `answers`, then cancelled (the command stops there). */
function s_inputsThenCancel(stubs: WindowStubs, ...answers: string[]): void {
  const queue = [...answers];
  stubs.stub('showInputBox', async () => queue.shift());
}

/** Evaluates the `viewItem` part of a menu `when` clause (`== x` or `=~ /re/`) for a context value. */
function whenAllows(when: string, viewItem: string): boolean {
  if (!/view == prontodb\.databases/.test(when)) return false;
  const equal = /viewItem == (\w+)/.exec(when);
  if (equal) return equal[1] === viewItem;
  const match = /viewItem =~ \/(.*)\/$/.exec(when);
  return match ? new RegExp(match[1]!).test(viewItem) : false;
}
