/** Backups of named databases: backup (create, --list, --rotate, --restore) and restore. */
import * as path from 'node:path';
import { listBackups, rotateBackups } from '../../core/backup';
import { usageError } from '../../core/errors';
import { displayLocation } from '../../core/location';
import type { CommandContext, CommandSpec, ExitCode } from '../commandTable';
import { wholeNumber } from '../options';
import { selectionOf, status } from '../session';

/** --output, else the core's rule (PRONTODB_BACKUP_DIR, else the default). */
function backupDirectory(context: CommandContext): string {
  return context.pronto.backupDirectory(context.invocation.options.output);
}

/**
 * Backups archive named databases only (of the data directory, or of a server): a file picked by
 * path has no name to archive under. `server` is set for a server's database.
 */
function selectedDatabase(context: CommandContext): { name: string; server?: string } {
  const target = context.pronto.resolve(selectionOf(context));
  if (target.databaseName) return { name: target.databaseName };
  const name = context.pronto.backendFor(target.location).atServer?.(target.location).databaseName(target.location);
  if (name !== undefined) return { name, server: target.location };
  throw usageError(`${displayLocation(target.file)} is not a named database of the data directory or of a server; backups archive named databases`);
}

async function restore(context: CommandContext, archive: string): Promise<ExitCode> {
  // Only for the audit record: a restore does not depend on which database the selection names.
  let user: string | undefined;
  try {
    user = context.pronto.resolve(selectionOf(context)).user;
  } catch {
    user = undefined;
  }
  const result = await context.pronto.restoreDatabase(
    archive,
    { target: context.invocation.options.target, safetyDir: backupDirectory(context) },
    { user },
    selectionOf(context).databaseUrl,
  );
  if (result.safetyCopy) status(context, `Saved the replaced data to ${result.safetyCopy}`);
  status(context, `Restored ${path.basename(archive)} into database '${result.database}'`);
  return 0;
}

export const BACKUP_COMMANDS: CommandSpec[] = [
  {
    name: 'backup',
    group: 'Databases',
    bulk: true,
    forms: [
      {
        usage: 'backup [--output DIR]',
        async run(context) {
          const directory = backupDirectory(context);
          const { name: database, server } = selectedDatabase(context);
          const made = await context.pronto.backupDatabase(database, { outputDir: directory }, server);
          context.io.out(`${made.file}\n`);
          status(context, `Backed up database '${database}' (${made.size} bytes, ${made.files.length} files)`);
          return 0;
        },
      },
      {
        usage: 'backup --list [--output DIR]',
        async run(context) {
          const directory = backupDirectory(context);
          const backups = await listBackups(directory);
          context.io.out(backups.map((b) => `${b.file}\t${b.size}\t${b.modified.toISOString()}\n`).join(''));
          if (backups.length === 0) status(context, `No backup files found in ${directory}`);
          return 0;
        },
      },
      {
        usage: 'backup --rotate N [--output DIR]',
        async run(context) {
          const directory = backupDirectory(context);
          const database = selectedDatabase(context).name;
          const removed = await rotateBackups(directory, database, wholeNumber('--rotate', context.invocation.options.rotate!, { min: 1 }));
          for (const file of removed) status(context, `Removed ${file}`);
          return 0;
        },
      },
      {
        usage: 'backup --restore <archive> [--target NAME] [--output DIR]',
        note: 'same as restore <archive>',
        run: (context) => restore(context, context.invocation.options.restore!),
      },
    ],
    help: `Archive the selected database as DIR/prontodb_<db>_<YYYYMMDD>[_nNN].tar.gz (the Rust
CLI's layout). DIR defaults to $PRONTODB_BACKUP_DIR or ~/repos/zindex/cache/backup.
--list prints the archives in DIR with their size and time.
--rotate keeps the newest N archives of the database and deletes older ones.
A server database (--database-url) is archived the same way: a SQLite file in the archive.`,
  },
  {
    name: 'restore',
    group: 'Databases',
    bulk: true,
    forms: [{ usage: 'restore <archive> [--target NAME] [--output DIR]', run: (context, [archive]) => restore(context, archive!) }],
    help: `Validate the archive, keep a safety copy of the database it replaces (in DIR), then
replace it. --target restores under another database name. With --database-url (or
PRONTODB_DATABASE_URL) the target is that server's database, replaced in one transaction.`,
  },
];
