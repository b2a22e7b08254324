import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_USER, validateUserName } from '../core/cursors';
import { databaseFile, layoutFromEnv } from '../core/paths';
import { ProntoDB, type ResolvedTarget, type Selection, type Session } from '../core/pronto';
import { configureSqlJs } from '../core/sqljs';
import { parseWorkdirConfig, WORKDIR_FILE_NAME, type WorkdirConfig } from '../core/workdir';

/** What the user picked in the editor: a cursor or a database, by name. */
export interface EditorSelection {
  kind: 'cursor' | 'database';
  name: string;
}

const SELECTIONS_KEY = 'prontodb.selections';
const USER_KEY = 'prontodb.user';
const WORKSPACE_SELECTION_KEY = 'prontodb.selection';
/**
 * What the core's resolve() gets when no `.prontodb` applies. Passing `undefined` would make it load
 * one itself from the engine's cwd (the workspace folder), bypassing workspace trust and the
 * validation warning below, and failing on an invalid file.
 */
const NO_WORKDIR: WorkdirConfig = Object.freeze({ file: '', cursors: {}, users: {} }) as WorkdirConfig;

/**
 * The one place the extension talks to the engine: builds ProntoDB from the settings, keeps the
 * user's selection in global state (per user, synced) and workspace state, resolves which database
 * is active, and tells the views when the target or the data changed.
 */
