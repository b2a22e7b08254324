/**
 * Waiting for a value to change: `prontodb watch`, the MCP `watch` tool and anything else that
 * must wake when another process (or this one) writes an address. It rides on the store's change
 * events (a directory watch for other processes' commits, the commit itself for this process's),
 * plus a timer for the moment the current value expires: a value that expires has changed too.
 */
import { ProntoError } from './errors';
import type { Session } from './pronto';
import type { Address, Entry } from './types';

export interface WatchOptions {
  /**
   * Wake when the value differs from this one (`undefined`: wake once something is stored) instead
   * of from the value at the time of the call; so a caller that read a value earlier misses nothing
   * written in between.
   */
  expected?: { value: string | undefined };
  /** Give up after this long; without it, wait until the signal fires. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * How often to look even without a change event: the safety net for file systems whose change
   * events are lost (network mounts) or a watch that could not be set up. Events wake the watch
   * long before that on a local disk.
   */
  recheckMs?: number;
}

export type WatchResult =
  /** `entry` is the new value; undefined when it was deleted or expired. */
  | { changed: true; entry: Entry | undefined }
  /** Timed out; `entry` is the value that is still there. */
  | { changed: false; entry: Entry | undefined };

const DEFAULT_RECHECK_MS = 1000;
/** Timers fire at most this far apart (setTimeout's limit is 2^31-1 ms). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export function watchValue(session: Session, addressText: string | Address, options: WatchOptions = {}): Promise<WatchResult> {
  const address = typeof addressText === 'string' ? session.parse(addressText) : addressText;
  return new Promise<WatchResult>((resolve, reject) => {
    let baseline: { value: string | undefined } | undefined = options.expected;
    let current: Entry | undefined;
    let settled = false;
    let checking = false;
    let checkAgain = false;
    let expiryTimer: NodeJS.Timeout | undefined;
    let recheckTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      subscription.dispose();
      for (const timer of [expiryTimer, recheckTimer, timeoutTimer]) if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new ProntoError('cancelled', 'Watch cancelled')));

    // One look at a time; an event during a look asks for one more, so the last write is never missed.
    const check = async (): Promise<void> => {
      if (settled) return;
      if (checking) {
        checkAgain = true;
        return;
      }
      checking = true;
      try {
        do {
          checkAgain = false;
          current = await session.get(address);
          if (baseline === undefined) baseline = { value: current?.value };
          else if (current?.value !== baseline.value) return finish(() => resolve({ changed: true, entry: current }));
          scheduleExpiryCheck(current);
        } while (checkAgain && !settled);
      } catch (error) {
        finish(() => reject(error as Error));
      } finally {
        checking = false;
      }
    };

    const scheduleExpiryCheck = (entry: Entry | undefined): void => {
      if (expiryTimer) clearTimeout(expiryTimer);
      expiryTimer = undefined;
      if (entry?.expiresAt === null || entry === undefined) return;
      // Expiry is in whole seconds: the value is gone once the clock reaches expiresAt.
      const delay = Math.min(Math.max(entry.expiresAt * 1000 - Date.now() + 5, 0), LONGEST_TIMER_MS);
      expiryTimer = setTimeout(() => void check(), delay);
    };

    const subscription = session.store.onDidChange(() => void check());
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    if (options.timeoutMs !== undefined) {
      timeoutTimer = setTimeout(() => finish(() => resolve({ changed: false, entry: current })), Math.min(options.timeoutMs, LONGEST_TIMER_MS));
    }
    const recheck = (): void => {
      recheckTimer = setTimeout(() => {
        void check().then(() => {
          if (!settled) recheck();
        });
      }, options.recheckMs ?? DEFAULT_RECHECK_MS);
    };
    void check().then(() => {
      if (!settled) recheck();
    });
  });
}
