import * as path from 'node:path';
import * as vscode from 'vscode';
import { withActor } from '../../core/audit';
import { ProntoError } from '../../core/errors';
import { type CheckResult, type DoctorReport, formatDoctor, runDoctor } from '../../core/health/doctor';
import { migrateDatabase, type MigrateResult } from '../../core/health/migrate';
import type { ResolvedTarget } from '../../core/pronto';
import type { ActiveDatabaseStatus } from '../activeStatus';
import { describeTarget, targetOfNode } from '../databaseTargets';
import { type DatabasesNode, type DatabasesTreeProvider, formatSize } from '../databasesView';
import type { DatabaseHealthDecorations } from '../healthDecorations';
import type { ProntoService } from '../service';
import { registerCommand, withProgress } from './ui';

/** What the health commands refresh after they changed or checked a database. */
export interface HealthViews {
  status: ActiveDatabaseStatus;
  decorations: DatabaseHealthDecorations;
  tree: DatabasesTreeProvider;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One log line per check, at the level of its status, as `prontodb doctor` prints them. */
function logReport(service: ProntoService, report: DoctorReport): void {
  const [heading, ...lines] = formatDoctor(report);
  service.log.info(`Health check: ${heading}`);
  report.checks.forEach((check, index) => {
    const line = lines[index]!;
    if (check.status === 'error') service.log.error(line);
    else if (check.status === 'warn') service.log.warn(line);
    else service.log.info(line);
  });
}

/** "2 warnings (duplicates, migration)", "1 error (schema)". */
function describeFindings(checks: CheckResult[]): string {
  const of = (status: CheckResult['status']) => checks.filter((check) => check.status === status).map((check) => check.name);
  const errors = of('error');
  const warnings = of('warn');
  const parts = [errors.length ? `${plural(errors.length, 'error')} (${errors.join(', ')})` : '', warnings.length ? `${plural(warnings.length, 'warning')} (${warnings.join(', ')})` : ''];
  return parts.filter(Boolean).join(', ') || 'all checks ok';
}

/** Checks that failed and have a safe fix (doctor --fix would apply them). */
function fixable(report: DoctorReport): CheckResult[] {
  return report.checks.filter((check) => check.status !== 'ok' && check.fix && check.fixed === undefined);
}

function notify(status: DoctorReport['status'], message: string, ...items: string[]): Thenable<string | undefined> {
  if (status === 'error') return vscode.window.showErrorMessage(message, ...items);
  if (status === 'warn') return vscode.window.showWarningMessage(message, ...items);
  return vscode.window.showInformationMessage(message, ...items);
}

/**
 * Run Health Check, Migrate Database and Compact Database, on the clicked database or the active
 * one: the engine's `doctor`, `migrate` and `compact` with progress, the findings in the log (one
 * line per check, as `prontodb doctor` prints them) and a summary notification.
 */
export function registerHealthCommands(service: ProntoService, views: HealthViews): vscode.Disposable[] {
  const backupDirectory = () => service.backupDirectory();

  /** After a database changed under the engine's hands (a fix, a migration, a compaction). */
  const changed = () => {
    views.tree.refresh();
    void views.status.refresh();
  };

  const applyFixes = async (target: ResolvedTarget, report: DoctorReport): Promise<DoctorReport> => {
    const name = describeTarget(target);
    const fixes = fixable(report);
    const detail = `${fixes.map((check) => `• ${check.name}: ${check.fix}`).join('\n')}\n\nFixes that rewrite data go through ordinary durable commits; a migration takes a safety backup first.`;
    const go = await vscode.window.showWarningMessage(`Apply ${fixes.length === 1 ? 'a fix' : `${fixes.length} fixes`} to ${name}?`, { modal: true, detail }, 'Fix');
    if (go !== 'Fix') return report;
    const fixed = await withProgress(`Fixing ${name}`, () => runDoctor(service.pronto, target, { fix: true, backupDirectory: backupDirectory() }));
    logReport(service, fixed);
    views.decorations.record(target, fixed);
    changed();
    const done = fixed.checks.filter((check) => check.fixed === true).map((check) => check.name);
    const failed = fixed.checks.filter((check) => check.fixed === false).map((check) => check.name);
    const summary = [
      done.length ? `fixed ${done.join(', ')}` : 'nothing fixed',
      failed.length ? `not fixed: ${failed.join(', ')} (see the log)` : '',
      fixed.status === 'ok' ? 'all checks ok now' : `still ${describeFindings(fixed.checks)}`,
    ].filter(Boolean);
    void notify(fixed.status, `ProntoDB: ${name}: ${summary.join('; ')}`, 'Open Log').then((choice) => {
      if (choice) service.log.show();
    });
    return fixed;
  };

  return [
    registerCommand(service, 'prontodb.healthCheck', async (node?: DatabasesNode) => {
      const target = targetOfNode(service, node);
      const name = describeTarget(target);
      const report = await withProgress(`Checking ${name}`, () => runDoctor(service.pronto, target, { backupDirectory: backupDirectory() }));
      logReport(service, report);
      views.decorations.record(target, report);
      const fixes = fixable(report);
      const choice = await notify(report.status, `ProntoDB: health check of ${name}: ${describeFindings(report.checks)}.`, ...(fixes.length ? ['Fix…'] : []), 'Open Log');
      if (choice === 'Open Log') service.log.show();
      if (choice === 'Fix…') return applyFixes(target, report);
      return report;
    }),

    registerCommand(service, 'prontodb.migrateDatabase', async (node?: DatabasesNode): Promise<MigrateResult | undefined> => {
      const target = targetOfNode(service, node);
      const name = describeTarget(target);
      const plan = await migrateDatabase(service.pronto, target, { dryRun: true, backupDirectory: backupDirectory() });
      const steps = plan.schema?.steps ?? [];
      if (steps.length === 0 && plan.cursorsMoved.length === 0) {
        const where = plan.schema ? `it is at schema version ${plan.schema.to}, the latest` : 'it does not exist yet';
        void vscode.window.showInformationMessage(`ProntoDB: nothing to migrate in ${name}: ${where}.`);
        return plan;
      }
      const changes = [
        ...steps.map((step) => `• ${step.version} ${step.name}: ${step.description}${step.rowsChanged ? ` (${plural(step.rowsChanged, 'row')})` : ''}`),
        ...plan.cursorsMoved.map((line) => `• cursor ${line}`),
      ];
      const safety = [
        steps.length ? `A safety backup is taken first (into ${backupDirectory()}; Restore Backup puts it back). The Rust CLI keeps reading and writing the file.` : '',
        plan.cursorsMoved.length ? 'Legacy cursor files are copied into the backup directory first.' : '',
      ];
      const detail = `${changes.join('\n')}\n\n${safety.filter(Boolean).join(' ')}`;
      const question = plan.schema && steps.length ? `Migrate ${name} from schema version ${plan.schema.from} to ${plan.schema.to}?` : `Move ${plural(plan.cursorsMoved.length, 'legacy cursor file')}?`;
      if ((await vscode.window.showWarningMessage(question, { modal: true, detail }, 'Migrate')) !== 'Migrate') return undefined;
      const result = await withProgress(`Migrating ${name}`, () => migrateDatabase(service.pronto, target, { backupDirectory: backupDirectory() }));
      if (result.safetyBackup) service.log.info(`Migrate ${name}: safety backup ${result.safetyBackup}`);
      for (const step of result.schema?.steps ?? []) service.log.info(`Migrate ${name}: applied ${step.version} ${step.name}: ${step.description} (${plural(step.rowsChanged, 'row')})`);
      for (const line of result.cursorsMoved) service.log.info(`Migrate ${name}: moved cursor ${line}`);
      if (result.cursorsBackup) service.log.info(`Migrate ${name}: legacy cursor files copied to ${result.cursorsBackup}`);
      // The file changed: what the background check last said of it is out of date.
      views.decorations.record(target, await runDoctor(service.pronto, target, { backupDirectory: backupDirectory() }));
      changed();
      const applied = result.schema?.steps.length ?? 0;
      const parts = [
        applied ? `migrated ${name} to schema version ${result.schema!.to}` : '',
        result.cursorsMoved.length ? `moved ${plural(result.cursorsMoved.length, 'cursor file')}` : '',
        result.safetyBackup ? `safety backup ${path.basename(result.safetyBackup)}` : '',
      ].filter(Boolean);
      void vscode.window.showInformationMessage(`ProntoDB: ${parts.join('; ')}`, 'Open Log').then((choice) => {
        if (choice) service.log.show();
      });
      return result;
    }),

    registerCommand(service, 'prontodb.compactDatabase', async (node?: DatabasesNode) => {
      const target = targetOfNode(service, node);
      const name = describeTarget(target);
      const backend = service.pronto.backendFor(target.location, target.source);
      if (!(await backend.exists(target.location))) throw new ProntoError('not-found', `${name} does not exist yet: nothing to compact`);
      const store = await service.pronto.store(target.location);
      // A write like any other: the audit log records who compacted.
      const { before, after } = await withProgress(`Compacting ${name}`, () => withActor(service.pronto.actorFor(target), () => store.compact()));
      service.log.info(`Compacted ${name}: ${before} -> ${after} bytes`);
      changed();
      void vscode.window.showInformationMessage(`ProntoDB: compacted ${name}: ${formatSize(before)} → ${formatSize(after)}`);
      return { before, after };
    }),
  ];
}
