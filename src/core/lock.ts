import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProntoError } from './errors';

/**
 * Cross-process mutual exclusion for writers of one database file. sql.js cannot take SQLite's own
 * POSIX locks, so writers agree on a `<file>.lock` directory instead.
 *
 * The directory is published whole by renaming a private directory that already holds a `holder-*`
 * file naming its owner (host, pid, process start time, boot id), so no other writer ever sees a
 * half-made lock. A lock is taken over only when its holder provably no longer exists on this host:
 * never because of a timer the holder may miss while it is paused, starved or busy (a stolen lock
 * loses a write). A holder on another host cannot be checked and is waited for.
 */
export interface LockOptions {
  /** How long to keep trying before giving up with a 'locked' error. */
  timeoutMs?: number;
  /**
   * Age after which a lock directory *without* a holder file counts as abandoned: it was left by
   * a version that used mtime refreshes (proper-lockfile), or by a takeover that was interrupted.
   */
  staleMs?: number;
}

export interface FileLock {
  readonly lockPath: string;
  /** Throws a 'locked' error unless this process still holds the lock at this moment. */
  assertHeld(): void;
  release(): Promise<void>;
}

interface Holder {
  host: string;
  pid: number;
  /** Kernel start time of the process (clock ticks since boot), so a reused pid is told apart. */
  start: string | null;
  boot: string | null;
  /** PID namespace: a pid seen from another container means nothing here. */
  pidns: string | null;
  token: string;
  since: number;
}

const HOLDER_PREFIX = 'holder-';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_STALE_MS = 10_000;
/**
 * A waiter writes its holder file synchronously right after creating its `.pending` folder; one
 * without a readable holder file after this long belongs to a process killed between the two
 * calls. Removing it is safe: a process that was merely stopped there fails its lock attempt with
 * an error when it resumes (its holder file cannot be written), and acknowledges nothing.
 */
const ORPHAN_PENDING_MS = 1000;

/**
 * A `.pending` folder without a readable holder file: abandoned once older than `ageMs`, or at once
 * when the pid its name starts with (`<lock>.<pid>-<random>.pending`) does not exist on this host.
 * (On a file system shared with another host that pid means nothing here; the worst outcome is the
 * same as above: that waiter's lock attempt fails with an error.)
 */
