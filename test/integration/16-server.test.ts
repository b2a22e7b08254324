// A database on a PostgreSQL server (issue 11 items 3 and 5), in the real extension host: the
// password the server wants, asked once and kept in VS Code's SecretStorage; writes of another
// machine (the CLI with another HOME) in the tree and in an open value document within a second;
// the server killed and restarted: the log and the status bar say so, and the tree is current after.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type PostgresCluster, startPostgres } from '../helpers/postgres';
import { cli, closeAllEditors, dirs, getApi, labelOf, labelsUnder, type Node, nodeAt, outsideHostTemp, poll, sleep, standalone, withStubs } from './helpers';

type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'appendLine' | 'append';
const LOG_LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'appendLine', 'append'];

/** Every line the extension logs from now on (the real channel still gets them); `stop()` ends it. */
function captureLog(log: vscode.LogOutputChannel): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const target = log as unknown as Record<LogLevel, (...args: unknown[]) => void>;
  const originals = new Map<LogLevel, (...args: unknown[]) => void>();
  for (const level of LOG_LEVELS) {
    const original = target[level];
    originals.set(level, original);
    target[level] = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
      original.apply(log, args);
    };
  }
  return { lines, stop: () => { for (const [level, original] of originals) target[level] = original; } };
}

/** Files under `dir` (recursively) whose bytes hold `needle`. */
function filesHolding(dir: string, needle: string, skip: (file: string) => boolean = () => false): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(folder, entry.name);
      if (skip(file)) continue;
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && fs.statSync(file).size < 8 * 1024 * 1024 && fs.readFileSync(file).includes(needle)) found.push(file);
    }
  };
  walk(dir);
  return found;
}

/**
 * Reads `node`'s children each time the Databases view fires a change (what VS Code does), and
 * records when a read first satisfies `wanted`. Direct reads alone would not show that the view refreshes.
 */
function readOnRefresh(node: Node, wanted: (labels: string[]) => boolean): { at: number; dispose(): void } {
  const state = { at: 0, dispose: () => subscription?.dispose() };
  let subscription: vscode.Disposable | undefined;
  void getApi().then(({ databases }) => {
    subscription = databases.onDidChangeTreeData(() => {
      void labelsUnder(node).then(
        (labels) => {
          if (!state.at && wanted(labels)) state.at = Date.now();
        },
        () => undefined,
      );
    });
  });
  return state;
}

