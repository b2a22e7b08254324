import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeAbandonedTempFiles, writeFileAtomically } from './atomicFile';
import { ProntoError } from './errors';
import { lockFile, type FileLock, type LockOptions } from './lock';
import { inspectNativeState, nativeWriteBlocker, rollBackJournal, type FileId } from './nativeSqlite';
import type { Disposable } from './types';

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
  /** The header's file change counter; every write of ours increments it. */
  changeCounter: number;
  /** The header said WAL; written files keep saying so, as the Rust CLI expects. */
  walFormat: boolean;
}

export interface LoadedFile {
  /** The committed database, presented as a rollback-journal file (sql.js has no WAL); undefined when empty or missing. */
  bytes: Uint8Array | undefined;
  version: FileVersion;
  /** A native transaction's journal was rolled back in memory to get these bytes. */
  rolledBackJournal: boolean;
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
   * Durably replaces the file with `bytes`, which were derived from `base`; returns the new version.
   * Throws ChangedDuringCommit when the file moved on meanwhile (nothing written).
   */
  replace(bytes: Uint8Array, base: FileVersion): Promise<FileVersion>;
  release(): Promise<void>;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Header bytes 18–19 are the read/write format versions: 1 = rollback journal, 2 = WAL. */
const FORMAT_VERSION_OFFSETS = [18, 19] as const;
const WAL_FORMAT = 2;
/** Bytes 24–27 (file change counter) and 92–95 (version-valid-for) of the SQLite header. */
const CHANGE_COUNTER_OFFSETS = [24, 92] as const;

export function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function identityOf(stat: fs.Stats): FileIdentity {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
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
  constructor(
    readonly location: string,
    private readonly options: FileBackingOptions = {},
  ) {}

  /** One stat: does the file still hold `version` (as far as its identity tells)? Nothing loaded matches a missing file. */
  isCurrent(version: FileVersion | undefined): boolean {
    const stat = statOrNull(this.location);
    return sameIdentity(stat && identityOf(stat), version?.identity ?? null);
  }

  private changeCounterOnDisk(): number {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.location, 'r');
      const header = Buffer.alloc(100);
      return fs.readSync(fd, header, 0, 100, 0) === 100 ? header.readUInt32BE(CHANGE_COUNTER_OFFSETS[0]) : 0;
    } catch {
      return 0;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * The file's committed content. A native writer in rollback-journal mode changes pages in place
   * after saving their originals in `-journal`, so a read during its transaction (or after it
   * crashed) would see a mix: the journal's pages are put back in memory, as SQLite itself does.
   * The journal is read around the file and everything is reread if anything moved meanwhile.
   */
  read(): LoadedFile {
    const { bytes, identity, rolledBack } = this.readCommitted();
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
    return { bytes, version: { identity, changeCounter, walFormat }, rolledBackJournal: rolledBack };
  }

  private readCommitted(): { bytes: Buffer | undefined; identity: FileIdentity | null; rolledBack: boolean } {
    const journalFile = `${this.location}-journal`;
    for (let attempt = 0; ; attempt++) {
      try {
        const journalBefore = statOrNull(journalFile);
        const main = readRegularFile(this.location);
        const journal = journalBefore && journalBefore.size > 0 ? readRegularFile(journalFile) : null;
        const journalAfter = statOrNull(journalFile);
        const mainAfter = statOrNull(this.location);
        const stable =
          sameIdentity(journalBefore && identityOf(journalBefore), journalAfter && identityOf(journalAfter)) &&
          sameIdentity(main?.identity ?? null, mainAfter && identityOf(mainAfter));
        if (!stable && attempt < 20) continue;
        if (!stable) throw new ProntoError('io', `${this.location} kept changing while being read (a native SQLite process is writing it); try again`);
        if (!main) return { bytes: undefined, identity: null, rolledBack: false };
        const restored = journal && journal.bytes.length > 0 ? rollBackJournal(main.bytes, journal.bytes) : undefined;
        if (restored) return { bytes: Buffer.from(restored), identity: main.identity, rolledBack: true };
        return { bytes: main.bytes.length > 0 ? main.bytes : undefined, identity: main.identity, rolledBack: false };
      } catch (error) {
        if (error instanceof ProntoError) throw error;
        throw new ProntoError('io', `Cannot read ${this.location}: ${(error as Error).message}`);
      }
    }
  }

  /** Why reads of what was loaded may not show everything committed, if they may not (one stat of `-wal`). */
  staleReadWarning(loaded: Pick<LoadedFile, 'rolledBackJournal'>): string | undefined {
    if (loaded.rolledBackJournal) {
      return `${this.location}-journal holds a native SQLite transaction in progress or interrupted; reads show the last committed state`;
    }
    const wal = statOrNull(`${this.location}-wal`);
    if (!wal || wal.size <= 32) return undefined;
    return `${this.location}-wal holds ${wal.size} bytes a native SQLite process has not checkpointed; reads may be stale`;
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

  /** Takes the cross-process lock for one commit (see lock.ts) and cleans what a killed writer left. */
  async beginWrite(): Promise<FileWrite> {
    const target = this.writeTarget();
    const lock = await lockFile(target, this.options.lock);
    try {
      removeAbandonedTempFiles(target);
    } catch (error) {
      await lock.release();
      throw error;
    }
    return {
      target,
      refuseNativeActivity: () => refuseNativeActivity(target),
      // Identity can miss a replacement on file systems with coarse timestamps; the counter cannot.
      changedSince: (version) => !this.isCurrent(version) || (version.identity !== null && this.changeCounterOnDisk() !== version.changeCounter),
      replace: (bytes, base) => this.replace(target, lock, bytes, base),
      release: () => lock.release(),
    };
  }

  /**
   * Replaces the file. Right before the rename, with the new content already durable in a temp
   * file, everything the decision to write rested on is checked again: the lock is still ours, no
   * native process has appeared, and the file is still the one the group was applied to. Right
   * after it, a native process that opened the old file in that instant is looked for too: it is
   * reported as an error, never as success.
   */
  private async replace(target: string, lock: FileLock, bytes: Uint8Array, base: FileVersion): Promise<FileVersion> {
    if (base.walFormat) for (const offset of FORMAT_VERSION_OFFSETS) bytes[offset] = WAL_FORMAT;
    const changeCounter = (base.changeCounter + 1) >>> 0;
    const header = Buffer.from(bytes.buffer, bytes.byteOffset, 100);
    for (const offset of CHANGE_COUNTER_OFFSETS) header.writeUInt32BE(changeCounter, offset);
    const mode = statOrNull(target)?.mode;
    let replaced: FileId | undefined;
    await writeFileAtomically(target, bytes, mode === undefined ? undefined : mode & 0o777, {
      beforeRename: () => {
        lock.assertHeld();
        refuseNativeActivity(target);
        const current = statOrNull(target);
        if (!sameIdentity(current && identityOf(current), base.identity) || (current && this.changeCounterOnDisk() !== base.changeCounter)) {
          throw new ChangedDuringCommit();
        }
        if (current) replaced = { dev: current.dev, ino: current.ino, replaced: true };
      },
      afterRename: () => {
        try {
          refuseNativeActivity(target, replaced);
        } catch (error) {
          throw new ProntoError(
            'wal-pending',
            `${target} was written, but a native SQLite process opened it at the same moment, so one of the two updates may be lost; check the data. ${(error as Error).message}`,
          );
        }
      },
    });
    const stat = statOrNull(target);
    return { identity: stat && identityOf(stat), changeCounter, walFormat: base.walFormat };
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
 */
function refuseNativeActivity(target: string, previous?: FileId): void {
  const state = inspectNativeState(target, previous ? { include: [previous], skipMain: true } : undefined);
  const blocker = nativeWriteBlocker(target, state);
  if (blocker) throw new ProntoError('wal-pending', `Not writing: ${blocker}`);
}
