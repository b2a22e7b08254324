/**
 * Metrics in the Prometheus text exposition format (version 0.0.4): per-database gauges from
 * `status` and `doctor`, and, for a running dashboard server, counters of what it served since it
 * started. `GET /metrics` of `prontodb ui` and `prontodb status --prometheus` print these.
 */
import type { CheckStatus } from '../health/doctor';
import type { DatabaseStatus } from '../health/status';
import type { ServedCounts } from './service';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface DatabaseMetrics {
  status: DatabaseStatus;
  health: CheckStatus | null;
}

const HEALTH_VALUE: Record<CheckStatus, number> = { ok: 0, warn: 1, error: 2 };

/** A label value with `\`, `"` and newlines escaped, as the format requires. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(lines: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) {
    const text = Object.entries(labels)
      .map(([key, each]) => `${key}="${label(each)}"`)
      .join(',');
    lines.push(`${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
  }
}

export function prometheusText(databases: DatabaseMetrics[], served?: { counts: ServedCounts; client: string; startedAt: number }): string {
  const lines: string[] = [];
  const per = (pick: (db: DatabaseMetrics) => number): Array<[Record<string, string>, number]> =>
    databases.map((db) => [{ database: db.status.database ?? db.status.location }, pick(db)]);
  family(lines, 'prontodb_database_size_bytes', 'gauge', 'Size of the database in bytes.', per((db) => db.status.size_bytes));
  family(lines, 'prontodb_database_keys', 'gauge', 'Live values stored.', per((db) => db.status.keys));
  family(lines, 'prontodb_database_expired_entries', 'gauge', 'Expired values not purged yet.', per((db) => db.status.expired_entries));
  family(lines, 'prontodb_database_free_pages', 'gauge', 'Free pages a compaction would give back.', per((db) => db.status.free_pages));
  family(lines, 'prontodb_database_namespaces', 'gauge', 'Namespaces holding live values.', per((db) => db.status.namespaces));
  family(lines, 'prontodb_database_backups', 'gauge', 'Backup archives of the database.', per((db) => db.status.backups.count));
  family(
    lines,
    'prontodb_database_newest_backup_age_seconds',
    'gauge',
    'Age of the newest backup (NaN when there is none).',
    per((db) => (db.status.backups.newest ? (Date.now() - Date.parse(db.status.backups.newest)) / 1000 : Number.NaN)),
  );
  family(lines, 'prontodb_database_health', 'gauge', 'doctor: 0 ok, 1 warnings, 2 errors (NaN when it could not run).', per((db) => (db.health === null ? Number.NaN : HEALTH_VALUE[db.health])));
  family(lines, 'prontodb_database_migration_available', 'gauge', '1 when a schema migration is available.', per((db) => (db.status.migration_available ? 1 : 0)));
  if (served) {
    const samples = (counts: Map<string, number>): Array<[Record<string, string>, number]> =>
      [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, value]) => [{ operation: type, client: served.client }, value]);
    family(lines, 'prontodb_operations_total', 'counter', 'Requests the dashboard server answered since it started, by operation and client.', samples(served.counts.requests));
    family(lines, 'prontodb_operation_errors_total', 'counter', 'Requests that failed since the server started, by operation and client.', samples(served.counts.errors));
    family(lines, 'prontodb_server_start_time_seconds', 'gauge', 'When the dashboard server started (Unix seconds).', [[{}, Math.floor(served.startedAt / 1000)]]);
  }
  return `${lines.join('\n')}\n`;
}
