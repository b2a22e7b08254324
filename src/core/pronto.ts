import { type AddressDefaults, displayKey, parseAddress, parseListingPath, parseNamespacePath, printableName, refuseControlCharacters, validateSegment, validateTtlSeconds } from './address';
import { type Actor, type AuditRecord, type AuditSettings, withActor } from './audit';
import { type Backend, BackendRegistry, type BackupRequest, type BackupResult, type DatabaseInfo, type RestoreRequest, type RestoreResult } from './backend';
import { CursorRegistry } from './cursors';
import { ProntoError, usageError } from './errors';
import { SqlJsFileBackend } from './fileBackend';
import type { FileStoreOptions } from './fileStore';
import { type Location } from './location';
import { PostgresBackend, type PostgresBackendOptions } from './postgres/backend';
import { type Env, type Layout, layoutFromEnv } from './paths';
import { chooseBackupDirectory, resolveTarget, type ResolvedTarget, type Selection } from './resolution';
import type { DeleteOptions, KvStore, ListQuery, RenameOptions, SetOptions } from './store';
import type { Address, Entry, LongOperationOptions, TtlNamespace } from './types';
import { type WorkdirConfig } from './workdir';
import { loadTrustedWorkdir } from './workdirTrust';

export type { DatabaseInfo } from './backend';
export type { ResolvedTarget, Selection, TargetOrigin } from './resolution';

export interface ProntoOptions {
  env?: Env;
  cwd?: string;
  layout?: Layout;
  store?: FileStoreOptions;
  /**
   * Backends for locations other than file paths, consulted before the built-in ones (PostgreSQL
   * servers, then the sql.js file backend).
   */
  backends?: Backend[];
  /**
   * Opens the store behind a location instead of its backend (tests count and wrap stores here).
   * The location has been checked by its backend and is in its canonical form.
   */
  openStore?: (location: string) => Promise<KvStore>;
  /** Who this process is, for the audit log: 'cli', 'extension', 'mcp'. */
  client?: string;
  /** For server locations: log lines, connection state, the password hook (the extension's). */
  postgres?: Pick<PostgresBackendOptions, 'log' | 'connection' | 'password'>;
}

/**
 * The engine's front door. Resolves which database a call means (resolution.ts: explicit
 * `--database` > `--cursor` > `.prontodb` > the user's selection > the global selection > `main`),
 * hands each location to the backend for its kind (file paths: the sql.js file backend), keeps one
 * store per location per process, and hands out Sessions that speak addresses.
 */
export class ProntoDB {
  readonly layout: Layout;
  readonly cursors: CursorRegistry;
  readonly cwd: string;
  /** Which backend serves a location. */
  readonly backends: BackendRegistry;
  /** The backend that holds the named databases (`--database NAME`): the data directory's files. */
  readonly home: SqlJsFileBackend;
  private readonly env: Env;
  private readonly stores = new Map<string, Promise<KvStore>>();
  /** Recorded as the client of every write in the audit log; the MCP server sets 'mcp'. */
  client: string;

  constructor(private readonly options: ProntoOptions = {}) {
    this.env = options.env ?? process.env;
    this.layout = options.layout ?? layoutFromEnv(this.env);
    this.cwd = options.cwd ?? process.cwd();
    this.client = options.client ?? 'library';
    this.home = new SqlJsFileBackend(this.layout, options.store);
    this.backends = new BackendRegistry([...(options.backends ?? []), new PostgresBackend({ now: options.store?.now, ...options.postgres }), this.home]);
    this.cursors = new CursorRegistry(this.layout, this.cwd, {
      databaseLocation: (name) => this.home.databaseLocation(name),
      databaseName: (location) => this.home.databaseName(location),
      checkLocation: (location) => {
        this.backends.forLocation(location, 'the cursor');
      },
    });
  }

  // ---- resolution ------------------------------------------------------------------------------

  /**
   * The target a selection means, with the `.prontodb` of the working directory unless one is given.
   * That one is subject to consent (workdirTrust.ts): one that redirects data elsewhere counts only
   * once allowed, and the target's notice says when one was ignored.
   */
  resolve(selection: Selection = {}, workdir?: WorkdirConfig): ResolvedTarget {
    let ignored: string | undefined;
    if (workdir === undefined) {
      const decision = loadTrustedWorkdir(this.cwd, this.layout, this.env);
      workdir = decision.config;
      ignored = decision.ignored?.reason;
    }
    const target = resolveTarget({ cursors: this.cursors, databases: this.home, databasesAt: (server) => this.namedDatabases(server), cwd: this.cwd }, selection, workdir);
    if (ignored) target.notice = target.notice ? `${ignored}; ${target.notice}` : ignored;
    return target;
  }

