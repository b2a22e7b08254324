import * as vscode from 'vscode';
import { type Cursor, DEFAULT_USER, validateUserName } from '../core/cursors';
import { ProntoError } from '../core/errors';
import { layoutFromEnv } from '../core/paths';
import { ProntoDB, type ResolvedTarget, type Selection, type Session } from '../core/pronto';
import { chooseUser, userNameFrom } from '../core/resolution';
import { configureSqlJs } from '../core/sqljs';
import { lookUpWorkdir, WORKDIR_FILE_NAME, type WorkdirConfig, type WorkdirLookup, workdirPinsTarget } from '../core/workdir';
import { ServerConnections } from './serverConnections';
import { ServerPasswords } from './serverPasswords';
import { SharedStateWatcher } from './sharedStateWatcher';

/** What the user picked in the editor: a cursor or a database, by name. */
export interface EditorSelection {
  kind: 'cursor' | 'database';
  name: string;
}

/** The active target as the editor resolves it: the core's answer, plus whether a workspace-only selection chose it. */
export interface ActiveTarget extends ResolvedTarget {
  /** Chosen by this workspace's own selection, which the command line cannot know about. */
  workspaceOnly?: boolean;
}

const USER_KEY = 'prontodb.user';
const WORKSPACE_SELECTION_KEY = 'prontodb.selection';
/**
 * What the core's resolve() gets when no `.prontodb` applies. Passing `undefined` would make it load
 * one itself from the engine's cwd (the workspace folder), bypassing workspace trust.
 */
const NO_WORKDIR: WorkdirConfig = Object.freeze({ file: '', cursors: {}, users: {} }) as WorkdirConfig;

/**
 * The one place the extension talks to the engine: builds ProntoDB from the settings, hands the
 * core's resolution what the editor knows (settings, workspace state, trust, folders), and tells the
 * views when the target or the data changed. What the editor's inputs mean is decided in the core
 * (core/resolution.ts), as for the command line.
 *
 * The selection is the command line's own (`prontodb cursor use`, the per-user selection files), so a
 * choice made in the sidebar and one made in a terminal are the same choice. Only a workspace-only
 * selection lives in the editor (workspace state); terminals of that window are told about it.
 */
