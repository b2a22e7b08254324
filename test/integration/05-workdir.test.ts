// A .prontodb at the workspace folder root overrides the editor's selections, live (file watcher).
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cli, clearSelections, cliOk, dirs, ensureWorkAndPlay, getApi, nodeAt, poll, sleep, standalone, withStubs } from './helpers';

describe('.prontodb override', () => {
  standalone('05-workdir');
  const file = () => path.join(dirs.workspace, '.prontodb');
  before(async () => {
    await ensureWorkAndPlay();
    await cliOk(['set', 'workdir.test.main', 'exists']); // the workspace selection below names main
  });
  afterEach(async () => {
    fs.rmSync(file(), { force: true });
    await clearSelections();
  });

  it('a .prontodb written at the workspace root takes over within a second and beats both selections; removing it restores them', async () => {
    const { service, statusBar, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await service.select({ kind: 'database', name: 'main' }, 'workspace');
    await poll('the status bar to show main', () => statusBar.text.includes('main'));
    assert.equal(service.target().databaseName, 'main');
    assert.match(service.target().source, /^workspace selection/, 'the workspace selection beats the global one');

    const written = Date.now();
    fs.writeFileSync(file(), JSON.stringify({ database: 'play', project: 'app', namespace: 'config' }));
    // The status bar and the terminal environment only change when the watcher reports the file.
    await poll('the status bar to follow .prontodb', () => statusBar.text.includes('play'));
    const followedMs = Date.now() - written;
    console.log(`      .prontodb followed in ${followedMs} ms`);
    // Terminals drop the workspace-only choice: a prontodb started in the folder finds the .prontodb itself.
    await poll('the terminal environment to drop the workspace selection', () => terminalEnvironment.get('PRONTODB_DATABASE') === undefined);
    assert.equal((await cli(['-q', 'get', 'who'], { cwd: dirs.workspace })).stdout, 'play\n');
    const target = service.target();
    assert.equal(target.databaseName, 'play');
    assert.equal(target.source, `.prontodb at ${dirs.workspace}`);
    assert.equal(target.defaultProject, 'app');
    // Its default project/namespace apply to short addresses.
    assert.equal((await (await service.session()).get('who'))?.value, 'play');
    assert.ok(followedMs < 3000, `took ${followedMs} ms`);

    const removed = Date.now();
    fs.rmSync(file());
    await poll('the status bar to drop .prontodb', () => statusBar.text.includes('main'));
    console.log(`      removal followed in ${Date.now() - removed} ms`);
    assert.equal(service.target().databaseName, 'main');
    assert.match(service.target().source, /^workspace selection/);
  });

  it('a .prontodb pointing outside the data directory: the trusted workspace obeys it, and its terminals get consent for exactly that content (issue 13)', async () => {
    const { service, statusBar, terminalEnvironment } = await getApi();
    const outside = path.join(dirs.scratch, 'outside.prdb');
    fs.writeFileSync(file(), `${outside}\n`);
    await poll('the status bar to follow the .prontodb', () => statusBar.text.includes('outside'));
    const consent = await poll('the terminal environment to carry the consent', () => terminalEnvironment.get('PRONTODB_ALLOWED_WORKDIR')?.value);
    const digest = createHash('sha256').update(fs.readFileSync(file())).digest('hex');
    assert.equal(consent, `${file()}#${digest}`);
    // A terminal's prontodb (that environment) writes where the sidebar reads; one without it ignores the file and says why.
    await cliOk(['set', 'where', 'outside'], { cwd: dirs.workspace, env: { PRONTODB_ALLOWED_WORKDIR: consent } });
    assert.equal((await (await service.session()).get('where'))?.value, 'outside');
    const plain = await cli(['get', 'where'], { cwd: dirs.workspace });
    assert.equal(plain.code, 2, 'without consent the CLI uses its own selection, where nothing is stored');
    assert.match(plain.stderr, /ignored .*\.prontodb: path points at .*outside\.prdb, outside the data directory, and it was not allowed/);
    // Consent is for the content: the same variable after an edit no longer applies.
    fs.writeFileSync(file(), `${path.join(dirs.scratch, 'other.prdb')}\n`);
    const stale = await cli(['get', 'where'], { cwd: dirs.workspace, env: { PRONTODB_ALLOWED_WORKDIR: consent } });
    assert.match(stale.stderr, /it was not allowed/);
  });

  it('follows an edit of the .prontodb (plain path form, then a cursor)', async () => {
    const { service, statusBar } = await getApi();
    fs.writeFileSync(file(), `${path.join(dirs.data, 'work', 'pronto.work.prdb')}\n`);
    await poll('the status bar to show work', () => statusBar.text.includes('work'));
    assert.equal(service.target().databaseName, 'work');
    fs.writeFileSync(file(), JSON.stringify({ cursor: 'pl' }));
    await poll('the status bar to show the cursor pl', () => /\bpl\b/.test(statusBar.text));
    assert.equal(service.target().cursor?.name, 'pl');
  });

  it('a malformed .prontodb is refused as the CLI refuses it, and reported once (issue 6 item 17)', async () => {
    const { service, statusBar, databases, cursors, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await poll('the status bar to show wk', () => statusBar.text.includes('wk'));
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      fs.writeFileSync(file(), '{ "database": "play", "colour": "red" }');
      await poll('the status bar to show the error', () => /error/.test(statusBar.text));
      // The extension has no active database while the file is malformed, as the command line has none.
      let problem = '';
      assert.throws(() => service.target(), (error: Error) => {
        problem = error.message;
        return /unknown setting 'colour'/.test(error.message) && error.message.includes(file());
      });
      await assert.rejects(service.session(), /unknown setting 'colour'/);
      const cliResult = await cli(['get', 'app.config.who'], { cwd: dirs.workspace });
      assert.equal(cliResult.code, 1, 'the CLI refuses too');
      assert.ok(cliResult.stderr.includes(problem), `the CLI says the same: ${cliResult.stderr}`);
      assert.equal(cliResult.stdout, '');
      // The tree says why, first, with the file one click away; no database is marked active.
      const roots = await databases.getChildren();
      const first = databases.getTreeItem(roots[0]!);
      assert.equal(roots[0]!.kind, 'message');
      assert.match(String(first.tooltip), /unknown setting 'colour'/);
      assert.equal(first.command?.command, 'vscode.open');
      assert.equal((first.command?.arguments?.[0] as vscode.Uri).fsPath, file());
      assert.ok(!roots.some((node) => node.kind === 'database' && node.active));
      assert.ok(!cursors.getChildren().some((node) => node.active));
      assert.equal(terminalEnvironment.get('PRONTODB_CURSOR'), undefined);
      const click = statusBar.command as vscode.Command;
      assert.equal(click.command, 'vscode.open', 'the status bar opens the file at fault');
      assert.equal((click.arguments?.[0] as vscode.Uri).fsPath, file());
      // Everything that resolves, many times over: one message, not one per resolve.
      for (let i = 0; i < 13; i++) {
        service.reset();
        await databases.getChildren();
        cursors.getChildren();
      }
      await sleep(500);
      const shown = [...stubs.messages('showErrorMessage'), ...stubs.messages('showWarningMessage')].filter((m) => m.includes('.prontodb'));
      assert.equal(shown.length, 1, `shown: ${JSON.stringify(shown)}`);
      assert.match(shown[0]!, /unknown setting 'colour'/);
      // Fixed: back on what the file names.
      fs.writeFileSync(file(), '{ "database": "play" }');
      await poll('the status bar to show play', () => statusBar.text.includes('play'));
      assert.equal(statusBar.command, 'prontodb.switchCursor');
    });
  });

  it('choosing a database while a .prontodb pins the folder says what pins it and offers to open it (issue 6 item 17)', async () => {
    const { service } = await getApi();
    fs.writeFileSync(file(), JSON.stringify({ database: 'play' }));
    await poll('.prontodb to apply', () => service.target().databaseName === 'play');
    await withStubs((s) => {
      s.quietMessages();
      s.stub('showWarningMessage', async (message: string, ...items: string[]) => (/pins this folder/.test(message) && items.includes('Open .prontodb') ? 'Open .prontodb' : undefined));
    }, async (stubs) => {
      await vscode.commands.executeCommand('prontodb.useDatabase', await nodeAt('work'));
      const [message] = stubs.messages('showWarningMessage');
      assert.ok(message, 'the choice is not silently ignored');
      assert.ok(message.includes(file()), message);
      assert.match(message, /pins this folder to database 'play'/);
      await poll('the .prontodb to open in an editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === file());
    });
    assert.equal(service.target().databaseName, 'play', 'the .prontodb still decides here');
    assert.deepEqual(service.globalSelection(), { kind: 'database', name: 'work' }, 'the choice is kept for everywhere else');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
