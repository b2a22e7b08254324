import * as path from 'node:path';
import { defaultBackupDirectory } from './backup/naming';
import { type Cursor, type CursorRegistry, DEFAULT_USER, validateCursorName, validateUserName } from './cursors';
import { ProntoError } from './errors';
import { displayLocation, type Location, resolveLocation } from './location';
import { DEFAULT_DATABASE, type Env, validateDatabaseName } from './paths';
import { type WorkdirConfig, workdirPinsTarget } from './workdir';

/**
 * Resolution in one place: which user applies, which database a call means, which `.prontodb` is in
 * effect (workdir.ts: lookUpWorkdir), where backups go, and which users exist (CursorRegistry.knownUsers).
 * The command line and the editor only gather what they know (flags and environment; settings and
 * workspace state) and pass it here; neither decides any of it itself.
 */

/** What the caller asked for explicitly (flags, or the editor's state). */
export interface Selection {
  database?: string;
  /** A database location anywhere (a file path or a URL); same rank as `database`. */
  databasePath?: string;
  /**
   * A database URL (`--database-url`, `PRONTODB_DATABASE_URL`): the database there; with `database`,
   * the named database of that server. Same rank as `database`.
   */
  databaseUrl?: string;
  cursor?: string;
  user?: string;
  /**
   * A choice the editor keeps for one workspace only. It ranks below a `.prontodb` that names a
   * target and above the saved selections; one that names nothing on this machine is skipped (the
   * target then says so in `fallbackNotice`).
   */
  workspace?: { kind: 'cursor' | 'database'; name: string };
}

/** The rules of the resolution order, highest first. */
export type TargetOrigin =
  | 'database'
  | 'database-path'
  | 'database-url'
  | 'cursor'
  | 'workdir'
  | 'workspace-selection'
  | 'user-selection'
  | 'global-selection'
  | 'default';

/** Where a call's data lives, and why: the result of the one resolution order used everywhere. */
export interface ResolvedTarget {
  /** Where the database lives: a file path or a URL (the backend for it opens it). */
  location: Location;
  /** Same as `location`; kept for callers written when every location was a file. */
  file: string;
  /** Set when the location is a named database (of the data directory, or `PRONTO_DB` for `main`). */
  databaseName?: string;
  cursor?: Cursor;
  user: string;
  metaContext: string | null;
  defaultProject: string | null;
  defaultNamespace: string | null;
  /** Human description of what decided the target, e.g. `--database flag` or `.prontodb at /w`. */
  source: string;
  /** Which rule of the resolution order decided the target. */
  origin: TargetOrigin;
  /** The `.prontodb` in effect, if any. */
  workdir?: WorkdirConfig;
  /** Something the user should know about how the target was chosen (e.g. a dangling selection). */
  notice?: string;
  /** A choice that was passed but could not be used here, so a lower rule decided (a missing workspace selection). */
  fallbackNotice?: string;
}

/** Where named databases live, as resolution needs to know it (the backend that holds them). */
export interface NamedDatabases {
  databaseLocation(name: string): Location;
  databaseName(location: Location): string | undefined;
  existsSync(location: Location): boolean;
}

export interface ResolutionContext {
  cursors: CursorRegistry;
  databases: NamedDatabases;
  /** The named databases of the server a database URL is on (`--database NAME` with `--database-url`). */
  databasesAt?: (server: Location) => Pick<NamedDatabases, 'databaseLocation'>;
  /** Relative locations the caller gives are relative to this folder. */
  cwd: string;
}

/**
 * The user a call acts as: the first of `given` that is set (strongest first: the command line's
 * `--user` then `PRONTODB_USER`; the editor's setting then the user last chosen in it), else the
 * `.prontodb`'s, else `default`. Throws for a name that is not a valid user name.
 */
export function chooseUser(given: ReadonlyArray<string | undefined>, workdir: WorkdirConfig | undefined): string {
  return validateUserName(userNameFrom(given, workdir));
}

/** The name `chooseUser` would check, unchecked (to say which name was refused, or what another program would pick). */
export function userNameFrom(given: ReadonlyArray<string | undefined>, workdir: WorkdirConfig | undefined): string {
  return given.find((user) => user !== undefined) ?? workdir?.user ?? DEFAULT_USER;
}

/** What the command line knows: its flags and its environment. */
export interface CommandLineInputs {
  flags: { database?: string; cursor?: string; user?: string; databaseUrl?: string };
  env: Env;
}

