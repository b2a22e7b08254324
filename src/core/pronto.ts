import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AddressDefaults, displayKey, parseAddress, parseListingPath, parseNamespacePath, printableName, refuseControlCharacters, validateSegment, validateTtlSeconds } from './address';
import { type Cursor, CursorRegistry, databaseNameForPath, DEFAULT_USER, validateCursorName, validateUserName } from './cursors';
import { fsError, ProntoError, usageError } from './errors';
import { SqlJsFileStore, type FileStoreOptions } from './fileStore';
import { lockPathFor } from './lock';
import { databaseDirectory, databaseFile, DEFAULT_DATABASE, type Env, type Layout, layoutFromEnv, makeDirectorySync, validateDatabaseName } from './paths';
import { loadSqlJs } from './sqljs';
import type { KvStore, ListQuery, RenameOptions, SetOptions } from './store';
import type { Address, Entry, LongOperationOptions, TtlNamespace } from './types';
import { loadWorkdirConfig, type WorkdirConfig } from './workdir';

/** What the caller asked for explicitly (flags, or the extension's state). */
export interface Selection {
  database?: string;
  /** A database file anywhere; same rank as `database`. */
  databasePath?: string;
  cursor?: string;
  user?: string;
}

/** The rules of the resolution order, highest first. */
export type TargetOrigin = 'database' | 'database-path' | 'cursor' | 'workdir' | 'user-selection' | 'global-selection' | 'default';

/** Where a call's data lives, and why: the result of the one resolution order used everywhere. */
export interface ResolvedTarget {
  file: string;
  /** Set when the file is a database of the data directory (or `PRONTO_DB` for `main`). */
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
}

export interface DatabaseInfo {
  name: string;
  file: string;
  size: number;
  modified: Date;
}

export interface ProntoOptions {
  env?: Env;
  cwd?: string;
  layout?: Layout;
  store?: FileStoreOptions;
  /**
   * Opens the store behind a database location. The default keeps each database in its SQLite file
   * through sql.js; another engine (a server for teams that outgrow one machine) plugs in here.
   */
  openStore?: (location: string) => Promise<KvStore>;
}

/**
 * The engine's front door. Resolves which database a call means (explicit `--database` > `--cursor` >
 * `.prontodb` > the user's selection > the global selection > `main`), keeps one store per file per
 * process, and hands out Sessions that speak addresses.
 */
export class ProntoDB {
  readonly layout: Layout;
  readonly cursors: CursorRegistry;
  readonly cwd: string;
  private readonly stores = new Map<string, Promise<KvStore>>();

  constructor(private readonly options: ProntoOptions = {}) {
    this.layout = options.layout ?? layoutFromEnv(options.env ?? process.env);
    this.cwd = options.cwd ?? process.cwd();
    this.cursors = new CursorRegistry(this.layout, this.cwd);
  }

  // ---- resolution ------------------------------------------------------------------------------