  /** Where backups go (resolution.ts: chooseBackupDirectory): `given` (a flag or setting), else the environment, else the default. */
  backupDirectory(given?: string): string {
    return chooseBackupDirectory({ given, env: this.env, cwd: this.cwd });
  }

  /** Every user this machine knows of (cursor and selection files), with `default`. */
  knownUsers(): string[] {
    return this.cursors.knownUsers();
  }

  // ---- locations and stores --------------------------------------------------------------------

  /** The backend for a location; a clear error when this build has none (`chosenBy` says what named it). */
  backendFor(location: Location, chosenBy?: string): Backend {
    return this.backends.forLocation(location, chosenBy);
  }

  /** The form of a location that identifies its database (for comparing two); unknown kinds as given. */
  canonicalLocation(location: Location): Location {
    return this.backends.find(location)?.canonical(location) ?? location;
  }

  /** How a location is shown to people (a path as is; a URL without its password). */
  describeLocation(location: Location): string {
    return this.backends.find(location)?.describeLocation(location) ?? location;
  }

  /** One store per database location per process, reused. */
  store(location: Location): Promise<KvStore> {
    let backend: Backend;
    try {
      backend = this.backends.forLocation(location);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const key = backend.canonical(location);
    let store = this.stores.get(key);
    if (!store) {
      const opening = this.options.openStore ? this.options.openStore(key) : backend.openStore(key);
      store = opening;
      this.stores.set(key, opening);
      // A failed open (a server down, a file unreadable) is not remembered: the next call tries again.
      opening.catch(() => {
        if (this.stores.get(key) === opening) this.stores.delete(key);
      });
    }
    return store;
  }

  async open(selection: Selection | ResolvedTarget = {}, addressing: Omit<AddressDefaults, never> = {}): Promise<Session> {
    const target = 'location' in selection ? selection : this.resolve(selection);
    const backend = this.backends.forLocation(target.location, target.source);
    backend.checkUsable(target.location, target.source);
    return new Session(await this.store(target.location), target, addressing, this.actorFor(target));
  }

  // ---- named databases -------------------------------------------------------------------------

  /**
   * Where named databases live: the data directory's files, or, given a database URL
   * (`--database-url`), the named databases of that server.
   */
  namedDatabases(server?: Location): Backend {
    if (server === undefined) return this.home;
    const backend = this.backends.forLocation(server, 'the database URL');
    if (!backend.atServer) throw usageError(`${this.describeLocation(server)} is not a server: named databases of ${backend.title} live in the data directory`);
    return backend.atServer(server);
  }

  /** The named databases (of the data directory). */
  listDatabases(): DatabaseInfo[] {
    return this.home.listDatabasesSync();
  }

  /** The named databases of the data directory, or of the server a database URL names. */
  listDatabasesAt(server?: Location): Promise<DatabaseInfo[]> {
    return this.namedDatabases(server).listDatabases();
  }

  async createDatabase(name: string, server?: Location): Promise<DatabaseInfo> {
    const home = this.namedDatabases(server);
    const location = await home.prepareDatabase(name);
    await (await this.store(location)).initialize();
    return (await home.listDatabases()).find((db) => db.name === name)!;
  }

  /** Removes the database and its directory (with the cursors filed there), or its schema on a server. */
  async deleteDatabase(name: string, server?: Location): Promise<void> {
    const home = this.namedDatabases(server);
    const location = home.databaseLocation(name);
    if (!(await home.exists(location))) throw new ProntoError('not-found', `Database '${name}' does not exist`);
    await this.forget(location);
    await home.deleteDatabase(name);
  }

  /** Backs up a named database of the data directory, or of the server `server` names: the same `.tar.gz` either way. */
  backupDatabase(name: string, request: BackupRequest, server?: Location): Promise<BackupResult> {
    return this.namedDatabases(server).backup(name, request);
  }

  /** Restores a backup into a named database (default: the one it was made of), of the data directory or of the server `server` names. */
  async restoreDatabase(backupFile: string, request: RestoreRequest, actor: Omit<Actor, 'client'> = {}, server?: Location): Promise<RestoreResult> {
    const home = this.namedDatabases(server);
    // A server records the restore in the transaction that replaces the contents.
    if (home !== this.home) return withActor({ ...actor, client: this.client }, () => home.restore(backupFile, request));
    const result = await this.home.restore(backupFile, request);
    // The restored file carries its own log (as of the backup); the restore itself goes on record there.
    const store = await this.store(this.home.databaseLocation(result.database));
    await withActor({ ...actor, client: this.client }, () => store.noteInAudit('restore', `from ${backupFile}`));
    return result;
  }

  /** Who writes through a target, for the audit log. */
  actorFor(target: ResolvedTarget): Actor {
    return { user: target.user, cursor: target.cursor?.name, client: this.client };
  }

  /** Closes and drops the cached store of a location. */
  private async forget(location: Location): Promise<void> {
    const key = this.canonicalLocation(location);
    const store = this.stores.get(key);
    this.stores.delete(key);
    await (await store)?.close();
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map(async (store) => (await store).close()));
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
    private readonly actor: Actor = { user: target.user, cursor: target.cursor?.name },
  ) {}

