import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { errnoCode, errnoText, ProntoError, throwIfCancelled, usageError } from './errors';
import { syncDirectory, syncFile } from './atomicFile';
import { acquireFileLock } from './lock';
import { Env, Layout, databaseDirectory, databaseFile, homeDirectory, validateDatabaseName } from './paths';
import { loadSqlJs } from './sqljs';
import { LongOperationOptions } from './types';

/** Loaded on first use, so commands that make no archive do not pay for it at startup. */
function tarModule(): typeof import('tar') {
  return require('tar') as typeof import('tar');
}

/**
 * Backup and restore (spec §7). Archives have exactly the layout of the Rust CLI's
 * `tar czf OUT -C <data> <db>`: one top-level `<db>/` holding `pronto.<db>.prdb` (plus `-wal`/`-shm`)
 * and `cursors/*.cursor`, so archives move freely between the two implementations.
 */

/** The Rust CLI's default backup directory, relative to the home directory. */
export const DEFAULT_BACKUP_DIR_SEGMENTS: readonly string[] = ['repos', 'zindex', 'cache', 'backup'];

export function defaultBackupDirectory(env: Env = process.env): string {
  return path.join(homeDirectory(env), ...DEFAULT_BACKUP_DIR_SEGMENTS);
}

/**
 * - `archive`: `prontodb_<db>_<YYYYMMDD>[_nNN].tar.gz`, made by `createBackup` or the Rust CLI.
 * - `pre-restore`: `prontodb_<db>_<YYYYMMDD>_pre-restore_<HHMMSS>[_nNN].tar.gz`, the safety copy
 *   `restoreBackup` writes before replacing data. Rotation never deletes these.
 * - `other`: any other `prontodb_*.tar.gz` / `prontodb_*.db` the Rust CLI's `--list` would show.
 */
export type BackupKind = 'archive' | 'pre-restore' | 'other';

export interface BackupInfo {
  file: string;
  /** `''` when the name does not parse (kind `other`). */
  database: string;
  /** `YYYYMMDD` (UTC), `''` when the name does not parse. */
  date: string;
  /** The `_nNN` suffix; `null` for the first archive of the day. */
  increment: number | null;
  size: number;
  modified: Date;
  kind: BackupKind;
}

export interface ArchiveContents {
  database: string;
  /** Regular files as stored in the archive, e.g. `main/pronto.main.prdb`, `main/cursors/a.cursor`. */
  files: string[];
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const MAX_INCREMENT = 99;
/** Files beside a db file that only make sense with the file they were written for. */
const STALE_SIDECARS = ['-wal', '-shm', '-journal'];

/**
 * What restore accepts, checked on each entry's header before its content is read, so a hostile
 * archive (a "tar bomb") is refused after reading headers, not after unpacking gigabytes. The
 * database file is loaded whole into memory for the integrity check (as the engine loads it for
 * use), so its cap is also what bounds restore's memory: about twice maxDatabaseBytes.
 */
export interface RestoreLimits {
  /** Entries (files and directories) in the archive. */
  maxEntries: number;
  /** Bytes of the database file, and of its -wal / -shm. */
  maxDatabaseBytes: number;
  /** Bytes of one cursor file (they hold a few hundred). */
  maxCursorBytes: number;
  /** Bytes of all entries together. */
  maxTotalBytes: number;
}

const MIB = 1024 * 1024;
export const DEFAULT_RESTORE_LIMITS: Readonly<RestoreLimits> = Object.freeze({
  maxEntries: 10_000,
  maxDatabaseBytes: 1024 * MIB,
  maxCursorBytes: 1 * MIB,
  maxTotalBytes: 2048 * MIB,
});

/** Staging folders and temp files of a backup or restore that is still running look like this. */
const STAGING_PREFIXES = ['.prontodb-backup-', '.prontodb-restore-'];
/** A staging folder whose owner cannot be checked (another host, an older version) is abandoned after this long untouched. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

// `(.+)` is greedy, so the fixed-shape suffix is matched from the right and database names may
// themselves contain `_`, digits and `.`.
const ARCHIVE_NAME = /^prontodb_(.+)_(\d{8})(?:_n(\d{2}))?\.tar\.gz$/;
const PRE_RESTORE_NAME = /^prontodb_(.+)_(\d{8})_pre-restore_\d{6}(?:_n(\d{2}))?\.tar\.gz$/;

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

export async function createBackup(
  layout: Layout,
  database: string,
  options: { outputDir: string; now?: Date } & LongOperationOptions,
): Promise<BackupInfo & { files: string[] }> {
  validateDatabaseName(database);
  const now = options.now ?? new Date();
  const date = utcDate(now);
  const written = await writeArchive(layout, database, path.resolve(options.outputDir), {
    ...options,
    holdsLock: false,
    nameFor: (increment) => `prontodb_${database}_${date}${incrementSuffix(increment)}.tar.gz`,
  });
  const stat = await fsp.stat(written.file);
  options.onProgress?.(1, `Backup saved to ${written.file}`);
  return {
    file: written.file,
    database,
    date,
    increment: written.increment,
    size: stat.size,
    modified: stat.mtime,
    kind: 'archive',
    files: written.files,
  };
}

interface WriteArchiveOptions extends LongOperationOptions {
  /** The caller already holds the database's file lock (restore's safety copy). */
  holdsLock: boolean;
  /** File name for increment 0 (no suffix) .. 99. */
  nameFor: (increment: number) => string;
}

