import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { dirs, EXTENSION_ID, getApi, REPO_ROOT } from './helpers';

describe('activation', () => {
  it('runs the real extension (dist/extension.js) in a VS Code 1.100+ extension host', async () => {
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major! > 1 || minor! >= 100, `VS Code ${vscode.version} is older than 1.100`);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    assert.equal(path.resolve(extension.extensionPath), REPO_ROOT);
    assert.equal(extension.packageJSON.main, './dist/extension.js');
  });

  it('activate() returns in under 50 ms', async () => {
    const api = await getApi();
    console.log(`      activation time: ${api.activationMs.toFixed(1)} ms`);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs < 50, `activate() took ${api.activationMs.toFixed(1)} ms`);
  });

  it('registers every command package.json contributes', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const contributed: string[] = manifest.contributes.commands.map((command: { command: string }) => command.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.length >= 30, `only ${contributed.length} commands contributed`);
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });

  it('uses the data directory and backup directory settings', async () => {
    const { service } = await getApi();
    assert.equal(service.pronto.layout.dataDir, dirs.data);
    assert.equal(service.engineEnv().PRONTODB_DATA_DIR, dirs.data);
  });

  it('shows the version', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    // showVersion shows a message without waiting for it; the command returns the version.
    assert.equal(await vscode.commands.executeCommand('prontodb.showVersion'), manifest.version);
  });
});