describe('a database on a PostgreSQL server', function () {
  standalone('16-server');
  this.timeout(60_000);
  let cluster: PostgresCluster | undefined;
  let password: string;
  /** The extension's location: the URL without the password. */
  let url: string;
  /** The other machine's: its URL in its environment, as a CI job or an agent elsewhere would have it. */
  let otherMachine: (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>;
  let log: { lines: string[]; stop(): void };
  let key: string;

  before(async function () {
    this.timeout(120_000);
    cluster = await outsideHostTemp(() => startPostgres());
    ({ password } = await cluster.createRoleAndDatabase('alice', 'team'));
    url = cluster.url({ user: 'alice', password: null, database: 'team' });
    key = `alice@127.0.0.1:${cluster.port}/team`;
    const home = path.join(dirs.scratch, 'other-home');
    fs.mkdirSync(home, { recursive: true });
    const withPassword = cluster.url({ user: 'alice', password, database: 'team' });
    otherMachine = async (args) => {
      const started = Date.now();
      const result = await cli(['-q', ...args], {
        exactEnv: true,
        env: { PATH: process.env.PATH, HOME: home, PRONTODB_DATA_DIR: path.join(home, 'data'), PRONTODB_DATABASE_URL: withPassword },
      });
      return { ...result, ms: Date.now() - started };
    };
    const seeded = await otherMachine(['set', 'team.feed.first', '1']);
    assert.equal(seeded.code, 0, seeded.stderr);
    const { service } = await getApi();
    log = captureLog(service.log);
    // This machine: a cursor at the server, without the password. It is chosen in the first test,
    // under its stubs: choosing it makes the status bar read at once, and that refused read asks for
    // the password; asked before the stubs, the question would be a real input box nobody answers.
    await service.pronto.cursors.set('team', 'default', { location: url });
  });

  after(async function () {
    this.timeout(60_000);
    log?.stop();
    const { service } = await getApi();
    // The server goes first: a value document still loaded could otherwise be read once more after
    // the password is forgotten, and ask for it in a later file's test.
    await service.select(undefined, 'global');
    await closeAllEditors();
    // Every connection closed before the server goes: a server stopped with `pg_ctl stop -m immediate`
    // under open connections twice crashed the extension host here (an uncaught TypeError in the
    // driver, postgres 3.4.9, writing to a closed socket from a timer; see the report of issue 11).
    const engine = service.pronto;
    service.reset();
    await engine.close();
    cluster?.kill();
    cluster?.destroy();
    for (const kept of service.passwords.keys()) {
      await withStubs((s) => s.quietMessages().stub('showQuickPick', async (items: vscode.QuickPickItem[]) => items.find((item) => item.label === kept)), async () =>
        vscode.commands.executeCommand('prontodb.forgetServerPassword'),
      );
    }
    service.reset();
  });

  it('asks once for the password the server wants, keeps it in SecretStorage only, and reads with it', async () => {
    const { service, databases } = await getApi();
    const asked: vscode.InputBoxOptions[] = [];
    await withStubs(
      (s) => {
        s.quietMessages();
        const answers = ['not-the-password', password];
        s.stub('showInputBox', async (options: vscode.InputBoxOptions) => {
          asked.push(options);
          return answers.shift();
        });
      },
      async () => {
        // Chosen as the command line would (`cursor use`).
        await service.select({ kind: 'cursor', name: 'team' }, 'global');
        const roots = await databases.getChildren();
        const team = roots.find((node) => node.kind === 'database' && node.active);
        assert.ok(team, `the active server database is in the tree: ${roots.map((node) => labelOf(databases.getTreeItem(node))).join(', ')}`);
        // The first read is refused (no password anywhere): the question comes, a wrong answer asks again.
        await poll('the tree to show the project the other machine wrote', async () => (await labelsUnder(team)).includes('team'), 20_000);
        assert.equal(asked.length, 2, 'asked twice: the wrong answer was refused by the server, the right one taken');
        assert.ok(asked.every((options) => options.password === true), 'the input box hides what is typed');
        assert.match(String(asked[0]!.title), new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.match(String(asked[1]!.prompt), /refused that password/);
        assert.deepEqual(await labelsUnder(await nodeAt(labelOf(databases.getTreeItem(team)), 'team', 'feed')), ['first']);
        // Kept in SecretStorage under user@host/db once the server took it (the tree may read with it a moment before), and the core's hook hands it out.
        await poll('the password to be kept', () => service.passwords.keys().includes(key));
        assert.deepEqual(service.passwords.keys(), [key]);
        assert.equal(await service.passwords.lookup(url), password);
        // A fresh engine (all connections new) reads again without asking.
        service.reset();
        await poll('the tree to read again after a reset', async () => {
          const again = (await databases.getChildren()).find((node) => node.kind === 'database' && node.active);
          return again && (await labelsUnder(again)).includes('team');
        }, 20_000);
        assert.equal(asked.length, 2, 'not asked again');
      },
    );
    // The password is nowhere but in SecretStorage: not in the log, cursor files, selections, .prontodb, settings.
    // Logged once VS Code's global state took the key (a round trip to the main process), which can come after the reads above.
    await poll(`the log to say where the password went: ${log.lines.join('\n')}`, () => log.lines.some((line) => line.includes(`password for ${key} is kept`)), 10_000);
    assert.deepEqual(log.lines.filter((line) => line.includes(password)), []);
    const home = process.env.HOME!;
    const cursorFile = service.pronto.cursors.find('team', 'default')!;
    assert.ok(cursorFile, 'the cursor exists');
    assert.deepEqual(filesHolding(dirs.root, password), [], 'no file of the test folders (data directories, workspace) holds it');
    assert.deepEqual(filesHolding(path.join(home, '.local'), password), [], 'no selection or data file in HOME holds it');
    const settings = filesHolding(path.dirname(home), '"prontodb.', (file) => file.includes('node_modules')).filter((file) => file.endsWith('settings.json'));
    assert.ok(settings.length > 0, 'the user settings file was found');
    for (const file of settings) assert.ok(!fs.readFileSync(file, 'utf8').includes(password), `${file} holds the password`);
  });

  it('another machine\'s write shows in the tree and in an open value document within a second', async () => {
    const { databases } = await getApi();
    const team = (await databases.getChildren()).find((node) => node.kind === 'database' && node.active)!;
    const database = labelOf(databases.getTreeItem(team));
    const feed = await nodeAt(database, 'team', 'feed');
    assert.deepEqual(await labelsUnder(feed), ['first']);
    await sleep(500); // the change listener connects on the first read
    // Only the view's own refresh counts: it is read when it fires, as VS Code reads it.
    const seen = readOnRefresh(feed, (labels) => labels.includes('second'));
    try {
      const startedAt = Date.now();
      const written = await otherMachine(['set', 'team.feed.second', '2']);
      assert.equal(written.code, 0, written.stderr);
      const writtenAt = Date.now();
      const seenAt = await poll('a refresh of the tree listing the other machine\'s key', () => seen.at, 10_000, 20);
      console.log(`      tree refreshed with the other machine's key ${seenAt - startedAt} ms after its CLI started, ${seenAt - writtenAt} ms after it exited (it ran ${written.ms} ms)`);
      assert.ok(seenAt - writtenAt < 1000, `the tree showed it ${seenAt - writtenAt} ms after the write`);
    } finally {
      seen.dispose();
    }

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt(database, 'team', 'feed', 'first'));
    const { document } = editor;
    assert.equal(document.getText(), '1');
    const rewrite = await otherMachine(['set', 'team.feed.first', 'one, from the other machine']);
    assert.equal(rewrite.code, 0, rewrite.stderr);
    const rewrittenAt = Date.now();
    await poll('the open document to show the new value', () => document.getText() === 'one, from the other machine', 10_000, 20);
    const documentLatency = Date.now() - rewrittenAt;
    console.log(`      the open value document updated ${documentLatency} ms after the other machine's CLI exited`);
    assert.ok(documentLatency < 1000, `the document updated ${documentLatency} ms after the write`);
    assert.equal(document.isDirty, false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the server killed: the log and the status bar say so; restarted: they say it is back, and the tree is current', async function () {
    this.timeout(90_000);
    const { service, databases, statusBar } = await getApi();
    const location = service.pronto.canonicalLocation(url);
    assert.ok(!statusBar.text.includes('reconnecting'), `connected at first: ${statusBar.text}`);
    const before = log.lines.length;
    const team = (await databases.getChildren()).find((node) => node.kind === 'database' && node.active)!;
    const feed = await nodeAt(labelOf(databases.getTreeItem(team)), 'team', 'feed');
    cluster!.kill();
    const killedAt = Date.now();
    await poll('the status bar to show the lost connection', () => statusBar.text.includes('reconnecting'), 15_000);
    console.log(`      status bar showed the lost connection ${Date.now() - killedAt} ms after SIGKILL: ${statusBar.text}`);
    assert.ok(statusBar.text.startsWith('$(debug-disconnect)'), statusBar.text);
    assert.ok(log.lines.slice(before).some((line) => /^Lost the connection listening for changes of .*127\.0\.0\.1/.test(line)), `the log says it: ${log.lines.slice(before).join('\n')}`);
    // Down long enough that the listener's pauses between attempts have grown past the restart and the write below.
    await sleep(4000);
    // Backends of the killed postmaster may hold its shared memory a moment longer.
    for (let attempt = 1; ; attempt++) {
      try {
        cluster!.start();
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250);
      }
    }
    const restartedAt = Date.now();
    const seen = readOnRefresh(feed, (labels) => labels.includes('third'));
    const written = await otherMachine(['set', 'team.feed.third', 'written while this machine was not listening']);
    assert.equal(written.code, 0, written.stderr);
    const missedNotification = service.connections.isLost(location);
    await poll('the status bar to show the connection is back', () => !statusBar.text.includes('reconnecting'), 15_000);
    console.log(`      status bar back ${Date.now() - restartedAt} ms after the restart; the write came ${missedNotification ? 'before' : 'after'} the listener was back`);
    assert.ok(log.lines.slice(before).some((line) => /^Listening for changes of .* again$/.test(line)), `the log says it is back: ${log.lines.slice(before).join('\n')}`);
    try {
      await poll('a refresh of the tree listing the write made while not listening', () => seen.at, 10_000);
    } finally {
      seen.dispose();
    }
    assert.deepEqual(await labelsUnder(feed), ['first', 'second', 'third']);
    assert.deepEqual(log.lines.filter((line) => line.includes(password)), []);
  });

  it('Forget Server Password removes it; the next refused login asks again', async () => {
    const { service, databases } = await getApi();
    const picked: string[][] = [];
    await withStubs(
      (s) => s.quietMessages().stub('showQuickPick', async (items: vscode.QuickPickItem[]) => {
        picked.push(items.map((item) => item.label));
        return items[0];
      }),
      async () => {
        assert.equal(await vscode.commands.executeCommand('prontodb.forgetServerPassword'), key);
      },
    );
    assert.deepEqual(picked, [[key]]);
    assert.deepEqual(service.passwords.keys(), []);
    assert.equal(await service.passwords.lookup(url), undefined);
    let asked = 0;
    await withStubs(
      (s) => s.quietMessages().stub('showInputBox', async () => {
        asked++;
        return password;
      }),
      async () => {
        await poll('the tree to read with the password asked again', async () => {
          const team = (await databases.getChildren()).find((node) => node.kind === 'database' && node.active);
          return team && (await labelsUnder(team)).includes('team');
        }, 20_000);
      },
    );
    assert.equal(asked, 1, 'asked once');
    // The answer is kept once the server took it (the tree may read with it a moment before).
    await poll('the password to be kept again', () => service.passwords.keys().includes(key));
    assert.deepEqual(service.passwords.keys(), [key]);
  });
});
