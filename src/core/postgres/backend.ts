/**
 * Databases on a PostgreSQL server: `postgres://` and `postgresql://` locations (location.ts), their
 * stores, and the named databases of one server. This file is in every bundle and stays small: the
 * store and the driver (module.ts) are loaded from dist/postgres.js the first time a server location
 * is used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentActor } from '../audit';
import type { Backend, BackupRequest, BackupResult, DatabaseInfo, RestoreRequest, RestoreResult } from '../backend';
import { ConditionFailedError, ProntoError, usageError } from '../errors';
import { displayLocation, type Location } from '../location';
import { backupStore, restoreIntoStore } from '../serverBackup';
import type { KvStore } from '../store';
import { canonicalPostgresLocation, isPostgresLocation, parsePostgresLocation, postgresDatabaseLocation, validateServerDatabaseName } from './location';

type PostgresModule = typeof import('./module');

/** The core's own classes and actor storage, which the bundle must share (connection.ts: CoreServices). */
const CORE = { ProntoError, ConditionFailedError, currentActor };

let loaded: PostgresModule | undefined;

/** The PostgreSQL bundle beside this one; from the compiled sources (tests), the module itself. */
function loadPostgresModule(): PostgresModule {
  if (loaded) return loaded;
  const bundled = path.join(__dirname, 'postgres.js');
  try {
    // A computed path, so the CLI and extension bundles do not include the driver (a static import would).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, by path
    loaded = (fs.existsSync(bundled) ? require(bundled) : require(['.', 'module'].join('/'))) as PostgresModule;
  } catch (error) {
    throw new ProntoError('io', `The PostgreSQL support of this installation cannot be loaded (${bundled}): ${(error as Error).message}`);
  }
  return loaded;
}

export interface PostgresBackendOptions {
  /** The server whose named databases `databaseLocation`, `listDatabases`… mean (a `postgres://` URL). */
  server?: Location;
  /** Milliseconds since the epoch, for expiry and timestamps (tests inject a clock). */
  now?: () => number;
  /** Lines about the change-notification connection (lost, reconnected). */
  log?: (line: string) => void;
  /** Connections per open store. */
  poolSize?: number;
  /** The change-notification connection of a store was lost or is back (the extension's status bar). */
  connection?: (location: Location, state: 'lost' | 'restored') => void;
  /**
   * Asked for the password of a server (given its URL without a password) when the URL, PGPASSWORD
   * and the password file (~/.pgpass, PGPASSFILE) have none; asked for each new connection, so it answers from memory. The extension answers
   * from VS Code's SecretStorage.
   */
  password?: (location: Location) => Promise<string | undefined>;
}

export class PostgresBackend implements Backend {
  readonly scheme = 'postgres';
  readonly title = 'PostgreSQL server';

  /** What the bundle shares with the core, with this backend's password hook. */
  private readonly core: typeof CORE & { password?: PostgresBackendOptions['password'] };

  constructor(private readonly options: PostgresBackendOptions = {}) {
    this.core = { ...CORE, password: options.password };
  }

  handles(location: Location): boolean {
    return isPostgresLocation(location);
  }

  /** One spelling per database; a malformed URL is kept as given (checkUsable and openStore refuse it). */
  canonical(location: Location): Location {
    try {
      return canonicalPostgresLocation(location, usageError);
    } catch {
      return location;
    }
  }

  describeLocation(location: Location): string {
    return displayLocation(location);
  }

  checkUsable(location: Location, chosenBy: string): void {
    parsePostgresLocation(location, usageError, `chosen by ${chosenBy}`);
  }

  /** Changes are heard over the server connection, which needs nothing created first. */
  canObserve(): boolean {
    return true;
  }

  async openStore(location: Location): Promise<KvStore> {
    return this.createStore(location);
  }

  /** `openStore` without the promise (the module loads synchronously); connects on first use. */
  createStore(location: Location): KvStore {
    const { PostgresStore } = loadPostgresModule();
    return new PostgresStore(location, { core: this.core, now: this.options.now, log: this.options.log, poolSize: this.options.poolSize, connection: this.options.connection });
  }

  exists(location: Location): Promise<boolean> {
    return loadPostgresModule().databaseExists(this.core, location);
  }

  /** This backend with the named databases of the server `location` is on. */
  atServer(location: Location): PostgresBackend {
    return new PostgresBackend({ ...this.options, server: parsePostgresLocation(location, usageError, 'the database URL').serverUrl });
  }

  private get server(): Location {
    if (this.options.server === undefined) throw usageError('Named databases on a server need its URL: give --database-url or PRONTODB_DATABASE_URL');
    return this.options.server;
  }

  // ---- named databases: the schemas of one server ---------------------------------------------

  databaseLocation(name: string): Location {
    return postgresDatabaseLocation(this.server, name, usageError);
  }

  databaseName(location: Location): string | undefined {
    if (this.options.server === undefined || !this.handles(location)) return undefined;
    try {
      const parsed = parsePostgresLocation(location, usageError);
      return parsed.serverUrl === this.options.server ? parsed.database : undefined;
    } catch {
      return undefined;
    }
  }

  listDatabases(): Promise<DatabaseInfo[]> {
    return loadPostgresModule().listDatabases(this.core, this.server);
  }

  async prepareDatabase(name: string): Promise<Location> {
    validateServerDatabaseName(name, usageError);
    const location = this.databaseLocation(name);
    if (await this.exists(location)) throw new ProntoError('conflict', `Database '${name}' already exists (${displayLocation(location)})`);
    return location;
  }

  deleteDatabase(name: string): Promise<void> {
    return loadPostgresModule().dropDatabase(this.core, this.databaseLocation(name));
  }

  /** The same archive as a file database's (serverBackup.ts): it restores into either backend and into the Rust CLI. */
  async backup(name: string, request: BackupRequest): Promise<BackupResult> {
    const location = this.databaseLocation(name);
    if (!(await this.exists(location))) throw new ProntoError('not-found', `Database '${name}' does not exist (${displayLocation(location)})`);
    const store = this.createStore(location);
    try {
      return await backupStore(store, name, displayLocation(location), request);
    } finally {
      await store.close();
    }
  }

  /** Replaces the named database's contents with the archive's in one transaction, after a safety archive of them. */
  async restore(backupFile: string, request: RestoreRequest): Promise<RestoreResult> {
    const opened: KvStore[] = [];
    try {
      return await restoreIntoStore(backupFile, request, async (name) => {
        validateServerDatabaseName(name, usageError);
        const location = this.databaseLocation(name);
        const store = this.createStore(location);
        opened.push(store);
        return { store, shown: displayLocation(location), exists: await this.exists(location) };
      });
    } finally {
      await Promise.all(opened.map((store) => store.close()));
    }
  }
}