  /** Runs a write as this session's user, cursor and client, which the audit log records. */
  private as<T>(write: () => Promise<T>): Promise<T> {
    return withActor(this.actor, write);
  }

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
    return this.as(() => this.store.set(target, value, options));
  }

  delete(address: string | Address, options?: DeleteOptions): Promise<boolean> {
    return this.as(() => this.store.delete(this.stored(this.toAddress(address)), options));
  }

  /** Moves a value to a free address in one commit (see KvStore.rename). */
  rename(from: string | Address, to: string | Address, options?: RenameOptions): Promise<void> {
    return this.as(() => this.store.rename(this.stored(this.toAddress(from)), this.stored(this.toAddress(to)), options));
  }

  /** Deletes a project (`p`) or namespace (`p.n`) with its TTL settings, in one commit; returns how many values went. */
  deleteScope(scopeText: string): Promise<number> {
    const parts = scopeText.split('.');
    if (parts.length > 2 || parts.some((part) => part === '')) throw usageError(`'${scopeText}' is not a project or project.namespace`);
    const [project, namespace] = parts as [string, string | undefined];
    validateSegment('project', project, `'${scopeText}'`);
    if (namespace !== undefined) validateSegment('namespace', namespace, `'${scopeText}'`);
    return this.as(() => this.store.deleteScope(this.stored(namespace === undefined ? { project } : { project, namespace })));
  }

  /** keys/scan: a listing path (spec §1.2 Discovery) to every live entry it selects. */
  async listPath(pathText: string | undefined, options: { limit?: number } = {}): Promise<Entry[]> {
    const scope = parseListingPath(pathText, this.defaults);
    const separator = scope.prefix.indexOf('__');
    const keyPrefix = separator < 0 ? scope.prefix : scope.prefix.slice(0, separator);
    // A prefix reaching into the context is filtered here, so the store's limit only applies without one.
    const limit = separator < 0 ? options.limit : undefined;
    const entries = await this.store.list(this.stored({ project: scope.project, namespace: scope.namespace, keyPrefix, limit }));
    const matching = separator < 0 ? entries : entries.filter((entry) => displayKey(entry).startsWith(scope.prefix));
    return (options.limit === undefined ? matching : matching.slice(0, options.limit)).map((entry) => this.visible(entry));
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
    return this.as(() => this.store.createCache(this.metaPrefix + project, namespace, seconds));
  }

  removeCache(namespacePath: string): Promise<boolean> {
    const { project, namespace } = parseNamespacePath(namespacePath, this.addressing.delimiter);
    return this.as(() => this.store.removeCache(this.metaPrefix + project, namespace));
  }

  purgeExpired(): Promise<number> {
    return this.as(() => this.store.purgeExpired());
  }

  // ---- audit log ---------------------------------------------------------------------------------

  auditSettings(): Promise<AuditSettings> {
    return this.store.auditSettings();
  }

  configureAudit(change: Partial<AuditSettings>): Promise<AuditSettings> {
    return this.as(() => this.store.configureAudit(change));
  }

  /**
   * The audit records of the database (or, with an address, of that address), newest first. Under a
   * meta context only its own addresses' records are shown, and whole-database events.
   */
  async history(options: { address?: string | Address; since?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const address = options.address === undefined ? undefined : this.stored(this.toAddress(options.address));
    const records = await this.store.auditRecords({ address, since: options.since, limit: options.limit });
    if (!this.metaPrefix) return records;
    return records
      .filter((record) => record.project === null || this.owns(record.project))
      .map((record) => (record.project === null ? record : { ...record, project: record.project.slice(this.metaPrefix.length) }));
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
    return this.as(() => this.store.importEntries(entries.map((entry) => this.stored(entry)), ttlNamespaces.map((ns) => this.stored(ns)), options));
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
