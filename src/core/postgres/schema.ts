/**
 * The PostgreSQL schema of one ProntoDB database (docs/FORMAT.md#postgres-schema) and its versions.
 * Every ProntoDB database is a schema `prontodb_<name>`; its version is the `schema.version` row of
 * its settings table (the SQLite file keeps it in `PRAGMA user_version`). Version 1 is the first
 * schema; later versions append steps here, each applied in one transaction by `prontodb migrate`,
 * never silently. A schema this build does not know (a newer version) is read, never written.
 */
import type { MigrationStep } from '../migrations';

export const SCHEMA_VERSION_SETTING = 'schema.version';

/**
 * No context is `''`, a context `c` is U+0001 followed by `c`: one primary key per address, NULL
 * included (a unique index treats NULLs as distinct, and `NULLS NOT DISTINCT` needs PostgreSQL 15),
 * ordered as the file store orders them: no context first, then `''`, then by the context's code
 * points (no context holds a control character, so nothing else starts with U+0001).
 */
export const CONTEXT_KEY_SQL = `CASE WHEN context IS NULL THEN '' ELSE E'\\x01' || context END`;

/** The same folding in JavaScript, for parameters. */
export function contextKey(context: string | null): string {
  return context === null ? '' : `\u0001${context}`;
}

/** Version 1: the tables, in schema `S` (quoted). Text sorts by code point (COLLATE "C"), as SQLite's BINARY does. */
function initialSchema(S: string, now: number): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${S};
CREATE TABLE IF NOT EXISTS ${S}.prontodb_settings (
    name  text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${S}.kv (
    project     text COLLATE "C" NOT NULL,
    namespace   text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    context     text COLLATE "C",
    context_key text COLLATE "C" NOT NULL GENERATED ALWAYS AS (${CONTEXT_KEY_SQL}) STORED,
    value       bytea NOT NULL,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    expires_at  bigint,
    PRIMARY KEY (project, namespace, key, context_key)
);
CREATE INDEX IF NOT EXISTS kv_expiry ON ${S}.kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${S}.sys_namespaces (
    project     text COLLATE "C" NOT NULL,
    namespace   text COLLATE "C" NOT NULL,
    is_ttl      boolean NOT NULL DEFAULT false,
    default_ttl bigint,
    created_at  bigint NOT NULL,
    PRIMARY KEY (project, namespace)
);
CREATE TABLE IF NOT EXISTS ${S}.prontodb_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         bigint NOT NULL,
    "user"     text,
    cursor     text,
    client     text,
    host       text,
    pid        integer,
    operation  text NOT NULL,
    project    text COLLATE "C",
    namespace  text COLLATE "C",
    key        text COLLATE "C",
    context    text COLLATE "C",
    old_digest text,
    new_digest text,
    old_value  bytea,
    detail     text
);
CREATE INDEX IF NOT EXISTS prontodb_audit_address ON ${S}.prontodb_audit (project, namespace, key, context, id);
INSERT INTO ${S}.prontodb_settings (name, value) VALUES ('${SCHEMA_VERSION_SETTING}', '1'), ('created_at', '${Math.floor(now)}') ON CONFLICT (name) DO NOTHING;
`;
}

export interface PostgresMigrationStep extends Omit<MigrationStep, 'sql'> {
  /** The statements for schema `S` (quoted). */
  sql(S: string, now: number): string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigrationStep[] = [
  { version: 1, name: 'initial', description: 'Create the tables of a ProntoDB database', sql: initialSchema },
];

export const LATEST_POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/** The statements that create a new database at the latest version. */
export function createSchemaSql(S: string, now: number): string {
  return POSTGRES_MIGRATIONS.map((step) => step.sql(S, now)).join('\n') + `\nUPDATE ${S}.prontodb_settings SET value = '${LATEST_POSTGRES_SCHEMA_VERSION}' WHERE name = '${SCHEMA_VERSION_SETTING}';`;
}

export function pendingPostgresMigrations(version: number): PostgresMigrationStep[] {
  return POSTGRES_MIGRATIONS.filter((step) => step.version > version);
}

/** Columns of each table, in order, for the integrity check. */
export const POSTGRES_TABLE_COLUMNS: Record<string, string[]> = {
  prontodb_settings: ['name', 'value'],
  kv: ['project', 'namespace', 'key', 'context', 'context_key', 'value', 'created_at', 'updated_at', 'expires_at'],
  sys_namespaces: ['project', 'namespace', 'is_ttl', 'default_ttl', 'created_at'],
  prontodb_audit: ['id', 'at', 'user', 'cursor', 'client', 'host', 'pid', 'operation', 'project', 'namespace', 'key', 'context', 'old_digest', 'new_digest', 'old_value', 'detail'],
};
