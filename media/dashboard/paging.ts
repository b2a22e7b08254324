/**
 * Keyset paging for the Keys page: the host returns a page and a `next` cursor (the last key and
 * context); the pager remembers where each visited page started, so Previous goes back without
 * counting or loading anything else. Nothing here grows with the namespace: a million keys cost
 * the same as a hundred. Pure (no DOM).
 */
import type { KeysResult } from '../../src/core/dashboard/protocol';

export type KeyCursor = NonNullable<KeysResult['next']>;

export class KeyPager {
  /** Where each page visited so far starts (undefined: the first key). */
  private starts: Array<KeyCursor | undefined> = [undefined];
  private index = 0;
  private nextStart: KeyCursor | undefined;

  /** Where the current page starts: the `after` of its request. */
  get after(): KeyCursor | undefined {
    return this.starts[this.index];
  }

  /** 1-based. */
  get pageNumber(): number {
    return this.index + 1;
  }

  get hasPrevious(): boolean {
    return this.index > 0;
  }

  get hasNext(): boolean {
    return this.nextStart !== undefined;
  }

  /** The current page arrived: remember where the next one starts. */
  loaded(result: Pick<KeysResult, 'next'>): void {
    this.nextStart = result.next ? { key: result.next.key, context: result.next.context } : undefined;
  }

  /** Moves to the next page; false when there is none. */
  next(): boolean {
    if (!this.nextStart) return false;
    this.starts = this.starts.slice(0, this.index + 1);
    this.starts.push(this.nextStart);
    this.index++;
    this.nextStart = undefined;
    return true;
  }

  previous(): boolean {
    if (this.index === 0) return false;
    this.index--;
    this.nextStart = undefined;
    return true;
  }

  /** Back to the first page (another namespace or prefix). */
  reset(): void {
    this.starts = [undefined];
    this.index = 0;
    this.nextStart = undefined;
  }
}
