import * as fs from 'node:fs';
import { walHeaderKind } from './walFile';

/**
 * What native SQLite processes (the Rust prontodb, the `sqlite3` shell, any app) are doing with a
 * database file, as far as Node can see without native code.
 *
 * Node cannot take SQLite's POSIX advisory locks, but on Linux it can *see* them: /proc/locks lists
 * every lock with the pid, device and inode it is on. A native connection holds a lock on the
 * database file during every transaction, and in WAL mode a shared lock on `-shm` for as long as it
 * is open. Elsewhere (macOS, Windows) locks are invisible and only the sidecar files tell.
 */

/** Bytes 0–7 of a rollback journal header; a journal without them (zeroed, empty) replays nothing. */
const JOURNAL_MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
/** A WAL file holds frames only past its 32-byte header. */
const WAL_HEADER_BYTES = 32;

export interface FileId {
  dev: number;
  ino: number;
  /**
   * The file was just renamed over (unlinked): only a process that still has *that* file open
   * counts. Its inode number is free for reuse by any new file the moment nobody holds it, so a
   * lock on the same number may belong to an unrelated file (VS Code's own SQLite state, say).
   */
  replaced?: boolean;
}

export interface NativeState {
  /** `-journal` with a live header: a transaction in progress, or interrupted (a hot journal). */
  hotJournal: boolean;
  /**
   * A non-empty `-journal` without a live header: a transaction that has not touched the file yet
   * (SQLite writes the header's magic only once it is about to), or PERSIST mode's leftover.
   */
  journalPresent: boolean;
  /** Bytes of WAL frames a native process wrote in `-wal` (0 for a missing, empty or header-only file, or our own log). */
  walFrameBytes: number;
  /**
   * `-wal` is ProntoDB's own log (sqliteFileBacking.ts): 'committed' by a writer that was stopped
   * before it had copied it into the file (readers apply it, the next writer completes it), or
   * 'uncommitted' (nothing in it counts). Lock holders on it still count as native users.
   */
  ourWal: 'committed' | 'uncommitted' | undefined;
  /** `-wal` (not our own) or `-shm` exist (possibly inert leftovers of a closed connection). */
  walSidecars: boolean;
  /** Other processes holding POSIX locks on the file or its sidecars; null where locks cannot be seen. */
  lockHolders: number[] | null;
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

function major(dev: number): number {
  return Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
}

function minor(dev: number): number {
  return Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
}

/**
 * Pids (other than ours) holding POSIX locks on any of `files`, or null where /proc/locks is not
 * available. Lines read: `1: POSIX  ADVISORY  WRITE 6432 fe:00:2146822 120 120`.
 *
 * A line names a device and an inode number. Where the device matches exactly the lock is on our
 * file; otherwise (overlay and fuse file systems report other device numbers), and for a replaced
 * file, the holder's open descriptors are checked (/proc/PID/fd) for the very file. A holder whose
 * descriptors cannot be read is counted: an unnecessary refusal is safer than a lost update.
 */
export function posixLockHolders(files: FileId[]): number[] | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  if (files.length === 0) return [];
  const deviceId = (file: FileId): string => `${major(file.dev).toString(16).padStart(2, '0')}:${minor(file.dev).toString(16).padStart(2, '0')}:${file.ino}`;
  const exact = new Map(files.map((file) => [deviceId(file), file]));
  const byInode = new Map<string, FileId[]>();
  for (const file of files) byInode.set(String(file.ino), [...(byInode.get(String(file.ino)) ?? []), file]);
  const holders = new Set<number>();
  for (const line of text.split('\n')) {
    // "->" lines are waiters blocked on a lock; the process is just as much a native user.
    const fields = line.replace('->', '').trim().split(/\s+/);
    if (fields.length < 6 || (fields[1] !== 'POSIX' && fields[1] !== 'OFDLCK' && fields[1] !== 'FLOCK')) continue;
    const pid = Number(fields[4]);
    if (pid === process.pid || holders.has(pid)) continue;
    const id = fields[5]!.toLowerCase();
    const exactFile = exact.get(id);
    if (exactFile && !exactFile.replaced) {
      holders.add(pid);
      continue;
    }
    const candidates = exactFile ? [exactFile] : (byInode.get(id.slice(id.lastIndexOf(':') + 1)) ?? []);
    if (candidates.length > 0 && holdsOpen(pid, candidates) !== false) holders.add(pid);
  }
  return [...holders];
}

