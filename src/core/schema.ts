import type { Database } from 'sql.js';
import { AUDIT_TABLE_COLUMNS } from './audit';
import { ProntoError } from './errors';

/** The Rust CLI's DDL (docs/FORMAT.md#schema). Files stay structurally identical so both programs share them. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS kv (
    project    TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    context    TEXT,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (project, namespace, key, context)
);
CREATE TABLE IF NOT EXISTS sys_namespaces (
    project     TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    is_ttl      BOOLEAN NOT NULL DEFAULT 0,
    default_ttl INTEGER,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project, namespace)
);
CREATE INDEX IF NOT EXISTS idx_kv_expiry ON kv(expires_at) WHERE expires_at IS NOT NULL;
`;

const EXPECTED_COLUMNS: Record<string, string[]> = {
  kv: ['project', 'namespace', 'key', 'context', 'value', 'created_at', 'updated_at', 'expires_at'],
  sys_namespaces: ['project', 'namespace', 'is_ttl', 'default_ttl', 'created_at'],
};

function columnsOf(db: Database, table: string): string[] {
  const result = db.exec(`PRAGMA table_info(${table})`);
  return result.length ? result[0]!.values.map((row) => String(row[1])) : [];
}

/**
 * Checks that a database is ProntoDB's before anything writes to it: a file that merely happens to
 * be SQLite must not get our tables added. Returns whether the schema still has to be created.
 */
export function inspectSchema(db: Database, file: string): { needsCreate: boolean; empty: boolean } {
  const tables = db.exec(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`);
  const names = tables.length ? tables[0]!.values.map((row) => String(row[0])) : [];
  if (names.length === 0) return { needsCreate: true, empty: true };
  // ProntoDB's own optional tables (the audit log) are not foreign; the Rust CLI ignores them.
  const foreign = names.filter((name) => !(name in EXPECTED_COLUMNS) && !(name in AUDIT_TABLE_COLUMNS));
  if (!names.includes('kv') || foreign.length > 0) {
    throw new ProntoError(
      'foreign-schema',
      `${file} is an SQLite database but not a ProntoDB one (tables: ${names.join(', ')}); it was left untouched`,
    );
  }
  for (const table of names) {
    const actual = columnsOf(db, table);
    const expected = EXPECTED_COLUMNS[table] ?? AUDIT_TABLE_COLUMNS[table]!;
    if (actual.join(',') !== expected.join(',')) {
      throw new ProntoError(
        'foreign-schema',
        `${file}: table '${table}' has columns (${actual.join(', ')}), expected (${expected.join(', ')}); it was left untouched`,
      );
    }
  }
  return { needsCreate: Object.keys(EXPECTED_COLUMNS).some((table) => !names.includes(table)), empty: false };
}
