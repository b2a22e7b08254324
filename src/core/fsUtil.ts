import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fsError, ProntoError } from './errors';

/**
 * File-system helpers shared by the file backend, backups and restores, and the cursor files.
 * Failures that reach a user are ProntoErrors that say what was being done.
 */

/** A failure as a ProntoError: ProntoErrors pass through, anything else becomes 'io' with `context` in front. */
export function asProntoError(error: unknown, context: string): ProntoError {
  if (error instanceof ProntoError) return error;
  return new ProntoError('io', `${context}: ${(error as Error)?.message ?? String(error)}`);
}

export async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  return fsp.stat(file).catch(() => undefined);
}

/** Anything at that name, a dangling symbolic link included. */
export async function exists(file: string): Promise<boolean> {
  return (await fsp.lstat(file).catch(() => undefined)) !== undefined;
}

export async function isFile(file: string): Promise<boolean> {
  return (await statOrUndefined(file))?.isFile() ?? false;
}

export async function isDirectory(directory: string): Promise<boolean> {
  return (await statOrUndefined(directory))?.isDirectory() ?? false;
}

export async function mkdirOrFail(directory: string): Promise<void> {
  try {
    await fsp.mkdir(directory, { recursive: true });
  } catch (error) {
    throw asProntoError(error, `Cannot create directory ${directory}`);
  }
}

/** Copies a regular file keeping its mtime (as tar would); false when the source is not a regular file. */
export async function copyIfFile(source: string, destination: string): Promise<boolean> {
  const stat = await statOrUndefined(source);
  if (!stat?.isFile()) return false;
  await fsp.copyFile(source, destination, fs.constants.COPYFILE_FICLONE);
  await fsp.utimes(destination, stat.atime, stat.mtime);
  return true;
}

/** The first `length` bytes of a file (fewer if it is shorter); undefined if it cannot be opened. */
export async function readPrefix(file: string, length: number): Promise<Buffer | undefined> {
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

/**
 * Reads a whole file the user pointed at, refusing anything but a regular file before reading: a
 * FIFO would block forever, a device never ends. Failures are ProntoErrors that say `what` it was.
 */
export function readRegularFileSync(file: string, what: string): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    if (!fs.fstatSync(fd).isFile()) throw new ProntoError('usage', `${what} ${file} is not a regular file`);
    return fs.readFileSync(fd);
  } catch (error) {
    throw fsError(error, `Cannot read ${what} ${file}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * `mkdir -p` whose failure names the real cause: Node's recursive mkdir reports ENOENT when a
 * missing parent cannot be made (a read-only or full file system), so the first missing level is
 * retried alone to learn why.
 */
export function makeDirectorySync(directory: string, action: string): void {
  try {
    fs.mkdirSync(directory, { recursive: true });
    return;
  } catch (error) {
    let cause = error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      let missing = path.resolve(directory);
      while (!fs.existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
      try {
        fs.mkdirSync(missing);
        fs.rmdirSync(missing);
      } catch (retried) {
        cause = retried;
      }
    }
    throw fsError(cause, `${action}: cannot create folder ${directory}`);
  }
}

/** Names in a folder, or none when it is missing or unreadable (listings skip what they cannot see). */
export function readDirectoryQuietly(directory: string): string[] {
  try {
    return fs.readdirSync(directory);
  } catch {
    return [];
  }
}
