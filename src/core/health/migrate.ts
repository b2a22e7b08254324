/**
 * `prontodb migrate`: brings one database to the latest schema version (migrations.ts) after a
 * safety backup, and moves cursor files out of the Rust CLI's legacy `<data>/cursors` folder into
 * their databases' folders (after copying them into the backup directory). Idempotent: a second run
 * finds nothing to do. `dryRun` only says what would change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../atomicFile';
import { withActor } from '../audit';
import { utcDate } from '../backup/naming';
import type { Cursor } from '../cursors';
import { ProntoError } from '../errors';
import { displayLocation, locationStem } from '../location';
import type { MigrationReport } from '../migrations';
import { inspectNativeState, nativeWriteBlocker } from '../nativeSqlite';
import type { ProntoDB, ResolvedTarget } from '../pronto';

export interface MigrateOptions {
  dryRun?: boolean;
  backupDirectory?: string;
  now?: Date;
  /** Migrate the database's schema (default true). */
  schema?: boolean;
  /** Move legacy cursor files (default true). */
  cursors?: boolean;
}

export interface MigrateResult {
  database: string | null;
  location: string;
  schema: MigrationReport | null;
  /** The safety backup taken before the schema changed. */
  safetyBackup: string | null;
  /** Legacy cursor files moved (or, dry run, to move): `name (user) -> new file`. */
  cursorsMoved: string[];
  /** Where the legacy cursor files were copied first. */
  cursorsBackup: string | null;
  dryRun: boolean;
}

/** Cursor files in the legacy `<data>/cursors` folder (the Rust CLI's first layout, read last). */
export function legacyCursorFiles(pronto: ProntoDB): Cursor[] {
  const legacy = path.join(pronto.layout.dataDir, 'cursors');
  return pronto.cursors.everyCursorFile().filter((cursor) => path.dirname(cursor.file) === legacy);
}

function stamp(now: Date): string {
  return `${utcDate(now)}-${now.toISOString().slice(11, 19).replace(/:/g, '')}`;
}

export function migrateDatabase(pronto: ProntoDB, target: ResolvedTarget, options: MigrateOptions = {}): Promise<MigrateResult> {
  return withActor(pronto.actorFor(target), () => migrate(pronto, target, options));
}

async function migrate(pronto: ProntoDB, target: ResolvedTarget, options: MigrateOptions): Promise<MigrateResult> {
  const now = options.now ?? new Date();
  const dryRun = options.dryRun === true;
  const backend = pronto.backends.forLocation(target.location, target.source);
  const result: MigrateResult = {
    database: target.databaseName ?? null,
    location: displayLocation(target.location),
    schema: null,
    safetyBackup: null,
    cursorsMoved: [],
    cursorsBackup: null,
    dryRun,
  };
  const backupDirectory = pronto.backupDirectory(options.backupDirectory);

  if (options.schema !== false && (await backend.exists(target.location))) {
    const store = await pronto.store(target.location);
    const plan = await store.migrate({ dryRun: true });
    result.schema = plan;
    if (!dryRun && plan.steps.length > 0) {
      if (backend.scheme === 'file') {
        const why = nativeWriteBlocker(target.location, inspectNativeState(target.location));
        if (why) throw new ProntoError('wal-pending', `Not migrated: ${why}`);
      }
      result.safetyBackup = await safetyBackup(pronto, target, backupDirectory, now);
      result.schema = await store.migrate();
    }
  }

  if (options.cursors !== false) {
    const legacy = legacyCursorFiles(pronto);
    if (legacy.length > 0 && !dryRun) {
      const copies = path.join(backupDirectory, `prontodb_legacy-cursors_${stamp(now)}`);
      fs.mkdirSync(copies, { recursive: true });
      for (const cursor of legacy) fs.copyFileSync(cursor.file, path.join(copies, path.basename(cursor.file)));
      result.cursorsBackup = copies;
    }
    for (const cursor of legacy) {
      const winner = pronto.cursors.find(cursor.name, cursor.user);
      if (winner && winner.file !== cursor.file) {
        // A copy in a database's folder is the one every lookup uses: the legacy file is dead weight.
        result.cursorsMoved.push(`${cursor.name} (user ${cursor.user}): shadowed by ${winner.file}, removed`);
        if (!dryRun) fs.rmSync(cursor.file, { force: true });
        continue;
      }
      if (dryRun) {
        result.cursorsMoved.push(`${cursor.name} (user ${cursor.user}) -> the folder of ${displayLocation(cursor.location)}`);
        continue;
      }
      // Writing the cursor files it in its database's folder and removes the other copies (the legacy one).
      const moved = await pronto.cursors.set(
        cursor.name,
        cursor.user,
        { location: cursor.location },
        { metaContext: cursor.metaContext, defaultProject: cursor.defaultProject, defaultNamespace: cursor.defaultNamespace },
        cursor.createdAt ? new Date(cursor.createdAt) : now,
      );
      result.cursorsMoved.push(`${cursor.name} (user ${cursor.user}) -> ${moved.file}`);
    }
  }
  return result;
}

/** A named database: an ordinary backup archive (restorable with `prontodb restore`); a file elsewhere: a copy. */
async function safetyBackup(pronto: ProntoDB, target: ResolvedTarget, directory: string, now: Date): Promise<string> {
  if (target.databaseName) return (await pronto.backupDatabase(target.databaseName, { outputDir: directory, now })).file;
  const copy = path.join(directory, `${locationStem(target.location) || 'database'}.pre-migrate-${stamp(now)}.prdb`);
  fs.mkdirSync(directory, { recursive: true });
  await writeFileAtomically(copy, fs.readFileSync(target.location));
  return copy;
}
