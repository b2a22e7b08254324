import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, BackupRequest, BackupResult, DatabaseInfo, RestoreRequest, RestoreResult } from './backend';
import { createBackup, restoreBackup } from './backup';
import { fsError, ProntoError } from './errors';
import { SqlJsFileStore, type FileStoreOptions } from './fileStore';
import { makeDirectorySync } from './fsUtil';
import { isUrlLocation, type Location, resolveLocation } from './location';
import { lockPathFor } from './lock';
import { databaseDirectory, databaseFile, databaseNameInLayout, DEFAULT_DATABASE, type Layout, validateDatabaseName } from './paths';
import { loadSqlJs } from './sqljs';
import type { KvStore } from './store';

/** Files SQLite and the engine keep beside a database file, removed with it. */
const SIDECAR_SUFFIXES = ['-wal', '-shm', '-journal'];

/**
 * Databases as SQLite files, in the Rust CLI's format and places, run by sql.js. Its named
 * databases are the data directory's: `<data>/<name>/pronto.<name>.prdb` (`PRONTO_DB` for `main`).
 * Locations are file paths; a `file://` URL is read as its path.
 */
export class SqlJsFileBackend implements Backend {
  readonly scheme = 'file';
  readonly title = 'SQLite database files (sql.js)';

  constructor(
    readonly layout: Layout,
    private readonly storeOptions: FileStoreOptions = {},
  ) {}

  handles(location: Location): boolean {
    return !isUrlLocation(location) || /^file:\/\//i.test(location);
  }

  canonical(location: Location): Location {
    return resolveLocation(location, process.cwd());
  }

  describeLocation(location: Location): string {
    return this.canonical(location);
  }

  /**
   * A path the file system cannot even look up (too long, a file where a folder should be, no
   * permission) is reported with what chose it.
   */
  checkUsable(location: Location, chosenBy: string): void {
    try {
      fs.statSync(this.canonical(location), { throwIfNoEntry: false });
    } catch (error) {
      throw fsError(error, `Cannot use database ${location} (chosen by ${chosenBy})`);
    }
  }

  /** Watching a file watches its folder, which must not be created just to be watched. */
  canObserve(location: Location): boolean {
    return fs.existsSync(path.dirname(this.canonical(location)));
  }

  async openStore(location: Location): Promise<KvStore> {
    return new SqlJsFileStore(this.canonical(location), await loadSqlJs(), this.storeOptions);
  }

  async exists(location: Location): Promise<boolean> {
    return this.existsSync(location);
  }

  /** Synchronous `exists`, for resolution (which the CLI and the editor call synchronously). */
  existsSync(location: Location): boolean {
    return fs.existsSync(this.canonical(location));
  }

  // ---- named databases: the data directory ---------------------------------------------------

  databaseLocation(name: string): Location {
    return databaseFile(this.layout, validateDatabaseName(name));
  }

  /** Recognises `<data>/<db>/pronto.<db>.prdb` (and `PRONTO_DB`) so a path can show a database name. */
  databaseName(location: Location): string | undefined {
    return databaseNameInLayout(this.layout, location);
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    return this.listDatabasesSync();
  }

  /** Every database of the data directory, with `main` (or `PRONTO_DB`) when its file exists. */
  listDatabasesSync(): DatabaseInfo[] {
    const found = new Map<string, DatabaseInfo>();
    const add = (name: string) => {
      const file = databaseFile(this.layout, name);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat?.isFile()) found.set(name, { name, location: file, file, size: stat.size, modified: stat.mtime });
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

  async prepareDatabase(name: string): Promise<Location> {
    const file = this.databaseLocation(name);
    if (fs.existsSync(file)) throw new ProntoError('conflict', `Database '${name}' already exists (${file})`);
    // Made here, so a read-only or full file system is reported as such, not as a missing lock path.
    makeDirectorySync(path.dirname(file), `Cannot create database '${name}'`);
    return file;
  }

  /** Removes the database file, what SQLite and the engine keep beside it, and its directory (with the cursors filed there). */
  async deleteDatabase(name: string): Promise<void> {
    const file = this.databaseLocation(name);
    for (const suffix of ['', ...SIDECAR_SUFFIXES]) fs.rmSync(file + suffix, { force: true });
    fs.rmSync(lockPathFor(file), { recursive: true, force: true });
    const directory = databaseDirectory(this.layout, name);
    if (path.dirname(file) === directory) fs.rmSync(directory, { recursive: true, force: true });
  }

  /** A `.tar.gz` in the Rust CLI's layout: the database file with its cursors. */
  backup(name: string, request: BackupRequest): Promise<BackupResult> {
    return createBackup(this.layout, name, request);
  }

  restore(backupFile: string, request: RestoreRequest): Promise<RestoreResult> {
    return restoreBackup(this.layout, backupFile, request);
  }
}
