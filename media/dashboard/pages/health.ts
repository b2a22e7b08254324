/**
 * Health: doctor's checks with what each fix would do. The protocol's fix is doctor --fix, which
 * applies every safe fix at once, so each Fix button says so and asks first. Migration: a dry run
 * shows the steps and rows it would change before anything is written.
 */
import type { CheckResult } from '../../../src/core/health/doctor';
import type { DoctorResult, MigrateResultBody } from '../../../src/core/dashboard/protocol';
import { emptyNote } from '../chart';
import { type Page, type PageContext, errorBox } from '../context';
import { busy, button, clear, confirmDialog, h, icon, toast } from '../dom';
import { formatCount } from '../format';

const STATUS_ICON: Record<CheckResult['status'], string> = { ok: 'pass', warn: 'warning', error: 'error' };

function checkRow(check: CheckResult, fix: ((check: CheckResult) => void) | undefined): HTMLElement {
  return h(
    'li',
    { class: `check check-${check.status}`, attrs: { 'data-check': check.name } },
    icon(STATUS_ICON[check.status], check.status),
    h(
      'div',
      { class: 'check-text' },
      h('strong', null, check.name.replace(/_/g, ' ')),
      h('p', null, check.message),
      check.fix ? h('p', { class: 'muted' }, check.fixed === undefined ? `Fix: ${check.fix}` : check.fixed ? `Fixed: ${check.fix}` : `The fix did not help: ${check.fix}`) : null,
    ),
    fix && check.fix && check.status !== 'ok' && check.fixed === undefined ? button('Fix…', () => fix(check), { icon: 'wrench' }) : null,
  );
}

function migrationSummary(result: MigrateResultBody): HTMLElement {
  const list = h('ul', { class: 'steps' });
  if (result.schema) {
    for (const step of result.schema.steps) list.appendChild(h('li', null, h('strong', null, `v${step.version} ${step.name}`), `: ${step.description}`, ` (${formatCount(step.rowsChanged)} row${step.rowsChanged === 1 ? '' : 's'} ${result.dryRun ? 'to change' : 'changed'})`));
  }
  for (const moved of result.cursorsMoved) list.appendChild(h('li', null, `${result.dryRun ? 'Move' : 'Moved'} legacy cursor ${moved}`));
  const head = result.schema
    ? result.schema.from === result.schema.to
      ? `Schema version ${result.schema.to} is the latest.`
      : `Schema version ${result.schema.from} → ${result.schema.to}${result.dryRun ? ' (dry run: nothing changed)' : ''}.`
    : 'The schema is not migrated here.';
  return h(
    'div',
    { class: 'migration-result' },
    h('p', null, head),
    list.childElementCount ? list : h('p', { class: 'muted' }, 'Nothing to do.'),
    result.safetyBackup ? h('p', { class: 'muted' }, `Safety backup: ${result.safetyBackup}`) : null,
    result.cursorsBackup ? h('p', { class: 'muted' }, `Cursor files copied to: ${result.cursorsBackup}`) : null,
  );
}

