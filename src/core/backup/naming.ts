import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode, usageError } from '../errors';
import { asProntoError, statOrUndefined } from '../fsUtil';
import { type Env, homeDirectory, validateDatabaseName } from '../paths';

/**
 * What backups are called, and finding them by their names: the Rust CLI's archive names, the
 * safety copies restore makes, listing a backup folder and rotating old archives.
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

/** Increments run `_n01` .. `_n99`; the first archive of a day has none. */
export const MAX_INCREMENT = 99;

// `(.+)` is greedy, so the fixed-shape suffix is matched from the right and database names may
// themselves contain `_`, digits and `.`.
const ARCHIVE_NAME = /^prontodb_(.+)_(\d{8})(?:_n(\d{2}))?\.tar\.gz$/;
const PRE_RESTORE_NAME = /^prontodb_(.+)_(\d{8})_pre-restore_\d{6}(?:_n(\d{2}))?\.tar\.gz$/;

/** `prontodb_<db>_<YYYYMMDD>[_nNN].tar.gz` for increment 0 (none) .. 99. */
export function archiveName(database: string, now: Date, increment: number): string {
  return `prontodb_${database}_${utcDate(now)}${incrementSuffix(increment)}.tar.gz`;
}

/** `prontodb_<db>_<YYYYMMDD>_pre-restore_<HHMMSS>[_nNN].tar.gz`: restore's safety copy. */
export function safetyCopyName(database: string, now: Date, increment: number): string {
  return `prontodb_${database}_${utcDate(now)}_pre-restore_${utcTime(now)}${incrementSuffix(increment)}.tar.gz`;
}

export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

function utcTime(date: Date): string {
  return date.toISOString().slice(11, 19).replace(/:/g, '');
}

function incrementSuffix(increment: number): string {
  return increment === 0 ? '' : `_n${String(increment).padStart(2, '0')}`;
}

export function isValidDatabaseName(name: string): boolean {
  try {
    validateDatabaseName(name);
    return true;
  } catch {
    return false;
  }
}

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
