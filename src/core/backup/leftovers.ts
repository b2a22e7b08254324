import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { errnoCode } from '../errors';
import { databaseDirectory, databaseFile, type Layout } from '../paths';

/**
 * Names of the temporary things backups and restores make, and removing the ones a killed backup
 * or restore left behind.
 */

/** Temp names beside a restore target; they only exist while a restore holds the target's lock. */
export const RESTORE_TEMP_INFIX = '.restore-';
export const COPY_TEMP_INFIX = '.copy-';
export const RETIRED_CURSORS_INFIX = '.old-';

/** Staging folders and temp files of a backup or restore that is still running look like this. */
const STAGING_PREFIXES = ['.prontodb-backup-', '.prontodb-restore-'];
/** A staging folder whose owner cannot be checked (another host, an older version) is abandoned after this long untouched. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || 'host';
}

/** `.prontodb-backup-<pid>-<host>-` (mkdtemp adds 6 characters): says who owns the folder. */
export function stagingPrefix(kind: 'backup' | 'restore'): string {
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
export async function removeRestoreLeftovers(layout: Layout, database: string): Promise<void> {
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
