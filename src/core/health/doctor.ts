/**
 * `prontodb doctor`: named checks of one database and of the data directory around it, each
 * `ok | warn | error` with a message and, where a fix is safe, the fix (`--fix`). The names and the
 * JSON shape are stable (README: "Health checks"). A fix never runs while a native SQLite process is
 * using the file, and every fix that rewrites data goes through the store's ordinary durable commit.
 */
import { spawnSync } from 'node:child_process';
import { abandonedTempFiles, removeAbandonedTempFiles } from '../atomicFile';
import { withActor } from '../audit';
import { listBackups } from '../backup';
import { isProntoError, ProntoError } from '../errors';
import { displayLocation } from '../location';
import { inspectLockLeftovers, lockFile } from '../lock';
import { inspectNativeState, nativeWriteBlocker } from '../nativeSqlite';
import type { ProntoDB, ResolvedTarget } from '../pronto';
import type { KvStore, StoreStats } from '../store';
import { legacyCursorFiles, migrateDatabase } from './migrate';

export type CheckStatus = 'ok' | 'warn' | 'error';

export interface CheckResult {
  /** Stable name: schema, integrity, duplicates, expired, fragmentation, audit, migration, native_sidecars, leftovers, cursors, legacy_cursors, backups. */
  name: string;
  status: CheckStatus;
  message: string;
  /** What `--fix` would do (or did); absent when there is no safe fix. */
  fix?: string;
  /** With --fix: whether the fix ran and the check then passed. */
  fixed?: boolean;
  /** With --fix: the error the fix failed with (a read-only database, a lost server); doctor then exits 1. */
  fixError?: string;
}

export interface DoctorReport {
  database: string | null;
  location: string;
  status: CheckStatus;
  checks: CheckResult[];
}

export interface DoctorOptions {
  fix?: boolean;
  /** A newest backup older than this is a warning (default 7 days). */
  backupMaxAgeDays?: number;
  backupDirectory?: string;
  now?: Date;
}

/** Expired values beyond this many (and beyond 10% of the rows) are worth a purge. */
const EXPIRED_WORTH_PURGING = 1000;
/** Free pages beyond this share of the file (and 1 MiB) are worth a compaction. */
const FRAGMENTED_SHARE = 0.25;
const FRAGMENTED_MIN_BYTES = 1024 * 1024;

function worst(statuses: CheckStatus[]): CheckStatus {
  return statuses.includes('error') ? 'error' : statuses.includes('warn') ? 'warn' : 'ok';
}

/** Exit status of `doctor`: 0 all ok, 1 any error, 4 warnings only. */
export function doctorExitCode(report: DoctorReport): 0 | 1 | 4 {
  // A fix that was asked for and failed is a failed command, whatever the check's own status.
  if (report.status === 'error' || report.checks.some((check) => check.fixError !== undefined)) return 1;
  return report.status === 'warn' ? 4 : 0;
}

interface Check {
  name: string;
  run(): Promise<Omit<CheckResult, 'name'>>;
  /** Runs the fix; the check runs again afterwards to say whether it worked. */
  fix?(): Promise<void>;
}

export function runDoctor(pronto: ProntoDB, target: ResolvedTarget, options: DoctorOptions = {}): Promise<DoctorReport> {
  // Fixes are writes like any other: the audit log records who ran them.
  return withActor(pronto.actorFor(target), () => diagnose(pronto, target, options));
}

