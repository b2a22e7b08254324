import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { syncDirectory, syncFile } from '../atomicFile';
import { errnoCode, ProntoError, throwIfCancelled } from '../errors';
import { asProntoError, copyIfFile, exists, isDirectory, isFile, mkdirOrFail } from '../fsUtil';
import { acquireFileLock } from '../lock';
import { databaseDirectory, databaseFile, type Layout, validateDatabaseName } from '../paths';
import type { LongOperationOptions } from '../types';
import { tarModule } from './archiveReader';
import { removeAbandonedStaging, stagingPrefix } from './leftovers';
import { archiveName, type BackupInfo, MAX_INCREMENT, utcDate } from './naming';

/** Backs up a database of the data directory into `outputDir`, under the Rust CLI's archive name. */
export async function createBackup(
  layout: Layout,
  database: string,
  options: { outputDir: string; now?: Date } & LongOperationOptions,
): Promise<BackupInfo & { files: string[] }> {
  validateDatabaseName(database);
  const now = options.now ?? new Date();
  const written = await writeArchive(layout, database, path.resolve(options.outputDir), {
    ...options,
    holdsLock: false,
    nameFor: (increment) => archiveName(database, now, increment),
  });
  const stat = await fsp.stat(written.file);
  options.onProgress?.(1, `Backup saved to ${written.file}`);
  return {
    file: written.file,
    database,
    date: utcDate(now),
    increment: written.increment,
    size: stat.size,
    modified: stat.mtime,
    kind: 'archive',
    files: written.files,
  };
}

export interface WriteArchiveOptions extends LongOperationOptions {
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
export async function writeArchive(
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