/**
 * The command line's selection: flags first; the environment (`PRONTODB_DATABASE`,
 * `PRONTODB_DATABASE_URL`, `PRONTODB_DATABASE_PATH`, `PRONTODB_CURSOR`, `PRONTODB_USER`; empty
 * values count as unset) only where no flag picks a target. A database URL in the environment still
 * names the server of a `--database` flag.
 */
export function commandLineSelection({ flags, env }: CommandLineInputs): Selection {
  const fromEnv = (name: string) => env[name] || undefined;
  const user = flags.user ?? fromEnv('PRONTODB_USER');
  if (flags.database !== undefined || flags.cursor !== undefined || flags.databaseUrl !== undefined) {
    const databaseUrl = flags.databaseUrl ?? (flags.database !== undefined ? fromEnv('PRONTODB_DATABASE_URL') : undefined);
    return databaseUrl === undefined ? { database: flags.database, cursor: flags.cursor, user } : { database: flags.database, databaseUrl, cursor: flags.cursor, user };
  }
  const databaseUrl = fromEnv('PRONTODB_DATABASE_URL');
  return {
    database: fromEnv('PRONTODB_DATABASE'),
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    databasePath: fromEnv('PRONTODB_DATABASE_PATH'),
    cursor: fromEnv('PRONTODB_CURSOR'),
    user,
  };
}

/**
 * Where backups are written and restores keep their safety copies: the folder the caller was given
 * (`--output`, the editor's `prontodb.backupDirectory` setting), else `PRONTODB_BACKUP_DIR` (empty
 * counts as unset), else the Rust CLI's `~/repos/zindex/cache/backup`. Relative folders are relative
 * to `cwd`.
 */
export function chooseBackupDirectory({ given, env, cwd }: { given?: string; env: Env; cwd: string }): string {
  return path.resolve(cwd, given ?? (env.PRONTODB_BACKUP_DIR || defaultBackupDirectory(env)));
}

/**
 * The resolution order, highest first: `--database` / a database location > `--cursor` > a
 * `.prontodb` that names a target > the editor's workspace-only selection > the user's own selection
 * > the global selection > `main`.
 */
