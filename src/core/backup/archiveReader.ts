import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { errnoCode, errnoText, ProntoError, usageError } from '../errors';
import { asProntoError } from '../fsUtil';
import { type ArchiveContents, ArchiveRules, DEFAULT_RESTORE_LIMITS, describeBytes, invalidArchive, MIB, type RestoreLimits, SQLITE_HEADER } from './archiveRules';

/** Loaded on first use, so commands that make no archive do not pay for it at startup. */
export function tarModule(): typeof import('tar') {
  return require('tar') as typeof import('tar');
}

/** Validates the archive without extracting anything. Throws a ProntoError naming the problem. */
export async function inspectBackup(archive: string, limits: RestoreLimits = DEFAULT_RESTORE_LIMITS): Promise<ArchiveContents> {
  const file = path.resolve(archive);
  const rules = new ArchiveRules(limits);
  let header: Buffer | undefined;
  const parser = new (tarModule().Parser)({ strict: true });
  // Set once the read has started; the callbacks below only run after that.
  let stop: ArchiveRead | undefined = undefined;
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

export interface ArchiveRead {
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
export async function streamArchive(
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
