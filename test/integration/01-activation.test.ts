import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activation, dirs, EXTENSION_ID, getApi, REPO_ROOT, standalone } from './helpers';

describe('activation', () => {
  standalone('01-activation');

  it('runs the real extension (dist/extension.js) in a VS Code 1.100+ extension host', async () => {
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major! > 1 || minor! >= 100, `VS Code ${vscode.version} is older than 1.100`);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    assert.equal(path.resolve(extension.extensionPath), REPO_ROOT);
    assert.equal(extension.packageJSON.main, './dist/extension.js');
  });

  // How long is the benchmark's to report (bench/run.mjs, case "activation": the extension host's
  // own figure, median of several hosts); a wall-clock bound here would fail on a loaded machine.
  it('is activated on first use, and that activation is timed from the extension host\'s side (loading the bundle + activate())', async () => {
    assert.equal(activation.wasActive, false, 'nothing had activated the extension before the suite timed it');
    assert.ok(typeof activation.ms === 'number' && activation.ms > 0, `measured: ${activation.ms}`);
    console.log(`      activation seen from the extension host: ${activation.ms.toFixed(1)} ms (activate() itself: ${(await getApi()).activationMs.toFixed(1)} ms)`);
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
