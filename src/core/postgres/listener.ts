/**
 * Other processes' commits, heard through LISTEN/NOTIFY: every write of a ProntoDB database notifies
 * the channel named like its schema, in the same transaction, with the writing store's id as the
 * payload. One connection per listening store; when it drops (server restart, network) it is opened
 * again with growing pauses, and once listening again the store reports a change, since writes made
 * meanwhile were not heard.
 */
import { connect, type CoreServices, type Sql } from './connection';
import { quoteIdentifier } from './location';

export interface ListenerEvents {
  /** A notification on the channel. */
  notified(payload: string): void;
  /** Listening again after the connection was lost: changes may have been missed. */
  resumed(): void;
  /** The connection was lost, or listening failed (once until it is back). */
  lost?(): void;
  /** One line for the log: the connection was lost, or is back. */
  log(line: string): void;
}

/** Pauses between attempts to listen again: 0.1 s doubling to 5 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 5000);
}

export class ChangeListener {
  private sql: Sql | undefined;
  private stopped = false;
  /** Failed attempts since the connection was last good. */
  private attempts = 0;
  private lost = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private listening: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    /** How the database is shown in log lines (no password). */
    private readonly shown: string,
    private readonly events: ListenerEvents,
    /** The error class and password hook the store's own connections use. */
    private readonly core?: CoreServices,
  ) {}

  start(): void {
    this.sql = connect(this.url, {
      max: 1,
      idleTimeout: null,
      core: this.core,
      onNotify: (channel, payload) => {
        if (channel === this.channel) this.events.notified(payload);
      },
      onClose: () => this.connectionLost(),
    });
    this.listen();
  }

  private listen(): void {
    if (this.stopped || this.listening || this.retryTimer) return;
    this.listening = (async () => {
      try {
        await this.sql!.unsafe(`LISTEN ${quoteIdentifier(this.channel)}`);
        if (this.stopped) return;
        const resumed = this.lost;
        this.attempts = 0;
        this.lost = false;
        if (resumed) {
          this.events.log(`Listening for changes of ${this.shown} again`);
          this.events.resumed();
        }
      } catch (error) {
        if (this.stopped) return;
        this.attempts++;
        if (!this.lost) {
          this.events.log(`Lost the change notifications of ${this.shown} (${(error as Error).message}); retrying`);
          this.events.lost?.();
        }
        this.lost = true;
        this.retryLater();
      } finally {
        this.listening = undefined;
      }
    })();
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.listen();
    }, reconnectDelay(this.attempts));
    // Waiting to reconnect keeps no process alive on its own (a watch has timers of its own).
    this.retryTimer.unref();
  }

  /** The driver closed the connection: a new one must LISTEN again. */
  private connectionLost(): void {
    if (this.stopped) return;
    if (!this.lost) {
      this.events.log(`Lost the connection listening for changes of ${this.shown}; reconnecting`);
      this.events.lost?.();
    }
    this.lost = true;
    if (this.listening) return; // the attempt in flight fails and schedules the next
    this.retryLater();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.sql?.end({ timeout: 1 }).catch(() => undefined);
  }
}