/**
 * Copies the database's files into a staging directory while holding its lock (writers replace the
 * db file by rename under that lock, so the copy is a consistent snapshot), then packs the copy
 * into a temporary file and links it under the first free name. Nothing is left behind on failure.
 */
async function writeArchive(
  layout: Layout,
  database: string,
  outputDir: string,
  options: WriteArchiveOptions,
): Promise<{ file: string; increment: number | null; files: string[] }> {
  const { signal, onProgress } = options;
  throwIfCancelled(signal);
  const dbFile = databaseFile(layout, database);
  if (!(await hasAnyDatabaseFiles(layout, database))) {
    throw new ProntoError('not-found', `Database '${database}' not found (no ${dbFile} and no cursors directory)`);
  }
  await mkdirOrFail(outputDir);
  await removeAbandonedStaging(outputDir);
  let staging: string | undefined;
  try {
    const stagingDir = await fsp.mkdtemp(path.join(outputDir, stagingPrefix('backup')));
    staging = stagingDir;
    onProgress?.(0.05, `Reading database '${database}'`);
    const entries = await withOptionalLock(dbFile, !options.holdsLock, () =>
      stageDatabase(layout, database, path.join(stagingDir, database)),
    );
    throwIfCancelled(signal);

    onProgress?.(0.35, `Compressing ${entries.files.length} file(s)`);
    const tempArchive = path.join(stagingDir, 'archive.tar.gz');
    await tarModule().c({ file: tempArchive, cwd: stagingDir, gzip: true, portable: true, noDirRecurse: true }, entries.paths);
    throwIfCancelled(signal);

    onProgress?.(0.9, 'Saving archive');
    // The archive is on disk before it gets its name, and the name before success is reported: a
    // power cut must not leave a named but empty archive (restore's safety copy relies on this).
    await syncFile(tempArchive);
    const { file, increment } = await publishUnderFreeName(tempArchive, outputDir, options.nameFor);
    await syncDirectory(outputDir);
    return { file, increment, files: entries.files };
  } catch (error) {
    throw asProntoError(error, `Cannot back up database '${database}'`);
  } finally {
    if (staging) await fsp.rm(staging, { recursive: true, force: true });
  }
}

async function hasAnyDatabaseFiles(layout: Layout, database: string): Promise<boolean> {
  return (
    (await isFile(databaseFile(layout, database))) ||
    (await isDirectory(path.join(databaseDirectory(layout, database), 'cursors')))
  );
}

async function withOptionalLock<T>(file: string, lock: boolean, action: () => Promise<T>): Promise<T> {
  // Without the db file's directory there is nothing a writer could be replacing, and nowhere to lock.
  if (!lock || !(await isDirectory(path.dirname(file)))) return action();
  const release = await acquireFileLock(file);
  try {
    return await action();
  } finally {
    await release();
  }
}

/**
 * Copies the db file (from PRONTO_DB for an overridden `main`), its `-wal`/`-shm` and the
 * `cursors/*.cursor` files into `target`, which becomes the archive's top-level directory. Only these
 * names are taken, so lock directories and temporary files never reach an archive.
 * Returns the tar entry paths (relative to target's parent) and the regular files among them.
 */
async function stageDatabase(
  layout: Layout,
  database: string,
  target: string,
): Promise<{ paths: string[]; files: string[] }> {
  const dbFile = databaseFile(layout, database);
  const cursorsDir = path.join(databaseDirectory(layout, database), 'cursors');
  const dbName = `pronto.${database}.prdb`;
  const paths = [database];
  const files: string[] = [];
  await fsp.mkdir(target);

  for (const suffix of ['', '-wal', '-shm']) {
    if (await copyIfFile(dbFile + suffix, path.join(target, dbName + suffix))) {
      paths.push(`${database}/${dbName}${suffix}`);
      files.push(`${database}/${dbName}${suffix}`);
    }
  }
  if (await isDirectory(cursorsDir)) {
    await fsp.mkdir(path.join(target, 'cursors'));
    paths.push(`${database}/cursors`);
    const names = (await fsp.readdir(cursorsDir)).filter((name) => name.endsWith('.cursor')).sort();
    for (const name of names) {
      if (await copyIfFile(path.join(cursorsDir, name), path.join(target, 'cursors', name))) {
        paths.push(`${database}/cursors/${name}`);
        files.push(`${database}/cursors/${name}`);
      }
    }
  }
  if (files.length === 0 && paths.length === 1) {
    throw new ProntoError('not-found', `Database '${database}' not found`);
  }
  return { paths, files };
}

