// Integrated terminals: the bundled prontodb on PATH and the sidebar's database/cursor/user.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cli, clearSelections, dirs, ensureWorkAndPlay, getApi, nodeAt, poll, REPO_ROOT, SHIM, sleep, standalone } from './helpers';

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
  standalone('08-terminal');
  before(ensureWorkAndPlay);
  afterEach(clearSelections);

  it('puts dist/bin on PATH and the data directory in the environment, but not the global choice (the CLI reads it itself)', async () => {
    const { service, terminalEnvironment, statusBar } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await poll('the status bar to show wk', () => statusBar.text.includes('wk'));
    await sleep(100);
    const pathEntry = terminalEnvironment.get('PATH')!;
    assert.equal(pathEntry.type, vscode.EnvironmentVariableMutatorType.Prepend);
    assert.equal(pathEntry.value, `${path.join(REPO_ROOT, 'dist', 'bin')}${path.delimiter}`);
    assert.equal(terminalEnvironment.get('PRONTODB_DATA_DIR')?.value, dirs.data);
    assert.equal(terminalEnvironment.get('PRONTODB_BACKUP_DIR')?.value, dirs.backups);
    // These would outrank a `prontodb cursor use` typed in the terminal.
    for (const name of ['PRONTODB_CURSOR', 'PRONTODB_DATABASE', 'PRONTODB_DATABASE_PATH', 'PRONTODB_USER']) assert.equal(terminalEnvironment.get(name), undefined, name);
    assert.ok(fs.existsSync(SHIM));
  });

  it('`prontodb get` with that environment reads what the tree shows', async () => {
    const { service, databases, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
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

  it('`prontodb cursor use` in a terminal takes effect there and in the sidebar (issue 6 item 16)', async () => {
    const { service, statusBar, cursors, terminalEnvironment } = await getApi();
    await vscode.commands.executeCommand('prontodb.useCursor', 'wk');
    await poll('the status bar to show wk', () => statusBar.text.includes('wk'));
    const env = terminalEnv(terminalEnvironment);
    const used = await cli(['cursor', 'use', 'pl'], { command: 'prontodb', env, exactEnv: true });
    assert.equal(used.code, 0, used.stderr);
    const started = Date.now();
    await poll('the sidebar to follow the CLI\'s selection', () => service.target().cursor?.name === 'pl' && statusBar.text.includes('pl'), 5000);
    console.log(`      sidebar followed \`cursor use\` in ${Date.now() - started} ms`);
    assert.equal(cursors.getChildren().find((node) => node.active)?.cursor.name, 'pl');
    const got = await cli(['-q', 'get', 'app.config.who'], { command: 'prontodb', env: terminalEnv(terminalEnvironment), exactEnv: true });
    assert.equal(got.stdout, 'play\n', 'the same terminal now reads the cursor it selected');
  });

  it('a workspace-only choice, which the CLI cannot know, is passed to terminals; so is a user the CLI would not take', async () => {
    const { service, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'pl' }, 'workspace');
    await poll('PRONTODB_CURSOR=pl', () => terminalEnvironment.get('PRONTODB_CURSOR')?.value === 'pl');
    const got = await cli(['-q', 'get', 'app.config.who'], { command: 'prontodb', env: terminalEnv(terminalEnvironment), exactEnv: true });
    assert.equal(got.stdout, 'play\n');
    await service.select(undefined, 'workspace');
    await poll('PRONTODB_CURSOR to go', () => terminalEnvironment.get('PRONTODB_CURSOR') === undefined);
    try {
      await service.setUser('terminaluser');
      await poll('PRONTODB_USER=terminaluser', () => terminalEnvironment.get('PRONTODB_USER')?.value === 'terminaluser');
    } finally {
      await service.setUser('default');
    }
    await poll('PRONTODB_USER to go', () => terminalEnvironment.get('PRONTODB_USER') === undefined);
  });

  it('a real integrated terminal runs the bundled prontodb on the active cursor', async function () {
    this.timeout(30000);
    const { service, statusBar } = await getApi();
    await service.select({ kind: 'cursor', name: 'pl' }, 'global');
    await poll('the status bar to show pl', () => statusBar.text.includes('pl'));
    const out = path.join(dirs.scratch, 'terminal-out.txt');
    fs.rmSync(out, { force: true });
    const terminal = vscode.window.createTerminal({ name: 'prontodb-test', cwd: dirs.scratch, shellPath: '/bin/sh' });
    try {
      terminal.sendText(`{ command -v prontodb; prontodb -q get app.config.who; echo "exit=$?"; prontodb -q cursor use wk; prontodb -q get app.config.who; } > '${out}.tmp' 2>&1; mv '${out}.tmp' '${out}'`);
      const text: string = await poll('the terminal command to finish', () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''), 20000, 200);
      const [which, value, exit, after] = text.trim().split('\n');
      assert.equal(which, SHIM);
      assert.equal(value, 'play');
      assert.equal(exit, 'exit=0');
      assert.equal(after, 'work', '`cursor use` in the terminal took effect in that terminal');
      await poll('the sidebar to follow the terminal', () => statusBar.text.includes('wk'));
    } finally {
      terminal.dispose();
    }
  });
});
