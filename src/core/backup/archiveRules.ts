import { usageError, type ProntoError } from '../errors';
import { isValidDatabaseName } from './naming';

/**
 * What restore accepts. Archives have exactly the layout of the Rust CLI's
 * `tar czf OUT -C <data> <db>`: one top-level `<db>/` holding `pronto.<db>.prdb` (plus `-wal`/`-shm`)
 * and `cursors/*.cursor`, so archives move freely between the two implementations.
 */

export interface ArchiveContents {
  database: string;
  /** Regular files as stored in the archive, e.g. `main/pronto.main.prdb`, `main/cursors/a.cursor`. */
  files: string[];
}

export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

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

export const MIB = 1024 * 1024;
export const DEFAULT_RESTORE_LIMITS: Readonly<RestoreLimits> = Object.freeze({
  maxEntries: 10_000,
  maxDatabaseBytes: 1024 * MIB,
  maxCursorBytes: 1 * MIB,
  maxTotalBytes: 2048 * MIB,
});

/**
 * Accepts exactly what the Rust CLI's archives contain and refuses anything that could escape the
 * target directory or plant foreign files: links, devices, absolute or `..` paths, a second
 * top-level directory, unknown names.
 */
export class ArchiveRules {
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

export function invalidArchive(archive: string, problem: string): ProntoError {
  return usageError(`Refusing backup ${archive}: ${problem}`);
}

export function describeBytes(bytes: number): string {
  return bytes >= MIB ? `${Math.round((bytes / MIB) * 10) / 10} MiB` : `${bytes} bytes`;
}

/** Path segments without empty and `.` parts, so `main/`, `./main` and `main//x` compare equal. */
function normalizedSegments(entryPath: string): string[] {
  return entryPath.split('/').filter((segment) => segment !== '' && segment !== '.');
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
