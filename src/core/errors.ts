/**
 * Every failure the core reports is a ProntoError with a code the CLI maps to an exit status and
 * the extension maps to a message. A miss is not an error: reads return `undefined`.
 */
export type ErrorCode =
  | 'usage' // the caller asked for something malformed (bad address, bad flag, bad name)
  | 'not-found' // a named thing (database, cursor, backup) does not exist
  | 'conflict' // the value changed underneath the caller, or a target already exists
  | 'locked' // another process held the database lock for too long
  | 'wal-pending' // a native SQLite process left an uncheckpointed -wal beside the file
  | 'not-sqlite' // the file is not an SQLite database, or is corrupt
  | 'foreign-schema' // an SQLite database, but not one ProntoDB wrote
  | 'io' // the file system refused
  | 'cancelled';

export class ProntoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProntoError';
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
