import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileVersion } from './sqliteFileBacking';

/**
 * Versions of database files whose integrity was checked (PRAGMA quick_check) or that ProntoDB
 * wrote itself from a checked version, so that the next process writing the same version need not
 * check it again (about 0.3 s for 15 MB). A version is the file's inode, size, modification and
 * change times and SQLite's change counter: any write by anyone changes at least the change time,
 * which no program can set back. Entries expire after a day, so a file is rechecked now and then.
 *
 * One small file per database in a folder only this user may use (mode 0700, owned by this user);
 * anything unexpected there (another owner, wider permissions, unreadable entries) means: check.
 */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface Entry {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  changeCounter: number;
  at: number;
}

let folder: string | null | undefined;

function cacheFolder(): string | null {
  if (folder !== undefined) return folder;
  folder = null;
  if (process.env.PRONTODB_VERIFIED_CACHE === '0') return folder;
  try {
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    const candidate = path.join(os.tmpdir(), `prontodb-${uid ?? os.userInfo().username}`, 'verified');
    fs.mkdirSync(candidate, { recursive: true, mode: 0o700 });
    for (const directory of [path.dirname(candidate), candidate]) {
      const stat = fs.lstatSync(directory);
      if (!stat.isDirectory()) return folder;
      if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o077) !== 0)) return folder;
    }
    folder = candidate;
  } catch {
    // no cache: every first write checks
  }
  return folder;
}

function entryFile(file: string): string | undefined {
  const directory = cacheFolder();
  if (!directory) return undefined;
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    // a file that does not exist has no verified version
  }
  return path.join(directory, `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
}

function cacheable(version: FileVersion): boolean {
  return version.identity !== null && version.wal === 'none' && version.journal === undefined && version.diskChangeCounter === version.changeCounter;
}

/** When `version` of `file` was last checked, if it was (or was written by us from a checked version) within the last day. */
export function verifiedAt(file: string, version: FileVersion): number | undefined {
  if (!cacheable(version)) return undefined;
  const where = entryFile(file);
  if (!where) return undefined;
  try {
    const entry = JSON.parse(fs.readFileSync(where, 'utf8')) as Partial<Entry>;
    const identity = version.identity!;
    const matches =
      entry.ino === identity.ino &&
      entry.size === identity.size &&
      entry.mtimeMs === identity.mtimeMs &&
      entry.ctimeMs === identity.ctimeMs &&
      entry.changeCounter === version.changeCounter &&
      typeof entry.at === 'number' &&
      entry.at <= Date.now() &&
      Date.now() - entry.at < MAX_AGE_MS;
    return matches ? entry.at : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records that `version` of `file` is intact, last checked at `checkedAt`: a version our write made
 * from a checked one carries that check's time forward, so busy files are still checked daily.
 */
export function rememberVerified(file: string, version: FileVersion, checkedAt: number): void {
  if (!cacheable(version)) return;
  const where = entryFile(file);
  if (!where) return;
  const identity = version.identity!;
  const entry: Entry = { ino: identity.ino, size: identity.size, mtimeMs: identity.mtimeMs, ctimeMs: identity.ctimeMs, changeCounter: version.changeCounter, at: checkedAt };
  try {
    fs.writeFileSync(where, JSON.stringify(entry), { mode: 0o600 });
  } catch {
    // a hint only: without it the next process checks again
  }
}
