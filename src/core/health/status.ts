/**
 * `prontodb status`: what a database holds and how it is, in one stable JSON shape (documented in
 * the README, read by scripts and the dashboard). Figures come from the store (`KvStore.stats`), the
 * backups from the backup directory, and "why this database" from resolution.
 */
import { listBackups } from '../backup';
import { displayLocation, isUrlLocation } from '../location';
import type { ProntoDB, ResolvedTarget } from '../pronto';
import type { StoreStats } from '../store';

/** Version of the JSON shape below; raised only when a field changes meaning or goes away. */
export const STATUS_FORMAT = 1;

export interface DatabaseStatus {
  format: typeof STATUS_FORMAT;
  /** The named database, or null for a file or URL given directly. */
  database: string | null;
  /** Where it lives, passwords hidden. */
  location: string;
  backend: string;
  /** What decided the database: `--database`, `cursor 'work'`, `.prontodb at /w`, … */
  chosen_by: string;
  cursor: string | null;
  user: string;
  exists: boolean;
  /** Whether this user may write it (a server role without write privileges, a read-only file: false). */
  writable: boolean;
  /** Why not, when writable is false; otherwise null. */
  read_only_reason: string | null;
  size_bytes: number;
  page_size: number;
  pages: number;
  free_pages: number;
  keys: number;
  expired_entries: number;
  duplicate_rows: number;
  projects: number;
  namespaces: number;
  ttl_namespaces: number;
  /** ISO 8601 UTC, null when nothing is stored. */
  oldest_write: string | null;
  newest_write: string | null;
  schema_version: number;
  latest_schema_version: number;
  migration_available: boolean;
  backups: { directory: string; count: number; newest: string | null; newest_file: string | null; total_bytes: number };
}

function iso(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString();
}

const EMPTY_STATS: StoreStats = {
  sizeBytes: 0,
  pageSize: 0,
  pageCount: 0,
  freePages: 0,
  entries: 0,
  expiredEntries: 0,
  duplicateRows: 0,
  projects: 0,
  namespaces: 0,
  ttlNamespaces: 0,
  oldestWrite: null,
  newestWrite: null,
  schemaVersion: 0,
  latestSchemaVersion: 0,
};

/** Status of one resolved database. A database that does not exist yet is reported (exists: false), not created. */
export async function databaseStatus(pronto: ProntoDB, target: ResolvedTarget, options: { backupDirectory?: string } = {}): Promise<DatabaseStatus> {
  const backend = pronto.backends.forLocation(target.location, target.source);
  const exists = await backend.exists(target.location);
  let stats = EMPTY_STATS;
  const store = await pronto.store(target.location);
  if (exists) stats = await store.stats();
  const access = await store.writeAccess();
  const directory = pronto.backupDirectory(options.backupDirectory);
  const backups = target.databaseName ? (await listBackups(directory, { database: target.databaseName })).filter((backup) => backup.kind === 'archive') : [];
  const newest = backups.reduce<(typeof backups)[number] | undefined>((best, backup) => (!best || backup.modified > best.modified ? backup : best), undefined);
  return {
    format: STATUS_FORMAT,
    database: target.databaseName ?? null,
    location: displayLocation(target.location),
    backend: backend.title,
    chosen_by: target.source,
    cursor: target.cursor?.name ?? null,
    user: target.user,
    exists,
    writable: access.writable,
    read_only_reason: access.writable ? null : access.reason,
    size_bytes: stats.sizeBytes,
    page_size: stats.pageSize,
    pages: stats.pageCount,
    free_pages: stats.freePages,
    keys: stats.entries,
    expired_entries: stats.expiredEntries,
    duplicate_rows: stats.duplicateRows,
    projects: stats.projects,
    namespaces: stats.namespaces,
    ttl_namespaces: stats.ttlNamespaces,
    oldest_write: iso(stats.oldestWrite),
    newest_write: iso(stats.newestWrite),
    schema_version: stats.schemaVersion,
    latest_schema_version: stats.latestSchemaVersion,
    migration_available: exists && stats.schemaVersion < stats.latestSchemaVersion,
    backups: {
      directory,
      count: backups.length,
      newest: newest ? newest.modified.toISOString() : null,
      newest_file: newest?.file ?? null,
      total_bytes: backups.reduce((sum, backup) => sum + backup.size, 0),
    },
  };
}

/** Lines for people: what `prontodb status` prints without --json. */
export function formatStatus(status: DatabaseStatus): string[] {
  const mib = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
  const name = status.database ?? (isUrlLocation(status.location) ? '(a server database)' : '(a file)');
  const access = `access:     ${status.writable ? 'read-write' : `read-only: ${status.read_only_reason}`}`;
  if (!status.exists) return [`database:   ${name} at ${status.location} (does not exist yet)`, `chosen by:  ${status.chosen_by}`, `user:       ${status.user}`, access];
  const free = status.pages ? ` (${status.free_pages} free pages, ${((status.free_pages / status.pages) * 100).toFixed(0)}%)` : '';
  return [
    `database:   ${name} at ${status.location}`,
    `backend:    ${status.backend}`,
    `chosen by:  ${status.chosen_by}${status.cursor ? ` (cursor ${status.cursor})` : ''}`,
    `user:       ${status.user}`,
    access,
    `size:       ${mib(status.size_bytes)}${free}`,
    `keys:       ${status.keys} live in ${status.projects} projects, ${status.namespaces} namespaces (${status.ttl_namespaces} TTL)`,
    ...(status.expired_entries ? [`expired:    ${status.expired_entries} not purged yet (prontodb purge)`] : []),
    ...(status.duplicate_rows ? [`duplicates: ${status.duplicate_rows} rows left by the Rust CLI (prontodb migrate)`] : []),
    `writes:     ${status.oldest_write ?? '-'} .. ${status.newest_write ?? '-'}`,
    `schema:     version ${status.schema_version}${status.migration_available ? ` (version ${status.latest_schema_version} available: prontodb migrate)` : ''}`,
    `backups:    ${status.backups.count}${status.backups.newest ? `, newest ${status.backups.newest}, ${mib(status.backups.total_bytes)} in all` : ''} in ${status.backups.directory}`,
  ];
}