/** Copies a regular file keeping its mtime (as tar would); false when the source is not a regular file. */
async function copyIfFile(source: string, destination: string): Promise<boolean> {
  const stat = await statOrUndefined(source);
  if (!stat?.isFile()) return false;
  await fsp.copyFile(source, destination, fs.constants.COPYFILE_FICLONE);
  await fsp.utimes(destination, stat.atime, stat.mtime);
  return true;
}

/**
 * Gives the finished archive the first free name. `link` fails if the name exists, so two
 * concurrent backups never overwrite each other; file systems without hard links fall back to
 * check-then-rename.
 */
async function publishUnderFreeName(
  tempFile: string,
  directory: string,
  nameFor: (increment: number) => string,
): Promise<{ file: string; increment: number | null }> {
  for (let increment = 0; increment <= MAX_INCREMENT; increment++) {
    const file = path.join(directory, nameFor(increment));
    try {
      await fsp.link(tempFile, file);
      await fsp.rm(tempFile, { force: true });
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
      if (await exists(file)) continue;
      await fsp.rename(tempFile, file);
    }
    return { file, increment: increment === 0 ? null : increment };
  }
  throw new ProntoError(
    'conflict',
    `Too many backups: ${nameFor(0)} and its increments _n01.._n${MAX_INCREMENT} already exist in ${directory}`,
  );
}

// ---------------------------------------------------------------------------------------------
// List and rotate
// ---------------------------------------------------------------------------------------------

/** Backup files in `dir` (as the Rust CLI's `--list` finds them), newest first. Missing dir → []. */
export async function listBackups(dir: string, options: { database?: string } = {}): Promise<BackupInfo[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw asProntoError(error, `Cannot list backups in ${dir}`);
  }
  const backups: BackupInfo[] = [];
  for (const name of names) {
    if (!name.startsWith('prontodb_') || !(name.endsWith('.tar.gz') || name.endsWith('.db'))) continue;
    const file = path.join(dir, name);
    const stat = await statOrUndefined(file);
    if (!stat?.isFile()) continue;
    const info = { file, size: stat.size, modified: stat.mtime, ...parseBackupName(name) };
    if (options.database !== undefined && info.database !== options.database) continue;
    backups.push(info);
  }
  return backups.sort(newestFirst);
}

function parseBackupName(name: string): Pick<BackupInfo, 'database' | 'date' | 'increment' | 'kind'> {
  for (const [pattern, kind] of [
    [ARCHIVE_NAME, 'archive'],
    [PRE_RESTORE_NAME, 'pre-restore'],
  ] as const) {
    const match = pattern.exec(name);
    if (match && isValidDatabaseName(match[1])) {
      return { database: match[1], date: match[2], increment: match[3] ? Number(match[3]) : null, kind };
    }
  }
  return { database: '', date: '', increment: null, kind: 'other' };
}

/** Date, then increment (the first of the day has none), then mtime; the file name keeps it stable. */
function newestFirst(a: BackupInfo, b: BackupInfo): number {
  return (
    compareText(b.date, a.date) ||
    (b.increment ?? 0) - (a.increment ?? 0) ||
    b.modified.getTime() - a.modified.getTime() ||
    compareText(a.file, b.file)
  );
}

/** Code-point order: independent of the host's locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keeps the newest `keep` regular archives of `database` in `dir` and deletes the rest. Safety
 * copies (`pre-restore`), other databases' archives and unrecognised files are never touched.
 * Returns the deleted files.
 */