  resolve(selection: Selection = {}, workdir: WorkdirConfig | undefined = loadWorkdirConfig(this.cwd)): ResolvedTarget {
    const user = validateUserName(selection.user ?? workdir?.user ?? DEFAULT_USER);
    const base = { user, workdir, metaContext: null, defaultProject: workdir?.project ?? null, defaultNamespace: workdir?.namespace ?? null };
    const fromDatabase = (name: string, source: string, origin: TargetOrigin): ResolvedTarget => ({
      ...base,
      file: databaseFile(this.layout, validateDatabaseName(name)),
      databaseName: name,
      source,
      origin,
    });
    const fromCursor = (cursor: Cursor, source: string, origin: TargetOrigin): ResolvedTarget => ({
      ...base,
      file: cursor.databasePath,
      databaseName: cursor.databaseName,
      cursor,
      metaContext: cursor.metaContext,
      defaultProject: workdir?.project ?? cursor.defaultProject,
      defaultNamespace: workdir?.namespace ?? cursor.defaultNamespace,
      source,
      origin,
    });
    const fromFile = (file: string, source: string, origin: TargetOrigin): ResolvedTarget => ({
      ...base,
      file,
      databaseName: databaseNameForPath(this.layout, file),
      source,
      origin,
    });
    /** A stored selection is a cursor name or, as the Rust CLI writes it, a database name. */
    const fromSelection = (name: string, source: string, origin: TargetOrigin): ResolvedTarget => {
      // A selection means a cursor of the user it is read for, never another user's.
      const cursor = this.cursors.find(name, user);
      if (cursor) return fromCursor(cursor, `${source} (cursor '${name}')`, origin);
      const target = fromDatabase(name, `${source} (database '${name}')`, origin);
      if (!fs.existsSync(target.file) && user !== DEFAULT_USER && origin === 'global-selection' && this.cursors.find(name, DEFAULT_USER)) {
        const fallback = fromDatabase(DEFAULT_DATABASE, 'default', 'default');
        fallback.notice = `The global selection names cursor '${name}' of user '${DEFAULT_USER}', which user '${user}' does not have; using '${DEFAULT_DATABASE}'`;
        return fallback;
      }
      if (!fs.existsSync(target.file)) {
        target.notice = `The ${source} names '${name}', which is neither a cursor of user '${user}' nor an existing database; using a new database '${name}'`;
      }
      return target;
    };

    if (selection.database !== undefined) return fromDatabase(selection.database, '--database', 'database');
    if (selection.databasePath !== undefined) return fromFile(path.resolve(this.cwd, selection.databasePath), 'database path', 'database-path');
    if (selection.cursor !== undefined) {
      const name = validateCursorName(selection.cursor);
      const mapped = workdir?.users[user]?.[name] ?? workdir?.cursors[name];
      if (mapped) return fromFile(mapped, `cursor '${name}' of ${workdir!.file}`, 'cursor');
      const cursor = this.cursors.find(name, user);
      if (cursor) return fromCursor(cursor, `cursor '${name}'`, 'cursor');
      if (name === 'default') return fromDatabase(DEFAULT_DATABASE, `cursor 'default'`, 'cursor');
      throw new ProntoError('not-found', `Cursor '${name}' not found for user '${user}' (see 'prontodb cursor list')`);
    }
    if (workdir) {
      const source = `.prontodb at ${path.dirname(workdir.file)}`;
      if (workdir.database) return fromDatabase(workdir.database, source, 'workdir');
      if (workdir.path) return fromFile(workdir.path, source, 'workdir');
      if (workdir.cursor) {
        const cursor = this.cursors.find(workdir.cursor, user);
        if (!cursor) throw new ProntoError('not-found', `${workdir.file}: cursor '${workdir.cursor}' not found for user '${user}'`);
        return fromCursor(cursor, source, 'workdir');
      }
      const mapped = workdir.users[user]?.default ?? workdir.cursors.default;
      if (mapped) return fromFile(mapped, source, 'workdir');
    }
    const own = user !== DEFAULT_USER ? this.cursors.selection(user) : undefined;
    if (own) return fromSelection(own, `selection of user '${user}'`, 'user-selection');
    const global = this.cursors.selection(DEFAULT_USER);
    if (global) return fromSelection(global, 'global selection', 'global-selection');
    return fromDatabase(DEFAULT_DATABASE, 'default', 'default');
  }

  // ---- stores ----------------------------------------------------------------------------------

  /** One store per database file per process, reused. */
  store(file: string): Promise<KvStore> {
    const key = path.resolve(file);
    let store = this.stores.get(key);
    if (!store) {
      store = this.options.openStore ? this.options.openStore(key) : loadSqlJs().then((sql) => new SqlJsFileStore(key, sql, this.options.store));
      this.stores.set(key, store);
    }
    return store;
  }

  async open(selection: Selection | ResolvedTarget = {}, addressing: Omit<AddressDefaults, never> = {}): Promise<Session> {
    const target = 'file' in selection ? selection : this.resolve(selection);
    checkUsablePath(target);
    return new Session(await this.store(target.file), target, addressing);
  }

  // ---- databases -------------------------------------------------------------------------------

