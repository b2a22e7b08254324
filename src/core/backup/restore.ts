import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { syncDirectory, syncFile } from '../atomicFile';
import { errnoCode, throwIfCancelled } from '../errors';
import { asProntoError, exists, isDirectory, isFile, mkdirOrFail, readPrefix } from '../fsUtil';
import { acquireFileLock } from '../lock';
import { databaseDirectory, databaseFile, type Layout, validateDatabaseName } from '../paths';
import { loadSqlJs } from '../sqljs';
import type { LongOperationOptions } from '../types';
import { inspectBackup, streamArchive, tarModule, type ArchiveRead } from './archiveReader';
import { ArchiveRules, DEFAULT_RESTORE_LIMITS, invalidArchive, type RestoreLimits, SQLITE_HEADER } from './archiveRules';
import { writeArchive } from './create';
import { COPY_TEMP_INFIX, removeAbandonedStaging, removeRestoreLeftovers, RESTORE_TEMP_INFIX, RETIRED_CURSORS_INFIX, stagingPrefix } from './leftovers';
import { safetyCopyName } from './naming';

/** Files beside a db file that only make sense with the file they were written for. */
const STALE_SIDECARS = ['-wal', '-shm', '-journal'];

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
 * Checks an archive and unpacks it into `staging` (an empty folder the caller owns and removes):
 * the same validation and integrity check as a restore into the data directory. Returns the
 * database it holds and its unpacked SQLite file (restores into other backends read it from there).
 */
export async function unpackBackup(archive: string, staging: string, limits: RestoreLimits = DEFAULT_RESTORE_LIMITS): Promise<{ database: string; dbFile: string }> {
  const file = path.resolve(archive);
  const contents = await inspectBackup(file, limits);
  await extractValidated(file, staging, limits);
  const dbFile = path.join(staging, contents.database, `pronto.${contents.database}.prdb`);
  await checkRestoredIntegrity(file, dbFile);
  return { database: contents.database, dbFile };
}

/**
 * Second read of the archive, now extracting. The same rules (and limits) filter every entry by its
 * header before its content is written, so even an archive changed since `inspectBackup` can never
 * write a link, a path outside the staging directory, or more than the limits allow.
 */
async function extractValidated(archive: string, staging: string, limits: RestoreLimits): Promise<void> {
  const rules = new ArchiveRules(limits);
  // Set once the read has started; the callbacks below only run after that.
  let stop: ArchiveRead | undefined = undefined;
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
  const written = await writeArchive(layout, database, path.resolve(options.safetyDir), {
    holdsLock: true,
    nameFor: (increment) => safetyCopyName(database, now, increment),
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
