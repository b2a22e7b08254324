import { ProntoError } from './errors';
import { displayLocation, type Location, locationScheme } from './location';
import type { KvStore } from './store';
import type { LongOperationOptions } from './types';

/** A named database a backend holds. */
export interface DatabaseInfo {
  name: string;
  location: Location;
  /** Same as `location`; kept for callers written when every database was a file. */
  file: string;
  size: number;
  modified: Date;
}

export interface BackupRequest extends LongOperationOptions {
  /** Folder the backup goes into. */
  outputDir: string;
  now?: Date;
}

export interface BackupResult {
  /** Where the backup was written. */
  file: string;
  database: string;
  size: number;
  modified: Date;
  /** What the backup holds, for people (e.g. `main/pronto.main.prdb`, `main/cursors/a.cursor`). */
  files: string[];
}

export interface RestoreRequest extends LongOperationOptions {
  /** The named database to restore into; default: the one the backup was made of. */
  target?: string;
  /** Folder for the safety copy of the data a restore replaces. */
  safetyDir: string;
  now?: Date;
}

export interface RestoreResult {
  database: string;
  /** The safety copy of the replaced data, when there was any. */
  safetyCopy?: string;
}

/**
 * One kind of database location: SQLite files today, a server (`postgres://…`) later. A backend owns
 * everything that depends on where the data physically is: opening a store, its named databases
 * (listing, creating, deleting), backing up and restoring them, and how its locations are shown.
 * Everything above it (resolution, sessions, the CLI, the extension) deals in locations and
 * `KvStore`s only.
 */
export interface Backend {
  /** `file` for paths, else the URL scheme it serves (`postgres`). */
  readonly scheme: string;
  /** For people and error messages, e.g. "SQLite database files (sql.js)". */
  readonly title: string;

  /** Whether a location is one of this backend's. */
  handles(location: Location): boolean;
  /** The form that identifies a database in this process (one store per canonical location). */
  canonical(location: Location): Location;
  /** How a location is shown to people (a path as is; a URL without its password). */
  describeLocation(location: Location): string;
  /**
   * Throws a ProntoError naming `chosenBy` when the location cannot be used at all (a path the
   * file system cannot even look up, a malformed URL), before any store touches it.
   */
  checkUsable(location: Location, chosenBy: string): void;
  /** Whether following a database's changes is possible now without creating anything. */
  canObserve(location: Location): boolean;
  openStore(location: Location): Promise<KvStore>;
  /** Whether a database exists there; asking creates nothing. */
  exists(location: Location): Promise<boolean>;

  // ---- named databases ----
  /** Where the database called `name` lives (it may not exist yet). */
  databaseLocation(name: string): Location;
  /** The name of the database at `location`, when it is one of the named databases. */
  databaseName(location: Location): string | undefined;
  listDatabases(): Promise<DatabaseInfo[]>;
  /** Makes room for a new named database, refusing one that exists; the caller initializes its store. */
  prepareDatabase(name: string): Promise<Location>;
  /** Removes a named database; the caller has closed its store. */
  deleteDatabase(name: string): Promise<void>;
  backup(name: string, request: BackupRequest): Promise<BackupResult>;
  restore(backupFile: string, request: RestoreRequest): Promise<RestoreResult>;
  /**
   * The same backend with the named databases of the server `location` is on (`--database-url`);
   * absent where named databases live in one place only (the data directory's files).
   */
  atServer?(location: Location): Backend;
}

/**
 * Which backend serves a location. Paths go to the file backend; a URL goes to the backend for its
 * scheme, and a scheme no backend serves is refused with a message that says so.
 */
export class BackendRegistry {
  private readonly backends: readonly Backend[];

  constructor(backends: readonly Backend[]) {
    this.backends = backends;
  }

  get all(): readonly Backend[] {
    return this.backends;
  }

  /** The backend for `location`, or undefined when this build has none. */
  find(location: Location): Backend | undefined {
    return this.backends.find((backend) => backend.handles(location));
  }

  /** The backend for `location`; `chosenBy` says in the error what named the location. */
  forLocation(location: Location, chosenBy?: string): Backend {
    const backend = this.find(location);
    if (backend) return backend;
    const scheme = locationScheme(location) ?? 'file';
    const served = this.backends.map((candidate) => (candidate.scheme === 'file' ? 'file paths' : `${candidate.scheme}:// URLs`)).join(', ');
    throw new ProntoError(
      'usage',
      `No backend for ${scheme}:// locations in this build: ${chosenBy ? `${chosenBy} names` : 'cannot open'} ${displayLocation(location)} (this build opens ${served || 'nothing'})`,
    );
  }
}