export async function rotateBackups(dir: string, database: string, keep: number): Promise<string[]> {
  validateDatabaseName(database);
  if (!Number.isInteger(keep) || keep < 1) throw usageError(`Number of backups to keep must be at least 1 (got ${keep})`);
  const archives = (await listBackups(dir, { database })).filter((backup) => backup.kind === 'archive');
  const removed: string[] = [];
  for (const backup of archives.slice(keep)) {
    try {
      await fsp.rm(backup.file, { force: true });
    } catch (error) {
      throw asProntoError(error, `Cannot delete old backup ${backup.file}`);
    }
    removed.push(backup.file);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Inspect (validation)
// ---------------------------------------------------------------------------------------------

/**
 * Accepts exactly what the Rust CLI's archives contain and refuses anything that could escape the
 * target directory or plant foreign files: links, devices, absolute or `..` paths, a second
 * top-level directory, unknown names.
 */
class ArchiveRules {
  database: string | undefined;
  readonly files: string[] = [];
  problem: string | undefined;
  private entries = 0;
  private totalBytes = 0;

  constructor(private readonly limits: RestoreLimits = DEFAULT_RESTORE_LIMITS) {}

  /** Records the first problem; returns whether the entry is acceptable. Reads only the header. */
  check(entryPath: string, type: string, size = 0): boolean {
    if (this.problem === undefined) this.problem = this.findProblem(entryPath, type) ?? this.findExcess(entryPath, size);
    return this.problem === undefined;
  }

  private findExcess(entryPath: string, size: number): string | undefined {
    const { maxEntries, maxDatabaseBytes, maxCursorBytes, maxTotalBytes } = this.limits;
    this.entries++;
    this.totalBytes += size;
    if (this.entries > maxEntries) return `more than ${maxEntries} entries (restore accepts at most that many)`;
    const isCursor = /\.cursor$/.test(entryPath);
    const cap = isCursor ? maxCursorBytes : maxDatabaseBytes;
    if (size > cap) return `'${entryPath}' is ${describeBytes(size)}, more than restore accepts for ${isCursor ? 'a cursor file' : 'a database file'} (${describeBytes(cap)})`;
    if (this.totalBytes > maxTotalBytes) return `its entries hold more than ${describeBytes(maxTotalBytes)} together (restore accepts at most that)`;
    return undefined;
  }

  isDatabaseFile(entryPath: string): boolean {
    return this.database !== undefined && normalizedSegments(entryPath).join('/') === this.databaseFilePath();
  }

  databaseFilePath(): string {
    return `${this.database}/pronto.${this.database}.prdb`;
  }

  private findProblem(entryPath: string, type: string): string | undefined {
    if (entryPath.startsWith('/') || /^[A-Za-z]:/.test(entryPath)) return `absolute path '${entryPath}'`;
    if (entryPath.includes('\\')) return `backslash in '${entryPath}'`;
    const segments = normalizedSegments(entryPath);
    if (segments.includes('..')) return `'..' in path '${entryPath}'`;
    if (segments.length === 0) return `entry with an empty path`;

    const isDirectory = type === 'Directory';
    const isRegularFile = type === 'File' || type === 'OldFile' || type === 'ContiguousFile';
    if (!isDirectory && !isRegularFile) {
      return `'${entryPath}' is a ${describeEntryType(type)}; only regular files and directories are allowed`;
    }

    const [top, ...rest] = segments;
    if (this.database === undefined) {
      if (!isValidDatabaseName(top)) return `top-level directory '${top}' is not a valid database name`;
      this.database = top;
    } else if (top !== this.database) {
      return `second top-level entry '${top}' (the archive's database is '${this.database}')`;
    }

    const inner = rest.join('/');
    const dbName = `pronto.${this.database}.prdb`;
    const allowed = isDirectory
      ? inner === '' || inner === 'cursors'
      : [dbName, `${dbName}-wal`, `${dbName}-shm`].includes(inner) || /^cursors\/[^/]+\.cursor$/.test(inner);
    if (!allowed) return `unexpected ${isDirectory ? 'directory' : 'file'} '${entryPath}'`;
    if (isRegularFile) this.files.push(segments.join('/'));
    return undefined;
  }

  /** Throws for the first problem, or when no SQLite database file was found. */
  finish(archive: string, databaseHeader: Buffer | undefined): ArchiveContents {
    if (this.problem !== undefined) throw invalidArchive(archive, this.problem);
    if (this.database === undefined) throw invalidArchive(archive, 'it contains no entries');
    if (!this.files.includes(this.databaseFilePath())) {
      throw invalidArchive(archive, `missing the database file ${this.databaseFilePath()}`);
    }
    if (!databaseHeader || !databaseHeader.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
      throw invalidArchive(archive, `${this.databaseFilePath()} is not an SQLite database`);
    }
    return { database: this.database, files: [...this.files] };
  }
}

/** Validates the archive without extracting anything. Throws a ProntoError naming the problem. */
export async function inspectBackup(archive: string, limits: RestoreLimits = DEFAULT_RESTORE_LIMITS): Promise<ArchiveContents> {
  const file = path.resolve(archive);
  const rules = new ArchiveRules(limits);
  let header: Buffer | undefined;
  const parser = new (tarModule().Parser)({ strict: true });
  let stop: ArchiveRead | undefined;
  parser.on('entry', (entry) => {
    if (!rules.check(entry.path, entry.type, entry.size)) {
      entry.resume();
      stop?.(); // the first bad header ends the read: nothing after it is decompressed
      return;
    }
    if (!rules.isDatabaseFile(entry.path)) {
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let collected = 0;
    entry.on('data', (chunk: Buffer) => {
      if (collected >= SQLITE_HEADER.length) return;
      chunks.push(chunk);
      collected += chunk.length;
    });
    entry.on('end', () => {
      header = Buffer.concat(chunks);
    });
  });
  stop = await streamArchive(file, parser, limits, 'inspect');
  await stop.done;
  return rules.finish(file, header);
}

interface ArchiveRead {
  (): void;
  /** Settles when the archive was read to its end, or stopped; rejects with a ProntoError. */
  done: Promise<void>;
}

/**
 * Feeds `file` through gunzip into a node-tar parser (or unpacker) in small chunks with
 * backpressure, counting decompressed bytes: node-tar's own file reader hands its gunzip 16 MB at a
 * time, which a compression bomb inflates to gigabytes in memory before any limit is checked.
 * Returns a function that stops the read early (after the first refused header).
 */
async function streamArchive(
  file: string,
  sink: import('tar').Parser,
  limits: RestoreLimits,
  purpose: 'inspect' | 'extract',
  into?: string,
): Promise<ArchiveRead> {
  await assertRegularArchive(file);
  // Headers, padding and pax records add at most a few blocks per entry to the payload.
  const maxDecompressed = limits.maxTotalBytes + (limits.maxEntries + 2) * 3 * 512 + MIB;
  let finish!: () => void;
  let fail!: (error: ProntoError) => void;
  let settled = false;
  const source = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  const done = new Promise<void>((resolve, reject) => {
    finish = () => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip.destroy();
      resolve();
    };
    fail = (error) => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip.destroy();
      reject(error);
    };
  });
  let decompressed = 0;
  source.on('error', (error) => fail(archiveReadError(file, error)));
  gunzip.on('error', (error) => fail(invalidArchive(file, `not a readable gzip-compressed tar archive (${error.message})`)));
  sink.on('error', (error: Error) => fail(sinkError(file, error, purpose, into)));
  sink.on(purpose === 'extract' ? 'close' : 'end', finish);
  gunzip.on('data', (chunk: Buffer) => {
    if (settled) return;
    decompressed += chunk.length;
    if (decompressed > maxDecompressed) {
      fail(invalidArchive(file, `it unpacks to more than ${describeBytes(maxDecompressed)} (restore accepts at most ${describeBytes(limits.maxTotalBytes)} of files)`));
      return;
    }
    if (!sink.write(chunk)) {
      gunzip.pause();
      sink.once('drain', () => gunzip.resume());
    }
  });
  gunzip.on('end', () => {
    if (!settled) sink.end();
  });
  source.pipe(gunzip);
  const stop = (() => finish()) as ArchiveRead;
  stop.done = done;
  return stop;
}

/** Only a regular file can be an archive: a FIFO would block (and is read twice), a folder is a mistake. */
async function assertRegularArchive(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fsp.stat(file);
  } catch (error) {
    throw archiveReadError(file, error);
  }
  if (stat.isDirectory()) throw usageError(`Backup ${file} is a directory, not a .tar.gz archive`);
  if (!stat.isFile()) throw usageError(`Backup ${file} is not a regular file (a pipe or device cannot be restored from; save it to a file first)`);
}

