import type { Database, SqlJsStatic } from 'sql.js';

/**
 * Which pages of a sql.js database changed, and their new content, without exporting it.
 *
 * sql.js keeps each database as a file of Emscripten's in-memory file system (MEMFS), and SQLite
 * writes a page to it whenever it commits one. sql.js does not export that file system, but every
 * MEMFS file shares one table of stream operations, and sql.js's own `export()` passes that table
 * to `Object.create` (to give its private export file a write function of its own). Watching that
 * one call on a throwaway database hands us the table; wrapping its `write` shows every write
 * SQLite makes to a database we track, and we keep a copy of what it wrote. Only the table's
 * `write`/`read` and a file's `name` are used (names sql.js's minified build keeps). Should a later
 * sql.js do this differently, nothing is captured, `openTrackedDatabase` returns no tracker, and
 * the store falls back to `export()` and rewriting the whole file.
 */
interface MemfsStream {
  node: { name: string };
}

type MemfsWrite = (stream: MemfsStream, buffer: Uint8Array, offset: number, length: number, position: number, canOwn?: boolean) => number;

interface StreamOperations {
  write: MemfsWrite;
  read: (...args: unknown[]) => number;
}

/** The pages a tracked database wrote since the file on disk was read or last written. */
export interface PageTracker {
  /**
   * The content of every page written since the last `reset`, by page number (1-based); undefined
   * when a write did not cover whole pages of `pageSize`, or more was written than is worth
   * tracking (then the commit writes the whole file).
   */
  writtenPages(pageSize: number): Map<number, Uint8Array> | undefined;
  /** Forget what was written so far: it is on disk now, a file of `fileBytes`. */
  reset(fileBytes: number): void;
  dispose(): void;
}

interface Tracked {
  /** Copies of what was written, by byte offset, in the order of their last write. */
  writes: Map<number, Uint8Array>;
  bytes: number;
  /** Past this many bytes, copies stop (undefined pages: the commit rewrites the whole file anyway). */
  limit: number;
  overflowed: boolean;
}

/** A commit that changed more than this share of the file rewrites it whole: no need to copy more. */
const TRACKED_SHARE = 0.6;
const MIN_TRACKED_BYTES = 4 * 1024 * 1024;

function newTracked(fileBytes: number): Tracked {
  return { writes: new Map(), bytes: 0, limit: Math.max(MIN_TRACKED_BYTES, Math.ceil(fileBytes * TRACKED_SHARE)), overflowed: false };
}

interface Capture {
  tracked: Map<string, Tracked>;
}

const captures = new WeakMap<SqlJsStatic, Capture | null>();

function captureStreamOperations(sql: SqlJsStatic): StreamOperations | undefined {
  const probe = new sql.Database();
  let found: StreamOperations | undefined;
  const realCreate = Object.create;
  try {
    probe.exec('CREATE TABLE probe (x)');
    Object.create = function (this: unknown, proto: object | null, ...rest: unknown[]) {
      const candidate = proto as Partial<StreamOperations> | null;
      if (!found && candidate && typeof candidate.write === 'function' && typeof candidate.read === 'function') found = candidate as StreamOperations;
      return (realCreate as (...a: unknown[]) => unknown).call(this, proto, ...rest);
    } as typeof Object.create;
    probe.export();
  } catch {
    found = undefined;
  } finally {
    Object.create = realCreate;
    probe.close();
  }
  return found;
}

function captureFor(sql: SqlJsStatic): Capture | undefined {
  let capture = captures.get(sql);
  if (capture === undefined) {
    capture = null;
    const operations = process.env.PRONTODB_TRACK_PAGES === '0' ? undefined : captureStreamOperations(sql);
    if (operations) {
      const created: Capture = { tracked: new Map() };
      const write = operations.write;
      operations.write = function (this: unknown, stream, buffer, offset, length, position, canOwn) {
        const entry = created.tracked.get(stream?.node?.name);
        if (entry && length > 0 && !entry.overflowed) {
          const previous = entry.writes.get(position);
          if (previous) {
            entry.writes.delete(position);
            entry.bytes -= previous.byteLength;
          }
          entry.bytes += length;
          if (entry.bytes > entry.limit) {
            entry.overflowed = true;
            entry.writes.clear();
          } else {
            // `buffer` is the wasm heap as an Int8Array: copy the bytes, as unsigned.
            entry.writes.set(position, new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length).slice());
          }
        }
        return write.call(this, stream, buffer, offset, length, position, canOwn);
      };
      capture = created;
      if (!selfTest(sql, created)) capture = null;
    }
    captures.set(sql, capture);
  }
  return capture ?? undefined;
}

/**
 * Proves on a throwaway database that what the wrapper records is what SQLite wrote: every
 * changed page recorded, with the content `export()` returns. Otherwise tracking stays off.
 */
function selfTest(sql: SqlJsStatic, capture: Capture): boolean {
  const db = new sql.Database();
  const name = (db as unknown as { filename?: string }).filename;
  if (typeof name !== 'string') {
    db.close();
    return false;
  }
  const entry = newTracked(0);
  capture.tracked.set(name, entry);
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(9000)), ('probe');");
    const pageSize = db.exec('PRAGMA page_size')[0]!.values[0]![0] as number;
    const exported = db.export();
    if (exported.byteLength === 0 || exported.byteLength % pageSize !== 0) return false;
    const seen = new Set<number>();
    for (const [position, data] of entry.writes) {
      if (position % pageSize !== 0 || data.byteLength % pageSize !== 0) return false;
      for (let at = 0; at < data.byteLength; at += pageSize) seen.add(position + at);
    }
    for (let position = 0; position < exported.byteLength; position += pageSize) if (!seen.has(position)) return false;
    for (const [position, data] of entry.writes) {
      // The 100-byte file header differs (export's copy has its own change counter and format bytes).
      const expected = exported.subarray(position, position + data.byteLength);
      for (let index = position === 0 ? 100 : 0; index < data.byteLength; index++) if (data[index] !== expected[index]) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    capture.tracked.delete(name);
    db.close();
  }
}

/** Opens a sql.js database on `bytes` and tracks the pages SQLite writes to it (no tracker: cannot, see above). */
export function openTrackedDatabase(sql: SqlJsStatic, bytes: Uint8Array | undefined): { db: Database; pages: PageTracker | undefined } {
  const capture = captureFor(sql);
  const db = new sql.Database(bytes);
  const name = (db as unknown as { filename?: string }).filename;
  if (!capture || typeof name !== 'string') return { db, pages: undefined };
  // Registered after the constructor: the copy of `bytes` it wrote is what is on disk already.
  let entry = newTracked(bytes?.byteLength ?? 0);
  capture.tracked.set(name, entry);
  return {
    db,
    pages: {
      writtenPages(pageSize: number): Map<number, Uint8Array> | undefined {
        if (entry.overflowed) return undefined;
        const pages = new Map<number, Uint8Array>();
        for (const [position, data] of entry.writes) {
          if (position % pageSize !== 0 || data.byteLength % pageSize !== 0) return undefined;
          for (let at = 0; at < data.byteLength; at += pageSize) pages.set((position + at) / pageSize + 1, data.subarray(at, at + pageSize));
        }
        return pages;
      },
      reset(fileBytes: number): void {
        const next = newTracked(fileBytes);
        capture.tracked.set(name, next);
        entry = next;
      },
      dispose(): void {
        if (capture.tracked.get(name) === entry) capture.tracked.delete(name);
      },
    },
  };
}
