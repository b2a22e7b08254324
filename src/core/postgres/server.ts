/**
 * The named ProntoDB databases of one PostgreSQL database: one schema `prontodb_<name>` each, told
 * from other schemas by their settings table. Each call opens one short-lived connection.
 */
import type { DatabaseInfo } from '../backend';
import { connect, type CoreServices, passwordFor, type Sql, usageFailure, wrapError } from './connection';
import { parsePostgresLocation, postgresDatabaseLocation, quoteIdentifier, SCHEMA_PREFIX, validateServerDatabaseName } from './location';

async function withConnection<T>(core: CoreServices, location: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const { serverUrl } = parsePostgresLocation(location, usageFailure(core));
  const sql = connect(serverUrl, { max: 1, idleTimeout: 1, password: passwordFor(core, serverUrl) });
  try {
    return await work(sql);
  } catch (error) {
    throw wrapError(core, location, error);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** Whether the ProntoDB database at `location` exists (its schema and settings table); creates nothing. */
export function databaseExists(core: CoreServices, location: string): Promise<boolean> {
  const { schema } = parsePostgresLocation(location, usageFailure(core));
  return withConnection(core, location, async (sql) => {
    const [row] = await sql.unsafe('SELECT to_regclass($1) IS NOT NULL AS found', [`${quoteIdentifier(schema)}.prontodb_settings`]);
    return row!.found as boolean;
  });
}

/** Every ProntoDB database of the server `server` names, by name, with its size and last write. */
export function listDatabases(core: CoreServices, server: string): Promise<DatabaseInfo[]> {
  return withConnection(core, server, async (sql) => {
    const schemas = await sql.unsafe(
      `SELECT n.nspname AS schema,
              (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'r') AS size
         FROM pg_namespace n
        WHERE starts_with(n.nspname, $1) AND to_regclass(quote_ident(n.nspname) || '.prontodb_settings') IS NOT NULL
        ORDER BY n.nspname`,
      [SCHEMA_PREFIX],
    );
    const found: DatabaseInfo[] = [];
    for (const row of schemas) {
      const name = (row.schema as string).slice(SCHEMA_PREFIX.length);
      try {
        validateServerDatabaseName(name, usageFailure(core));
      } catch {
        continue; // a schema someone else named prontodb_…, not one of ours
      }
      const S = quoteIdentifier(row.schema as string);
      const [times] = await sql.unsafe(
        `SELECT (SELECT max(updated_at) FROM ${S}.kv) AS newest, (SELECT value FROM ${S}.prontodb_settings WHERE name = 'created_at') AS created`,
      );
      const seconds = (times!.newest as number | null) ?? Number(times!.created ?? 0);
      const location = postgresDatabaseLocation(server, name, usageFailure(core));
      found.push({ name, location, file: location, size: row.size as number, modified: new Date(seconds * 1000) });
    }
    return found;
  });
}

/** Drops the database's schema with everything in it, and tells its listeners. */
export function dropDatabase(core: CoreServices, location: string): Promise<void> {
  const { schema } = parsePostgresLocation(location, usageFailure(core));
  return withConnection(core, location, async (sql) => {
    await sql.begin(async (tx) => {
      await tx.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await tx.unsafe('SELECT pg_notify($1, $2)', [schema, 'dropped']);
    });
  });
}