function archiveReadError(file: string, error: unknown): ProntoError {
  const code = errnoCode(error);
  if (code === 'ENOENT') return new ProntoError('not-found', `Backup file ${file} not found`);
  if (code === 'EISDIR') return usageError(`Backup ${file} is a directory, not a .tar.gz archive`);
  return asProntoError(error, `Cannot read backup ${file}`);
}

/** node-tar reports bad archives as TAR_* errors; while unpacking, errno errors come from writing. */
function sinkError(file: string, error: Error, purpose: 'inspect' | 'extract', into: string | undefined): ProntoError {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('TAR_') || code.startsWith('Z_'))) {
    return invalidArchive(file, `not a readable gzip-compressed tar archive (${error.message})`);
  }
  if (purpose === 'extract' && errnoCode(error)) {
    return new ProntoError('io', `Cannot restore ${file}: unpacking into ${into} failed: ${errnoText(error as NodeJS.ErrnoException)} (${code}); nothing was changed`);
  }
  return asProntoError(error, `Cannot read backup ${file}`);
}

function invalidArchive(archive: string, problem: string): ProntoError {
  return usageError(`Refusing backup ${archive}: ${problem}`);
}

// ---------------------------------------------------------------------------------------------
// Restore
// ---------------------------------------------------------------------------------------------

/**
 * Restores an archive into `target` (default: the archive's own database). The archive is fully
 * validated and unpacked into a staging directory first; only then, holding the target's lock, is
 * the current data saved to a safety copy and replaced: the db file by an atomic rename, the
 * `cursors/` directory as a whole (nothing is merged — the target ends up exactly as archived).
 */
