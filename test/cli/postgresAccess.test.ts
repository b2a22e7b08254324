/**
 * Access control on a PostgreSQL server: the roles of docs/postgres/roles.sql and the row-level
 * security of docs/postgres/row-security.sql, run with the real psql exactly as the README tells a
 * team admin to, on a throwaway cluster (test/helpers/postgres.ts). Then every writing command of
 * the CLI, run as the reader role, fails with one `read-only: …` line, exit 1, and changes nothing;
 * the reader reads without anything being written on its behalf; a role limited to project alpha
 * sees only alpha and cannot write beta.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import postgres from 'postgres';
import { type RunOptions, type RunResult, Sandbox } from '../helpers/cliHarness';
import { GROUPS, ROLES_SQL, ROW_SECURITY_SQL, runPsqlScript, startTeam, type Team } from '../helpers/postgresTeam';

describe('PostgreSQL roles and row-level security (docs/postgres/*.sql)', function () {
  this.timeout(60_000);
  let team: Team;
  let box: Sandbox;
  const printed: string[] = [];

  before(async function () {
    this.timeout(180_000);
    team = await startTeam();
    box = new Sandbox('prontodb-pg-access-');
  });

  after(() => {
    box?.cleanup();
    team?.cluster.destroy();
  });

  afterEach(() => {
    for (const text of printed.splice(0)) for (const password of team.passwords) assert.ok(!text.includes(password), `a password was printed: ${text}`);
  });

  const run = async (person: Parameters<Team['url']>[0], args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const result = await box.run(['--database-url', team.url(person), ...args], { via: 'spawn', ...options });
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const ok = async (person: Parameters<Team['url']>[0], args: string[], options: RunOptions = {}): Promise<string> => {
    const result = await run(person, args, options);
    assert.equal(result.code, 0, `${person}: prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  /** A refused write: exit 1, one line on standard error starting `Error: read-only:`, no stack. */
  const refused = async (person: Parameters<Team['url']>[0], args: string[], options: RunOptions = {}): Promise<string> => {
    const result = await run(person, args, options);
    assert.equal(result.code, 1, `${person}: prontodb ${args.join(' ')} should fail with exit 1: ${result.code} ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /^Error: read-only: /, `${person}: prontodb ${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line, no stack: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    return result.stderr;
  };

  it('the admin creates, compacts and deletes databases; the writer writes values but cannot create, delete or compact; the reader only reads', async () => {
    fs.writeFileSync(box.path('ops.json'), JSON.stringify({ entries: [{ project: 'app', namespace: 'cfg', key: 'imported', context: null, value: 'x' }] }));
    await ok('ada', ['db', 'create', 'ops']);
    await ok('ada', ['--database', 'ops', 'set', 'app.cfg.mode', 'blue']);
    await ok('wes', ['--database', 'ops', 'set', 'app.cfg.mode', 'green']);
    await ok('wes', ['--database', 'ops', 'create-cache', 'app.leases', '60']);
    await ok('wes', ['--database', 'ops', 'set', 'app.leases.job', 'wes', '--if-absent', '--ttl', '30']);
    // The audit log and its settings are the writer's too (README: what each role may do).
    await ok('wes', ['--database', 'ops', 'audit', 'on', '--keep-rows', '100']);
    await ok('wes', ['--database', 'ops', 'purge']);
    await ok('wes', ['--database', 'ops', 'import', box.path('ops.json')]);
    assert.equal(await ok('rita', ['--database', 'ops', 'get', 'app.cfg.mode']), 'green\n');
    assert.equal(await ok('rita', ['--database', 'ops', 'keys', 'app.leases']), 'job\n');

    // Creating, deleting and compacting belong to the admin, who owns the schema and its tables.
    assert.match(await refused('wes', ['db', 'create', 'mine']), /permission denied for database team/);
    assert.match(await refused('wes', ['db', 'delete', 'ops', '--force']), /must be owner of schema prontodb_ops/);
    assert.match(await refused('rita', ['db', 'delete', 'ops', '--force']), /must be owner of schema prontodb_ops/);
    assert.equal(await ok('rita', ['--database', 'ops', 'get', 'app.cfg.mode']), 'green\n', 'still there');

    // compact is VACUUM FULL, which skips other owners' tables with a warning only: refused up front instead.
    const session = await openAs(team.url('wes', 'ops'));
    try {
      await assert.rejects(session.compact(), (error: Error) => /^read-only: .*compacting needs the owner of its tables \(role prontodb_admin\); role wes is not/.test(error.message));
    } finally {
      await session.close();
    }
    const admin = await openAs(team.url('ada', 'ops'));
    try {
      const { before, after } = await admin.compact();
      assert.ok(before > 0 && after > 0, `compacted ${before} -> ${after}`);
      assert.equal((await admin.migrate()).steps.length, 0, 'the admin migrates (nothing pending at version 1)');
    } finally {
      await admin.close();
    }
    await ok('ada', ['db', 'delete', 'ops', '--force']);
    assert.doesNotMatch(await ok('ada', ['db', 'list']), /\bops\b/);
  });

  it('a database made before roles.sql ran is handed to the admin and opened to the others', async () => {
    await ok('postgres', ['--database', 'legacy', 'set', 'old.cfg.k', 'kept']);
    runPsqlScript(team.url('postgres'), ROLES_SQL, GROUPS);
    assert.equal(await ok('rita', ['--database', 'legacy', 'get', 'old.cfg.k']), 'kept\n');
    await ok('wes', ['--database', 'legacy', 'set', 'old.cfg.k', 'changed']);
    await ok('ada', ['db', 'delete', 'legacy', '--force']);
  });

  it('a read-only session (default_transaction_read_only) is read-only too; a role without privileges is refused reading, not told it wrote', async () => {
    await ok('ada', ['--database', 'sessions', 'set', 'app.cfg.mode', 'blue']);
    await team.superuser([
      `CREATE ROLE rory LOGIN PASSWORD 'rory-pw-5' IN ROLE ${GROUPS.writer}`,
      `ALTER ROLE rory SET default_transaction_read_only = on`,
      `CREATE ROLE nobody LOGIN PASSWORD 'nobody-pw-6'`,
    ]);
    team.passwords.push('rory-pw-5', 'nobody-pw-6');
    const as = (user: string, password: string) => ['--database-url', team.cluster.url({ user, password, database: 'team', prontodb: 'sessions' })];
    const rory = as('rory', 'rory-pw-5');
    const status = JSON.parse((await box.run([...rory, 'status', '--json'], { via: 'spawn' })).stdout);
    assert.deepEqual([status.writable, status.read_only_reason], [false, `${status.location}: the session of role rory is read-only (default_transaction_read_only)`]);
    const write = await box.run([...rory, 'set', 'app.cfg.mode', 'red'], { via: 'spawn' });
    assert.deepEqual([write.code, write.stderr.trim().split('\n').length], [1, 1]);
    assert.match(write.stderr, /^Error: read-only: .* refuses this write \(cannot execute SELECT FOR UPDATE in a read-only transaction\)$/m);
    assert.equal((await box.run([...rory, 'get', 'app.cfg.mode'], { via: 'spawn' })).stdout, 'blue\n');
    const read = await box.run([...as('nobody', 'nobody-pw-6'), 'get', 'app.cfg.mode'], { via: 'spawn' });
    assert.equal(read.code, 1);
    assert.match(read.stderr, /^Error: postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/team\?prontodb=sessions: reading refused \(permission denied for schema prontodb_sessions\); the role needs the reader's privileges/);
    const nobodyStatus = await box.run([...as('nobody', 'nobody-pw-6'), 'status'], { via: 'spawn' });
    assert.equal(nobodyStatus.code, 1);
    assert.match(nobodyStatus.stderr, /^Error: .*: reading refused \(permission denied for schema prontodb_sessions\)/);
    // Listing leaves out what the role may not read instead of failing on it.
    const listed = await box.run([...as('nobody', 'nobody-pw-6'), 'db', 'list'], { via: 'spawn' });
    assert.equal(listed.code, 0, listed.stderr);
    assert.doesNotMatch(listed.stdout, /sessions/);
    assert.match(await ok('rita', ['db', 'list']), /sessions/);
    printed.push(status.location, write.stderr, read.stderr, nobodyStatus.stderr, listed.stdout);
    await ok('ada', ['db', 'delete', 'sessions', '--force']);
  });

  describe('the reader on every writing command', () => {
    before(async () => {
      await ok('ada', ['db', 'create', 'main']);
      await ok('wes', ['set', 'app.cfg.mode', 'blue']);
      await ok('wes', ['create-cache', 'app.leases', '3600']);
      await ok('wes', ['set', 'app.leases.job', 'wes', '--ttl', '600']);
      await ok('ada', ['audit', 'on', '--keep-values', '1000']);
      await ok('wes', ['set', 'app.cfg.mode', 'blue2']);
      // Enough expired rows that doctor --fix wants to purge them (a write the reader must be refused).
      await team.superuser([`INSERT INTO prontodb_main.kv (project, namespace, key, value, created_at, updated_at, expires_at)
                             SELECT 'old', 'gone', 'k' || i, '\\x78', 1, 1, 2 FROM generate_series(1, 1500) AS i`]);
      fs.writeFileSync(box.path('import.json'), JSON.stringify({ entries: [{ project: 'app', namespace: 'cfg', key: 'imported', context: null, value: 'x' }] }));
    });

    it('reads: get, keys, scan, projects, namespaces, nss, export, status, doctor, audit show, migrate --dry-run; nothing is written', async () => {
      const before = await team.fingerprint('prontodb_main');
      assert.equal(await ok('rita', ['get', 'app.cfg.mode']), 'blue2\n');
      assert.equal(await ok('rita', ['keys', 'app.cfg']), 'mode\n');
      assert.equal(await ok('rita', ['scan', 'app.cfg']), 'mode=blue2\n');
      assert.match(await ok('rita', ['projects']), /^app\n/);
      assert.equal(await ok('rita', ['namespaces', 'app']), 'cfg\nleases\n');
      assert.match(await ok('rita', ['nss']), /app\.leases/);
      assert.match(await ok('rita', ['export']), /"key": "mode"/);
      assert.match(await ok('rita', ['audit', 'show', 'app.cfg.mode']), /set/);
      assert.match(await ok('rita', ['audit', 'status']), /on/);
      assert.match(await ok('rita', ['migrate', '--dry-run']), /^$/);
      const doctor = await run('rita', ['doctor']);
      assert.equal(doctor.code, 4, `doctor warns about expired rows only: ${doctor.stdout}${doctor.stderr}`);
      const watch = await run('rita', ['watch', 'app.cfg.mode', '--timeout', '1']);
      assert.equal(watch.code, 2, `watch timed out: ${watch.stderr}`);
      // A database that does not exist yet reads as empty, and reading does not create it.
      assert.equal((await run('rita', ['--database', 'ghost', 'get', 'app.cfg.mode'])).code, 2);
      assert.equal(await ok('rita', ['--database', 'ghost', 'keys', 'app.cfg']), '');
      assert.match(await ok('rita', ['--database', 'ghost', 'status']), /does not exist yet/);
      assert.doesNotMatch(await ok('ada', ['db', 'list']), /ghost/);
      assert.equal(await team.fingerprint('prontodb_main'), before, 'reads wrote nothing (no purge, no audit, no schema)');
    });

    it('status says read-only for the reader, read-write for the writer', async () => {
      const reader = JSON.parse(await ok('rita', ['status', '--json']));
      assert.deepEqual([reader.writable, reader.read_only_reason], [false, `role rita may not write ${team.url('rita').replace(/:[^:@]*@/, ':***@')} (no INSERT, UPDATE and DELETE on its tables)`]);
      assert.match(await ok('rita', ['status']), /^access: {5}read-only: role rita may not write/m);
      const writer = JSON.parse(await ok('wes', ['status', '--json']));
      assert.deepEqual([writer.writable, writer.read_only_reason], [true, null]);
      assert.match(await ok('wes', ['status']), /^access: {5}read-write$/m);
      // A database that does not exist: the writer may not create it either (only the admin may).
      const ghost = JSON.parse(await ok('wes', ['--database', 'ghost', 'status', '--json']));
      assert.deepEqual([ghost.exists, ghost.writable], [false, false]);
      assert.match(ghost.read_only_reason, /does not exist and role wes may not create it/);
    });

    const WRITES: Array<{ name: string; args: string[]; input?: string }> = [
      { name: 'set', args: ['set', 'app.cfg.mode', 'red'] },
      { name: 'set a new key', args: ['set', 'app.cfg.fresh', 'red'] },
      { name: 'set --stdin', args: ['set', 'app.cfg.mode', '--stdin'], input: 'red' },
      { name: 'set --if-absent', args: ['set', 'app.cfg.fresh', 'red', '--if-absent'] },
      { name: 'set --expect', args: ['set', 'app.cfg.mode', 'red', '--expect', 'blue2'] },
      { name: 'set --ttl (a lease)', args: ['set', 'app.leases.other', 'rita', '--if-absent', '--ttl', '30'] },
      { name: 'del', args: ['del', 'app.cfg.mode'] },
      { name: 'del of an absent key', args: ['del', 'app.cfg.nothing'] },
      { name: 'del --expect', args: ['del', 'app.cfg.mode', '--expect', 'blue2'] },
      { name: 'create-cache', args: ['create-cache', 'app.fresh', '60'] },
      { name: 'remove-cache', args: ['remove-cache', 'app.leases'] },
      { name: 'purge', args: ['purge'] },
      { name: 'import', args: ['import', 'import.json'] },
      { name: 'audit on', args: ['audit', 'on', '--keep-rows', '5'] },
      { name: 'audit off', args: ['audit', 'off'] },
      { name: 'db create', args: ['db', 'create', 'other'] },
      { name: 'db delete', args: ['db', 'delete', 'main', '--force'] },
    ];
    for (const write of WRITES) {
      it(`${write.name}: read-only, exit 1, nothing changed`, async () => {
        const before = await team.fingerprint('prontodb_main');
        await refused('rita', write.args, { input: write.input, cwd: box.root });
        assert.equal(await team.fingerprint('prontodb_main'), before);
      });
    }

    it('audit restore: read-only, exit 1, nothing changed', async () => {
      const records = JSON.parse(await ok('rita', ['audit', 'show', 'app.cfg.mode', '--json'])) as Array<{ id: number; operation: string }>;
      const overwrite = records.find((record) => record.operation === 'set')!;
      const before = await team.fingerprint('prontodb_main');
      await refused('rita', ['audit', 'restore', String(overwrite.id)]);
      assert.equal(await team.fingerprint('prontodb_main'), before);
    });

    it('doctor --fix: the purge it wants is refused with the read-only reason; nothing changed', async () => {
      const before = await team.fingerprint('prontodb_main');
      const result = await run('rita', ['doctor', '--fix']);
      // The check stays a warning, but the fix that was asked for failed: exit 1.
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /expired .*The fix failed: read-only: /);
      assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /);
      assert.equal(await team.fingerprint('prontodb_main'), before);
    });

    it('migrate with nothing pending changes nothing and needs no write', async () => {
      const before = await team.fingerprint('prontodb_main');
      const result = await run('rita', ['migrate']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Nothing to migrate/);
      assert.equal(await team.fingerprint('prontodb_main'), before);
    });
  });

  describe('row-level security: carl is limited to project alpha', () => {
    before(async () => {
      await ok('ada', ['db', 'create', 'rls']);
      for (const [address, value] of [
        ['alpha.cfg.k', 'a1'],
        ['alpha.cfg.k__prod', 'a2'],
        ['beta.cfg.k', 'b1'],
        ['beta.secret.token', 'b2'],
      ]) {
        await ok('wes', ['--database', 'rls', 'set', address!, value!]);
      }
      await ok('wes', ['--database', 'rls', 'create-cache', 'beta.leases', '60']);
      await ok('wes', ['--database', 'rls', 'create-cache', 'alpha.leases', '60']);
      await ok('ada', ['--database', 'rls', 'audit', 'on']);
      runPsqlScript(team.url('postgres'), ROW_SECURITY_SQL, { admin: GROUPS.admin, database: 'rls' });
      await team.superuser([`SET ROLE ${GROUPS.admin}`, `INSERT INTO prontodb_rls.project_access (role_name, project) VALUES ('carl', 'alpha')`]);
    });

    it('sees only alpha in projects, namespaces, keys, get, export and status', async () => {
      const carl = (args: string[]) => ok('carl', ['--database', 'rls', ...args]);
      assert.equal(await carl(['projects']), 'alpha\n');
      assert.equal(await carl(['nss']), 'alpha.cfg\nalpha.leases\n');
      assert.equal(await carl(['keys', 'alpha.cfg']), 'k\nk__prod\n');
      assert.equal(await carl(['keys', 'beta.cfg']), '');
      assert.equal(await carl(['get', 'alpha.cfg.k']), 'a1\n');
      assert.equal((await run('carl', ['--database', 'rls', 'get', 'beta.cfg.k'])).code, 2);
      const exported = JSON.parse(await carl(['export'])) as { entries: Array<{ project: string }>; ttlNamespaces?: Array<{ project: string }> };
      assert.deepEqual([...new Set(exported.entries.map((entry) => entry.project))], ['alpha']);
      assert.equal(exported.entries.length, 2);
      assert.equal(JSON.parse(await carl(['status', '--json'])).keys, 2);
      // The extra table of row-level security is no problem for the integrity check.
      const doctor = JSON.parse((await run('ada', ['--database', 'rls', 'doctor', '--json'])).stdout) as { checks: Array<{ name: string; status: string }> };
      assert.equal(doctor.checks.find((check) => check.name === 'integrity')?.status, 'ok');
      assert.equal(doctor.checks.find((check) => check.name === 'schema')?.status, 'ok');
      // Not limited: the others still see everything.
      assert.equal(await ok('wes', ['--database', 'rls', 'projects']), 'alpha\nbeta\n');
      assert.equal(await ok('rita', ['--database', 'rls', 'projects']), 'alpha\nbeta\n');
    });

    it('writes alpha; a write to beta is refused with a clear read-only error and changes nothing', async () => {
      await ok('carl', ['--database', 'rls', 'set', 'alpha.cfg.new', 'mine']);
      const before = await team.fingerprint('prontodb_rls');
      for (const args of [
        ['set', 'beta.cfg.k', 'carl was here'],
        ['set', 'beta.cfg.fresh', 'carl was here'],
        ['set', 'beta.cfg.k', 'x', '--if-absent'],
        ['create-cache', 'beta.more', '60'],
      ]) {
        const stderr = await refused('carl', ['--database', 'rls', ...args]);
        assert.match(stderr, /row-level security does not let this role write there/);
      }
      // What carl cannot see he cannot delete either: deleting beta is a no-op, not a leak.
      await ok('carl', ['--database', 'rls', 'del', 'beta.cfg.k']);
      assert.equal(await team.fingerprint('prontodb_rls'), before);
      assert.equal(await ok('wes', ['--database', 'rls', 'get', 'beta.cfg.k']), 'b1\n');
      // The audit log shows carl his projects and database-wide records only.
      const audit = JSON.parse(await ok('carl', ['--database', 'rls', 'audit', 'show', '--json'])) as Array<{ project: string | null }>;
      assert.ok(audit.length > 0);
      assert.ok(audit.every((record) => record.project === null || record.project === 'alpha'), JSON.stringify(audit));
    });

    it('carl cannot widen his own limits (only the admin edits project_access), nor escape them with SET ROLE', async () => {
      const sql = postgres(team.url('carl'), { max: 1, onnotice: () => undefined, fetch_types: false });
      try {
        await assert.rejects(sql.unsafe(`INSERT INTO prontodb_rls.project_access VALUES ('carl', 'beta')`), /row-level security/);
        await sql.unsafe(`SET ROLE ${GROUPS.writer}`);
        const rows = await sql.unsafe('SELECT DISTINCT project FROM prontodb_rls.kv ORDER BY 1');
        assert.deepEqual(rows.map((row) => row.project), ['alpha']);
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
  });
});

/** A store as the given URL's role, in this process (the bundle's classes are the sources' here). */
async function openAs(url: string) {
  const { PostgresBackend } = await import('../../src/core/postgres/backend');
  return new PostgresBackend().createStore(url);
}