export class ProntoService implements vscode.Disposable {
  private engine: ProntoDB | undefined;
  private readonly targetChanged = new vscode.EventEmitter<void>();
  private readonly dataChanged = new vscode.EventEmitter<{ file: string; origin: 'local' | 'external' }>();
  private readonly watched = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly warned = new Set<string>();
  readonly onDidChangeTarget = this.targetChanged.event;
  readonly onDidChangeData = this.dataChanged.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    configureSqlJs({ wasmPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'sql-wasm.wasm').fsPath });
    // Names only: which cursor a user works in follows them to other machines.
    context.globalState.setKeysForSync([SELECTIONS_KEY, USER_KEY]);
    this.disposables.push(
      this.targetChanged,
      this.dataChanged,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('prontodb.dataDirectory') || event.affectsConfiguration('prontodb.user')) this.reset();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.targetChanged.fire()),
    );
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, WORKDIR_FILE_NAME));
      const changed = () => this.targetChanged.fire();
      this.disposables.push(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed));
    }
  }

  private settings() {
    return vscode.workspace.getConfiguration('prontodb');
  }

  /** Environment the engine (and terminals) should see: the data directory setting on top of ours. */
  engineEnv(): Record<string, string | undefined> {
    const dataDirectory = this.settings().get<string>('dataDirectory')?.trim();
    return dataDirectory ? { ...process.env, PRONTODB_DATA_DIR: dataDirectory } : { ...process.env };
  }

  get pronto(): ProntoDB {
    if (!this.engine) {
      const env = this.engineEnv();
      const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      this.engine = new ProntoDB({ env, cwd, layout: layoutFromEnv(env) });
    }
    return this.engine;
  }

  /** Settings or data directory changed: start over with a fresh engine. */
  reset(): void {
    const old = this.engine;
    this.engine = undefined;
    for (const subscription of this.watched.values()) subscription.dispose();
    this.watched.clear();
    void old?.close();
    this.targetChanged.fire();
  }

  // ---- user and selection --------------------------------------------------------------------

  get user(): string {
    const configured = this.settings().get<string>('user')?.trim();
    const chosen = configured || this.context.globalState.get<string>(USER_KEY) || this.workdir()?.user || DEFAULT_USER;
    try {
      return validateUserName(chosen);
    } catch (error) {
      this.warnOnce(`user:${chosen}`, `${(error as Error).message}; using '${DEFAULT_USER}'.`);
      return DEFAULT_USER;
    }
  }

  async setUser(user: string): Promise<void> {
    await this.context.globalState.update(USER_KEY, user === DEFAULT_USER ? undefined : validateUserName(user));
    this.targetChanged.fire();
  }

  globalSelection(user = this.user): EditorSelection | undefined {
    return this.context.globalState.get<Record<string, EditorSelection>>(SELECTIONS_KEY, {})[user];
  }

  workspaceSelection(): EditorSelection | undefined {
    return this.context.workspaceState.get<EditorSelection>(WORKSPACE_SELECTION_KEY);
  }

  async select(selection: EditorSelection | undefined, scope: 'global' | 'workspace'): Promise<void> {
    if (scope === 'workspace') {
      await this.context.workspaceState.update(WORKSPACE_SELECTION_KEY, selection);
    } else {
      const all = { ...this.context.globalState.get<Record<string, EditorSelection>>(SELECTIONS_KEY, {}) };
      if (selection) all[this.user] = selection;
      else delete all[this.user];
      await this.context.globalState.update(SELECTIONS_KEY, all);
    }
    this.targetChanged.fire();
  }

  /** The `.prontodb` at the root of the first workspace folder that has one; never when untrusted. */
  workdir(): WorkdirConfig | undefined {
    if (!vscode.workspace.isTrusted) return undefined;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const file = path.join(folder.uri.fsPath, WORKDIR_FILE_NAME);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      try {
        return parseWorkdirConfig(file, text);
      } catch (error) {
        this.warnOnce(`workdir:${file}:${text}`, (error as Error).message);
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * The active database: `.prontodb` at a workspace root > workspace selection > the user's global
   * selection > what the command line would pick (its selection files, then `main`).
   */
  target(): ResolvedTarget {
    const user = this.user;
    const workdir = this.workdir();
    if (workdir && (workdir.database || workdir.cursor || workdir.path || workdir.cursors.default || workdir.users[user]?.default)) {
      return this.resolve({ user }, workdir);
    }
    for (const [selection, scope] of [
      [this.workspaceSelection(), 'workspace'],
      [this.globalSelection(user), 'synced'],
    ] as const) {
      if (!selection) continue;
      const resolved = this.tryResolve(selection, user, workdir);
      if (resolved) return { ...resolved, source: `${scope} selection (${selection.kind} '${selection.name}')` };
      this.warnOnce(
        `missing:${scope}:${selection.kind}:${selection.name}`,
        `The ${scope} selection names ${selection.kind} '${selection.name}', which does not exist on this machine; falling back.`,
      );
    }
    return this.resolve({ user }, workdir);
  }

  /** The core's resolution with exactly the `.prontodb` the editor decided on (none: none). */
  private resolve(selection: Selection, workdir: WorkdirConfig | undefined): ResolvedTarget {
    const target = this.pronto.resolve(selection, workdir ?? NO_WORKDIR);
    return workdir ? target : { ...target, workdir: undefined };
  }

  private tryResolve(selection: EditorSelection, user: string, workdir: WorkdirConfig | undefined): ResolvedTarget | undefined {
    try {
      if (selection.kind === 'cursor') return this.resolve({ cursor: selection.name, user }, workdir);
      const resolved = this.resolve({ database: selection.name, user }, workdir);
      return fs.existsSync(resolved.file) ? resolved : undefined;
    } catch {
      return undefined;
    }
  }

  /** The selection flags that make the command line resolve to `target` (for terminals). */
  selectionFor(target: ResolvedTarget): Selection {
    if (target.cursor) return { cursor: target.cursor.name, user: target.user };
    if (target.databaseName) return { database: target.databaseName, user: target.user };
    return { databasePath: target.file, user: target.user };
  }

  // ---- sessions and change notification -------------------------------------------------------

  /**
   * A session on the active target (its cursor's meta context and defaults apply), or raw access to
   * one database: by name, or by file for the active target outside the data directory.
   */
  async session(ref?: { database: string; file?: string }): Promise<Session> {
    // Resolving the active target reads cursor files: only do it when the reference needs it.
    let target: ResolvedTarget;
    if (!ref) {
      target = this.target();
    } else {
      const base = ref.file ? this.target() : this.resolve({ database: ref.database, user: this.user }, undefined);
      target = { ...base, file: ref.file ?? base.file, cursor: undefined, metaContext: null, defaultProject: null, defaultNamespace: null };
    }
    const session = await this.pronto.open(target);
    this.watch(session);
    const warning = session.store.staleReadWarning;
    if (warning) this.warnOnce(`wal:${warning}`, warning);
    return session;
  }

  /** The file behind a view's database reference. */
  fileOf(ref: { database: string; file?: string }): string {
    return path.resolve(ref.file ?? databaseFile(this.pronto.layout, ref.database));
  }

  private watch(session: Session): void {
    const file = session.store.location;
    if (this.watched.has(file)) return;
    this.watched.set(
      file,
      session.store.onDidChange((event) => this.dataChanged.fire({ file, origin: event.origin })),
    );
  }

  warnOnce(key: string, message: string): void {
    this.log.warn(message);
    if (this.warned.has(key)) return;
    this.warned.add(key);
    void vscode.window.showWarningMessage(`ProntoDB: ${message}`);
  }

  dispose(): void {
    for (const subscription of this.watched.values()) subscription.dispose();
    this.watched.clear();
    for (const disposable of this.disposables) disposable.dispose();
    void this.engine?.close();
  }
}