export async function restoreBackup(
  layout: Layout,
  archive: string,
  options: { target?: string; safetyDir: string; now?: Date; limits?: RestoreLimits } & LongOperationOptions,
): Promise<{ database: string; safetyCopy?: string }> {
  const { signal, onProgress } = options;
  const limits = options.limits ?? DEFAULT_RESTORE_LIMITS;
  const file = path.resolve(archive);
  if (options.target !== undefined) validateDatabaseName(options.target);
  throwIfCancelled(signal);
  onProgress?.(0, `Checking ${path.basename(file)}`);
  const contents = await inspectBackup(file, limits);
  const target = options.target ?? contents.database;
  const targetDbFile = databaseFile(layout, target);
  throwIfCancelled(signal);

  let staging: string | undefined;
  let createdTargetDir: string | undefined;
  let swapped = false;
  try {
    await mkdirOrFail(layout.dataDir);
    await removeAbandonedStaging(layout.dataDir);
    // Inside <data> so the final renames stay on one file system.
    staging = await fsp.mkdtemp(path.join(layout.dataDir, stagingPrefix('restore')));
    onProgress?.(0.2, `Unpacking ${path.basename(file)}`);
    await extractValidated(file, staging, limits);
    throwIfCancelled(signal);
    onProgress?.(0.4, `Checking the integrity of ${contents.database}`);
    await checkRestoredIntegrity(file, path.join(staging, contents.database, `pronto.${contents.database}.prdb`));
    throwIfCancelled(signal);

    createdTargetDir = await fsp.mkdir(path.dirname(targetDbFile), { recursive: true });
    const release = await acquireFileLock(targetDbFile);
    let safetyCopy: string | undefined;
    try {
      throwIfCancelled(signal);
      // Under the lock every restore temp file beside the target is a leftover of a killed restore.
      await removeRestoreLeftovers(layout, target);
      if (await hasDataToLose(layout, target)) {
        onProgress?.(0.5, `Saving the current '${target}' to a safety copy`);
        safetyCopy = await writeSafetyCopy(layout, target, options);
      }
      if (signal?.aborted) {
        if (safetyCopy) await fsp.rm(safetyCopy, { force: true });
        throwIfCancelled(signal);
      }
      onProgress?.(0.8, `Replacing database '${target}'`);
      swapped = true;
      await swapIn(layout, path.join(staging, contents.database), contents.database, target);
    } finally {
      await release();
    }
    onProgress?.(1, `Restored '${target}' from ${path.basename(file)}`);
    return safetyCopy ? { database: target, safetyCopy } : { database: target };
  } catch (error) {
    if (!swapped && createdTargetDir) await fsp.rmdir(path.dirname(targetDbFile)).catch(() => undefined);
    throw asProntoError(error, `Cannot restore ${file}`);
  } finally {
    if (staging) await fsp.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Second read of the archive, now extracting. The same rules (and limits) filter every entry by its
 * header before its content is written, so even an archive changed since `inspectBackup` can never
 * write a link, a path outside the staging directory, or more than the limits allow.
 */
async function extractValidated(archive: string, staging: string, limits: RestoreLimits): Promise<void> {
  const rules = new ArchiveRules(limits);
  let stop: ArchiveRead | undefined;
  const unpack = new (tarModule().Unpack)({
    cwd: staging,
    strict: true,
    preserveOwner: false,
    filter: (entryPath, entry) => {
      const ok = 'type' in entry && rules.check(entryPath, entry.type, entry.size ?? 0);
      if (!ok) stop?.();
      return ok;
    },
  });
  stop = await streamArchive(archive, unpack, limits, 'extract', staging);
  await stop.done;
  const header = rules.database && rules.problem === undefined
    ? await readPrefix(path.join(staging, rules.databaseFilePath()), SQLITE_HEADER.length)
    : undefined;
  rules.finish(archive, header);
}

/**
 * `PRAGMA integrity_check` on the unpacked database file, before anything is replaced: the 16-byte
 * header says nothing about the pages behind it. The full check, not `quick_check` (which the
 * store runs before its first write to a file), because a restore installs a file wholesale and
 * quick_check does not verify that indexes match their tables, corruption that later writes would
 * keep. The file is checked on its own: an archived -wal belongs to a native SQLite process, and
 * the engine refuses to write beside one until it is checkpointed.
 */
async function checkRestoredIntegrity(archive: string, stagedDbFile: string): Promise<void> {
  const bytes = await fsp.readFile(stagedDbFile);
  if (bytes.length < 100) throw invalidArchive(archive, `${path.basename(stagedDbFile)} is too short to be an SQLite database`);
  // sql.js keeps the file in memory and cannot share a WAL index: read it as a rollback file.
  bytes[18] = 1;
  bytes[19] = 1;
  const sql = await loadSqlJs();
  let problems: string[];
  let db: import('sql.js').Database | undefined;
  try {
    db = new sql.Database(bytes);
    const result = db.exec('PRAGMA integrity_check');
    problems = (result[0]?.values ?? []).map((row) => String(row[0]));
  } catch (error) {
    problems = [(error as Error).message];
  } finally {
    db?.close();
  }
  if (problems.length !== 1 || problems[0] !== 'ok') {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; … (${problems.length} problems)` : '');
    throw invalidArchive(archive, `its database file is corrupt (integrity_check: ${shown})`);
  }
}

async function readPrefix(file: string, length: number): Promise<Buffer | undefined> {
  const handle = await fsp.open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A db file, or at least one persistent cursor: something a restore would destroy. */
async function hasDataToLose(layout: Layout, database: string): Promise<boolean> {
  if (await isFile(databaseFile(layout, database))) return true;
  const cursorsDir = path.join(databaseDirectory(layout, database), 'cursors');
  const names = await fsp.readdir(cursorsDir).catch(() => [] as string[]);
  return names.some((name) => name.endsWith('.cursor'));
}

async function writeSafetyCopy(
  layout: Layout,
  database: string,
  options: { safetyDir: string; now?: Date },
): Promise<string> {
  const now = options.now ?? new Date();
  const stamp = `${utcDate(now)}_pre-restore_${utcTime(now)}`;
  const written = await writeArchive(layout, database, path.resolve(options.safetyDir), {
    holdsLock: true,
    nameFor: (increment) => `prontodb_${database}_${stamp}${incrementSuffix(increment)}.tar.gz`,
  });
  return written.file;
}

/**
 * Moves the staged files into place. The db file is replaced by one rename, so a reader sees the
 * old or the new database, never a mix. The old `-wal`/`-shm`/`-journal` belong to the old file and
 * go first (SQLite would replay them into the new one);
 * an archived `-wal` follows the new file (a new file briefly without its WAL is still a consistent
 * database, an old file with a new WAL is not). An archived `-shm` is dropped: SQLite rebuilds it.
 */
async function swapIn(layout: Layout, stagedDir: string, archiveDatabase: string, target: string): Promise<void> {
  const targetDbFile = databaseFile(layout, target);
  const stagedDbFile = path.join(stagedDir, `pronto.${archiveDatabase}.prdb`);

  const incoming = `${targetDbFile}${RESTORE_TEMP_INFIX}${randomBytes(4).toString('hex')}.tmp`;
  await moveFile(stagedDbFile, incoming);
  try {
    // tar does not sync what it extracts: the restored file is made durable before it replaces
    // the current one, and the rename is made durable before restore reports success.
    await syncFile(incoming);
    for (const suffix of STALE_SIDECARS) await fsp.rm(targetDbFile + suffix, { force: true });
    await fsp.rename(incoming, targetDbFile);
  } catch (error) {
    await fsp.rm(incoming, { force: true });
    throw error;
  }
  if (await isFile(`${stagedDbFile}-wal`)) {
    await syncFile(`${stagedDbFile}-wal`);
    await moveFile(`${stagedDbFile}-wal`, `${targetDbFile}-wal`);
  }
  await syncDirectory(path.dirname(targetDbFile));

  const targetCursors = path.join(databaseDirectory(layout, target), 'cursors');
  const stagedCursors = path.join(stagedDir, 'cursors');
  const retired = `${targetCursors}${RETIRED_CURSORS_INFIX}${randomBytes(4).toString('hex')}`;
  const hadCursors = await exists(targetCursors);
  if (hadCursors) await fsp.rename(targetCursors, retired);
  try {
    if (await isDirectory(stagedCursors)) {
      for (const name of await fsp.readdir(stagedCursors)) await syncFile(path.join(stagedCursors, name));
      await syncDirectory(stagedCursors);
      await fsp.mkdir(path.dirname(targetCursors), { recursive: true }); // PRONTO_DB: <data>/main may not exist
      await moveDirectory(stagedCursors, targetCursors);
      await syncDirectory(path.dirname(targetCursors));
    }
  } catch (error) {
    if (hadCursors && !(await exists(targetCursors))) await fsp.rename(retired, targetCursors).catch(() => undefined);
    throw error;
  }
  if (hadCursors) await fsp.rm(retired, { recursive: true, force: true });
}

/** Rename, or copy-then-rename when the destination is on another file system (PRONTO_DB elsewhere). */
async function moveFile(source: string, destination: string): Promise<void> {
  try {
    await fsp.rename(source, destination);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
    const temp = `${destination}${COPY_TEMP_INFIX}${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fsp.copyFile(source, temp);
      await fsp.rename(temp, destination);
    } finally {
      await fsp.rm(temp, { force: true });
    }
  }
}

async function moveDirectory(source: string, destination: string): Promise<void> {
  try {
    await fsp.rename(source, destination);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
    await fsp.cp(source, destination, { recursive: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

function utcTime(date: Date): string {
  return date.toISOString().slice(11, 19).replace(/:/g, '');
}

function incrementSuffix(increment: number): string {
  return increment === 0 ? '' : `_n${String(increment).padStart(2, '0')}`;
}

/** Path segments without empty and `.` parts, so `main/`, `./main` and `main//x` compare equal. */
function normalizedSegments(entryPath: string): string[] {
  return entryPath.split('/').filter((segment) => segment !== '' && segment !== '.');
}

function isValidDatabaseName(name: string): boolean {
  try {
    validateDatabaseName(name);
    return true;
  } catch {
    return false;
  }
}

function describeEntryType(type: string): string {
  switch (type) {
    case 'SymbolicLink':
      return 'symbolic link';
    case 'Link':
      return 'hard link';
    case 'CharacterDevice':
    case 'BlockDevice':
      return 'device';
    case 'FIFO':
      return 'FIFO';
    default:
      return `'${type}' entry`;
  }
}


function asProntoError(error: unknown, context: string): ProntoError {
  if (error instanceof ProntoError) return error;
  return new ProntoError('io', `${context}: ${(error as Error)?.message ?? String(error)}`);
}

async function mkdirOrFail(directory: string): Promise<void> {
  try {
    await fsp.mkdir(directory, { recursive: true });
  } catch (error) {
    throw asProntoError(error, `Cannot create directory ${directory}`);
  }
}

async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  return fsp.stat(file).catch(() => undefined);
}

async function exists(file: string): Promise<boolean> {
  return (await fsp.lstat(file).catch(() => undefined)) !== undefined;
}

async function isFile(file: string): Promise<boolean> {
  return (await statOrUndefined(file))?.isFile() ?? false;
}

async function isDirectory(directory: string): Promise<boolean> {
  return (await statOrUndefined(directory))?.isDirectory() ?? false;
}

function describeBytes(bytes: number): string {
  return bytes >= MIB ? `${Math.round((bytes / MIB) * 10) / 10} MiB` : `${bytes} bytes`;
}

// ---------------------------------------------------------------------------------------------
// Leftovers of killed backups and restores
// ---------------------------------------------------------------------------------------------

/** Temp names beside a restore target; they only exist while a restore holds the target's lock. */
const RESTORE_TEMP_INFIX = '.restore-';
const COPY_TEMP_INFIX = '.copy-';
const RETIRED_CURSORS_INFIX = '.old-';

function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || 'host';
}

/** `.prontodb-backup-<pid>-<host>-` (mkdtemp adds 6 characters): says who owns the folder. */
function stagingPrefix(kind: 'backup' | 'restore'): string {
  return `.prontodb-${kind}-${process.pid}-${hostTag()}-`;
}

function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

/** Newest modification time in a folder tree: a staging folder in use keeps getting written. */
async function newestChange(target: string): Promise<number> {
  const stat = await fsp.lstat(target).catch(() => undefined);
  if (!stat) return 0;
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    const names = await fsp.readdir(target).catch(() => [] as string[]);
    for (const name of names) newest = Math.max(newest, await newestChange(path.join(target, name)));
  }
  return newest;
}

/**
 * Removes staging folders that killed backups or restores left in `directory` (each can hold a
 * whole database). A folder is abandoned when its name says it belongs to a process of this host
 * that no longer exists, or when nothing in it changed for an hour (a folder of another host, whose
 * processes cannot be checked from here, or of an older version that did not name its owner).
 * A live backup's folder is never touched: its process exists, and its files keep changing.
 */
export async function removeAbandonedStaging(directory: string, now = Date.now()): Promise<string[]> {
  const names = await fsp.readdir(directory).catch(() => [] as string[]);
  const removed: string[] = [];
  const host = hostTag();
  for (const name of names) {
    const prefix = STAGING_PREFIXES.find((candidate) => name.startsWith(candidate));
    if (!prefix) continue;
    const owner = /^(\d+)-([A-Za-z0-9]+)-[A-Za-z0-9]{6}$/.exec(name.slice(prefix.length));
    const full = path.join(directory, name);
    const ownerGone = owner !== null && owner[2] === host && !processExists(Number(owner[1]));
    if (!ownerGone) {
      if (owner !== null && owner[2] === host) continue; // its process runs: in use
      if (now - (await newestChange(full)) < ABANDONED_AFTER_MS) continue;
    }
    await fsp.rm(full, { recursive: true, force: true }).catch(() => undefined);
    removed.push(full);
  }
  return removed;
}

/** The restore temp files and retired cursor folders beside `database`; called holding its lock. */
async function removeRestoreLeftovers(layout: Layout, database: string): Promise<void> {
  const dbFile = databaseFile(layout, database);
  const candidates: Array<[string, (name: string) => boolean]> = [
    [path.dirname(dbFile), (name) => name.startsWith(path.basename(dbFile) + RESTORE_TEMP_INFIX) || name.startsWith(path.basename(dbFile) + COPY_TEMP_INFIX)],
    [databaseDirectory(layout, database), (name) => name.startsWith('cursors' + RETIRED_CURSORS_INFIX)],
  ];
  for (const [directory, isLeftover] of candidates) {
    const names = await fsp.readdir(directory).catch(() => [] as string[]);
    for (const name of names) if (isLeftover(name)) await fsp.rm(path.join(directory, name), { recursive: true, force: true });
  }
}
