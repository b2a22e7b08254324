import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeAbandonedTempFiles, syncDirectory, writeFileAtomically } from './atomicFile';
import { ProntoError } from './errors';
import { lockFile, type FileLock, type LockOptions } from './lock';
import { inspectNativeState, nativeWriteBlocker, rollBackJournal, type FileId } from './nativeSqlite';
import { protocolStep, writeAllSync } from './protocolSteps';
import type { Disposable } from './types';
import { applyWal, buildWal, readCommittedWal, WAL_HEADER_BYTES, walHeaderKind, type BuiltWal } from './walFile';

/**
 * The file side of a store that keeps an SQLite database in one file: reading its committed bytes,
 * telling whether it changed, the cross-process lock, the atomic replace, the SQLite header fields
 * other programs read, native SQLite's sidecar files, and watching for other writers. It knows
 * nothing of the SQL inside (the pattern of vscode-hexeditor's FileAccessor).
 */
export interface FileBackingOptions {
  lock?: LockOptions;
  /** How long external-change notifications wait for a burst of writes to settle. */
  watchDebounceMs?: number;
}

/** What identifies one version of the file on disk: writers replace it by rename, so ino changes. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** One version of the database as read: enough to tell later whether the file still holds it. */
export interface FileVersion {
  /** null: the file did not exist. */
  identity: FileIdentity | null;
  /** The header's file change counter of the committed state; every write of ours increments it. */
  changeCounter: number;
  /** The counter in the file itself (it differs from the above when a log or journal was applied). */
  diskChangeCounter: number;
  /** The header said WAL; written files keep saying so, as the Rust CLI expects. */
  walFormat: boolean;
  /** The `-wal` as it mattered for this read (see walSignature): 'none', 'native' (not applied), or our committed log (applied). */
  wal: string;
  /** When a native hot journal was rolled back in memory: that journal's identity (its end is a change). */
  journal?: FileIdentity | null;
}

export interface LoadedFile {
  /** The committed database, presented as a rollback-journal file (sql.js has no WAL); undefined when empty or missing. */
  bytes: Uint8Array | undefined;
  version: FileVersion;
  /** A native transaction's journal was rolled back in memory to get these bytes. */
  rolledBackJournal: boolean;
}

/** The database as SQLite (sql.js) holds it after a group of writes, for `FileWrite.commit`. */
export interface DatabaseImage {
  pageSize: number;
  pageCount: number;
  /** The content of each page SQLite wrote since the version on disk, by page number; undefined when not known (write everything). */
  changedPages: Map<number, Uint8Array> | undefined;
  /** The whole database file (may be SQLite's own copy: never changed here). */
  bytes(): Uint8Array;
}

/** The group of writes was applied to a version the file no longer holds: apply it again. */
export class ChangedDuringCommit extends Error {}

export interface FileWrite {
  /** The file that is replaced (a symlink's target). */
  readonly target: string;
  /** Throws a 'wal-pending' error while a native SQLite process could lose or undo a write. */
  refuseNativeActivity(): void;
  /** True when the file no longer holds `version` (another writer got in before the lock). */
  changedSince(version: FileVersion): boolean;
  /**
   * Durably writes `image`, which was derived from `base`, and returns the new version: only the
   * changed pages, through a write-ahead log, when few changed; otherwise the whole file, replaced
   * by rename. Throws ChangedDuringCommit when the file moved on meanwhile (nothing written).
   */
  commit(image: DatabaseImage, base: FileVersion): Promise<FileVersion>;
  release(): Promise<void>;
}

/**
 * A commit writes only its changed pages when at most this share of the file changed; more (an
 * import, VACUUM) is cheaper as one sequential rewrite of the whole file.
 */
const INCREMENTAL_MAX_SHARE = 0.5;

