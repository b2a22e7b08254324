import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProntoError } from './errors';
import { protocolStep, writeAllSync } from './protocolSteps';

const TEMP_SUFFIX = '.prontodb-tmp';
let tempCounter = Date.now();

export interface AtomicWriteHooks {
  /**
   * Runs once the new content is durable in the temp file, right before the rename; throwing aborts
   * the write (the temp file is removed and the error passes through unchanged).
   */
  beforeRename?: () => void;
  /** Runs once the rename is durable; throwing reports a problem with a write that did happen. */
  afterRename?: () => void;
}

/**
 * Replaces `file` with `bytes` (or the concatenation of chunks) so that a crash at any moment
 * leaves either the old or the new file: write a temp file in the same directory, fsync it, rename
 * it over, fsync the directory.
 */
export async function writeFileAtomically(file: string, bytes: Uint8Array | Uint8Array[], mode = 0o644, hooks: AtomicWriteHooks = {}): Promise<void> {
  const directory = path.dirname(file);
  const temp = path.join(directory, `.${path.basename(file)}.${process.pid}.${(tempCounter++).toString(36)}${TEMP_SUFFIX}`);
  try {
    fs.mkdirSync(directory, { recursive: true });
    // One synchronous write into the page cache is cheaper than many thread-pool hops; the slow
    // part, waiting for the disk, stays asynchronous.
    const fd = fs.openSync(temp, 'wx', mode);
    try {
      let position = 0;
      for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) {
        writeAllSync(fd, chunk, position, 'atomic-temp');
        position += chunk.byteLength;
      }
      protocolStep('atomic-temp-written');
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
      protocolStep('atomic-temp-synced');
    } finally {
      fs.closeSync(fd);
    }
    hooks.beforeRename?.();
    fs.renameSync(temp, file);
    protocolStep('atomic-renamed');
  } catch (error) {
    fs.rmSync(temp, { force: true });
    if (error instanceof ProntoError || !(error instanceof Error) || !('code' in error)) throw error;
    throw new ProntoError('io', `Could not write ${file}: ${(error as Error).message}`);
  }
  await syncDirectory(directory);
  protocolStep('atomic-directory-synced');
  hooks.afterRename?.();
}

/** Flushes a file's content to disk (a file written by a library that does not sync, such as tar). */
export async function syncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable; some platforms cannot open directories, which is fine there.
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(directory, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Temp files a killed writer left beside `file` (for `doctor`; removing them needs the file's lock). */
export function abandonedTempFiles(file: string): string[] {
  const directory = path.dirname(file);
  const stem = `.${path.basename(file)}.`;
  try {
    return fs
      .readdirSync(directory)
      .filter((name) => name.startsWith(stem) && name.endsWith(TEMP_SUFFIX))
      .map((name) => path.join(directory, name));
  } catch {
    return [];
  }
}

/** Temp files a killed writer left behind; only called while holding the file's lock. */
export function removeAbandonedTempFiles(file: string): void {
  const directory = path.dirname(file);
  const stem = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(stem) && name.endsWith(TEMP_SUFFIX)) {
      fs.rmSync(path.join(directory, name), { force: true });
    }
  }
}