  listDatabases(): DatabaseInfo[] {
    const found = new Map<string, DatabaseInfo>();
    const add = (name: string) => {
      const file = databaseFile(this.layout, name);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat?.isFile()) found.set(name, { name, file, size: stat.size, modified: stat.mtime });
    };
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(this.layout.dataDir, { withFileTypes: true });
    } catch {
      // no data directory yet
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      try {
        add(validateDatabaseName(entry.name));
      } catch {
        // a directory that is not a database (e.g. the legacy `cursors`)
      }
    }
    add(DEFAULT_DATABASE);
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async createDatabase(name: string): Promise<DatabaseInfo> {
    const file = databaseFile(this.layout, validateDatabaseName(name));
    if (fs.existsSync(file)) throw new ProntoError('conflict', `Database '${name}' already exists (${file})`);
    // Made here, so a read-only or full file system is reported as such, not as a missing lock path.
    makeDirectorySync(path.dirname(file), `Cannot create database '${name}'`);
    const store = await this.store(file);
    await store.initialize();
    return this.listDatabases().find((db) => db.name === name)!;
  }

  /** Removes the database file and its directory (with the cursors filed there). */
  async deleteDatabase(name: string): Promise<void> {
    const file = databaseFile(this.layout, validateDatabaseName(name));
    if (!fs.existsSync(file)) throw new ProntoError('not-found', `Database '${name}' does not exist`);
    const key = path.resolve(file);
    const store = this.stores.get(key);
    this.stores.delete(key);
    await (await store)?.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
    fs.rmSync(lockPathFor(file), { recursive: true, force: true });
    const directory = databaseDirectory(this.layout, name);
    if (path.dirname(file) === directory) fs.rmSync(directory, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map(async (store) => (await store).close()));
  }
}

/**
 * A path the file system cannot even look up (too long, a file where a folder should be, no
 * permission) is reported with what chose it, before any store touches it.
 */
function checkUsablePath(target: ResolvedTarget): void {
  try {
    fs.statSync(target.file, { throwIfNoEntry: false });
  } catch (error) {
    throw fsError(error, `Cannot use database ${target.file} (chosen by ${target.source})`);
  }
}

/** A page of a namespace's keys, for listings and the sidebar. */
export interface Page {
  entries: Entry[];
  /** Pass back as `after` for the next page; undefined when this was the last. */
  next?: Pick<Address, 'key' | 'context'>;
}

/**
 * One resolved database with its addressing rules: addresses in, meta context applied to every
 * operation (strict isolation: rows outside the meta context are invisible), entries out.
 */
export class Session {
  constructor(
    readonly store: KvStore,
    readonly target: ResolvedTarget,
    private readonly addressing: AddressDefaults = {},
  ) {}

  get defaults(): AddressDefaults {
    return {
      delimiter: this.addressing.delimiter,
      project: this.addressing.project ?? this.target.defaultProject ?? undefined,
      namespace: this.addressing.namespace ?? this.target.defaultNamespace ?? undefined,
    };
  }

  private get metaPrefix(): string {
    return this.target.metaContext === null ? '' : `${this.target.metaContext}.`;
  }

  /**
   * Whether a stored project belongs to this session. With meta `a`, exactly the projects `a.<p>`
   * where `<p>` has no dot: `a.b.<p>` belongs to meta `a.b` (projects cannot hold a dot, so the
   * split is unambiguous). Without a meta context the whole database is visible, raw.
   */
  private owns(storedProject: string): boolean {
    const prefix = this.metaPrefix;
    return !prefix || (storedProject.startsWith(prefix) && !storedProject.includes('.', prefix.length));
  }

  private onlyOwn<T extends { project: string }>(items: T[]): T[] {
    return this.metaPrefix ? items.filter((item) => this.owns(item.project)).map((item) => this.visible(item)) : items;
  }

  parse(address: string): Address {
    return parseAddress(address, this.defaults);
  }

  private stored<T extends { project: string }>(item: T): T {
    return this.metaPrefix ? { ...item, project: this.metaPrefix + item.project } : item;
  }

