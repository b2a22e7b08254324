import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { type DoctorReport, runDoctor } from '../core/health/doctor';
import type { ResolvedTarget } from '../core/pronto';
import { describeTarget, targetOfRef } from './databaseTargets';
import type { DatabaseRef, DatabasesNode } from './databasesView';
import type { ProntoService } from './service';

/** Database rows of the Databases view carry a URI of this scheme, so they can be decorated. */
export const DATABASE_SCHEME = 'prontodb-database';

/**
 * Databases larger than this are not checked in the background: the checks run on the extension
 * host's thread (sql.js), and `integrity_check` and the counts read every page: about 2 s for
 * 100,000 keys (19 MB). **Run Health Check** still checks them.
 */
export const BACKGROUND_CHECK_LIMIT_BYTES = 8 * 1024 * 1024;
/** A database is checked again only when its files changed, and not more often than this. */
const RECHECK_AFTER_MS = 30_000;
/** Bursts of refreshes (an agent writing 100 keys) become one sweep. */
const SWEEP_DELAY_MS = 2000;

export function databaseUri(ref: DatabaseRef): vscode.Uri {
  return vscode.Uri.from({ scheme: DATABASE_SCHEME, path: `/${ref.database.replace(/\//g, '\u2215')}`, query: ref.file ? new URLSearchParams({ file: ref.file }).toString() : '' });
}

interface Checked {
  /** Size and modification time of the file and its -wal: unchanged files are not checked again. */
  signature: string;
  at: number;
  report?: DoctorReport;
  /** Why it was not checked (too large). */
  skipped?: string;
}

/** What a database's files look like now; undefined when it has no file (a URL, or not created). */
function signatureOf(file: string): { signature: string; size: number } | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return undefined;
  const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
  return { signature: `${stat.size}:${stat.mtimeMs}:${wal ? `${wal.size}:${wal.mtimeMs}` : '-'}`, size: stat.size };
}

/**
 * A red "!" on databases of the Databases view whose health check finds an error (a file that is
 * not SQLite, a failed integrity_check, a -wal a crashed native writer left, ...), with the errors
 * as its tooltip. The checks run in the background while the view is visible, after it refreshes,
 * at a low rate: only databases whose files changed are checked again, at most every 30 s each,
 * and large ones are skipped (BACKGROUND_CHECK_LIMIT_BYTES). Warnings (no backup, a migration
 * available) are not marked: **Run Health Check** reports them.
 */
export class DatabaseHealthDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly checked = new Map<string, Checked>();
  private readonly subscriptions: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly service: ProntoService,
    private readonly view: vscode.TreeView<DatabasesNode>,
    tree: vscode.TreeDataProvider<DatabasesNode>,
  ) {
    this.subscriptions = [
      this.changed,
      vscode.window.registerFileDecorationProvider(this),
      view.onDidChangeVisibility(({ visible }) => {
        if (visible) this.schedule();
      }),
      ...(tree.onDidChangeTreeData ? [tree.onDidChangeTreeData(() => this.schedule())] : []),
      // Another data directory: other databases.
      service.onDidChangeTarget(() => this.schedule()),
    ];
    if (view.visible) this.schedule();
  }

  private keyOf(target: ResolvedTarget): string {
    return this.service.pronto.canonicalLocation(target.location);
  }

  /** The same key for a row's reference (no resolution: decorations are asked for on every render). */
  private keyOfRef(ref: DatabaseRef): string {
    return this.service.fileOf(ref);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DATABASE_SCHEME) return undefined;
    const report = this.reportOf(uri);
    if (report?.status !== 'error') return undefined;
    const errors = report.checks.filter((check) => check.status === 'error');
    return {
      badge: '!',
      color: new vscode.ThemeColor('list.errorForeground'),
      tooltip: `Health check: ${errors.map((check) => `${check.name}: ${check.message}`).join('; ')} (ProntoDB: Run Health Check)`,
      propagate: false,
    };
  }

  /** The last report of the database a decorated URI stands for (none yet, or not checked). */
  reportOf(uri: vscode.Uri): DoctorReport | undefined {
    const file = new URLSearchParams(uri.query).get('file') ?? undefined;
    const ref = { database: uri.path.slice(1).replace(/\u2215/g, '/'), file };
    try {
      return this.checked.get(this.keyOfRef(ref))?.report;
    } catch {
      return undefined;
    }
  }

  /** A report made elsewhere (Run Health Check, a fix, a migration) replaces the background one. */
  record(target: ResolvedTarget, report: DoctorReport): void {
    const found = signatureOf(target.location);
    this.checked.set(this.keyOf(target), { signature: found?.signature ?? '', at: Date.now(), report });
    this.changed.fire(undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sweep(), SWEEP_DELAY_MS);
  }

  /** Checks every database whose files changed since its last check (one sweep at a time). */
  sweep(): Promise<void> {
    this.sweeping ??= this.checkChanged().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private refs(): DatabaseRef[] {
    const refs: DatabaseRef[] = this.service.pronto.listDatabases().map((db) => ({ database: db.name }));
    try {
      const target = this.service.target();
      const known = refs.some((ref) => this.keyOfRef(ref) === this.keyOf(target));
      if (!known) refs.push({ database: target.databaseName ?? target.cursor?.name ?? 'database', file: target.location });
    } catch {
      // No active database (a malformed .prontodb): the view says so.
    }
    return refs;
  }

  private async checkChanged(): Promise<void> {
    if (!this.view.visible) return;
    let changed = false;
    for (const ref of this.refs()) {
      if (this.disposed) return;
      const target = targetOfRef(this.service, ref);
      const found = signatureOf(target.location);
      if (!found) continue;
      const key = this.keyOf(target);
      const previous = this.checked.get(key);
      if (previous && (previous.signature === found.signature || Date.now() - previous.at < RECHECK_AFTER_MS)) continue;
      if (found.size > BACKGROUND_CHECK_LIMIT_BYTES) {
        if (!previous?.skipped) this.service.log.info(`Health: ${describeTarget(target)} (${(found.size / 1024 / 1024).toFixed(0)} MiB) is not checked in the background; run "ProntoDB: Run Health Check" to check it`);
        this.checked.set(key, { signature: found.signature, at: Date.now(), skipped: 'too large' });
        continue;
      }
      try {
        const report = await runDoctor(this.service.pronto, target, { backupDirectory: this.service.backupDirectory() });
        if (report.status === 'error' && previous?.report?.status !== 'error') this.service.log.warn(`Health: ${describeTarget(target)} has errors: ${report.checks.filter((check) => check.status === 'error').map((check) => check.message).join('; ')}`);
        this.checked.set(key, { signature: found.signature, at: Date.now(), report });
      } catch (error) {
        // A check that failed is not a finding: say so in the log, try again when the file changes.
        this.service.log.warn(`Health: could not check ${describeTarget(target)}: ${(error as Error).message}`);
        this.checked.set(key, { signature: found.signature, at: Date.now() });
      }
      if ((previous?.report?.status === 'error') !== (this.checked.get(key)?.report?.status === 'error')) changed = true;
    }
    // Every row: the view's URI of a database outside the data directory is its own to make.
    if (changed) this.changed.fire(undefined);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