function orphanedPending(pending: string, ageMs: number): boolean {
  if (Date.now() - fs.statSync(pending).mtimeMs > ageMs) return true;
  const pid = Number(/\.(\d+)-[0-9a-f]+\.pending$/.exec(pending)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

function readProcFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;
function currentBootId(): string | null {
  if (bootId === undefined) bootId = readProcFile('/proc/sys/kernel/random/boot_id')?.trim() || null;
  return bootId;
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces). */
function processStartTime(pid: number): string | null {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function pidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

let self: Omit<Holder, 'token' | 'since'> | undefined;
function selfDescription(): Omit<Holder, 'token' | 'since'> {
  self ??= { host: os.hostname(), pid: process.pid, start: processStartTime(process.pid), boot: currentBootId(), pidns: pidNamespace() };
  return self;
}

/** 'dead' only when this host can prove the holder process is gone; 'unknown' for other hosts. */
export function holderState(holder: Pick<Holder, 'host' | 'pid' | 'start' | 'boot' | 'pidns'>): 'alive' | 'dead' | 'unknown' {
  const me = selfDescription();
  if (holder.host !== me.host || holder.pidns !== me.pidns) return 'unknown';
  if (holder.boot && me.boot && holder.boot !== me.boot) return 'dead'; // the machine rebooted since
  if (holder.start !== null && me.start !== null) {
    // Linux: /proc tells existence and identity at once.
    const start = processStartTime(holder.pid);
    return start !== null && start === holder.start ? 'alive' : 'dead';
  }
  try {
    process.kill(holder.pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'alive';
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value.host === 'string' && Number.isSafeInteger(value.pid) && typeof value.token === 'string') {
      return {
        host: value.host,
        pid: value.pid!,
        start: typeof value.start === 'string' ? value.start : null,
        boot: typeof value.boot === 'string' ? value.boot : null,
        pidns: typeof value.pidns === 'string' ? value.pidns : null,
        token: value.token,
        since: typeof value.since === 'number' ? value.since : 0,
      };
    }
  } catch {
    // unreadable: treated like a lock without a holder file
  }
  return undefined;
}

type Inspection =
  | { kind: 'absent' }
  | { kind: 'held'; holder: Holder; holderFile: string; state: 'alive' | 'dead' | 'unknown' }
  | { kind: 'anonymous'; ageMs: number };

function inspectLock(lockPath: string): Inspection {
  let names: string[];
  try {
    names = fs.readdirSync(lockPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    if (code === 'ENOTDIR') throw new ProntoError('io', `Cannot lock: ${lockPath} exists and is not a directory; remove it if no ProntoDB process is running`);
    throw error;
  }
  for (const name of names) {
    if (!name.startsWith(HOLDER_PREFIX)) continue;
    const holderFile = path.join(lockPath, name);
    const text = readProcFile(holderFile);
    const holder = text === null ? undefined : parseHolder(text);
    if (holder) return { kind: 'held', holder, holderFile, state: holderState(holder) };
  }
  const stat = fs.statSync(lockPath, { throwIfNoEntry: false });
  if (!stat) return { kind: 'absent' };
  return { kind: 'anonymous', ageMs: Date.now() - stat.mtimeMs };
}

function describeHolder(holder: Holder): string {
  return `process ${holder.pid} on ${holder.host}, holding it since ${new Date(holder.since).toISOString()}`;
}

/** Takes the lock on `file` (waiting up to `timeoutMs`), or fails with a 'locked' error saying who holds it. */
export async function lockFile(file: string, options: LockOptions = {}): Promise<FileLock> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const lockPath = lockPathFor(file);
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const holder: Holder = { ...selfDescription(), token, since: Date.now() };
  const holderName = `${HOLDER_PREFIX}${token}`;
  const pending = `${lockPath}.${token}.pending`;
  let delay = 2;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.mkdirSync(pending);
    fs.writeFileSync(path.join(pending, holderName), JSON.stringify(holder));
  } catch (error) {
    fs.rmSync(pending, { recursive: true, force: true });
    throw new ProntoError('io', `Cannot lock ${file}: ${(error as Error).message}`);
  }
  try {
    for (;;) {
      const seen = inspectLock(lockPath);
      if (seen.kind === 'held' && seen.state === 'dead') {
        // Only the one waiter whose unlink succeeds removes the directory; rmdir fails harmlessly
        // if a new holder has meanwhile been renamed into place.
        if (unlinkQuietly(seen.holderFile)) rmdirQuietly(lockPath);
        continue;
      }
      if (seen.kind === 'anonymous' && seen.ageMs > staleMs) {
        rmdirQuietly(lockPath);
      }
      if (seen.kind === 'absent' || (seen.kind === 'anonymous' && seen.ageMs > staleMs)) {
        try {
          // rename() publishes the directory with its holder file atomically; it fails with
          // ENOTEMPTY/EEXIST when another holder got there first.
          fs.renameSync(pending, lockPath);
          removeAbandonedWaiters(lockPath, staleMs);
          return heldLock(file, lockPath, path.join(lockPath, holderName));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
        }
      }
      if (Date.now() >= deadline) throw lockedError(file, lockPath, seen, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      // Jittered backoff keeps many waiting CLI processes from polling in lock-step.
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 50);
    }
  } catch (error) {
    if (error instanceof ProntoError) throw error;
    throw new ProntoError('io', `Cannot lock ${file}: ${(error as Error).message}`);
  } finally {
    fs.rmSync(pending, { recursive: true, force: true });
  }
}

function lockedError(file: string, lockPath: string, seen: Inspection, timeoutMs: number): ProntoError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  if (seen.kind === 'held') {
    const remedy =
      seen.state === 'unknown'
        ? `; it runs on another host, so this one cannot tell whether it is still alive: remove ${lockPath} only if it is not`
        : '';
    return new ProntoError('locked', `Gave up after ${seconds} s waiting for ${file}: locked by ${describeHolder(seen.holder)}${remedy}`);
  }
  return new ProntoError('locked', `Gave up after ${seconds} s waiting for ${file}: ${lockPath} is held (remove it if no ProntoDB process is running)`);
}

function unlinkQuietly(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function rmdirQuietly(directory: string): void {
  try {
    fs.rmdirSync(directory);
  } catch {
    // not empty (someone holds it now) or already gone
  }
}

/**
 * Waiters keep their holder file in `<lock>.<token>.pending` until they get the lock; one killed
 * while waiting leaves it behind. Removed once its process provably no longer exists (or, holding
 * no readable holder file, once it is older than `staleMs`). Only called while holding the lock.
 */
function removeAbandonedWaiters(lockPath: string, staleMs: number): void {
  const directory = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.pending')) continue;
    const pending = path.join(directory, name);
    try {
      const holderName = fs.readdirSync(pending).find((entry) => entry.startsWith(HOLDER_PREFIX));
      const text = holderName === undefined ? null : readProcFile(path.join(pending, holderName));
      const holder = text === null ? undefined : parseHolder(text);
      const abandoned = holder ? holderState(holder) === 'dead' : orphanedPending(pending, Math.min(staleMs, ORPHAN_PENDING_MS));
      if (abandoned) fs.rmSync(pending, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not ours to judge
    }
  }
}

function heldLock(file: string, lockPath: string, holderFile: string): FileLock {
  let released = false;
  return {
    lockPath,
    assertHeld(): void {
      if (released || !fs.existsSync(holderFile)) {
        throw new ProntoError('locked', `Lost the lock on ${file} (${lockPath} no longer names this process); nothing was written`);
      }
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      if (unlinkQuietly(holderFile)) rmdirQuietly(lockPath);
    },
  };
}

/** The previous interface: a function that releases the lock. */
export async function acquireFileLock(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const lock = await lockFile(file, options);
  return () => lock.release();
}

/** What `prontodb doctor` reports about a file's lock: who holds it, and what dead processes left. */
export interface LockLeftovers {
  /** 'none': not locked; 'alive': a running process writes now; 'dead': left by a process that no longer exists. */
  lock: 'none' | 'alive' | 'dead' | 'unknown';
  holder?: string;
  /** `<lock>.<token>.pending` folders of waiters that no longer exist. */
  deadWaiters: number;
}

export function inspectLockLeftovers(file: string): LockLeftovers {
  const lockPath = lockPathFor(file);
  const inspection = inspectLock(lockPath);
  const lock = inspection.kind === 'absent' ? 'none' : inspection.kind === 'held' ? inspection.state : inspection.ageMs > DEFAULT_STALE_MS ? 'dead' : 'unknown';
  const directory = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  let deadWaiters = 0;
  for (const name of fs.readdirSync(directory, { withFileTypes: false }) as string[]) {
    if (!name.startsWith(prefix) || !name.endsWith('.pending')) continue;
    const pending = path.join(directory, name);
    const holderName = (fs.readdirSync(pending, { withFileTypes: false }) as string[]).find((entry) => entry.startsWith(HOLDER_PREFIX));
    const text = holderName === undefined ? null : readProcFile(path.join(pending, holderName));
    const holder = text === null ? undefined : parseHolder(text);
    if (holder ? holderState(holder) === 'dead' : orphanedPending(pending, ORPHAN_PENDING_MS)) deadWaiters++;
  }
  return { lock, holder: inspection.kind === 'held' ? describeHolder(inspection.holder) : undefined, deadWaiters };
}
