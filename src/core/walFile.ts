import { randomBytes } from 'node:crypto';

/**
 * SQLite's write-ahead log format (sqlite.org, "Database File Format", section 4), as far as
 * ProntoDB writes and reads it: a 32-byte header, then frames of a 24-byte header and one page.
 * A frame is valid when its salts match the header's and its cumulative checksum matches; the
 * database is the file plus every valid frame up to the last one that ends a transaction (a
 * *commit frame*, whose second field is the database size in pages). Native SQLite replays exactly
 * that on open, so a log left by a writer that was killed reads the same for both programs.
 */
export const WAL_HEADER_BYTES = 32;
export const WAL_FRAME_HEADER_BYTES = 24;
/** Magic with bit 0 set: checksums are computed on big-endian words. */
const MAGIC_BIG_ENDIAN = 0x377f0683;
const MAGIC_LITTLE_ENDIAN = 0x377f0682;
const FORMAT_VERSION = 3007000;
/**
 * Header bytes 12–15 ("checkpoint sequence number", informational for SQLite: it only carries it
 * forward when it restarts the log) hold this value in a log ProntoDB wrote: "PrDB". It tells our
 * log from a native process's, also before the log is committed (see `uncommittedHeader`).
 */
export const PRONTODB_WAL_MARK = 0x50724442;

export interface WalFrame {
  pageNumber: number;
  data: Uint8Array;
}

