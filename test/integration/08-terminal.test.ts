// Integrated terminals: the bundled prontodb on PATH and the sidebar's database/cursor/user.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cli, clearSelections, dirs, ensureWorkAndPlay, getApi, nodeAt, poll, REPO_ROOT, SHIM } from './helpers';

/** The environment a terminal created now gets: the collection applied over this process's. */
function terminalEnv(collection: vscode.EnvironmentVariableCollection): Record<string, string> {
  const env: Record<string, string> = { HOME: process.env.HOME!, TMPDIR: process.env.TMPDIR!, PATH: process.env.PATH! };
  collection.forEach((variable, mutator) => {
    const current = env[variable] ?? '';
    if (mutator.type === vscode.EnvironmentVariableMutatorType.Replace) env[variable] = mutator.value;
    else if (mutator.type === vscode.EnvironmentVariableMutatorType.Prepend) env[variable] = mutator.value + current;
    else env[variable] = current + mutator.value;
  });
  return env;
}

describe('terminal environment', () => {
  before(ensureWorkAndPlay);
  afterEach(clearSelections);

  it('puts dist/bin on PATH and the active cursor, user and data directory in the environment', async () => {
    const { service, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await poll('PRONTODB_CURSOR=wk', () => terminalEnvironment.get('PRONTODB_CURSOR')?.value === 'wk');
    const pathEntry = terminalEnvironment.get('PATH')!;
    assert.equal(pathEntry.type, vscode.EnvironmentVariableMutatorType.Prepend);
    assert.equal(pathEntry.value, `${path.join(REPO_ROOT, 'dist', 'bin')}${path.delimiter}`);
    assert.equal(terminalEnvironment.get('PRONTODB_USER')?.value, 'default');
    assert.equal(terminalEnvironment.get('PRONTODB_DATA_DIR')?.value, dirs.data);
    assert.equal(terminalEnvironment.get('PRONTODB_BACKUP_DIR')?.value, dirs.backups);
    assert.equal(terminalEnvironment.get('PRONTODB_DATABASE'), undefined);
    assert.ok(fs.existsSync(SHIM));

    // A database selection replaces the cursor variable.
    await service.select({ kind: 'database', name: 'play' }, 'global');
    await poll('PRONTODB_DATABASE=play', () => terminalEnvironment.get('PRONTODB_DATABASE')?.value === 'play');
    assert.equal(terminalEnvironment.get('PRONTODB_CURSOR'), undefined);
  });

  it('`prontodb get` with that environment reads what the tree shows', async () => {
    const { service, databases, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await poll('PRONTODB_CURSOR=wk', () => terminalEnvironment.get('PRONTODB_CURSOR')?.value === 'wk');
    const env = terminalEnv(terminalEnvironment);
    // 'prontodb' resolved through the PATH the terminal gets: the bundled shim.
    const result = await cli(['get', 'app.config.who'], { command: 'prontodb', env, exactEnv: true });
    assert.equal(result.code, 0, result.stderr);
    const shown = databases.getTreeItem(await nodeAt('work', 'app', 'config', 'who')).description;
    assert.equal(shown, 'work');
    assert.equal(result.stdout, `${shown}\n`);
    const active = await cli(['cursor', 'active'], { command: 'prontodb', env, exactEnv: true });
    assert.match(active.stdout, /^wk\t.*pronto\.work\.prdb\t/);
  });

  it('a real integrated terminal runs the bundled prontodb on the active cursor', async function () {
    this.timeout(30000);
    const { service, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'pl' }, 'global');
    await poll('PRONTODB_CURSOR=pl', () => terminalEnvironment.get('PRONTODB_CURSOR')?.value === 'pl');
    const out = path.join(dirs.scratch, 'terminal-out.txt');
    fs.rmSync(out, { force: true });
    const terminal = vscode.window.createTerminal({ name: 'prontodb-test', cwd: dirs.scratch, shellPath: '/bin/sh' });
    try {
      terminal.sendText(`{ command -v prontodb; prontodb -q get app.config.who; echo "exit=$?"; } > '${out}.tmp' 2>&1; mv '${out}.tmp' '${out}'`);
      const text: string = await poll('the terminal command to finish', () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''), 20000, 200);
      const [which, value, exit] = text.trim().split('\n');
      assert.equal(which, SHIM);
      assert.equal(value, 'play');
      assert.equal(exit, 'exit=0');
    } finally {
      terminal.dispose();
    }
  });
});
