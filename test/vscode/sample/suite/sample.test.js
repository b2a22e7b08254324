// Runs inside the real VS Code extension host (code-server 4.100.3 = VS Code 1.100.3).
'use strict';
const assert = require('assert');
const vscode = require('vscode');

const EXT_ID = 'prontodb-test.harness-sample';

describe('harness sample extension', () => {
  it('runs in a real VS Code 1.100 extension host', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major > 1 || minor >= 100, `VS Code ${vscode.version} is older than 1.100`);
    assert.ok(vscode.extensions.getExtension(EXT_ID), 'development extension is loaded');
  });

  it('executes a contributed command and returns its result', async () => {
    const result = await vscode.commands.executeCommand('harnessSample.hello', 'ProntoDB');
    assert.strictEqual(result, 'Hello, ProntoDB!');
    const all = await vscode.commands.getCommands(true);
    assert.ok(all.includes('harnessSample.refresh'));
  });

  it('activates the extension that provides the tree view, whose roots are the expected items', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.harnessSample');
    const ext = vscode.extensions.getExtension(EXT_ID);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
    const { provider, view } = ext.exports;
    assert.deepStrictEqual(await provider.getChildren(), ['alpha', 'beta', 'gamma']);
    assert.deepStrictEqual(await provider.getChildren('beta'), ['beta.key1', 'beta.key2', 'beta.key3']);
    // the view becomes visible after the container is opened
    for (let i = 0; i < 50 && !view.visible; i++) await new Promise((r) => setTimeout(r, 100));
    assert.strictEqual(view.visible, true, 'tree view is visible');
  });
});