  private visible<T extends { project: string }>(item: T): T {
    return this.metaPrefix ? { ...item, project: item.project.slice(this.metaPrefix.length) } : item;
  }

  private toAddress(address: string | Address): Address {
    return typeof address === 'string' ? this.parse(address) : address;
  }

  async get(address: string | Address): Promise<Entry | undefined> {
    const entry = await this.store.get(this.stored(this.toAddress(address)));
    return entry && this.visible(entry);
  }

  async set(address: string | Address, value: string, options?: SetOptions): Promise<void> {
    const target = this.stored(this.toAddress(address));
    if (options?.ttlSeconds !== undefined) validateTtlSeconds(options.ttlSeconds, 'TTL', { min: 0 });
    return this.store.set(target, value, options);
  }

  delete(address: string | Address): Promise<boolean> {
    return this.store.delete(this.stored(this.toAddress(address)));
  }

  /** Moves a value to a free address in one commit (see KvStore.rename). */
  rename(from: string | Address, to: string | Address, options?: RenameOptions): Promise<void> {
    return this.store.rename(this.stored(this.toAddress(from)), this.stored(this.toAddress(to)), options);
  }

  /** Deletes a project (`p`) or namespace (`p.n`) with its TTL settings, in one commit; returns how many values went. */
  deleteScope(scopeText: string): Promise<number> {
    const parts = scopeText.split('.');
    if (parts.length > 2 || parts.some((part) => part === '')) throw usageError(`'${scopeText}' is not a project or project.namespace`);
    const [project, namespace] = parts as [string, string | undefined];
    validateSegment('project', project, `'${scopeText}'`);
    if (namespace !== undefined) validateSegment('namespace', namespace, `'${scopeText}'`);
    return this.store.deleteScope(this.stored(namespace === undefined ? { project } : { project, namespace }));
  }

  /** keys/scan: a listing path (spec §1.2 Discovery) to every live entry it selects. */
  async listPath(pathText: string | undefined): Promise<Entry[]> {
    const scope = parseListingPath(pathText, this.defaults);
    const separator = scope.prefix.indexOf('__');
    const keyPrefix = separator < 0 ? scope.prefix : scope.prefix.slice(0, separator);
    const entries = await this.store.list(this.stored({ project: scope.project, namespace: scope.namespace, keyPrefix }));
    const matching = separator < 0 ? entries : entries.filter((entry) => displayKey(entry).startsWith(scope.prefix));
    return matching.map((entry) => this.visible(entry));
  }

  async page(query: Omit<ListQuery, 'limit'> & { limit: number }): Promise<Page> {
    const entries = (await this.store.list(this.stored({ ...query, limit: query.limit + 1 }))).map((entry) => this.visible(entry));
    if (entries.length <= query.limit) return { entries };
    const page = entries.slice(0, query.limit);
    const last = page[page.length - 1]!;
    return { entries: page, next: { key: last.key, context: last.context } };
  }

  count(query: Omit<ListQuery, 'limit'>, options?: { limit?: number }): Promise<number> {
    return this.store.count(this.stored(query), options);
  }

  async projects(): Promise<string[]> {
    const projects = await this.store.projects();
    if (!this.metaPrefix) return projects;
    return projects.filter((project) => this.owns(project)).map((project) => project.slice(this.metaPrefix.length));
  }

  namespaces(project: string): Promise<string[]> {
    return this.store.namespaces(this.metaPrefix + project);
  }

  async ttlNamespaces(): Promise<TtlNamespace[]> {
    return this.onlyOwn(await this.store.ttlNamespaces());
  }

  async createCache(namespacePath: string, seconds: number): Promise<void> {
    const { project, namespace } = parseNamespacePath(namespacePath, this.addressing.delimiter);
    validateTtlSeconds(seconds, 'Timeout');
    return this.store.createCache(this.metaPrefix + project, namespace, seconds);
  }

  removeCache(namespacePath: string): Promise<boolean> {
    const { project, namespace } = parseNamespacePath(namespacePath, this.addressing.delimiter);
    return this.store.removeCache(this.metaPrefix + project, namespace);
  }

