/**
 * Backups and restores of databases that are not files (a server's): the archive is the same as a
 * file database's (backup/: a tar.gz of `<db>/pronto.<db>.prdb`, a SQLite file in the Rust CLI's
 * schema), so an archive of either kind restores into either backend and into the Rust CLI. The
 * data goes through copy.ts: a backup copies the store into a SQLite file in a temporary folder and
 * archives it; a restore unpacks the archive and copies its file over the store's contents in one
 * transaction, after saving those contents to a safety archive.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackupRequest, BackupResult, RestoreRequest, RestoreResult } from './backend';
import { archiveName, safetyCopyName, unpackBackup, writeArchive } from './backup';
import { copyStore } from './copy';
import { asProntoError } from './fsUtil';
import { SqlJsFileStore } from './fileStore';
import { databaseFile, type Layout, validateDatabaseName } from './paths';
import { loadSqlJs } from './sqljs';
import type { KvStore } from './store';

/** A data directory of one database in a temporary folder: what the archive code reads. */
async function withTemporaryLayout<T>(run: (layout: Layout) => Promise<T>): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'prontodb-archive-'));
  try {
    return await run({ dataDir: path.join(dir, 'data'), cursorCacheDir: path.join(dir, 'etc') });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function openFile(file: string): Promise<KvStore> {
  return new SqlJsFileStore(file, await loadSqlJs());
}

/** Writes `source` (the database `name`, shown as `shown`) as an archive in `outputDir` under the name `nameFor` gives. */
async function archiveStore(
  source: KvStore,
  name: string,
  shown: string,
  outputDir: string,
  nameFor: (increment: number) => string,
  request: Pick<BackupRequest, 'signal' | 'onProgress'>,
): Promise<{ file: string; files: string[] }> {
  return withTemporaryLayout(async (layout) => {
    const file = databaseFile(layout, name);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const snapshot = await openFile(file);
    try {
      request.onProgress?.(0.05, `Reading ${shown}`);
      await copyStore(source, snapshot, shown, file, {
        signal: request.signal,
        onProgress: ({ done, total }) => request.onProgress?.(0.05 + 0.6 * (total === 0 ? 1 : done / total), `Copied ${done} of ${total} entries`),
      });
      await snapshot.initialize();
    } finally {
      await snapshot.close();
    }
    request.onProgress?.(0.7, 'Compressing');
    const written = await writeArchive(layout, name, path.resolve(outputDir), { holdsLock: true, signal: request.signal, nameFor });
    return { file: written.file, files: written.files };
  });
}

/** A backup of the store of the database `name`, in the file databases' archive format. */
export async function backupStore(source: KvStore, name: string, shown: string, request: BackupRequest): Promise<BackupResult> {
  validateDatabaseName(name);
  const now = request.now ?? new Date();
  try {
    const { file, files } = await archiveStore(source, name, shown, request.outputDir, (increment) => archiveName(name, now, increment), request);
    const stat = await fsp.stat(file);
    request.onProgress?.(1, `Backup saved to ${file}`);
    return { file, database: name, size: stat.size, modified: stat.mtime, files };
  } catch (error) {
    throw asProntoError(error, `Cannot back up ${shown}`);
  }
}

/**
 * Restores an archive into a store: `openTarget(name)` opens the database the archive is restored
 * into (the request's target, else the archive's own database). Its contents, if any, are first
 * archived into the safety folder; then replaced in one transaction (audit: 'restore').
 */
export async function restoreIntoStore(
  archive: string,
  request: RestoreRequest,
  openTarget: (name: string) => Promise<{ store: KvStore; shown: string; exists: boolean }>,
): Promise<RestoreResult> {
  const { signal, onProgress } = request;
  if (request.target !== undefined) validateDatabaseName(request.target);
  const file = path.resolve(archive);
  const staging = await fsp.mkdtemp(path.join(os.tmpdir(), 'prontodb-restore-'));
  let archived: KvStore | undefined;
  let safetyCopy: string | undefined;
  try {
    onProgress?.(0, `Checking ${path.basename(file)}`);
    const unpacked = await unpackBackup(file, staging);
    const name = request.target ?? unpacked.database;
    const target = await openTarget(name);
    archived = await openFile(unpacked.dbFile);
    if (target.exists && ((await target.store.projects()).length > 0 || (await target.store.ttlNamespaces()).length > 0)) {
      onProgress?.(0.2, `Saving the current '${name}' to a safety copy`);
      const now = request.now ?? new Date();
      safetyCopy = (await archiveStore(target.store, name, target.shown, request.safetyDir, (increment) => safetyCopyName(name, now, increment), { signal })).file;
    }
    onProgress?.(0.5, `Replacing database '${name}'`);
    await copyStore(archived, target.store, file, target.shown, {
      replace: true,
      signal,
      onProgress: ({ done, total }) => onProgress?.(0.5 + 0.5 * (total === 0 ? 1 : done / total), `Restored ${done} of ${total} entries`),
      audit: { operation: 'restore', detail: `from ${file}` },
    });
    onProgress?.(1, `Restored '${name}' from ${path.basename(file)}`);
    return safetyCopy ? { database: name, safetyCopy } : { database: name };
  } catch (error) {
    // Cancelled before the commit: nothing was replaced, and the safety copy would only mislead.
    // After any other failure it stays (a commit whose answer was lost may have replaced the data).
    if (safetyCopy && (error as { code?: string }).code === 'cancelled') await fsp.rm(safetyCopy, { force: true });
    throw asProntoError(error, `Cannot restore ${file}`);
  } finally {
    await archived?.close();
    await fsp.rm(staging, { recursive: true, force: true });
  }
}
