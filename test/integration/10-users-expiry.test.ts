// Issue 6 items 18 and 19: deleting a database names every user's cursors it takes along and never
// leaves one user looking at another's cursor; saving a value keeps its remaining expiry.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAllEditors, cliOk, dirs, ensureWorkAndPlay, getApi, nodeAt, poll, standalone, withStubs } from './helpers';

describe('deleting a database with other users\' cursors (issue 6 item 18)', () => {
  standalone('10-users');
  before(ensureWorkAndPlay);

  it('the confirmation names every user\'s cursor it deletes, and a user is never shown another user\'s cursor', async () => {
    const { service, statusBar, cursors } = await getApi();
    await cliOk(['db', 'create', 'doomed']);
    await cliOk(['cursor', 'set', 'dm', 'doomed']);
    await cliOk(['--user', 'alice', 'cursor', 'set', 'shared', 'doomed']);
    await cliOk(['--user', 'bob', 'cursor', 'set', 'bb', 'doomed']);
    // The default user has a cursor of the same name elsewhere.
    await cliOk(['cursor', 'set', 'shared', 'play']);
    await cliOk(['--user', 'alice', 'cursor', 'use', 'shared']);
    await service.setUser('alice');
    await poll('alice\'s cursor to be active', () => service.target().cursor?.user === 'alice' && service.target().cursor?.name === 'shared');

    const detail = await withStubs((s) => {
      s.quietMessages();
      s.stub('showWarningMessage', async (_message: string, options: vscode.MessageOptions) => (options?.modal ? 'Delete' : undefined));
    }, async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteDatabase', await nodeAt('doomed')), true);
      const call = stubs.calls.find((c) => c.name === 'showWarningMessage' && (c.args[1] as vscode.MessageOptions)?.modal);
      assert.match(String(call?.args[0]), /Delete database 'doomed'\?/);
      return String((call!.args[1] as vscode.MessageOptions).detail);
    });
    for (const cursor of [`'dm' (user default)`, `'shared' (user alice)`, `'bb' (user bob)`]) assert.ok(detail.includes(cursor), `the dialog names ${cursor}: ${detail}`);
    assert.match(detail, /3 cursors filed with it, of every user/);
    assert.ok(!fs.existsSync(path.join(dirs.data, 'doomed')), 'the database and its cursors are gone');
    assert.equal(service.pronto.cursors.find('shared', 'alice'), undefined);

    // Alice's selection still says 'shared'; the default user's 'shared' must not stand in for hers.
    const target = service.target();
    assert.equal(target.user, 'alice');
    assert.equal(target.cursor, undefined, `alice is shown ${target.cursor?.user}'s cursor ${target.cursor?.name}`);
    assert.notEqual(target.file, path.join(dirs.data, 'play', 'pronto.play.prdb'));
    assert.ok(!cursors.getChildren().some((node) => node.cursor.user !== 'alice'), 'the Cursors view lists only alice\'s cursors');
    await poll('the status bar to show alice', () => statusBar.text.includes('alice'));
    // The command line agrees.
    assert.doesNotMatch(await cliOk(['--user', 'alice', 'cursor', 'active']), /pronto\.play\.prdb/);
  });

  it('a named user without a selection of their own is not handed the default user\'s cursor by the global selection', async () => {
    const { service } = await getApi();
    await service.setUser('default');
    await cliOk(['cursor', 'use', 'shared']); // the default user's cursor → play
    assert.equal(service.target().cursor?.name, 'shared');
    await service.setUser('carol');
    const target = service.target();
    assert.equal(target.cursor, undefined);
    assert.equal(target.databaseName, 'main');
    assert.match(String(target.notice), /names cursor 'shared' of user 'default', which user 'carol' does not have/);
  });
});

describe('saving a value keeps its expiry (issue 6 item 19)', () => {
  standalone('10-expiry');
  before(async () => {
    await cliOk(['create-cache', 'exp.cache', '3600']);
    await cliOk(['set', 'exp.cache.short', 'first', '--ttl', '120']);
  });
  after(closeAllEditors);

  async function expiresAt(address: string): Promise<number | null | undefined> {
    const { service } = await getApi();
    return (await (await service.session()).get(address))?.expiresAt;
  }

  it('a value written with --ttl 120 in a namespace whose default is 1h still expires in about 2 minutes after a save', async () => {
    const before = await expiresAt('exp.cache.short');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(before && Math.abs(before - (now + 120)) <= 3, `expires at ${before}, now ${now}`);
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'exp', 'cache', 'short'));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(editor.document.uri, new vscode.Range(editor.document.positionAt(0), editor.document.positionAt(editor.document.getText().length)), 'second');
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    assert.equal(await editor.document.save(), true);
    const after = await expiresAt('exp.cache.short');
    assert.equal((await (await (await getApi()).service.session()).get('exp.cache.short'))?.value, 'second');
    assert.ok(after && Math.abs(after - before) <= 2, `expiry moved from ${before} to ${after} (the namespace default would be ${now + 3600})`);
  });

  it('Set Value offers the time left (kept unless changed) instead of the namespace default', async () => {
    const before = await expiresAt('exp.cache.short');
    await withStubs((s) => {
      s.inputs('exp.cache.short', 'third').quietMessages();
      // Answer the TTL box with what it proposes.
      const inputs = vscode.window.showInputBox;
      s.stub('showInputBox', async (options: vscode.InputBoxOptions) => (/^TTL in seconds/.test(String(options.prompt)) ? options.value : inputs(options)));
    }, async (stubs) => {
      await vscode.commands.executeCommand('prontodb.setValue');
      const ttlBox = stubs.calls.filter((call) => call.name === 'showInputBox').map((call) => call.args[0] as vscode.InputBoxOptions).find((box) => /^TTL/.test(String(box.prompt)))!;
      assert.match(String(ttlBox.prompt), /left, kept unless you change it/);
      assert.ok(Number(ttlBox.value) > 100 && Number(ttlBox.value) <= 120, `proposed ${ttlBox.value}`);
    });
    const after = await expiresAt('exp.cache.short');
    assert.ok(before && after && Math.abs(after - before) <= 2, `expiry moved from ${before} to ${after}`);
  });

  it('a value that never expires still never expires after a save', async () => {
    await cliOk(['set', 'exp.keep.forever', 'x']);
    const forever = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'exp', 'keep', 'forever'));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(forever.document.uri, forever.document.positionAt(1), 'y');
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    assert.equal(await forever.document.save(), true);
    assert.equal(await expiresAt('exp.keep.forever'), null);
  });
});
