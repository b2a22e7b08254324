/**
 * What the connected role may do to one ProntoDB database, read from the catalog and PostgreSQL's
 * privilege functions (nothing is written, and a missing schema is no error). Roles and their
 * GRANTs: docs/postgres/roles.sql; row-level security: docs/postgres/row-security.sql.
 */
import type { WriteAccess } from '../store';
import type { Sql } from './connection';

/**
 * Writable when the server takes writes (not a standby, not a read-only session) and the role may
 * change the values table (INSERT, UPDATE and DELETE on `kv`), or, for a database not made yet, may
 * create a schema in the PostgreSQL database. Row-level security may still limit which projects.
 */
export async function writeAccessOf(sql: Sql, schema: string, shown: string): Promise<WriteAccess> {
  const [row] = await sql.unsafe(
    `SELECT current_user AS role, pg_is_in_recovery() AS standby, current_setting('transaction_read_only') = 'on' AS read_only,
            c.oid IS NOT NULL AS exists,
            c.oid IS NOT NULL AND has_schema_privilege(c.relnamespace, 'USAGE') AND has_table_privilege(c.oid, 'INSERT')
              AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE') AS may_write_values,
            has_database_privilege(current_database(), 'CREATE') AS may_create
       FROM (SELECT 1) AS one
       LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace) ON n.nspname = $1 AND c.relname = 'kv'`,
    [schema],
  );
  const role = String(row!.role);
  if (row!.standby) return { writable: false, reason: `${shown} is on a standby server, which takes no writes` };
  if (row!.read_only) return { writable: false, reason: `${shown}: the session of role ${role} is read-only (default_transaction_read_only)` };
  if (row!.exists) {
    return row!.may_write_values ? { writable: true } : { writable: false, reason: `role ${role} may not write ${shown} (no INSERT, UPDATE and DELETE on its tables)` };
  }
  return row!.may_create ? { writable: true } : { writable: false, reason: `${shown} does not exist and role ${role} may not create it (no CREATE on the PostgreSQL database)` };
}

/**
 * Why `compact` would do nothing, or undefined: VACUUM FULL needs the owner of the tables (the admin
 * role), and skips other tables with a warning only.
 */
export async function compactRefusal(sql: Sql, schema: string, shown: string): Promise<string | undefined> {
  const [row] = await sql.unsafe(
    `SELECT current_user AS role, pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS owns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'kv'`,
    [schema],
  );
  if (!row || row.owns) return undefined;
  return `read-only: ${shown}: compacting needs the owner of its tables (role ${String(row.owner)}); role ${String(row.role)} is not`;
}
