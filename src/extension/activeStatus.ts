import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { type DatabaseStatus, databaseStatus } from '../core/health/status';
import type { ProntoService } from './service';

/** After activation: the status is not worth delaying the editor's start (it loads the engine and reads the file). */
const FIRST_DELAY_MS = 1500;
/** Writes in a burst become one recount (the counts read the whole table). */
const AFTER_WRITE_DELAY_MS = 1000;
/**
 * The counts run on the extension host's thread (sql.js) and read every row: about 1 s for 100,000
 * keys (19 MB). After a write, the next recount waits this many times what the last one took.
 */
const RECOUNT_SPACING = 20;
/** Beyond this the database is not counted at all (the tooltip says so; `prontodb status` counts it). */
export const STATUS_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

export interface ActiveStatusSnapshot {
  /** The canonical location the status is of. */
  location: string;
  status?: DatabaseStatus;
  /** Set instead of `status` for a file too large to count (STATUS_SIZE_LIMIT_BYTES). */
  largeBytes?: number;
  /** Why there is no status (a file that is not SQLite, a malformed .prontodb, ...). */
  error?: string;
}

/**
 * The status (`prontodb status`) of the active database, for the status bar's tooltip: computed
 * off the activation path, again when the target changes or its data does (debounced), one run at
 * a time. When the database has a schema migration available, says so once per database per
 * session, with a button that runs **Migrate Database** (which asks first): it never migrates by
 * itself.
 */
export class ActiveDatabaseStatus implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private snapshot: ActiveStatusSnapshot | undefined;
  private readonly subscriptions: vscode.Disposable[];
  private readonly offeredMigration = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  /** How long the last count took, in milliseconds. */
  private lastDurationMs = 0;

  constructor(private readonly service: ProntoService) {
    this.subscriptions = [
      this.changed,
      service.onDidChangeTarget(() => this.schedule(0)),
      service.onDidChangeDatabases(() => this.schedule(AFTER_WRITE_DELAY_MS)),
      service.onDidChangeData(({ file }) => {
        if (!this.snapshot || file === this.snapshot.location) this.schedule(Math.max(AFTER_WRITE_DELAY_MS, this.lastDurationMs * RECOUNT_SPACING));
      }),
    ];
    this.schedule(FIRST_DELAY_MS);
  }

  get current(): ActiveStatusSnapshot | undefined {
    return this.snapshot;
  }

  schedule(delayMs: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Computes the status now (after a run in progress, if any). */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.compute().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private async compute(): Promise<void> {
    if (this.disposed) return;
    let snapshot: ActiveStatusSnapshot;
    try {
      const target = this.service.target();
      const location = this.service.pronto.canonicalLocation(target.location);
      try {
        const size = fs.statSync(target.location, { throwIfNoEntry: false })?.size ?? 0;
        if (size > STATUS_SIZE_LIMIT_BYTES) {
          snapshot = { location, largeBytes: size };
        } else {
          const started = performance.now();
          const status = await databaseStatus(this.service.pronto, target, { backupDirectory: this.service.backupDirectory() });
          this.lastDurationMs = performance.now() - started;
          // Through a session, so its changes (here or in another process) refresh the status.
          if (status.exists) await this.service.session();
          snapshot = { location, status };
        }
      } catch (error) {
        snapshot = { location, error: (error as Error).message };
        this.service.afterFailure(error, target.location);
      }
    } catch (error) {
      snapshot = { location: '', error: (error as Error).message };
    }
    if (this.disposed) return;
    this.snapshot = snapshot;
    this.changed.fire();
    if (snapshot.status?.migration_available) this.offerMigration(snapshot.location, snapshot.status);
  }

  private offerMigration(location: string, status: DatabaseStatus): void {
    if (this.offeredMigration.has(location)) return;
    this.offeredMigration.add(location);
    const name = status.database ? `'${status.database}'` : status.location;
    const why = status.duplicate_rows ? ` It holds ${status.duplicate_rows} duplicate row${status.duplicate_rows === 1 ? '' : 's'} left by the Rust CLI, which the migration collapses.` : '';
    this.service.log.info(`Database ${name} is at schema version ${status.schema_version}; version ${status.latest_schema_version} is available (ProntoDB: Migrate Database)`);
    void vscode.window
      .showInformationMessage(
        `ProntoDB: database ${name} can be migrated from schema version ${status.schema_version} to ${status.latest_schema_version}.${why} Nothing changes until you choose Migrate.`,
        'Migrate…',
      )
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('prontodb.migrateDatabase');
      });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** The status as Markdown lines for the status bar's tooltip. */
export function describeStatusMarkdown(snapshot: ActiveStatusSnapshot | undefined): string {
  if (!snapshot) return '_Status: reading…_';
  if (snapshot.error) return `$(error) Status: ${snapshot.error}  \nRun **ProntoDB: Run Health Check** for details.`;
  if (snapshot.largeBytes !== undefined) {
    return `Size: ${(snapshot.largeBytes / 1024 / 1024).toFixed(0)} MB: too large to count here without slowing the editor (\`prontodb status\` counts it; **ProntoDB: Run Health Check** checks it).`;
  }
  const status = snapshot.status!;
  if (!status.exists) return 'Not created yet: the first value written creates it.';
  const size = status.size_bytes >= 1024 * 1024 ? `${(status.size_bytes / 1024 / 1024).toFixed(1)} MB` : `${(status.size_bytes / 1024).toFixed(0)} KB`;
  const plural = (count: number, noun: string) => `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
  const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
  const lines = [
    `Keys: ${plural(status.keys, 'key')} in ${plural(status.projects, 'project')}, ${plural(status.namespaces, 'namespace')}${status.ttl_namespaces ? ` (${status.ttl_namespaces} TTL)` : ''}`,
    `Size: ${size}${status.free_pages ? ` (${plural(status.free_pages, 'free page')}: **Compact Database** gives them back)` : ''}`,
    ...(status.expired_entries ? [`Expired, not purged yet: ${plural(status.expired_entries, 'value')}`] : []),
    ...(status.duplicate_rows ? [`$(warning) ${plural(status.duplicate_rows, 'duplicate row')} left by the Rust CLI`] : []),
    ...(status.newest_write ? [`Last write: ${when(status.newest_write)}`] : []),
    status.migration_available
      ? `$(warning) Schema: version ${status.schema_version}; version ${status.latest_schema_version} available (**ProntoDB: Migrate Database**)`
      : `Schema: version ${status.schema_version}`,
    status.backups.count
      ? `Backups: ${status.backups.count}, newest ${when(status.backups.newest!)}`
      : `Backups: none in \`${status.backups.directory}\``,
  ];
  return lines.join('  \n');
}