/** Whether `pid` has one of `files` open (a replaced one only as the unlinked file); undefined when it cannot be told. */
function holdsOpen(pid: number, files: FileId[]): boolean | undefined {
  let descriptors: string[];
  try {
    descriptors = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const descriptor of descriptors) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(`/proc/${pid}/fd/${descriptor}`);
    } catch {
      continue;
    }
    if (files.some((file) => stat.dev === file.dev && stat.ino === file.ino && (!file.replaced || stat.nlink === 0))) return true;
  }
  return false;
}

/** What the header of `-wal` says (see walFile.ts); undefined when it has none. */
function walKind(wal: string): ReturnType<typeof walHeaderKind> | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(wal, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const header = Buffer.alloc(32);
    return fs.readSync(fd, header, 0, 32, 0) === 32 ? walHeaderKind(header) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function hasJournalHeader(journal: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(journal, 'r');
    const header = Buffer.alloc(JOURNAL_MAGIC.length);
    return fs.readSync(fd, header, 0, header.length, 0) === header.length && header.equals(JOURNAL_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * `include`: more files whose lock holders count (the file a write just replaced); `skipMain`: the
 * database file's own holders do not count (right after a rename it is our new file, which a native
 * process may open without harm); `ownWal`: the `-wal` this process is writing right now (its lock
 * holders count, the file itself does not).
 */
export function inspectNativeState(file: string, options: { include?: FileId[]; skipMain?: boolean; ownWal?: FileId } = {}): NativeState {
  const ids: FileId[] = [...(options.include ?? [])];
  const main = options.skipMain ? null : statOrNull(file);
  if (main) ids.push(main);
  const wal = statOrNull(`${file}-wal`);
  const shm = statOrNull(`${file}-shm`);
  const journal = statOrNull(`${file}-journal`);
  for (const sidecar of [wal, shm, journal]) if (sidecar) ids.push(sidecar);
  // Reading /proc/locks costs milliseconds right after an fsync, three times a commit; it is read
  // only when a sidecar exists. A native connection that could lose our update or its own always
  // has one: in WAL mode `-wal`/`-shm` exist while it is open, in rollback mode `-journal` exists
  // once its transaction has written. Not seen: a rollback-mode reader (harmless: it reads the old
  // file) and a transaction that has only taken its lock, whose first write then fails loudly
  // (SQLite refuses to write a file that was renamed over).
  const anySidecar = wal !== null || shm !== null || journal !== null;
  const own = wal !== null && options.ownWal !== undefined && wal.dev === options.ownWal.dev && wal.ino === options.ownWal.ino;
  const kind = wal && !own && wal.size >= WAL_HEADER_BYTES ? walKind(`${file}-wal`) : undefined;
  const ourWal = own ? 'uncommitted' : kind === 'ours' ? 'committed' : kind === 'ours-uncommitted' ? 'uncommitted' : undefined;
  return {
    hotJournal: journal !== null && journal.size > 0 && hasJournalHeader(`${file}-journal`),
    journalPresent: journal !== null && journal.size > 0,
    walFrameBytes: wal && ourWal === undefined && wal.size > WAL_HEADER_BYTES ? wal.size - WAL_HEADER_BYTES : 0,
    ourWal: own ? undefined : ourWal,
    walSidecars: (wal !== null && ourWal === undefined) || shm !== null,
    lockHolders: anySidecar ? posixLockHolders(ids) : locksVisible() ? [] : null,
  };
}

let procLocks: boolean | undefined;
function locksVisible(): boolean {
  procLocks ??= fs.existsSync('/proc/locks');
  return procLocks;
}

/**
 * Why writing the file now would lose someone's update, or undefined when it is safe.
 *
 * An empty or header-only `-wal` and a `-shm` with no lock on them are what a closed connection
 * leaves (`sqlite3 -readonly` does): nothing to replay and nobody to race, so they do not block.
 * Where locks cannot be seen, any sidecar blocks, since an idle native connection looks the same.
 */
export function nativeWriteBlocker(file: string, state: NativeState): string | undefined {
  const checkpoint = `sqlite3 '${file}' 'PRAGMA wal_checkpoint(TRUNCATE);'`;
  if (state.hotJournal) {
    return (
      `${file}-journal holds a native SQLite transaction that is in progress or was interrupted; ` +
      `writing now would lose it or be undone by it. Let that process finish, or if none is running, ` +
      `let SQLite roll it back: sqlite3 '${file}' 'PRAGMA quick_check;'`
    );
  }
  if (state.walFrameBytes > 0) {
    return (
      `${file}-wal holds changes a native SQLite process (such as the Rust prontodb) has not checkpointed, and reads may be stale; ` +
      `writing now would lose updates. Let that process finish, or if none is running, run: ${checkpoint}`
    );
  }
  if (state.lockHolders && state.lockHolders.length > 0) {
    const doing = state.journalPresent ? `is writing ${file} (its -journal exists)` : `has ${file} open`;
    return `a native SQLite process (pid ${state.lockHolders.join(', ')}) ${doing}; writing now would lose updates. Close that program and try again`;
  }
  if (state.journalPresent && state.lockHolders === null) {
    return (
      `${file}-journal exists: a native SQLite process may be writing the file (this system cannot tell whether one is running); ` +
      `writing now could lose updates. Let that process finish, or if none is running, remove the empty journal with: sqlite3 '${file}' 'PRAGMA journal_mode=DELETE;'`
    );
  }
  if (state.walSidecars && state.lockHolders === null) {
    return (
      `a native SQLite process (such as the Rust prontodb) may have ${file} open (its -wal/-shm files exist, and this system cannot tell whether one is running); ` +
      `writing now could lose updates. Let that process finish, or if none is running, run: ${checkpoint}`
    );
  }
  return undefined;
}

/**
 * The state a hot rollback journal restores: the original pages it holds are put back and the file
 * is cut to its size before the transaction, exactly what native SQLite does before reading. Stops
 * at the first record whose checksum fails, as SQLite does (that record was never fully written,
 * so its page was never overwritten in the database).
 * Returns undefined when the journal holds no valid header.
 */
export function rollBackJournal(database: Uint8Array, journal: Uint8Array): Uint8Array | undefined {
  const view = Buffer.from(journal.buffer, journal.byteOffset, journal.byteLength);
  if (view.length < 28 || !view.subarray(0, 8).equals(JOURNAL_MAGIC)) return undefined;
  const sectorSize = view.readUInt32BE(20);
  const pageSize = view.readUInt32BE(24);
  const initialPages = view.readUInt32BE(16);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0 || sectorSize < 32 || sectorSize > 65536) return undefined;
  const recordSize = 4 + pageSize + 4;
  let result = Buffer.from(database);
  const pages = new Map<number, Buffer>();
  let offset = 0;
  segments: while (offset + 28 <= view.length && view.subarray(offset, offset + 8).equals(JOURNAL_MAGIC)) {
    let records = view.readUInt32BE(offset + 8);
    const nonce = view.readUInt32BE(offset + 12);
    offset += sectorSize;
    // 0xFFFFFFFF: written without syncing (synchronous=OFF); every whole record up to the end
    // counts. 0: the count was never synced, so no page of the database was overwritten yet.
    if (records === 0xffffffff) records = Math.floor((view.length - offset) / recordSize);
    for (let index = 0; index < records; index++) {
      if (offset + recordSize > view.length) break segments;
      const pageNumber = view.readUInt32BE(offset);
      const data = view.subarray(offset + 4, offset + 4 + pageSize);
      const checksum = view.readUInt32BE(offset + 4 + pageSize);
      let sum = nonce;
      for (let i = pageSize - 200; i > 0; i -= 200) sum = (sum + data[i]!) >>> 0;
      if (sum !== checksum || pageNumber === 0) break segments;
      // The first copy of a page in the journal is its original content.
      if (!pages.has(pageNumber)) pages.set(pageNumber, Buffer.from(data));
      offset += recordSize;
    }
    offset = Math.ceil(offset / sectorSize) * sectorSize;
  }
  const finalSize = initialPages > 0 ? initialPages * pageSize : result.length;
  if (result.length < finalSize) result = Buffer.concat([result, Buffer.alloc(finalSize - result.length)]);
  for (const [pageNumber, data] of pages) {
    const start = (pageNumber - 1) * pageSize;
    if (start + pageSize > result.length) result = Buffer.concat([result, Buffer.alloc(start + pageSize - result.length)]);
    data.copy(result, start);
  }
  return result.subarray(0, finalSize);
}