async function diagnose(pronto: ProntoDB, target: ResolvedTarget, options: DoctorOptions): Promise<DoctorReport> {
  const now = options.now ?? new Date();
  const backend = pronto.backends.forLocation(target.location, target.source);
  const isFile = backend.scheme === 'file';
  const file = target.location;
  const exists = await backend.exists(file);
  const checks: Check[] = [];

  let store: KvStore | undefined;
  let stats: StoreStats | undefined;
  let openFailure: ProntoError | undefined;
  const refreshStats = async (): Promise<void> => {
    stats = await store!.stats();
  };
  if (exists) {
    try {
      store = await pronto.store(file);
      await refreshStats();
    } catch (error) {
      if (!isProntoError(error)) throw error;
      openFailure = error;
      store = undefined;
    }
  }
  const blocker = (): string | undefined => (isFile && exists ? nativeWriteBlocker(file, inspectNativeState(file)) : undefined);

  checks.push({
    name: 'schema',
    run: async () => {
      if (!exists) return { status: 'warn', message: `${displayLocation(file)} does not exist yet (it is created by the first write)` };
      if (openFailure?.code === 'foreign-schema') return { status: 'error', message: openFailure.message };
      if (openFailure) return { status: 'error', message: openFailure.message };
      return { status: 'ok', message: "ProntoDB's tables and columns" };
    },
  });

  if (store) {
    const opened = store;
    checks.push({
      name: 'integrity',
      run: async () => {
        const problems = await opened.integrityCheck();
        if (problems.length === 1 && problems[0] === 'ok') return { status: 'ok', message: 'integrity_check: ok' };
        return { status: 'error', message: `integrity_check found ${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}. Restore a backup (prontodb restore --list)` };
      },
    });
    checks.push({
      name: 'duplicates',
      run: async () =>
        stats!.duplicateRows === 0
          ? { status: 'ok', message: 'one row per address' }
          : { status: 'warn', message: `${stats!.duplicateRows} extra rows for context-less addresses (written by the Rust CLI); the newest of each counts`, fix: 'keep the newest row of each address' },
      fix: async () => {
        await opened.collapseDuplicates();
        await refreshStats();
      },
    });
    checks.push({
      name: 'expired',
      run: async () => {
        const { expiredEntries, entries } = stats!;
        const many = expiredEntries > EXPIRED_WORTH_PURGING && expiredEntries > 0.1 * (entries + expiredEntries);
        if (!many) return { status: 'ok', message: `${expiredEntries} expired values stored (every ProntoDB write purges them)` };
        return { status: 'warn', message: `${expiredEntries} expired values still stored`, fix: 'purge them' };
      },
      fix: async () => {
        await opened.purgeExpired();
        await refreshStats();
      },
    });
    checks.push({
      name: 'fragmentation',
      run: async () => {
        const { freePages, pageCount, pageSize } = stats!;
        const freeBytes = freePages * pageSize;
        const share = pageCount ? freePages / pageCount : 0;
        const message = `${freePages} of ${pageCount} pages free (${(share * 100).toFixed(0)}%)`;
        if (share < FRAGMENTED_SHARE || freeBytes < FRAGMENTED_MIN_BYTES) return { status: 'ok', message };
        return { status: 'warn', message, fix: 'compact the database (VACUUM)' };
      },
      fix: async () => {
        await opened.compact();
        await refreshStats();
      },
    });
    checks.push({
      name: 'audit',
      run: async () => {
        const settings = await opened.auditSettings();
        if (!settings.enabled) return { status: 'ok', message: 'audit log off (prontodb audit on)' };
        const [newest] = await opened.auditRecords({ limit: 1 });
        return {
          status: 'ok',
          message: `audit log on (newest record ${newest ? new Date(newest.at).toISOString() : 'none'}); writes by other programs (the Rust CLI, sqlite3) are not recorded`,
        };
      },
    });
    checks.push({
      name: 'migration',
      run: async () => {
        const { schemaVersion, latestSchemaVersion } = stats!;
        if (schemaVersion > latestSchemaVersion) return { status: 'error', message: `schema version ${schemaVersion} is newer than this ProntoDB knows (${latestSchemaVersion}): it can read but not write this file` };
        if (schemaVersion === latestSchemaVersion) return { status: 'ok', message: `schema version ${schemaVersion} (the latest)` };
        return { status: 'warn', message: `schema version ${schemaVersion}; version ${latestSchemaVersion} is available`, fix: 'migrate (after a safety backup)' };
      },
      fix: async () => {
        await migrateDatabase(pronto, target, { backupDirectory: options.backupDirectory, now, cursors: false });
        await refreshStats();
      },
    });
  }

  if (isFile && exists) {
    checks.push({
      name: 'native_sidecars',
      run: async () => {
        const state = inspectNativeState(file);
        const why = nativeWriteBlocker(file, state);
        if (why) {
          const running = (state.lockHolders?.length ?? 0) > 0;
          return {
            status: running ? 'warn' : 'error',
            message: running ? `a native SQLite process is using the file: ${why}` : why,
            ...(!running && state.walFrameBytes > 0 && sqlite3Available() ? { fix: 'checkpoint the -wal with the system sqlite3 (PRAGMA wal_checkpoint(TRUNCATE))' } : {}),
          };
        }
        if (state.ourWal === 'committed') {
          return { status: 'warn', message: 'a ProntoDB write was stopped after its commit point: its -wal holds it; reads apply it, and the next write (or sqlite3 opening the file) copies it into the file' };
        }
        if (state.ourWal === 'uncommitted') return { status: 'ok', message: 'a ProntoDB write was stopped before its commit point: its -wal counts for nothing and the next write removes it' };
        if (state.walSidecars || state.journalPresent) return { status: 'ok', message: 'inert -wal/-shm left by a closed native connection (nothing to replay)' };
        return { status: 'ok', message: 'no native SQLite process and nothing left by one' };
      },
      fix: async () => {
        const state = inspectNativeState(file);
        if ((state.lockHolders?.length ?? 0) > 0 || state.lockHolders === null) return; // never while one may be running
        const result = spawnSync('sqlite3', [file, 'PRAGMA wal_checkpoint(TRUNCATE);'], { encoding: 'utf8' });
        if (result.status !== 0) throw new ProntoError('io', `sqlite3 could not checkpoint ${file}: ${result.stderr.trim()}`);
      },
    });
    checks.push({
      name: 'leftovers',
      run: async () => {
        const temps = abandonedTempFiles(file);
        const lock = inspectLockLeftovers(file);
        const found = [
          ...(temps.length ? [`${temps.length} temporary file(s) of an interrupted write`] : []),
          ...(lock.lock === 'dead' ? [`a lock left by ${lock.holder ?? 'a process'} that no longer exists`] : []),
          ...(lock.deadWaiters ? [`${lock.deadWaiters} waiting-lock folder(s) of processes that no longer exist`] : []),
        ];
        if (lock.lock === 'alive') return { status: 'ok', message: `a ProntoDB process is writing now (${lock.holder})` };
        if (found.length === 0) return { status: 'ok', message: 'nothing left by interrupted writers' };
        return { status: 'warn', message: found.join('; '), fix: 'remove them (under the lock; the next write would too)' };
      },
      fix: async () => {
        if (blocker()) return;
        const lock = await lockFile(file, { timeoutMs: 5000 });
        try {
          removeAbandonedTempFiles(file);
        } finally {
          await lock.release();
        }
      },
    });
  }

  checks.push({
    name: 'cursors',
    run: async () => {
      const dangling: string[] = [];
      for (const cursor of pronto.cursors.everyCursorFile()) {
        const cursorBackend = pronto.backends.find(cursor.location);
        if (cursorBackend && !(await cursorBackend.exists(cursor.location))) dangling.push(`${cursor.name} (user ${cursor.user}) -> ${displayLocation(cursor.location)}`);
      }
      if (dangling.length === 0) return { status: 'ok', message: 'every cursor points at an existing database' };
      return { status: 'warn', message: `cursors pointing at missing databases: ${dangling.join(', ')} (prontodb cursor delete NAME, or create the database)` };
    },
  });

  checks.push({
    name: 'legacy_cursors',
    run: async () => {
      const legacy = legacyCursorFiles(pronto);
      if (legacy.length === 0) return { status: 'ok', message: 'no cursor files in the legacy <data>/cursors folder' };
      return { status: 'warn', message: `${legacy.length} cursor file(s) in the legacy folder ${pronto.layout.dataDir}/cursors`, fix: 'move them into their databases\' folders (after a copy into the backup directory)' };
    },
    fix: async () => {
      await migrateDatabase(pronto, target, { backupDirectory: options.backupDirectory, now, schema: false });
    },
  });

  if (target.databaseName) {
    const name = target.databaseName;
    const maxAgeDays = options.backupMaxAgeDays ?? 7;
    checks.push({
      name: 'backups',
      run: async () => {
        const directory = pronto.backupDirectory(options.backupDirectory);
        const backups = (await listBackups(directory, { database: name })).filter((backup) => backup.kind === 'archive');
        if (backups.length === 0) return { status: 'warn', message: `no backup of '${name}' in ${directory} (prontodb backup)` };
        const newest = backups.reduce((best, backup) => (backup.modified > best.modified ? backup : best));
        const ageDays = (now.getTime() - newest.modified.getTime()) / 86_400_000;
        const message = `${backups.length} backup(s); newest ${newest.modified.toISOString()} (${Math.max(0, ageDays).toFixed(1)} days old)`;
        return ageDays > maxAgeDays ? { status: 'warn', message: `${message}, older than ${maxAgeDays} days (prontodb backup)` } : { status: 'ok', message };
      },
    });
  }

  const results: CheckResult[] = [];
  for (const check of checks) {
    let result = { name: check.name, ...(await check.run()) };
    if (options.fix && result.status !== 'ok' && check.fix && result.fix) {
      const why = check.name === 'native_sidecars' ? undefined : blocker();
      if (why) {
        result = { ...result, fixed: false, message: `${result.message}. Not fixed: ${why}` };
      } else {
        try {
          await check.fix();
          const after = await check.run();
          result = { name: check.name, ...after, fix: result.fix, fixed: after.status === 'ok' };
        } catch (error) {
          if (!isProntoError(error)) throw error;
          result = { ...result, fixed: false, fixError: error.message, message: `${result.message}. The fix failed: ${error.message}` };
        }
      }
    }
    results.push(result);
  }
  return { database: target.databaseName ?? null, location: displayLocation(file), status: worst(results.map((result) => result.status)), checks: results };
}

let sqlite3Present: boolean | undefined;
function sqlite3Available(): boolean {
  sqlite3Present ??= spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
  return sqlite3Present;
}

/** Lines for people: what `prontodb doctor` prints without --json. */
export function formatDoctor(report: DoctorReport): string[] {
  const mark: Record<CheckStatus, string> = { ok: 'ok   ', warn: 'warn ', error: 'ERROR' };
  const lines = [`${report.database ?? report.location}: ${report.status}`];
  for (const check of report.checks) {
    const fix = check.fixed === true ? ' [fixed]' : check.fixed === false ? ' [not fixed]' : check.fix && check.status !== 'ok' ? ` [--fix: ${check.fix}]` : '';
    lines.push(`  ${mark[check.status]} ${check.name.padEnd(15)} ${check.message}${fix}`);
  }
  return lines;
}