  purgeExpired(): Promise<number> {
    return this.store.purgeExpired();
  }

  /** Entries of the whole database, one project, or one namespace (`project` or `project.namespace`). */
  async exportEntries(scopeText: string | undefined, options?: LongOperationOptions): Promise<{ entries: Entry[]; ttlNamespaces: TtlNamespace[] }> {
    const scope = this.parseScope(scopeText);
    const project = scope.project === undefined ? undefined : this.metaPrefix + scope.project;
    const result = await this.store.exportEntries({ project, namespace: scope.namespace }, options);
    return { entries: this.onlyOwn(result.entries), ttlNamespaces: this.onlyOwn(result.ttlNamespaces) };
  }

  /**
   * Imports all or nothing: every entry and TTL namespace is checked by the rules `set` and
   * `create-cache` apply before anything is written. Without a meta context a project may be a
   * stored meta project (`meta.project`, as a whole-database export holds it); under a meta context
   * it is a plain project, which the context then prefixes.
   */
  async importEntries(entries: Entry[], ttlNamespaces: TtlNamespace[], options?: LongOperationOptions & { preserveTimestamps?: boolean }): Promise<number> {
    entries.forEach((entry, index) => {
      const where = `Entry ${index + 1} (${printableName(`${entry.project}.${entry.namespace}.${entry.key}`)})`;
      this.validateImportedProject(entry.project, where);
      validateSegment('namespace', entry.namespace, where);
      validateSegment('key', entry.key, where);
      if (entry.context !== null) {
        if (typeof entry.context !== 'string') throw usageError(`${where}: context must be text or null`);
        if (entry.context.includes('__')) throw usageError(`${where}: context '${entry.context}' contains '__', so no address could reach it`);
        refuseControlCharacters('context', entry.context, where);
      }
      if (typeof entry.value !== 'string') throw usageError(`${where}: value must be text`);
      for (const [name, seconds] of [['created_at', entry.createdAt], ['updated_at', entry.updatedAt], ['expires_at', entry.expiresAt]] as const) {
        if (seconds === null && name === 'expires_at') continue;
        if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0) {
          throw usageError(`${where}: ${name} must be a whole number of seconds, got ${String(seconds)}`);
        }
      }
    });
    ttlNamespaces.forEach((ns, index) => {
      const where = `TTL namespace ${index + 1} (${printableName(`${ns.project}.${ns.namespace}`)})`;
      this.validateImportedProject(ns.project, where);
      validateSegment('namespace', ns.namespace, where);
      validateTtlSeconds(ns.defaultTtl, `${where}: default_ttl`);
      if (typeof ns.createdAt !== 'number' || !Number.isSafeInteger(ns.createdAt) || ns.createdAt < 0) {
        throw usageError(`${where}: created_at must be a whole number of seconds, got ${String(ns.createdAt)}`);
      }
    });
    return this.store.importEntries(entries.map((entry) => this.stored(entry)), ttlNamespaces.map((ns) => this.stored(ns)), options);
  }

  private validateImportedProject(project: string, where: string): void {
    if (this.metaPrefix || typeof project !== 'string' || !project.includes('.')) {
      validateSegment('project', project, where);
      return;
    }
    // `meta.project`, or deeper (`a.b.project`): each part must be a valid name on its own.
    for (const part of project.split('.')) {
      if (part.length === 0) throw usageError(`${where}: project '${project}' has an empty part`);
      validateSegment('project', part, `${where}: project '${project}'`);
    }
  }

  private parseScope(scopeText: string | undefined): { project?: string; namespace?: string } {
    if (scopeText === undefined || scopeText === '') return {};
    const delimiter = this.addressing.delimiter ?? '.';
    const parts = scopeText.split(delimiter);
    if (parts.length > 2) throw usageError(`Scope '${scopeText}' must be a project or project${delimiter}namespace`);
    const where = `Scope '${scopeText}'`;
    return {
      project: validateSegment('project', parts[0]!, where, delimiter),
      namespace: parts[1] === undefined ? undefined : validateSegment('namespace', parts[1], where, delimiter),
    };
  }
}
