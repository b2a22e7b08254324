/**
 * Every failure the core reports is a ProntoError; its code tells callers what kind of failure it
 * is (the extension treats 'cancelled' and 'conflict' apart). The CLI exits 1 for every error,
 * printing the message alone, except 'condition-failed', which is not a failure of the command but
 * an answer ("someone else has it"): exit 3. A miss is not an error: reads return `undefined`,
 * and the CLI's `get` exits 2 for it.
 */
export type ErrorCode =
  | 'usage' // the caller asked for something malformed (bad address, bad flag, bad name)
  | 'not-found' // a named thing (database, cursor, backup) does not exist
  | 'conflict' // a target already exists, or the file kept changing during a write
  | 'condition-failed' // a conditional write (if absent, expect) found another value; nothing was written
  | 'locked' // another process held the database lock for too long
  | 'wal-pending' // a native SQLite process left an uncheckpointed -wal beside the file
  | 'not-sqlite' // the file is not an SQLite database, or is corrupt
  | 'foreign-schema' // an SQLite database, but not one ProntoDB wrote
  | 'io' // the file system refused
  | 'malformed-workdir' // a `.prontodb` file cannot be used; `file` names it
  | 'cancelled';

export class ProntoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The file the error is about, when there is one the user can open and fix. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ProntoError';
  }
}

/**
 * A conditional write found another value than the caller's condition allows: `if absent` found a
 * live value, `expect V` found another value or none. Nothing was written. `current` is what is
 * there now (undefined: nothing), for callers that answer with it (the MCP server); messages never
 * include values, which may be secrets.
 */
export class ConditionFailedError extends ProntoError {
  constructor(
    message: string,
    readonly current: string | undefined,
  ) {
    super('condition-failed', message);
  }
}

export function usageError(message: string): ProntoError {
  return new ProntoError('usage', message);
}

export function isProntoError(error: unknown, code?: ErrorCode): error is ProntoError {
  return error instanceof ProntoError && (code === undefined || error.code === code);
}

/** Rejects with a 'cancelled' error when the signal has fired; long operations call it between steps. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProntoError('cancelled', 'Operation cancelled');
}

/** The errno code (`ENOENT`, `ENOSPC`, ...) of a Node file-system error, else undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENXIO: 'no such device or address',
  EXDEV: 'cross-device link',
};

export function errnoText(error: NodeJS.ErrnoException): string {
  return ERRNO_TEXT[error.code ?? ''] ?? error.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*$/s, '');
}

/**
 * One line for a file-system error that reached the top without context, e.g.
 * `Cannot stat /a/b: file name too long (ENAMETOOLONG)`; never a stack.
 */
export function describeErrno(error: NodeJS.ErrnoException): string {
  const subject = [error.path, (error as { dest?: unknown }).dest].filter((part) => typeof part === 'string').join(' -> ');
  const action = error.syscall ? `Cannot ${error.syscall}${subject ? ` ${subject}` : ''}` : subject || 'File system error';
  return `${action}: ${errnoText(error)} (${error.code})`;
}

/**
 * Turns a file-system error into a ProntoError('io') that says what was being done; ProntoErrors
 * pass through unchanged. `action` reads like "Cannot write /x/y.json".
 */
export function fsError(error: unknown, action: string): ProntoError {
  if (error instanceof ProntoError) return error;
  if (errnoCode(error)) {
    const errno = error as NodeJS.ErrnoException;
    return new ProntoError('io', `${action}: ${errnoText(errno)} (${errno.code})`);
  }
  return new ProntoError('io', `${action}: ${(error as Error)?.message ?? String(error)}`);
}
