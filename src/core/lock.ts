import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as LockfileModule from 'proper-lockfile';
import { ProntoError } from './errors';

/**
 * Cross-process mutual exclusion for writers of one database file. sql.js cannot take SQLite's own
 * file locks, so writers agree on a `<file>.lock` directory instead (mkdir is atomic). A holder that
 * dies leaves the directory behind; once its mtime is older than `staleMs` another writer takes over.
 */
export interface LockOptions {
  /** How long to keep trying before giving up with a 'locked' error. */
  timeoutMs?: number;
  /** A lock not refreshed for this long belongs to a dead process. */
  staleMs?: number;
}

export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

export async function acquireFileLock(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + (options.timeoutMs ?? staleMs + 20_000);
  let compromised: Error | undefined;
  let delay = 2;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      // Loaded on first write: readers never need it.
      const lockfile = require('proper-lockfile') as typeof LockfileModule;
      const release = await lockfile.lock(file, {
        realpath: false,
        lockfilePath: lockPathFor(file),
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 4)),
        retries: 0,
        // The default throws from a timer and would crash the host; the writer checks instead.
        onCompromised: (error) => {
          compromised = error;
        },
      });
      return async () => {
        await release().catch(() => undefined);
        if (compromised) {
          throw new ProntoError('locked', `Lost the lock on ${file} while writing: ${compromised.message}`);
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new ProntoError('io', `Cannot lock ${file}: ${(error as Error).message}`);
      }
      if (Date.now() >= deadline) {
        throw new ProntoError(
          'locked',
          `${file} is locked by another ProntoDB writer (remove ${lockPathFor(file)} if no ProntoDB process is running)`,
        );
      }
      // Jittered backoff keeps many waiting CLI processes from polling in lock-step.
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 50);
    }
  }
}
