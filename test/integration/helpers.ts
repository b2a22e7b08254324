// Shared helpers for the integration suite. Everything here runs INSIDE the real VS Code extension
// host (code-server 4.100.3 = VS Code 1.100.3), loaded by index.ts through mochaRunner.js.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatabasesNode } from '../../src/extension/databasesView';
import type { ProntoExtensionApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'prontodb.prontodb';
/** The repository root: the development extension itself (package.json main = ./dist/extension.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
export const SHIM = path.join(REPO_ROOT, 'dist', 'bin', 'prontodb');

/** The folder the runner (test/runVscodeTests.mjs) prepared and passed in the environment. */
export function testRoot(): string {
  const root = process.env.PRONTODB_IT_ROOT;
  assert.ok(root && fs.existsSync(root), 'PRONTODB_IT_ROOT must name the folder prepared by test/runVscodeTests.mjs');
  return root;
}

/** The data, backup and scratch folders of the describe now running (see `standalone`). */
interface OwnFolders { name: string; data: string; backups: string; scratch: string }
let own: OwnFolders | undefined;
function ownFolders(): OwnFolders {
  assert.ok(own, 'this test has no folders of its own: call standalone(name) first in its top-level describe');
  return own;
}
export const dirs = {
  get root() { return testRoot(); },
  get data() { return ownFolders().data; },
  get backups() { return ownFolders().backups; },
  get scratch() { return ownFolders().scratch; },
  get workspace() { return vscode.workspace.workspaceFolders![0]!.uri.fsPath; },
};

let api: ProntoExtensionApi | undefined;
export async function getApi(): Promise<ProntoExtensionApi> {
  if (api) return api;
  const extension = vscode.extensions.getExtension<ProntoExtensionApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is loaded as a development extension`);
  api = await extension.activate();
  return api;
}

/**
 * The extension's activation as the extension host's caller sees it: from asking the host to
 * activate it (the host then loads dist/extension.js and calls activate()) until that resolves.
 * Taken once by index.ts before any test file loads; bench/run.mjs reports the host's own figure.
 */
export const activation: { ms?: number; wasActive?: boolean } = {};
export async function timeActivation(): Promise<void> {
  const extension = vscode.extensions.getExtension<ProntoExtensionApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is loaded as a development extension`);
  activation.wasActive = extension.isActive;
  const started = performance.now();
  api = await extension.activate();
  activation.ms = performance.now() - started;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (returned) or throws the last failure after `timeoutMs`. */
export async function poll<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = new Error(`got ${JSON.stringify(value)}`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(last as Error)?.message ?? last}`);
    await sleep(everyMs);
  }
}

/** Resolves with the first event fired (after `trigger` ran), or rejects after `timeoutMs`. */
export function nextEvent<T>(event: vscode.Event<T>, what: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { subscription.dispose(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
    const subscription = event((value) => { clearTimeout(timer); subscription.dispose(); resolve(value); });
  });
}

// ---- the CLI, as another process ------------------------------------------------------------------

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** The bundled CLI (node dist/cli.js), on the test data directory, with this host's HOME. */
export function cli(
  args: string[],
  options: { env?: Record<string, string | undefined>; exactEnv?: boolean; cwd?: string; command?: string; stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = options.exactEnv ? { ...options.env } : {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      PRONTODB_DATA_DIR: dirs.data,
      PRONTODB_BACKUP_DIR: dirs.backups,
      ...options.env,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const [command, commandArgs] = options.command ? [options.command, args] : [process.execPath, [CLI, ...args]];
    // cwd outside the workspace: a .prontodb written by a test must not steer the CLI unless wanted.
    const child = spawn(command, commandArgs, { env: env as NodeJS.ProcessEnv, cwd: options.cwd ?? dirs.scratch, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** `prontodb get` through the CLI; undefined on a miss (exit 2). */
export async function cliGet(address: string, extraArgs: string[] = []): Promise<string | undefined> {
  const result = await cli(['-q', ...extraArgs, 'get', address]);
  if (result.code === 2) return undefined;
  assert.equal(result.code, 0, `prontodb get ${address} failed: ${result.stderr}`);
  return result.stdout.replace(/\n$/, '');
}

export async function cliOk(args: string[], options: Parameters<typeof cli>[1] = {}): Promise<string> {
  const result = await cli(['-q', ...args], options);
  assert.equal(result.code, 0, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

// ---- stubbing the editor's prompts --------------------------------------------------------------

type WindowKey = 'showInputBox' | 'showQuickPick' | 'showWarningMessage' | 'showInformationMessage' | 'showErrorMessage' | 'showSaveDialog' | 'showOpenDialog' | 'createQuickPick';

/**
 * Replaces functions of `vscode.window` (the same object the extension's bundle reads: both are
 * this extension's API instance) until `restore()`; records every call.
 */
export class WindowStubs {
  private readonly originals = new Map<WindowKey, unknown>();
  readonly calls: Array<{ name: WindowKey; args: unknown[] }> = [];

  stub<Args extends unknown[]>(name: WindowKey, impl: (...args: Args) => unknown): this {
    const win = vscode.window as unknown as Record<string, unknown>;
    if (!this.originals.has(name)) this.originals.set(name, win[name]);
    win[name] = (...args: unknown[]) => {
      this.calls.push({ name, args });
      return impl(...(args as Args));
    };
    return this;
  }

  /** Input boxes answered in order; each answer is first checked with the box's own validateInput. */
  inputs(...answers: string[]): this {
    const queue = [...answers];
    return this.stub('showInputBox', async (options: vscode.InputBoxOptions = {}) => {
      assert.ok(queue.length > 0, `unexpected input box: ${options.prompt}`);
      const answer = queue.shift()!;
      const problem = await options.validateInput?.(answer);
      assert.ok(!problem, `input '${answer}' for '${options.prompt}' was rejected: ${typeof problem === 'string' ? problem : JSON.stringify(problem)}`);
      return answer;
    });
  }

  /** Messages of a kind (information/warning/error) shown so far, as text. */
  messages(name: 'showWarningMessage' | 'showInformationMessage' | 'showErrorMessage'): string[] {
    return this.calls.filter((call) => call.name === name).map((call) => String(call.args[0]));
  }

  /** Non-modal messages resolve at once (as if dismissed); modal confirmations answer `confirmWith`. */
  quietMessages(confirmWith?: string): this {
    const answer = (...args: unknown[]) => {
      const [, options] = args as [string, vscode.MessageOptions | undefined];
      if (options && typeof options === 'object' && 'modal' in options && options.modal) return Promise.resolve(confirmWith);
      return Promise.resolve(undefined);
    };
    this.stub('showInformationMessage', answer);
    this.stub('showWarningMessage', answer);
    this.stub('showErrorMessage', answer);
    return this;
  }

  restore(): void {
    const win = vscode.window as unknown as Record<string, unknown>;
    for (const [name, original] of this.originals) win[name] = original;
    this.originals.clear();
  }
}

/** Runs `body` with stubs installed, always restoring them. */
export async function withStubs<T>(setup: (stubs: WindowStubs) => void, body: (stubs: WindowStubs) => Promise<T>): Promise<T> {
  const stubs = new WindowStubs();
  try {
    setup(stubs);
    return await body(stubs);
  } finally {
    stubs.restore();
  }
}

// ---- the Databases tree --------------------------------------------------------------------------

export type Node = DatabasesNode;

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

/** Children of a node whose label is `label` (or throws, listing what there is). */
export async function childNamed(parent: Node | undefined, label: string): Promise<Node> {
  const { databases } = await getApi();
  const children = await databases.getChildren(parent);
  const found = children.find((child) => labelOf(databases.getTreeItem(child)) === label);
  assert.ok(found, `no '${label}' under ${parent ? labelOf(databases.getTreeItem(parent)) : 'the root'}: ${children.map((c) => labelOf(databases.getTreeItem(c))).join(', ')}`);
  return found;
}

/** database → project → namespace → key by labels. */
export async function nodeAt(...labels: string[]): Promise<Node> {
  let node: Node | undefined;
  for (const label of labels) node = await childNamed(node, label);
  return node!;
}

export async function labelsUnder(node: Node | undefined): Promise<string[]> {
  const { databases } = await getApi();
  return (await databases.getChildren(node)).map((child) => labelOf(databases.getTreeItem(child)));
}

/** Clears the user's editor selections so each test starts from the data directory's default. */
export async function clearSelections(): Promise<void> {
  const { service } = await getApi();
  await service.select(undefined, 'workspace');
  await service.select(undefined, 'global');
}

// ---- each file on its own --------------------------------------------------------------------------

/** Closes every editor, reverting unsaved value documents first (no "save?" prompt can block). */
export async function closeAllEditors(): Promise<void> {
  for (const document of vscode.workspace.textDocuments) {
    if (document.uri.scheme === 'prontodb' && document.isDirty) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** The settings `standalone` points at a file's own folders; every other setting goes back to its default. */
const FOLDER_SETTINGS = new Set(['dataDirectory', 'backupDirectory']);

/**
 * Puts back what every file shares, whatever an earlier file (or a failed test) left: no editors or
 * terminals, no `.prontodb` in the workspace folder, the default user, no selection of any user (the
 * command line's selection files live in HOME, not in the data directory) nor of the workspace, and
 * the extension's settings at their defaults (but the data and backup folders).
 */
export async function resetSharedState(): Promise<void> {
  const { service } = await getApi();
  await closeAllEditors();
  for (const terminal of vscode.window.terminals) terminal.dispose();
  fs.rmSync(path.join(dirs.workspace, '.prontodb'), { force: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, unknown> } } };
  const config = vscode.workspace.getConfiguration('prontodb');
  for (const key of Object.keys(manifest.contributes.configuration.properties).map((name) => name.replace(/^prontodb\./, ''))) {
    const set = config.inspect(key);
    if (set?.workspaceValue !== undefined) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    if (set?.globalValue !== undefined && !FOLDER_SETTINGS.has(key)) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
  }
  await service.setUser('default');
  await service.select(undefined, 'workspace');
  for (const user of service.pronto.knownUsers()) service.pronto.cursors.clearSelection(user);
  service.reset();
  await poll('the extension to be back on the default target', () => {
    const target = service.target();
    return target.source === 'default' && target.user === 'default' && !target.cursor && target.databaseName === 'main';
  }, 20000);
}

/**
 * Makes the enclosing describe independent of the others and of their order: before it runs, the
 * shared state is reset (resetSharedState) and the extension is pointed (through its settings) at
 * fresh, empty folders of its own, PRONTODB_IT_ROOT/files/<name>/{data,backups,scratch}, which
 * `dirs` and `cli` then use; after it, the shared state is reset again. Call it first in every
 * top-level describe, with a name no other describe uses.
 */
export function standalone(name: string): void {
  before(async function () {
    this.timeout(60000);
    const base = path.join(testRoot(), 'files', name);
    fs.rmSync(base, { recursive: true, force: true });
    own = { name, data: path.join(base, 'data'), backups: path.join(base, 'backups'), scratch: path.join(base, 'scratch') };
    for (const dir of [own.data, own.backups, own.scratch]) fs.mkdirSync(dir, { recursive: true });
    const { service } = await getApi();
    const config = vscode.workspace.getConfiguration('prontodb');
    await config.update('dataDirectory', own.data, vscode.ConfigurationTarget.Global);
    await config.update('backupDirectory', own.backups, vscode.ConfigurationTarget.Global);
    await poll(`the extension to use the folders of '${name}'`, () => service.pronto.layout.dataDir === own!.data && service.backupDirectory() === own!.backups, 20000);
    await resetSharedState();
  });
  // Mocha runs a describe's after hooks in the order they were added, so this one comes before the
  // file's own: the folders stay set for those. The next describe's before resets again anyway.
  after(async function () {
    this.timeout(60000);
    await resetSharedState();
  });
}

/**
 * Databases `work` and `play` (each holding app.config.who = its name) and cursors `wk` → work and
 * `pl` → play, in the running file's own data directory (made if missing).
 */
export async function ensureWorkAndPlay(): Promise<void> {
  const { service } = await getApi();
  const names = service.pronto.listDatabases().map((db) => db.name);
  for (const name of ['work', 'play']) {
    if (!names.includes(name)) await cliOk(['db', 'create', name]);
    if ((await cliGet('app.config.who', ['--database', name])) !== name) await cliOk(['--database', name, 'set', 'app.config.who', name]);
  }
  if (!service.pronto.cursors.find('wk', 'default')) await service.pronto.cursors.set('wk', 'default', { database: 'work' });
  if (!service.pronto.cursors.find('pl', 'default')) await service.pronto.cursors.set('pl', 'default', { database: 'play' });
}

/**
 * Runs `start` (a throwaway PostgreSQL cluster) with TMPDIR and the working directory at /tmp: as
 * root the server runs as the `postgres` user, which cannot enter the extension host's private
 * TMPDIR or HOME. Both are put back afterwards.
 */
export async function outsideHostTemp<T>(start: () => Promise<T>): Promise<T> {
  const [savedTmp, savedCwd] = [process.env.TMPDIR, process.cwd()];
  process.env.TMPDIR = '/tmp';
  process.chdir('/tmp');
  try {
    return await start();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    process.chdir(savedCwd);
  }
}