export class ProntoService implements vscode.Disposable {
  private engine: ProntoDB | undefined;
  private readonly targetChanged = new vscode.EventEmitter<void>();
  private readonly databasesChanged = new vscode.EventEmitter<void>();
  private readonly dataChanged = new vscode.EventEmitter<{ file: string; origin: 'local' | 'external' }>();
  private readonly watched = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly warned = new Set<string>();
  /** The message of the `.prontodb` problem last reported, so it is reported once, not on every resolve. */
  private reportedWorkdirProblem: string | undefined;
  private readonly sharedState: SharedStateWatcher;
  readonly onDidChangeTarget = this.targetChanged.event;
  /** A database was created or deleted (by anyone). */
  readonly onDidChangeDatabases = this.databasesChanged.event;
  readonly onDidChangeData = this.dataChanged.event;
  /** Server databases whose change connection is lost (the status bar shows it). */
  readonly connections = new ServerConnections();
  /** Passwords of server locations that have none of their own (VS Code's SecretStorage). */
  readonly passwords: ServerPasswords;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    configureSqlJs({ wasmPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'sql-wasm.wasm').fsPath });
    // The user follows the person to other machines; the selection is the machine's (shared with the CLI).
    context.globalState.setKeysForSync([USER_KEY]);
    this.passwords = new ServerPasswords(context, log, async (location) => {
      await this.pronto.backendFor(location).exists(location);
    });
    this.sharedState = new SharedStateWatcher(
      () => this.pronto.layout,
      (change) => {
        if (change.databases) this.databasesChanged.fire();
        if (change.cursors || change.selections) this.targetChanged.fire();
      },
    );
    this.disposables.push(
      this.targetChanged,
      this.databasesChanged,
      this.dataChanged,
      this.sharedState,
      this.connections,
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
      this.engine = new ProntoDB({
        env,
        cwd,
        layout: layoutFromEnv(env),
        client: 'extension',
        postgres: {
          log: (line) => (line.startsWith('Lost') ? this.log.warn(line) : this.log.info(line)),
          connection: this.connections.report,
          password: this.passwords.lookup,
        },
      });
      // First use, not activation: watching reads a few folders.
      this.sharedState.start();
    }
    return this.engine;
  }

  /** Settings or data directory changed, or the user asked to refresh: start over with a fresh engine. */
  reset(): void {
    const old = this.engine;
    this.engine = undefined;
    for (const subscription of this.watched.values()) subscription.dispose();
    this.watched.clear();
    this.connections.clear();
    this.passwords.reset();
    void old?.close();
    this.targetChanged.fire();
  }

  // ---- user and selection --------------------------------------------------------------------

  /** The `prontodb.user` setting, else the user last chosen with Switch User, else the core's rule (the `.prontodb`'s, else `default`). */
  get user(): string {
    const given = [this.settings().get<string>('user')?.trim() || undefined, this.context.globalState.get<string>(USER_KEY) || undefined];
    const workdir = this.workdirState().config;
    try {
      return chooseUser(given, workdir);
    } catch (error) {
      this.warnOnce(`user:${userNameFrom(given, workdir)}`, `${(error as Error).message}; using '${DEFAULT_USER}'.`);
      return DEFAULT_USER;
    }
  }

  /** The user a `prontodb` started in the workspace folder would act as (no flags, no environment). */
  commandLineUser(): string {
    return userNameFrom([], this.workdirState().config);
  }

  /** Users with cursors or a selection on this machine, the default one and the current one. */
  knownUsers(): string[] {
    return [...new Set([...this.pronto.knownUsers(), this.user])].sort();
  }

  /** Where backups go: the `prontodb.backupDirectory` setting, else the core's rule (PRONTODB_BACKUP_DIR, else the default). */
  backupDirectory(): string {
    return this.pronto.backupDirectory(this.settings().get<string>('backupDirectory')?.trim() || undefined);
  }

  async setUser(user: string): Promise<void> {
    await this.context.globalState.update(USER_KEY, user === DEFAULT_USER ? undefined : validateUserName(user));
    this.targetChanged.fire();
  }

  /** A cursor of exactly this user (never another user's), or undefined; unreadable files count as none. */
  findCursor(name: string, user = this.user): Cursor | undefined {
    try {
      return this.pronto.cursors.find(name, user);
    } catch {
      return undefined;
    }
  }

  /** The user's own selection (the command line's `cursor use`), as the core reads it: a cursor first, else a database. */
  globalSelection(user = this.user): EditorSelection | undefined {
    const name = this.pronto.cursors.selection(user);
    if (!name) return undefined;
    return { kind: this.findCursor(name, user) ? 'cursor' : 'database', name };
  }

  workspaceSelection(): EditorSelection | undefined {
    return this.context.workspaceState.get<EditorSelection>(WORKSPACE_SELECTION_KEY);
  }

  /**
   * 'global' writes the command line's selection file of the current user (what `prontodb cursor use`
   * writes); 'workspace' keeps the choice in this workspace only.
   */
  async select(selection: EditorSelection | undefined, scope: 'global' | 'workspace'): Promise<void> {
    if (scope === 'workspace') {
      await this.context.workspaceState.update(WORKSPACE_SELECTION_KEY, selection);
    } else {
      const user = this.user;
      if (!selection) {
        this.pronto.cursors.clearSelection(user);
      } else {
        const cursor = this.findCursor(selection.name, user);
        if (selection.kind === 'cursor' && !cursor) throw new ProntoError('not-found', `Cursor '${selection.name}' not found for user '${user}'`);
        if (selection.kind === 'database' && cursor) {
          throw new ProntoError(
            'conflict',
            `User '${user}' has a cursor named '${selection.name}'. The selection (shared with the command line) is one word, which would mean that cursor: use the cursor, or rename it first.`,
          );
        }
        await this.pronto.cursors.select(user, selection.name);
      }
    }
    this.targetChanged.fire();
  }

  // ---- .prontodb ---------------------------------------------------------------------------------

  /**
   * The `.prontodb` the command line would use in the first workspace folder that has one (the
   * folder's own or an ancestor's, as the CLI looks); never when the workspace is untrusted.
   */
  workdirState(): WorkdirLookup {
    if (!vscode.workspace.isTrusted) return {};
    return lookUpWorkdir((vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath));
  }

  /**
   * The `.prontodb` the command line would obey here that the editor ignores because the workspace
   * is not trusted (Restricted Mode), so the view can say so; none when trusted or there is none.
   */
  ignoredWorkdirFile(): string | undefined {
    if (vscode.workspace.isTrusted) return undefined;
    return lookUpWorkdir((vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath)).file;
  }

  workdir(): WorkdirConfig | undefined {
    return this.workdirState().config;
  }

  /**
   * A malformed `.prontodb` is refused as the command line refuses it: nothing resolves while it is
   * there. The user hears about it once per distinct problem, with a button to open the file.
   */
  private workdirOrThrow(): WorkdirConfig | undefined {
    const { config, error, file } = this.workdirState();
    if (!error) {
      this.reportedWorkdirProblem = undefined;
      return config;
    }
    if (this.reportedWorkdirProblem !== error.message) {
      this.reportedWorkdirProblem = error.message;
      this.log.error(error.message);
      void vscode.window.showErrorMessage(`ProntoDB: ${error.message}`, 'Open .prontodb').then((choice) => {
        if (choice && file) void vscode.window.showTextDocument(vscode.Uri.file(file));
      });
    }
    throw error;
  }

  /**
   * The active database: `.prontodb` (workspace folder or ancestor) > workspace-only selection > the
   * command line's resolution (the user's selection, the global selection, `main`).
   */
  target(): ActiveTarget {
    const user = this.user;
    const workdir = this.workdirOrThrow();
    const target = this.resolve({ user, workspace: this.workspaceSelection() }, workdir);
    if (target.origin === 'workspace-selection') return { ...target, workspaceOnly: true };
    if (target.fallbackNotice) this.warnOnce(`missing:${target.fallbackNotice}`, target.fallbackNotice);
    if (target.notice) this.warnOnce(`notice:${target.notice}`, target.notice);
    return target;
  }

  /** Why a choice made now does not change the active database, if something outranks it. */
  pinnedBy(): { file: string; target: ResolvedTarget } | undefined {
    const user = this.user;
    const workdir = this.workdirOrThrow();
    if (!workdir || !workdirPinsTarget(workdir, user)) return undefined;
    return { file: workdir.file, target: this.resolve({ user }, workdir) };
  }

  /** The core's resolution with exactly the `.prontodb` the editor decided on (none: none). */
  private resolve(selection: Selection, workdir: WorkdirConfig | undefined): ResolvedTarget {
    const target = this.pronto.resolve(selection, workdir ?? NO_WORKDIR);
    return workdir ? target : { ...target, workdir: undefined };
  }

  // ---- sessions and change notification -------------------------------------------------------

  /**
   * A session on the active target (its cursor's meta context and defaults apply), or raw access to
   * one database: by name, or by file for a database outside the data directory.
   */
  async session(ref?: { database: string; file?: string }): Promise<Session> {
    let target: ResolvedTarget;
    if (!ref) {
      target = this.target();
    } else {
      const user = this.user;
      const base = ref.file ? this.resolve({ databasePath: ref.file, user }, undefined) : this.resolve({ database: ref.database, user }, undefined);
      target = { ...base, cursor: undefined, metaContext: null, defaultProject: null, defaultNamespace: null };
    }
    const session = await this.pronto.open(target);
    this.watch(session);
    const warning = session.store.staleReadWarning;
    if (warning) this.warnOnce(`wal:${warning}`, warning);
    return session;
  }

  /** The location behind a view's database reference (a file path for files), in the form that identifies it. */
  fileOf(ref: { database: string; file?: string }): string {
    return this.pronto.canonicalLocation(ref.file ?? this.pronto.home.databaseLocation(ref.database));
  }

  /**
   * Follows a database's changes. Not before its folder exists: watching would create the folder,
   * and nothing may appear on disk before the user writes (the data directory watcher reports new
   * databases; a write through `afterWrite` reports one outside it).
   */
  private watch(session: Session): boolean {
    const file = session.store.location;
    if (this.watched.has(file) || !this.pronto.backends.find(file)?.canObserve(file)) return false;
    this.watched.set(
      file,
      session.store.onDidChange((event) => this.dataChanged.fire({ file, origin: event.origin })),
    );
    return true;
  }

  /** After a write through `session`: a database that did not exist before is followed from now on. */
  afterWrite(session: Session): void {
    if (this.watch(session)) this.dataChanged.fire({ file: session.store.location, origin: 'local' });
  }

  /**
   * After reading `location` (default: the active database) failed: a server that refused a login
   * without a password gets one asked for (serverPasswords.ts), and everything reads again once it
   * took it. Never throws.
   */
  afterFailure(error: unknown, location?: string): void {
    let where = location;
    if (where === undefined) {
      try {
        where = this.target().location;
      } catch {
        return;
      }
    }
    void this.passwords.afterFailure(error, where).then(
      (accepted) => {
        if (accepted) this.targetChanged.fire();
      },
      (failure: unknown) => this.log.error(`Asking for a server password failed: ${(failure as Error).message}`),
    );
  }

  /** Logs and shows a warning once per key (a view resolving every second must not repeat it). */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(message);
    void vscode.window.showWarningMessage(`ProntoDB: ${message}`);
  }

  dispose(): void {
    for (const subscription of this.watched.values()) subscription.dispose();
    this.watched.clear();
    for (const disposable of this.disposables) disposable.dispose();
    void this.engine?.close();
  }
}