export function healthPage(ctx: PageContext): Page {
  const database = ctx.state.database!;
  const writable = !ctx.hello.readOnly;
  const checksHolder = h('div');
  const migrationHolder = h('div');
  const element = h(
    'section',
    { class: 'page health', attrs: { 'aria-labelledby': 'page-title' } },
    h('h1', { attrs: { id: 'page-title' } }, 'Health'),
    h('section', { class: 'card' }, h('h2', null, 'Checks'), checksHolder),
    h('section', { class: 'card' }, h('h2', null, 'Migration'), migrationHolder),
  );
  let fixOutcome: DoctorResult | undefined;
  let preview: MigrateResultBody | undefined;
  /** The migration this page ran, shown until the page is left (where its safety backup went). */
  let applied: MigrateResultBody | undefined;

  const fix = async (check: CheckResult, report: DoctorResult): Promise<void> => {
    const fixes = report.checks.filter((each) => each.fix && each.status !== 'ok');
    const ok = await confirmDialog({
      title: `Fix ${check.name.replace(/_/g, ' ')}?`,
      message: h('div', null, h('p', null, 'This runs doctor --fix, which applies every safe fix it found, not only this one:'), h('ul', null, ...fixes.map((each) => h('li', null, h('strong', null, each.name.replace(/_/g, ' ')), `: ${each.fix!}`)))),
      confirm: fixes.length > 1 ? `Apply ${fixes.length} fixes` : 'Apply the fix',
    });
    if (!ok) return;
    try {
      fixOutcome = await ctx.request({ type: 'doctor', database, fix: true });
      const fixed = fixOutcome.checks.filter((each) => each.fixed).length;
      toast(`${fixed} fix${fixed === 1 ? '' : 'es'} applied`);
      renderChecks(fixOutcome);
    } catch (error) {
      ctx.showError(error, 'Fixing');
    }
  };

  const renderChecks = (report: DoctorResult): void => {
    clear(checksHolder);
    const counts = { error: 0, warn: 0, ok: 0 };
    for (const check of report.checks) counts[check.status]++;
    checksHolder.appendChild(
      h(
        'p',
        { class: `summary summary-${report.status}` },
        icon(STATUS_ICON[report.status]),
        ` ${report.status === 'ok' ? 'Healthy' : report.status === 'warn' ? 'Warnings' : 'Errors'}: ${counts.ok} ok, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.error} error${counts.error === 1 ? '' : 's'}`,
      ),
    );
    const order = { error: 0, warn: 1, ok: 2 };
    const checks = [...report.checks].sort((a, b) => order[a.status] - order[b.status]);
    checksHolder.appendChild(h('ul', { class: 'checks' }, ...checks.map((check) => checkRow(check, writable ? (c) => void fix(c, report) : undefined))));
    renderMigration(report);
  };

  const renderMigration = (report: DoctorResult): void => {
    clear(migrationHolder);
    if (applied) migrationHolder.appendChild(migrationSummary(applied));
    const pending = report.checks.filter((check) => (check.name === 'migration' || check.name === 'legacy_cursors' || check.name === 'duplicates') && check.status !== 'ok');
    if (!pending.length) {
      migrationHolder.appendChild(emptyNote('Nothing to migrate: the schema is the latest and no legacy cursor files are left.', 'pass'));
      return;
    }
    for (const check of pending) migrationHolder.appendChild(h('p', null, icon(STATUS_ICON[check.status]), ` ${check.message}`));
    if (!writable) {
      migrationHolder.appendChild(h('p', { class: 'muted' }, 'This dashboard is read-only: migrate with prontodb migrate.'));
      return;
    }
    if (preview) migrationHolder.appendChild(migrationSummary(preview));
    const dryRun = button('Preview (dry run)', () => void busy(dryRun, async () => {
      try {
        preview = await ctx.request({ type: 'migrate', database, dryRun: true });
        renderMigration(report);
      } catch (error) {
        ctx.showError(error, 'Previewing the migration');
      }
    }), { icon: 'eye' });
    const run = button('Migrate…', () => void migrate(), { icon: 'arrow-up', kind: 'primary', disabled: !preview || !preview.dryRun });
    migrationHolder.appendChild(h('div', { class: 'detail-buttons' }, dryRun, run));
  };

  const migrate = async (): Promise<void> => {
    const ok = await confirmDialog({
      title: 'Migrate this database?',
      message: h('div', null, preview ? migrationSummary(preview) : null, h('p', null, 'A safety backup is taken first. The Rust CLI keeps working with the migrated file.')),
      confirm: 'Migrate',
    });
    if (!ok) return;
    try {
      applied = await ctx.request({ type: 'migrate', database });
      toast('Migrated');
      await refresh();
    } catch (error) {
      ctx.showError(error, 'Migrating');
    }
  };

  const refresh = async (): Promise<void> => {
    // The database changed (or this is the first load): an earlier dry run may no longer hold.
    preview = undefined;
    try {
      const report = await ctx.request({ type: 'doctor', database });
      // Right after a fix, keep showing what it did until the next change.
      renderChecks(fixOutcome && fixOutcome.checks.some((c) => c.fixed !== undefined) ? mergeFixes(report, fixOutcome) : report);
      fixOutcome = undefined;
    } catch (error) {
      clear(checksHolder);
      clear(migrationHolder);
      checksHolder.appendChild(errorBox(error, 'Running the health checks', () => void refresh()));
    }
  };
  return { element, refresh, concerns: (ref) => ref === database, dispose: () => undefined };
}

/** The fresh report, with the outcome of the fixes just applied noted on the checks they touched. */
function mergeFixes(report: DoctorResult, fixed: DoctorResult): DoctorResult {
  const outcome = new Map(fixed.checks.filter((c) => c.fixed !== undefined).map((c) => [c.name, c]));
  return { ...report, checks: report.checks.map((check) => (outcome.has(check.name) && check.status === 'ok' ? { ...check, fix: outcome.get(check.name)!.fix, fixed: outcome.get(check.name)!.fixed } : check)) };
}