/** Cumulative checksum of SQLite's WAL over `bytes` (a multiple of 8), starting from `s0`, `s1`. */
function checksum(bytes: Uint8Array, bigEndian: boolean, s0: number, s1: number): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = !bigEndian;
  for (let offset = 0; offset < bytes.byteLength; offset += 8) {
    s0 = (s0 + view.getUint32(offset, littleEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(offset + 4, littleEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

export interface BuiltWal {
  /** The valid header: writing it over the placeholder commits the transaction. */
  header: Buffer;
  /** The placeholder header and every frame, the last one a commit frame: written first. */
  body: Buffer;
  /** Byte offset of each frame's page data in `body`, by frame. */
  pageOffsets: number[];
}

/**
 * A log holding one transaction: `frames` (page 1 included when it changed), the last marked as
 * the commit with `pageCount`. The body starts with an *uncommitted* header (magic zero, our mark,
 * the salts): native SQLite and our readers see no valid log until `header` replaces it.
 */
export function buildWal(pageSize: number, frames: WalFrame[], pageCount: number): BuiltWal {
  const salts = randomBytes(8);
  const header = Buffer.alloc(WAL_HEADER_BYTES);
  header.writeUInt32BE(MAGIC_BIG_ENDIAN, 0);
  header.writeUInt32BE(FORMAT_VERSION, 4);
  header.writeUInt32BE(pageSize, 8);
  header.writeUInt32BE(PRONTODB_WAL_MARK, 12);
  salts.copy(header, 16);
  let [s0, s1] = checksum(header.subarray(0, 24), true, 0, 0);
  header.writeUInt32BE(s0, 24);
  header.writeUInt32BE(s1, 28);

  const frameBytes = WAL_FRAME_HEADER_BYTES + pageSize;
  const body = Buffer.allocUnsafe(WAL_HEADER_BYTES + frames.length * frameBytes);
  header.copy(body, 0);
  body.writeUInt32BE(0, 0); // the placeholder: everything but a valid magic and checksum
  body.fill(0, 24, 32);
  const pageOffsets: number[] = [];
  frames.forEach((frame, index) => {
    if (frame.data.byteLength !== pageSize) throw new Error(`page ${frame.pageNumber} is ${frame.data.byteLength} bytes, not ${pageSize}`);
    const at = WAL_HEADER_BYTES + index * frameBytes;
    body.writeUInt32BE(frame.pageNumber, at);
    body.writeUInt32BE(index === frames.length - 1 ? pageCount : 0, at + 4);
    salts.copy(body, at + 8);
    body.set(frame.data, at + WAL_FRAME_HEADER_BYTES);
    [s0, s1] = checksum(body.subarray(at, at + 8), true, s0, s1);
    [s0, s1] = checksum(body.subarray(at + WAL_FRAME_HEADER_BYTES, at + frameBytes), true, s0, s1);
    body.writeUInt32BE(s0, at + 16);
    body.writeUInt32BE(s1, at + 20);
    pageOffsets.push(at + WAL_FRAME_HEADER_BYTES);
  });
  return { header, body, pageOffsets };
}

export type WalHeaderKind = 'ours' | 'ours-uncommitted' | 'native' | 'invalid';

/**
 * What the first 32 bytes of a `-wal` say: a committed log of ours, ours not (or not completely)
 * committed, a native one, or nothing valid. Our placeholder and our valid header differ only in
 * the magic (bytes 0–3) and the checksum (24–31), so a header torn between the two still carries
 * our mark, and is not valid: SQLite ignores such a log, and so do we.
 */
export function walHeaderKind(header: Uint8Array): WalHeaderKind {
  if (header.byteLength < WAL_HEADER_BYTES) return 'invalid';
  const view = Buffer.from(header.buffer, header.byteOffset, WAL_HEADER_BYTES);
  const magic = view.readUInt32BE(0);
  const ours = view.readUInt32BE(12) === PRONTODB_WAL_MARK && view.readUInt32BE(4) === FORMAT_VERSION;
  const valid = (() => {
    if (magic !== MAGIC_BIG_ENDIAN && magic !== MAGIC_LITTLE_ENDIAN) return false;
    const [s0, s1] = checksum(view.subarray(0, 24), magic === MAGIC_BIG_ENDIAN, 0, 0);
    return view.readUInt32BE(4) === FORMAT_VERSION && view.readUInt32BE(24) === s0 && view.readUInt32BE(28) === s1;
  })();
  if (ours) return valid ? 'ours' : 'ours-uncommitted';
  return valid ? 'native' : 'invalid';
}

export interface CommittedWal {
  pageSize: number;
  /** Database size in pages after the last committed transaction. */
  pageCount: number;
  /** The newest committed content of each page the log holds. */
  pages: Map<number, Uint8Array>;
}

/**
 * The committed transactions of a log, as SQLite's recovery finds them: frames are read while their
 * salts and chained checksum are valid; only those up to the last commit frame count. Undefined
 * when the header is not valid or no transaction was committed.
 */
export function readCommittedWal(wal: Uint8Array): CommittedWal | undefined {
  if (wal.byteLength < WAL_HEADER_BYTES) return undefined;
  const kind = walHeaderKind(wal.subarray(0, WAL_HEADER_BYTES));
  if (kind !== 'ours' && kind !== 'native') return undefined;
  const view = Buffer.from(wal.buffer, wal.byteOffset, wal.byteLength);
  const bigEndian = view.readUInt32BE(0) === MAGIC_BIG_ENDIAN;
  const pageSize = view.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  const salt1 = view.readUInt32BE(16);
  const salt2 = view.readUInt32BE(20);
  let s0 = view.readUInt32BE(24);
  let s1 = view.readUInt32BE(28);
  const frameBytes = WAL_FRAME_HEADER_BYTES + pageSize;
  const pending = new Map<number, Uint8Array>();
  const pages = new Map<number, Uint8Array>();
  let pageCount = 0;
  for (let at = WAL_HEADER_BYTES; at + frameBytes <= view.length; at += frameBytes) {
    const pageNumber = view.readUInt32BE(at);
    if (pageNumber === 0 || view.readUInt32BE(at + 8) !== salt1 || view.readUInt32BE(at + 12) !== salt2) break;
    [s0, s1] = checksum(view.subarray(at, at + 8), bigEndian, s0, s1);
    [s0, s1] = checksum(view.subarray(at + WAL_FRAME_HEADER_BYTES, at + frameBytes), bigEndian, s0, s1);
    if (view.readUInt32BE(at + 16) !== s0 || view.readUInt32BE(at + 20) !== s1) break;
    pending.set(pageNumber, view.subarray(at + WAL_FRAME_HEADER_BYTES, at + frameBytes));
    const commitSize = view.readUInt32BE(at + 4);
    if (commitSize > 0) {
      for (const [page, data] of pending) pages.set(page, data);
      pending.clear();
      pageCount = commitSize;
    }
  }
  return pageCount > 0 ? { pageSize, pageCount, pages } : undefined;
}

/** The database `main` with the committed log applied: what SQLite reads. */
export function applyWal(main: Uint8Array, wal: CommittedWal): Buffer {
  const size = wal.pageCount * wal.pageSize;
  const result = Buffer.alloc(size);
  result.set(main.subarray(0, Math.min(size, main.byteLength)));
  for (const [page, data] of wal.pages) {
    if (page <= wal.pageCount) result.set(data, (page - 1) * wal.pageSize);
  }
  return result;
}
