/**
 * A team on a throwaway PostgreSQL cluster, set up the way the README tells a team admin to: the
 * documented docs/postgres/roles.sql run with the real psql, then people logging in as members of
 * its three roles. Shared by the access tests of the CLI, MCP, the dashboard and the extension.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import postgres from 'postgres';
import { REPO_ROOT } from './cliHarness';
import { postgresBinaries, startPostgres, type PostgresCluster } from './postgres';

export const ROLES_SQL = path.join(REPO_ROOT, 'docs', 'postgres', 'roles.sql');
export const ROW_SECURITY_SQL = path.join(REPO_ROOT, 'docs', 'postgres', 'row-security.sql');

/** The team of these tests: group roles from roles.sql, and people logging in as their members. */
export const GROUPS = { admin: 'prontodb_admin', writer: 'prontodb_writer', reader: 'prontodb_reader' };

/** Runs a documented script with psql, as the README says; fails the test with psql's own message. */
export function runPsqlScript(url: string, script: string, variables: Record<string, string>): string {
  const psql = fs.existsSync(path.join(postgresBinaries(), 'psql')) ? path.join(postgresBinaries(), 'psql') : 'psql';
  const args = [url, '-X', '-q', ...Object.entries(variables).flatMap(([name, value]) => ['-v', `${name}=${value}`]), '-f', script];
  const result = spawnSync(psql, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `psql -f ${path.basename(script)} failed: ${result.stderr}${result.error ?? ''}`);
  return result.stdout;
}

/** One PostgreSQL database `team` with the three roles and a login for each (plus carl, a writer limited to alpha). */
export interface Team {
  cluster: PostgresCluster;
  /** URLs with passwords, by person: ada (admin), wes (writer), rita (reader), carl (writer limited to alpha). */
  url(person: 'ada' | 'wes' | 'rita' | 'carl' | 'postgres', prontodb?: string): string;
  passwords: string[];
  /** Runs statements as the superuser in `team`. */
  superuser(statements: string[]): Promise<void>;
  /** Rows of every ProntoDB table of `schema`, as the superuser sees them (RLS does not apply to it). */
  fingerprint(schema: string): Promise<string>;
}

export async function startTeam(): Promise<Team> {
  const cluster = await startPostgres();
  await cluster.admin(['CREATE DATABASE team ENCODING \'UTF8\'']);
  const passwords: Record<string, string> = { ada: 'ada-pw-1', wes: 'wes-pw-2', rita: 'rita-pw-3', carl: 'carl-pw-4' };
  const url: Team['url'] = (person, prontodb) => cluster.url({ user: person, password: person === 'postgres' ? undefined : passwords[person], database: 'team', prontodb });
  runPsqlScript(url('postgres'), ROLES_SQL, GROUPS);
  await cluster.admin(
    [
      `CREATE ROLE ada LOGIN PASSWORD '${passwords.ada}' IN ROLE ${GROUPS.admin}`,
      // A member whose sessions act as the admin role, so what ada creates belongs to prontodb_admin.
      `ALTER ROLE ada SET role = '${GROUPS.admin}'`,
      `CREATE ROLE wes LOGIN PASSWORD '${passwords.wes}' IN ROLE ${GROUPS.writer}`,
      `CREATE ROLE rita LOGIN PASSWORD '${passwords.rita}' IN ROLE ${GROUPS.reader}`,
      `CREATE ROLE carl LOGIN PASSWORD '${passwords.carl}' IN ROLE ${GROUPS.writer}`,
    ],
    'team',
  );
  const superuser: Team['superuser'] = (statements) => cluster.admin(statements, 'team');
  const fingerprint: Team['fingerprint'] = async (schema) => {
    const sql = postgres(url('postgres'), { max: 1, onnotice: () => undefined, fetch_types: false });
    try {
      const parts: string[] = [];
      for (const table of ['kv', 'sys_namespaces', 'prontodb_settings', 'prontodb_audit']) {
        const [row] = await sql.unsafe(`SELECT count(*)::text AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') AS digest FROM "${schema}".${table} t`);
        parts.push(`${table}:${String(row!.n)}:${String(row!.digest)}`);
      }
      return parts.join(' ');
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  return { cluster, url, passwords: Object.values(passwords).concat(cluster.superPassword), superuser, fingerprint };
}

