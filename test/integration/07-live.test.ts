// Live: another process (the CLI) writes; the tree and open value documents follow.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { cliOk, getApi, labelsUnder, nodeAt, poll, sleep, standalone } from './helpers';

describe('live refresh after a CLI write', () => {
  standalone('07-live');
  before(async () => {
    await cliOk(['set', 'live.feed.first', '1']);
  });
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('the tree fires a change and lists a key the CLI just set', async () => {
    const { databases } = await getApi();
    const feed = await nodeAt('main', 'live', 'feed');
    assert.deepEqual(await labelsUnder(feed), ['first']);
    await sleep(300); // let refreshes of earlier writes settle
    const refreshes: number[] = [];
    const subscription = databases.onDidChangeTreeData(() => refreshes.push(Date.now()));
    try {
      const started = Date.now();
      await cliOk(['set', 'live.feed.second', '2']);
      const cliDone = Date.now();
      await poll('the tree to refresh after the CLI write', () => refreshes.length > 0, 5000);
      console.log(`      tree refreshed ${refreshes[0]! - started} ms after the CLI started (its run took ${cliDone - started} ms)`);
    } finally {
      subscription.dispose();
    }
    await poll('the new key in the tree', async () => (await labelsUnder(feed)).includes('second'));
    assert.deepEqual(await labelsUnder(feed), ['first', 'second']);
  });

  it('an open, unmodified value document shows the CLI\'s new value', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'live', 'feed', 'first'));
    const { document } = editor;
    assert.equal(document.getText(), '1');
    const started = Date.now();
    await cliOk(['set', 'live.feed.first', 'one, from the CLI']);
    await poll('the document to update', () => document.getText() === 'one, from the CLI', 5000);
    console.log(`      document updated ${Date.now() - started} ms after the CLI started`);
    assert.equal(document.isDirty, false);
    // A deletion by the CLI: the tree drops the key.
    await cliOk(['del', 'live.feed.second']);
    await poll('the deleted key to leave the tree', async () => !(await labelsUnder(await nodeAt('main', 'live', 'feed'))).includes('second'));
  });
});