export function resolveTarget(context: ResolutionContext, selection: Selection, workdir: WorkdirConfig | undefined): ResolvedTarget {
  const { cursors, databases } = context;
  const user = chooseUser([selection.user], workdir);
  const base = { user, workdir, metaContext: null, defaultProject: workdir?.project ?? null, defaultNamespace: workdir?.namespace ?? null };
  const fromLocation = (location: Location, source: string, origin: TargetOrigin): ResolvedTarget => ({
    ...base,
    location,
    file: location,
    databaseName: databases.databaseName(location),
    source,
    origin,
  });
  const fromDatabase = (name: string, source: string, origin: TargetOrigin): ResolvedTarget => ({
    ...fromLocation(databases.databaseLocation(validateDatabaseName(name)), source, origin),
    databaseName: name,
  });
  const fromCursor = (cursor: Cursor, source: string, origin: TargetOrigin): ResolvedTarget => ({
    ...base,
    location: cursor.location,
    file: cursor.location,
    databaseName: cursor.databaseName,
    cursor,
    metaContext: cursor.metaContext,
    defaultProject: workdir?.project ?? cursor.defaultProject,
    defaultNamespace: workdir?.namespace ?? cursor.defaultNamespace,
    source,
    origin,
  });
  /** A cursor asked for by name: the `.prontodb`'s mapping for it first, then the user's cursor. */
  const fromCursorName = (cursorName: string, source: string, origin: TargetOrigin): ResolvedTarget => {
    const name = validateCursorName(cursorName);
    const mapped = workdir?.users[user]?.[name] ?? workdir?.cursors[name];
    if (mapped) return fromLocation(mapped, `cursor '${name}' of ${workdir!.file}`, origin);
    const cursor = cursors.find(name, user);
    if (cursor) return fromCursor(cursor, source, origin);
    if (name === 'default') return fromDatabase(DEFAULT_DATABASE, `cursor 'default'`, origin);
    throw new ProntoError('not-found', `Cursor '${name}' not found for user '${user}' (see 'prontodb cursor list')`);
  };
  /** A stored selection is a cursor name or, as the Rust CLI writes it, a database name. */
  const fromSelection = (name: string, source: string, origin: TargetOrigin): ResolvedTarget => {
    // A selection means a cursor of the user it is read for, never another user's.
    const cursor = cursors.find(name, user);
    if (cursor) return fromCursor(cursor, `${source} (cursor '${name}')`, origin);
    const target = fromDatabase(name, `${source} (database '${name}')`, origin);
    if (!databases.existsSync(target.location) && user !== DEFAULT_USER && origin === 'global-selection' && cursors.find(name, DEFAULT_USER)) {
      const fallback = fromDatabase(DEFAULT_DATABASE, 'default', 'default');
      fallback.notice = `The global selection names cursor '${name}' of user '${DEFAULT_USER}', which user '${user}' does not have; using '${DEFAULT_DATABASE}'`;
      return fallback;
    }
    if (!databases.existsSync(target.location)) {
      target.notice = `The ${source} names '${name}', which is neither a cursor of user '${user}' nor an existing database; using a new database '${name}'`;
    }
    return target;
  };
  /** The editor's workspace-only choice, or undefined (with the reason) when it names nothing here. */
  const fromWorkspace = (choice: NonNullable<Selection['workspace']>): ResolvedTarget | undefined => {
    const source = `workspace selection (${choice.kind} '${choice.name}')`;
    try {
      if (choice.kind === 'cursor') return { ...fromCursorName(choice.name, source, 'workspace-selection'), source };
      const target = fromDatabase(choice.name, source, 'workspace-selection');
      return databases.existsSync(target.location) ? target : undefined;
    } catch {
      return undefined;
    }
  };

  if (selection.database !== undefined && selection.databaseUrl !== undefined) {
    if (!context.databasesAt) throw new ProntoError('usage', `A database URL cannot name where database '${selection.database}' is here`);
    const location = context.databasesAt(selection.databaseUrl).databaseLocation(validateDatabaseName(selection.database));
    return fromLocation(location, `--database on ${displayLocation(selection.databaseUrl)}`, 'database');
  }
  if (selection.database !== undefined) return fromDatabase(selection.database, '--database', 'database');
  if (selection.databaseUrl !== undefined) return fromLocation(resolveLocation(selection.databaseUrl, context.cwd), 'database URL', 'database-url');
  if (selection.databasePath !== undefined) return fromLocation(resolveLocation(selection.databasePath, context.cwd), 'database path', 'database-path');
  if (selection.cursor !== undefined) return fromCursorName(selection.cursor, `cursor '${selection.cursor}'`, 'cursor');
  if (workdir && workdirPinsTarget(workdir, user)) {
    const source = `.prontodb at ${path.dirname(workdir.file)}`;
    if (workdir.database) return fromDatabase(workdir.database, source, 'workdir');
    if (workdir.path) return fromLocation(workdir.path, source, 'workdir');
    if (workdir.cursor) {
      const cursor = cursors.find(workdir.cursor, user);
      if (!cursor) throw new ProntoError('not-found', `${workdir.file}: cursor '${workdir.cursor}' not found for user '${user}'`);
      return fromCursor(cursor, source, 'workdir');
    }
    return fromLocation((workdir.users[user]?.default ?? workdir.cursors.default)!, source, 'workdir');
  }
  let fallbackNotice: string | undefined;
  if (selection.workspace) {
    const chosen = fromWorkspace(selection.workspace);
    if (chosen) return chosen;
    fallbackNotice = `The workspace selection names ${selection.workspace.kind} '${selection.workspace.name}', which does not exist on this machine; falling back.`;
  }
  const target = resolveSavedSelection(cursors, user, fromSelection, fromDatabase);
  return fallbackNotice ? { ...target, fallbackNotice } : target;
}

/** The user's own selection, else the global one, else `main`. */
function resolveSavedSelection(
  cursors: CursorRegistry,
  user: string,
  fromSelection: (name: string, source: string, origin: TargetOrigin) => ResolvedTarget,
  fromDatabase: (name: string, source: string, origin: TargetOrigin) => ResolvedTarget,
): ResolvedTarget {
  const own = user !== DEFAULT_USER ? cursors.selection(user) : undefined;
  if (own) return fromSelection(own, `selection of user '${user}'`, 'user-selection');
  const global = cursors.selection(DEFAULT_USER);
  if (global) return fromSelection(global, 'global selection', 'global-selection');
  return fromDatabase(DEFAULT_DATABASE, 'default', 'default');
}