/** PRONTODB_INCREMENTAL_WRITES=0 makes every commit rewrite the whole file (the previous protocol). */
function incrementalWritesEnabled(): boolean {
  return process.env.PRONTODB_INCREMENTAL_WRITES !== '0';
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Header bytes 18–19 are the read/write format versions: 1 = rollback journal, 2 = WAL. */
const FORMAT_VERSION_OFFSETS = [18, 19] as const;
const WAL_FORMAT = 2;
/** Where freshness checks read the change counter into (they are synchronous: one buffer serves all). */
const COUNTER_BUFFER = Buffer.alloc(4);
/** Bytes 24–27 (file change counter) and 92–95 (version-valid-for) of the SQLite header. */
const CHANGE_COUNTER_OFFSETS = [24, 92] as const;

export function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function identityOf(stat: fs.Stats): FileIdentity {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
}

function fileIdOf(stat: fs.Stats): FileId {
  return { dev: stat.dev, ino: stat.ino };
}

function readAt(file: string, length: number, position = 0): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const buffer = Buffer.alloc(length);
    const read = fs.readSync(fd, buffer, 0, length, position);
    return read === length ? buffer : buffer.subarray(0, read);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The state of `<file>-wal` as far as reads are concerned: 'none' (missing, too short, or a log
 * without a committed header: nothing in it counts), 'native' (a native process's log, which reads
 * do not apply: see staleReadWarning), or, for our own committed log, its inode, size and header,
 * which change whenever what it holds changes.
 */
export function walSignature(file: string): string {
  const wal = `${file}-wal`;
  const stat = statOrNull(wal);
  if (!stat || stat.size < WAL_HEADER_BYTES) return 'none';
  const header = readAt(wal, WAL_HEADER_BYTES);
  if (!header || header.length < WAL_HEADER_BYTES) return 'none';
  const kind = walHeaderKind(header);
  if (kind === 'native') return 'native';
  if (kind !== 'ours') return 'none';
  return `ours:${stat.dev}:${stat.ino}:${stat.size}:${header.toString('hex')}`;
}

function fdatasync(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** The page size in an SQLite header (bytes 16–17; 1 means 65536). */
function pageSizeOf(header: Uint8Array): number {
  const raw = (header[16]! << 8) | header[17]!;
  return raw === 1 ? 65536 : raw;
}

function statOrNull(file: string): fs.Stats | null {
  return fs.statSync(file, { throwIfNoEntry: false }) ?? null;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegularFile(file: string, stat: fs.Stats): ProntoError {
  return new ProntoError('io', `${file} is ${kindOf(stat)}, not a database file; it was left untouched`);
}

/** Reads a whole file through one descriptor; never blocks on a FIFO (O_NONBLOCK) or reads a device. */
function readRegularFile(file: string): { bytes: Buffer; identity: FileIdentity } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegularFile(file, stat);
    return { bytes: stat.size > 0 ? fs.readFileSync(fd) : Buffer.alloc(0), identity: identityOf(stat) };
  } finally {
    fs.closeSync(fd);
  }
}

export class SqliteFileBacking {
  /** An open descriptor of the file last read, for reading its change counter on every freshness check. */
  private counterFile: { fd: number; dev: number; ino: number } | undefined;
  /** Where SQLite keeps the sidecars: beside the file a symbolic link points to, as SQLite resolves it. */
  private sidecarBase: string;

  constructor(
    readonly location: string,
    private readonly options: FileBackingOptions = {},
  ) {
    this.sidecarBase = location;
  }

  /**
   * Does the file still hold `version`? Its identity (one stat) and its change counter (one read
   * through a kept descriptor: the identity alone can miss a write in place within the file
   * system's time resolution). Every commit changes both before it is acknowledged (ours copy the
   * log into the file first), so a `-wal` is looked at only when the version came with one: a log
   * that appears is a commit not acknowledged yet, read once it is in the file. Nothing loaded
   * matches a missing file.
   */
  isCurrent(version: FileVersion | undefined): boolean {
    const stat = statOrNull(this.location);
    if (!sameIdentity(stat && identityOf(stat), version?.identity ?? null)) return false;
    if (!stat || !version) return true;
    if (this.changeCounterOnDisk(stat) !== version.diskChangeCounter) return false;
    if (version.wal !== 'none' && walSignature(this.sidecarBase) !== version.wal) return false;
    if (version.journal !== undefined) {
      const journal = statOrNull(`${this.sidecarBase}-journal`);
      if (!sameIdentity(journal && identityOf(journal), version.journal)) return false;
    }
    return true;
  }

  private changeCounterOnDisk(stat: fs.Stats): number {
    try {
      if (!this.counterFile || this.counterFile.dev !== stat.dev || this.counterFile.ino !== stat.ino) {
        this.closeCounterFile();
        const fd = fs.openSync(this.location, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
        const opened = fs.fstatSync(fd);
        if (!opened.isFile()) {
          fs.closeSync(fd);
          return -1;
        }
        this.counterFile = { fd, dev: opened.dev, ino: opened.ino };
      }
      const counter = fs.readSync(this.counterFile.fd, COUNTER_BUFFER, 0, 4, 24) === 4 ? COUNTER_BUFFER.readUInt32BE(0) : 0;
      // Windows: an open descriptor could get in the way of a rename over the file; keep none there.
      if (process.platform === 'win32') this.closeCounterFile();
      return counter;
    } catch {
      this.closeCounterFile();
      return -1;
    }
  }

  private closeCounterFile(): void {
    if (this.counterFile) {
      try {
        fs.closeSync(this.counterFile.fd);
      } catch {
        // already closed
      }
      this.counterFile = undefined;
    }
  }

  /** Releases what the backing keeps open between calls. */
  dispose(): void {
    this.closeCounterFile();
  }

  private resolveSidecarBase(): string {
    try {
      this.sidecarBase = fs.lstatSync(this.location).isSymbolicLink() ? fs.realpathSync(this.location) : this.location;
    } catch {
      this.sidecarBase = this.location;
    }
    return this.sidecarBase;
  }

  /**
   * The file's committed content. A native writer in rollback-journal mode changes pages in place
   * after saving their originals in `-journal`, so a read during its transaction (or after it
   * crashed) would see a mix: the journal's pages are put back in memory, as SQLite itself does.
   * Our own writers change pages in place only while their committed `-wal` exists, which reads
   * apply, as SQLite does. The sidecars and the first page are read around the file and
   * everything is reread if anything moved meanwhile (see readCommitted).
   */
  read(): LoadedFile {
    const { bytes, identity, rolledBack, journal, wal, diskChangeCounter } = this.readCommitted();
    let walFormat = true; // new files look like the Rust CLI's: WAL format
    let changeCounter = 0;
    if (bytes) {
      if (bytes.length < 100 || !bytes.subarray(0, 16).equals(SQLITE_HEADER)) {
        throw new ProntoError('not-sqlite', `${this.location} is not an SQLite database; it was left untouched`);
      }
      walFormat = bytes[FORMAT_VERSION_OFFSETS[0]] === WAL_FORMAT;
      changeCounter = bytes.readUInt32BE(CHANGE_COUNTER_OFFSETS[0]);
      // sql.js keeps its copy in memory and cannot share a WAL index; present it as a rollback file.
      for (const offset of FORMAT_VERSION_OFFSETS) bytes[offset] = 1;
    }
    const version: FileVersion = { identity, changeCounter, diskChangeCounter, walFormat, wal };
    if (rolledBack) version.journal = journal;
    return { bytes, version, rolledBackJournal: rolledBack };
  }

  /**
   * Reads the file and its sidecars until one pass saw them all unchanged. Why that suffices: our
   * writers change the file in place only while their committed log exists, and write its first
   * page last. So if no committed log was there before and after the pass, any write of ours that
   * overlapped the read changed the first page after it was read, which rereading it shows; and if
   * the same committed log was there throughout, every page a writer copied into the file during
   * the read is in the log, which is applied over it.
   */
  private readCommitted(): {
    bytes: Buffer | undefined;
    identity: FileIdentity | null;
    rolledBack: boolean;
    journal: FileIdentity | null;
    wal: string;
    diskChangeCounter: number;
  } {
    const base = this.resolveSidecarBase();
    const journalFile = `${base}-journal`;
    const walFile = `${base}-wal`;
    for (let attempt = 0; ; attempt++) {
      try {
        const journalBefore = statOrNull(journalFile);
        const walBefore = walSignature(base);
        const main = readRegularFile(this.location);
        const journal = journalBefore && journalBefore.size > 0 ? readRegularFile(journalFile) : null;
        const walBytes = walBefore.startsWith('ours:') ? readRegularFile(walFile) : null;
        const journalAfter = statOrNull(journalFile);
        const walAfter = walSignature(base);
        const mainAfter = statOrNull(this.location);
        let stable =
          sameIdentity(journalBefore && identityOf(journalBefore), journalAfter && identityOf(journalAfter)) &&
          walBefore === walAfter &&
          sameIdentity(main?.identity ?? null, mainAfter && identityOf(mainAfter));
        const committedWal = walBytes && walBytes.bytes.length >= WAL_HEADER_BYTES ? readCommittedWal(walBytes.bytes) : undefined;
        if (stable && main && main.bytes.length >= 100 && !committedWal) {
          const pageSize = pageSizeOf(main.bytes);
          const firstPage = main.bytes.subarray(0, Math.min(pageSize, main.bytes.length));
          const again = readAt(this.location, firstPage.length);
          stable = again !== undefined && again.equals(firstPage);
        }
        if (!stable && attempt < 20) continue;
        if (!stable) throw new ProntoError('io', `${this.location} kept changing while being read (another process is writing it); try again`);
        const journalIdentity = journalAfter && identityOf(journalAfter);
        if (!main) return { bytes: undefined, identity: null, rolledBack: false, journal: journalIdentity, wal: walAfter, diskChangeCounter: 0 };
        const diskChangeCounter = main.bytes.length >= 100 ? main.bytes.readUInt32BE(CHANGE_COUNTER_OFFSETS[0]) : 0;
        let bytes: Buffer | undefined = main.bytes.length > 0 ? main.bytes : undefined;
        let rolledBack = false;
        const restored = journal && journal.bytes.length > 0 && bytes ? rollBackJournal(bytes, journal.bytes) : undefined;
        if (restored) {
          bytes = Buffer.from(restored);
          rolledBack = true;
        }
        if (committedWal && bytes && pageSizeOf(bytes) === committedWal.pageSize) bytes = applyWal(bytes, committedWal);
        return { bytes, identity: main.identity, rolledBack, journal: journalIdentity, wal: committedWal ? walAfter : walAfter === 'native' ? 'native' : 'none', diskChangeCounter };
      } catch (error) {
        if (error instanceof ProntoError) throw error;
        throw new ProntoError('io', `Cannot read ${this.location}: ${(error as Error).message}`);
      }
    }
  }

  /** Why reads of what was loaded may not show everything committed, if they may not (one stat of `-wal`). */
  staleReadWarning(loaded: Pick<LoadedFile, 'rolledBackJournal'>): string | undefined {
    if (loaded.rolledBackJournal) {
      return `${this.sidecarBase}-journal holds a native SQLite transaction in progress or interrupted; reads show the last committed state`;
    }
    const wal = statOrNull(`${this.sidecarBase}-wal`);
    if (!wal || wal.size <= 32) return undefined;
    const header = readAt(`${this.sidecarBase}-wal`, WAL_HEADER_BYTES);
    const kind = header && header.length === WAL_HEADER_BYTES ? walHeaderKind(header) : 'invalid';
    if (kind === 'ours' || kind === 'ours-uncommitted') return undefined; // our own log: applied when committed
    return `${this.sidecarBase}-wal holds ${wal.size} bytes a native SQLite process has not checkpointed; reads may be stale`;
  }

  /**
   * The file a commit replaces: the database path itself, or for a symbolic link the file it points
   * to (replacing the link would silently fork the database into a copy). Anything but a regular
   * file or a missing path is refused: a rename over `/dev/null` or a FIFO replaces the device.
   */
  private writeTarget(): string {
    let target = this.location;
    const link = fs.lstatSync(target, { throwIfNoEntry: false });
    if (link?.isSymbolicLink()) {
      try {
        target = fs.realpathSync(target);
      } catch {
        throw new ProntoError(
          'io',
          `${this.location} is a symbolic link to ${fs.readlinkSync(this.location)}, which does not exist; create that file or remove the link`,
        );
      }
    }
    const stat = target === this.location ? link : fs.lstatSync(target, { throwIfNoEntry: false });
    if (stat && !stat.isFile()) throw notRegularFile(this.location, stat);
    return target;
  }

  /**
   * Takes the cross-process lock for one commit (see lock.ts) and cleans what a killed writer left:
   * temp files, and a log of ours it had not finished copying into the file (completed here, as
   * SQLite would on its next open).
   */
  async beginWrite(): Promise<FileWrite> {
    const target = this.writeTarget();
    const lock = await lockFile(target, this.options.lock);
    try {
      removeAbandonedTempFiles(target);
      await completeInterruptedCommit(target);
    } catch (error) {
      await lock.release();
      throw error;
    }
    return {
      target,
      refuseNativeActivity: () => refuseNativeActivity(target),
      changedSince: (version) => !this.isCurrent(version),
      commit: (image, base) => this.commit(target, lock, image, base),
      release: () => lock.release(),
    };
  }

  private async commit(target: string, lock: FileLock, image: DatabaseImage, base: FileVersion): Promise<FileVersion> {
    const { pageSize, pageCount } = image;
    const changeCounter = (base.changeCounter + 1) >>> 0;
    /** Page 1 as the file gets it: the format bytes the file had, the next change counter. */
    const asWritten = (page: Uint8Array): Buffer => {
      const copy = Buffer.from(page);
      if (base.walFormat) for (const offset of FORMAT_VERSION_OFFSETS) copy[offset] = WAL_FORMAT;
      for (const offset of CHANGE_COUNTER_OFFSETS) copy.writeUInt32BE(changeCounter, offset);
      return copy;
    };
    const changed = image.changedPages;
    const incremental =
      incrementalWritesEnabled() &&
      base.identity !== null &&
      base.walFormat &&
      base.wal === 'none' &&
      changed !== undefined &&
      pageCount > 0 &&
      base.identity.size % pageSize === 0 &&
      base.identity.size > 0 &&
      changed.size <= Math.max(1, Math.floor(pageCount * INCREMENTAL_MAX_SHARE)) &&
      [...changed.keys()].every((page) => page >= 1 && page <= pageCount) &&
      walSidecarAllowsLog(target);
    if (incremental) {
      const firstPage = changed.get(1) ?? readAt(target, pageSize);
      if (!firstPage || firstPage.byteLength !== pageSize || pageSizeOf(firstPage) !== pageSize) throw new ChangedDuringCommit();
      const pages = [1, ...[...changed.keys()].filter((page) => page !== 1).sort((a, b) => a - b)];
      const frames = pages.map((page) => ({ pageNumber: page, data: page === 1 ? asWritten(firstPage) : changed.get(page)! }));
      await this.commitThroughLog(target, lock, buildWal(pageSize, frames, pageCount), pages, pageSize, pageCount, base);
    } else {
      const bytes = image.bytes();
      await this.replaceWhole(target, lock, [asWritten(bytes.subarray(0, pageSize)), bytes.subarray(pageSize)], base);
    }
    const stat = statOrNull(target);
    return { identity: stat && identityOf(stat), changeCounter, diskChangeCounter: changeCounter, walFormat: base.walFormat, wal: walSignature(target) };
  }

  /** Fails with ChangedDuringCommit unless the file still holds `base` (another writer got in, or a native one wrote in place). */
  private assertUnchanged(base: FileVersion): void {
    if (!this.isCurrent(base)) throw new ChangedDuringCommit();
  }

  /**
   * Writes only the changed pages, in SQLite's own write-ahead log format, so that a crash at any
   * instant leaves what both we and native SQLite read as the old or the new database:
   *
   *  1. the frames go to a new `<db>-wal` under a header that is not valid yet, and are synced;
   *  2. everything the decision to write rested on is checked again (our lock, no native process,
   *     the file unchanged), then the valid header is written and synced, and the directory too:
   *     the commit point. From here on the log holds the new state for every reader;
   *  3. the pages are copied into the file in place, the first page last (readers rely on that,
   *     see readCommitted), and the file is synced;
   *  4. the log is removed: the file alone is the new state.
   *
   * A crash in 1–2 leaves a log nobody applies; in 3–4 one that both SQLite and our readers apply
   * (and the next writer of ours completes). Right after the commit point and at the end, a native
   * process that appeared meanwhile is looked for, as for a rename: it is reported as an error,
   * and while it is there the file is left to it (it applies the log itself).
   */
  private async commitThroughLog(target: string, lock: FileLock, wal: BuiltWal, pages: number[], pageSize: number, pageCount: number, base: FileVersion): Promise<void> {
    const walPath = `${target}-wal`;
    const directory = path.dirname(target);
    const mode = (statOrNull(target)?.mode ?? 0o644) & 0o777;
    let fd: number;
    try {
      fd = fs.openSync(walPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ChangedDuringCommit(); // a native process made one just now
      throw new ProntoError('io', `Could not write ${walPath}: ${(error as Error).message}`);
    }
    let own: FileId;
    let committed = false;
    try {
      own = fileIdOf(fs.fstatSync(fd));
      protocolStep('wal-created');
      writeAllSync(fd, wal.body, 0, 'wal-frames');
      protocolStep('wal-frames-written');
      await fdatasync(fd);
      protocolStep('wal-frames-synced');
      lock.assertHeld();
      refuseNativeActivity(target, { ownWal: own });
      this.assertUnchanged(base);
      if (!isLinkedAt(fd, walPath)) throw new ChangedDuringCommit(); // removed meanwhile (a native process that closed)
      writeAllSync(fd, wal.header, 0, 'wal-header');
      committed = true;
      protocolStep('wal-header-written');
      await fdatasync(fd);
      await syncDirectory(directory);
      protocolStep('wal-committed');
    } catch (error) {
      fs.closeSync(fd);
      if (!committed) {
        removeIfSame(walPath, own!);
        if (error instanceof ProntoError || error instanceof ChangedDuringCommit) throw error;
        throw new ProntoError('io', `Could not write ${walPath}: ${(error as Error).message}`);
      }
      throw new ProntoError('io', `${target}: the write was committed to ${walPath} but could not be synced: ${(error as Error).message}`);
    }
    try {
      const appeared = nativeWriteBlocker(target, inspectNativeState(target, { ownWal: own }));
      if (appeared) {
        throw new ProntoError(
          'wal-pending',
          `${target} was written (into ${walPath}), but a native SQLite process opened it at the same moment, so one of the two updates may be lost; check the data. ${appeared}`,
        );
      }
      if (!isLinkedAt(fd, walPath)) {
        // Someone removed the committed log (a native process closing the database, which copies
        // what it knows of the log first). Put it back before touching the file: a crash while
        // copying must still leave a log to finish from.
        own = await rewriteLog(walPath, wal, mode, directory);
      }
      await copyPagesIntoFile(target, wal, pages, pageSize, pageCount, 'checkpoint');
      removeIfSame(walPath, own);
      protocolStep('wal-removed');
      refuseNativeActivity(target);
    } catch (error) {
      if (error instanceof ProntoError) throw error;
      throw new ProntoError('io', `${target}: the write was committed to ${walPath} but could not be copied into the file: ${(error as Error).message}`);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Replaces the file. Right before the rename, with the new content already durable in a temp
   * file, everything the decision to write rested on is checked again: the lock is still ours, no
   * native process has appeared, and the file is still the one the group was applied to. Right
   * after it, a native process that opened the old file in that instant is looked for too: it is
   * reported as an error, never as success.
   */
  private async replaceWhole(target: string, lock: FileLock, chunks: Uint8Array[], base: FileVersion): Promise<void> {
    const mode = statOrNull(target)?.mode;
    let replaced: FileId | undefined;
    await writeFileAtomically(target, chunks, mode === undefined ? undefined : mode & 0o777, {
      beforeRename: () => {
        lock.assertHeld();
        refuseNativeActivity(target);
        const current = statOrNull(target);
        if (!this.isCurrent(base)) throw new ChangedDuringCommit();
        if (current) replaced = { dev: current.dev, ino: current.ino, replaced: true };
      },
      afterRename: () => {
        try {
          refuseNativeActivity(target, { previous: replaced });
        } catch (error) {
          throw new ProntoError(
            'wal-pending',
            `${target} was written, but a native SQLite process opened it at the same moment, so one of the two updates may be lost; check the data. ${(error as Error).message}`,
          );
        }
      },
    });
  }

  /**
   * Calls `onChange` when the file may have been replaced by another writer (debounced). The
   * directory is watched: writers replace the file by rename, which a watch on the file would miss.
   */
  watch(onChange: () => void): Disposable {
    const directory = path.dirname(this.location);
    const name = path.basename(this.location);
    let timer: NodeJS.Timeout | undefined;
    let watcher: fs.FSWatcher | undefined;
    const stop = (): void => {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    };
    try {
      fs.mkdirSync(directory, { recursive: true });
      watcher = fs.watch(directory, { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name && changed !== `${name}-wal`) return;
        clearTimeout(timer);
        timer = setTimeout(onChange, this.options.watchDebounceMs ?? 50);
      });
      watcher.on('error', stop);
    } catch {
      // Cannot watch (permissions, too many watchers): reads still notice changes.
      stop();
    }
    return { dispose: stop };
  }
}

/**
 * Replacing the file while a native SQLite process (such as the Rust prontodb) has it open or left
 * work in its sidecars loses writes: ours, when it checkpoints its WAL or replays its journal over
 * our file, or its own, which land on the file we replaced. See nativeSqlite.ts for what is seen.
 * `previous`: the file a rename just replaced; `ownWal`: the log this process is writing.
 */
function refuseNativeActivity(target: string, options: { previous?: FileId; ownWal?: FileId } = {}): void {
  const state = inspectNativeState(target, options.previous ? { include: [options.previous], skipMain: true } : { ownWal: options.ownWal });
  const blocker = nativeWriteBlocker(target, state);
  if (blocker) throw new ProntoError('wal-pending', `Not writing: ${blocker}`);
}

/** True while `fd` is the file at `file` (not removed or replaced since it was opened). */
function isLinkedAt(fd: number, file: string): boolean {
  const opened = fs.fstatSync(fd);
  const current = statOrNull(file);
  return opened.nlink > 0 && current !== null && current.dev === opened.dev && current.ino === opened.ino;
}

function removeIfSame(file: string, id: FileId): void {
  const current = statOrNull(file);
  if (current && current.dev === id.dev && current.ino === id.ino) fs.rmSync(file, { force: true });
}

/**
 * Whether a log of ours can be created beside `target`: no `-wal` at all, or an empty or
 * header-only one no process holds (what `sqlite3 -readonly` leaves), which is removed first. A
 * native log with frames is never touched (the native checks refuse the write before this).
 */
function walSidecarAllowsLog(target: string): boolean {
  const wal = statOrNull(`${target}-wal`);
  if (!wal) return true;
  if (wal.size > WAL_HEADER_BYTES) return false;
  const state = inspectNativeState(target);
  if (state.lockHolders === null || state.lockHolders.length > 0) return false;
  removeIfSame(`${target}-wal`, fileIdOf(wal));
  return true;
}

/**
 * Writes the log whole again (frames, then the valid header), synced, with its directory entry;
 * returns the new file. Never over another file: a log a native process made meanwhile is its own.
 */
async function rewriteLog(walPath: string, wal: BuiltWal, mode: number, directory: string): Promise<FileId> {
  let fd: number;
  try {
    fd = fs.openSync(walPath, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new ProntoError('wal-pending', `${walPath} was committed, then replaced by another process's log before it was copied into the file; check the data (a native SQLite process may have written meanwhile)`);
  }
  try {
    writeAllSync(fd, wal.body, 0, 'wal-rewrite');
    writeAllSync(fd, wal.header, 0, 'wal-rewrite');
    await fdatasync(fd);
    await syncDirectory(directory);
    return fileIdOf(fs.fstatSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copies committed pages from a log into the file: runs of consecutive pages in one write each,
 * the first page last, the file cut to `pageCount` pages if it shrank, then synced.
 */
async function copyPagesIntoFile(
  target: string,
  wal: { body: Uint8Array; pageOffsets: number[] } | { pages: Map<number, Uint8Array> },
  pages: number[],
  pageSize: number,
  pageCount: number,
  step: string,
): Promise<void> {
  const dataOf = (index: number, page: number): Uint8Array =>
    'body' in wal ? wal.body.subarray(wal.pageOffsets[index]!, wal.pageOffsets[index]! + pageSize) : wal.pages.get(page)!;
  const order = pages.map((page, index) => ({ page, data: dataOf(index, page) })).filter((entry) => entry.page <= pageCount);
  const first = order.find((entry) => entry.page === 1);
  const rest = order.filter((entry) => entry.page !== 1);
  const fd = fs.openSync(target, 'r+');
  try {
    let run: typeof rest = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const position = (run[0]!.page - 1) * pageSize;
      const bytes = run.length === 1 ? run[0]!.data : Buffer.concat(run.map((entry) => entry.data));
      writeAllSync(fd, bytes, position, `${step}-page`);
      protocolStep(`${step}-page`);
      run = [];
    };
    for (const entry of rest) {
      if (run.length > 0 && entry.page !== run[run.length - 1]!.page + 1) flush();
      run.push(entry);
    }
    flush();
    if (first) {
      writeAllSync(fd, first.data, 0, `${step}-page`);
      protocolStep(`${step}-page`);
    }
    if (fs.fstatSync(fd).size > pageCount * pageSize) fs.ftruncateSync(fd, pageCount * pageSize);
    protocolStep(`${step}-written`);
    await fdatasync(fd);
    protocolStep(`${step}-synced`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A log of ours left by a writer that was stopped (killed, or the machine lost power): once
 * committed, it is copied into the file and removed, exactly as SQLite would on its next open; one
 * never committed is removed (nothing in it counts). Only called under the lock; a log a native
 * process holds open is left to it (the native checks then refuse the write).
 */
async function completeInterruptedCommit(target: string): Promise<void> {
  const walPath = `${target}-wal`;
  const stat = statOrNull(walPath);
  if (!stat || stat.size < WAL_HEADER_BYTES) return;
  const header = readAt(walPath, WAL_HEADER_BYTES);
  const kind = header && header.length === WAL_HEADER_BYTES ? walHeaderKind(header) : 'invalid';
  if (kind !== 'ours' && kind !== 'ours-uncommitted') return;
  const state = inspectNativeState(target);
  if (state.lockHolders === null ? state.walSidecars : state.lockHolders.length > 0) return;
  const id = fileIdOf(stat);
  if (kind === 'ours') {
    const log = readRegularFile(walPath);
    const committed = log ? readCommittedWal(log.bytes) : undefined;
    if (committed) {
      const main = readAt(target, 100);
      if (!main || main.length < 100 || pageSizeOf(main) !== committed.pageSize) {
        throw new ProntoError('not-sqlite', `${walPath} does not fit ${target} (another page size); both were left untouched`);
      }
      const pages = [...committed.pages.keys()].sort((a, b) => a - b);
      await copyPagesIntoFile(target, committed, pages, committed.pageSize, committed.pageCount, 'recovery');
    }
  }
  removeIfSame(walPath, id);
  protocolStep('recovery-removed');
}
