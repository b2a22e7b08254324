/** Health of a database: status, doctor, migrate. */
import { prometheusText } from '../../core/dashboard/metrics';
import { doctorExitCode, formatDoctor, runDoctor } from '../../core/health/doctor';
import { migrateDatabase } from '../../core/health/migrate';
import { databaseStatus, formatStatus } from '../../core/health/status';
import type { ResolvedTarget } from '../../core/pronto';
import type { CommandContext, CommandSpec } from '../commandTable';
import { selectionOf, status } from '../session';

/** The databases a health command looks at: the resolved one, or with --all every named database. */
function targets(context: CommandContext): ResolvedTarget[] {
  const { pronto, invocation } = context;
  if (!invocation.options.all) {
    const target = pronto.resolve(selectionOf(context));
    if (target.notice && !invocation.options.quiet) context.io.err(`warning: ${target.notice}`);
    return [target];
  }
  const user = invocation.options.user;
  return pronto.listDatabases().map((db) => pronto.resolve({ database: db.name, user }));
}

function json(context: CommandContext, value: unknown): void {
  context.io.out(`${JSON.stringify(value, null, 2)}\n`);
}

export const HEALTH_COMMANDS: CommandSpec[] = [
  {
    name: 'status',
    group: 'Health',
    forms: [
      {
        usage: 'status [--json] [--prometheus] [--all]',
        async run(context) {
          const all = context.invocation.options.all === true;
          const reports = [];
          for (const target of targets(context)) reports.push(await databaseStatus(context.pronto, target));
          if (context.invocation.options.prometheus) {
            const list = targets(context);
            const databases = await Promise.all(
              reports.map(async (report, index) => ({ status: report, health: report.exists ? (await runDoctor(context.pronto, list[index]!)).status : null })),
            );
            context.io.out(prometheusText(databases));
            return 0;
          }
          if (context.invocation.options.json) json(context, all ? reports : reports[0]);
          else context.io.out(reports.map((report) => `${formatStatus(report).join('\n')}\n`).join('\n'));
          return 0;
        },
      },
    ],
    help: `What the active database (or, with --all, every named database) holds and how it is: location
and backend, size and free pages, keys, projects, namespaces, TTL namespaces, expired values not
purged yet, oldest and newest write, schema version (and whether a migration is available),
backups, and what chose the database. --json prints the documented, stable JSON (README,
"Health checks"); with --all, an array. --prometheus prints the same figures (and doctor's
verdict) as Prometheus gauges, the ones 'prontodb ui' serves at /metrics. Nothing is created
or changed.`,
  },
  {
    name: 'doctor',
    group: 'Health',
    forms: [
      {
        usage: 'doctor [--fix] [--json] [--all]',
        async run(context) {
          const { fix, all } = context.invocation.options;
          const reports = [];
          for (const target of targets(context)) reports.push(await runDoctor(context.pronto, target, { fix }));
          if (context.invocation.options.json) json(context, all ? reports : reports[0]);
          else context.io.out(reports.map((report) => `${formatDoctor(report).join('\n')}\n`).join(''));
          const codes = reports.map(doctorExitCode);
          return codes.includes(1) ? 1 : codes.includes(4) ? 4 : 0;
        },
      },
    ],
    help: `Check the database: integrity, schema, duplicate rows (Rust CLI), native SQLite sidecars
(-wal/-shm/-journal), leftovers of interrupted writers, expired values, free space, schema
migration, cursors pointing at missing databases, legacy cursor files, and backups (missing or
older than 7 days). Each check is ok, warn or error with a message. --fix applies the safe fixes
(never while a native SQLite process uses the file) and checks again. Exit 0 when all are ok,
1 on any error or when a fix failed (e.g. read-only: the reason is printed beside the check), 4 on
warnings only.`,
  },
  {
    name: 'migrate',
    group: 'Health',
    forms: [
      {
        usage: 'migrate [--dry-run] [--json]',
        async run(context) {
          const dryRun = context.invocation.options['dry-run'] === true;
          const [target] = targets(context);
          const result = await migrateDatabase(context.pronto, target!, { dryRun });
          if (context.invocation.options.json) {
            json(context, result);
            return 0;
          }
          const steps = result.schema?.steps ?? [];
          const verb = dryRun ? 'would apply' : 'applied';
          if (result.safetyBackup) status(context, `Safety backup: ${result.safetyBackup}`);
          for (const step of steps) context.io.out(`${dryRun ? 'pending' : 'applied'}: ${step.version} ${step.name}: ${step.description}${step.rowsChanged ? ` (${step.rowsChanged} rows)` : ''}\n`);
          for (const line of result.cursorsMoved) context.io.out(`${dryRun ? 'pending' : 'moved'}: cursor ${line}\n`);
          if (result.cursorsBackup) status(context, `Legacy cursor files copied to ${result.cursorsBackup}`);
          if (steps.length === 0 && result.cursorsMoved.length === 0) status(context, `Nothing to migrate: ${result.database ?? result.location} is at schema version ${result.schema?.to ?? '-'}`);
          else status(context, `Migration ${verb} ${steps.length} schema step(s) and ${result.cursorsMoved.length} cursor file(s)${result.schema ? `; schema version ${result.schema.from} -> ${result.schema.to}` : ''}`);
          return 0;
        },
      },
    ],
    help: `Bring the database to the latest schema version: collapse duplicate rows of one address
(left by the Rust CLI) to the newest, and add a unique index on the address so that no program,
the Rust CLI included, can add duplicates again. A safety backup is taken first (an ordinary
backup archive). Also moves cursor files out of the legacy <data>/cursors folder into their
databases' folders (copied into the backup directory first). The schema version is kept in
PRAGMA user_version, which the Rust CLI ignores; it keeps reading and writing the file.
Opening a database never migrates it. --dry-run says what would change.`,
  },
];
