/**
 * Schema versions of a ProntoDB SQLite file, kept in `PRAGMA user_version` (which the Rust CLI
 * neither reads nor writes, so a migrated file stays its file too). Version 0 is the Rust CLI's
 * schema as it creates it. Each step is idempotent and ordered; `prontodb migrate` applies the
 * missing ones in one transaction after a safety backup, and nothing else ever applies them to an
 * existing file (opening never migrates). Files this build creates start at the latest version.
 */

export interface MigrationStep {
  /** The version the file has once this step is applied. */
  version: number;
  name: string;
  /** One line for `migrate --dry-run` and the log. */
  description: string;
  /** Statements, run inside the migration's transaction. */
  sql: string;
}

/** Rows of one context-less address beyond the newest: the Rust CLI's duplicates (docs/FORMAT.md#null-context-duplicates). */
export const OLDER_DUPLICATES_WHERE = `context IS NULL AND EXISTS (
  SELECT 1 FROM kv AS newer
  WHERE newer.project = kv.project AND newer.namespace = kv.namespace AND newer.key = kv.key AND newer.context IS NULL
    AND (newer.updated_at > kv.updated_at OR (newer.updated_at = kv.updated_at AND newer.rowid > kv.rowid)))`;

/**
 * NULL contexts folded to an empty BLOB, which equals no TEXT context (not even ''): one row per
 * address, enforced by SQLite itself, so the Rust CLI's `INSERT OR REPLACE` replaces instead of
 * adding a row once a file has it.
 */
export const UNIQUE_ADDRESS_INDEX = 'kv_unique_address';
const UNIQUE_ADDRESS_SQL = `CREATE UNIQUE INDEX IF NOT EXISTS ${UNIQUE_ADDRESS_INDEX} ON kv(project, namespace, key, ifnull(context, x''))`;

export const SQLITE_MIGRATIONS: readonly MigrationStep[] = [
  {
    version: 1,
    name: 'collapse-duplicates',
    description: 'Collapse duplicate rows of one address (left by the Rust CLI) to the newest',
    sql: `DELETE FROM kv WHERE ${OLDER_DUPLICATES_WHERE};`,
  },
  {
    version: 2,
    name: 'unique-address',
    description: 'Add a unique index on the address (NULL context folded), so no program can add duplicates again',
    sql: `${UNIQUE_ADDRESS_SQL};`,
  },
];

export const LATEST_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

/** What a new file gets after the Rust CLI's DDL, so it starts at the latest version. */
export const LATEST_SCHEMA_ADDITIONS = `${UNIQUE_ADDRESS_SQL}; PRAGMA user_version = ${LATEST_SCHEMA_VERSION};`;

export function pendingMigrations(version: number): MigrationStep[] {
  return SQLITE_MIGRATIONS.filter((step) => step.version > version);
}

export interface MigrationReport {
  from: number;
  to: number;
  steps: Array<{ version: number; name: string; description: string; rowsChanged: number }>;
  dryRun: boolean;
}
