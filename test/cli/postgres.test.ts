/**
 * The command line against a real PostgreSQL server (test/helpers/postgres.ts). Each sandbox is
 * another HOME, as another machine would be: they share nothing but the server. Commands run as
 * spawned processes of the bundle (dist/cli.js loading dist/postgres.js), so the lazily loaded
 * bundle is what is tested, and exit codes prove it shares the core's error classes.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { CLI, sandboxMachines } from '../helpers/cliHarness';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';

describe('CLI on a PostgreSQL server', function () {
  this.timeout(60_000);
  /** Each machine its own HOME; `printed` is every line any command printed, to check that no password ever appears. */
  const { machine, printed, cleanup } = sandboxMachines('prontodb-pg-cli-');
  let cluster: PostgresCluster;
  let url: string;
  let password: string;
  let urlWithoutPassword: string;

  before(async function () {
    this.timeout(120_000);
    cluster = await startPostgres();
    ({ url, password } = await cluster.createRoleAndDatabase('carol', 'shared'));
    urlWithoutPassword = cluster.url({ user: 'carol', password: null, database: 'shared' });
  });

  after(() => {
    cleanup();
    cluster?.destroy();
  });

  afterEach(() => {
    for (const text of printed.splice(0)) assert.ok(!text.includes(password), `a password was printed: ${text}`);
  });


  it('set, get, keys and CAS through --database-url; one line, no stack and no password when it fails', async () => {
    const a = machine();
    const flag = ['--database-url', url];
    await a.ok([...flag, 'set', 'app.config.host', 'db1']);
    await a.ok([...flag, 'set', 'app.config.host__prod', 'db9']);
    assert.equal(await a.ok([...flag, 'get', 'app.config.host']), 'db1\n');
    assert.equal(await a.ok([...flag, 'keys', 'app.config']), 'host\nhost__prod\n');
    const missing = await a.run([...flag, 'get', 'app.config.nothing']);
    assert.equal(missing.code, 2);
    // A failed condition is exit 3 (a ConditionFailedError of the core, thrown by the bundle).
    await a.ok([...flag, 'set', 'app.jobs.claim', 'me', '--if-absent']);
    const taken = await a.run([...flag, 'set', 'app.jobs.claim', 'you', '--if-absent']);
    assert.deepEqual([taken.code, taken.stderr], [3, 'Not written: app.jobs.claim already holds a value\n']);
    // Nothing about it lands in the data directory: the server holds it all.
    assert.equal(fs.existsSync(a.sandbox.dataDir) && fs.readdirSync(a.sandbox.dataDir).length > 0, false);

    // Export and import go through the same store; a backup of the server database is the file archive (test/cli/copy.test.ts), its messages without the password.
    const exported = a.sandbox.path('export.json');
    await a.ok([...flag, 'export', '--output', exported]);
    await a.ok([...flag, 'del', 'app.config.host']);
    await a.ok([...flag, 'import', exported]);
    assert.equal(await a.ok([...flag, 'get', 'app.config.host']), 'db1\n');
    const backup = await a.run([...flag, 'backup', '--output', a.sandbox.path('backups')]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /prontodb_main_\d{8}\.tar\.gz\n$/);

    const unreachable = await a.run(['--database-url', `postgres://carol:${password}@127.0.0.1:1/shared?connect_timeout=2`, 'get', 'k']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^Error: Cannot reach the server of postgres:\/\/carol:\*\*\*@127\.0\.0\.1:1\/shared\?connect_timeout=2: .*ECONNREFUSED.*\n$/);
    const refused = await a.run(['--database-url', cluster.url({ user: 'carol', password: 'wrong', database: 'shared' }), 'set', 'k', 'v']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error: The server of postgres:\/\/carol:\*\*\*@.* refused the login: password authentication failed for user "carol"/);
    assert.equal(refused.stderr.split('\n').length, 2, 'one line');
    const malformed = await a.run(['--database-url', 'postgres://carol:pw@h/a/b', 'get', 'k']);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^Error: postgres:\/\/carol:\*\*\*@h\/a\/b \(chosen by database URL\): the path names more than one database/);
  });

  it('db create, list and delete the named databases of the server; --database with a URL means one of them', async () => {
    const a = machine({ PRONTODB_DATABASE_URL: url });
    const created = await a.run(['db', 'create', 'notes']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, `Created database 'notes' at ${cluster.url({ user: 'carol', password: '***', database: 'shared', prontodb: 'notes' })}\n`);
    assert.match((await a.run(['db', 'create', 'notes'])).stderr, /^Error: Database 'notes' already exists/);
    await a.ok(['--database', 'notes', 'set', 'p.n.k', 'in notes']);
    await a.ok(['set', 'p.n.k', 'in main']);
    const listed = (await a.ok(['db', 'list'])).trim().split('\n').map((line) => line.split('\t'));
    assert.deepEqual(
      listed.map(([name, , location]) => [name, location]),
      [
        ['main', cluster.url({ user: 'carol', password: '***', database: 'shared' })],
        ['notes', cluster.url({ user: 'carol', password: '***', database: 'shared', prontodb: 'notes' })],
      ],
    );
    assert.ok(listed.every(([, size]) => Number(size) > 0));
    assert.equal(await a.ok(['--database', 'notes', 'get', 'p.n.k']), 'in notes\n');
    assert.equal(await a.ok(['get', 'p.n.k']), 'in main\n');
    // Without the URL the same names are the data directory's files, untouched.
    assert.equal((await a.run(['--database', 'notes', 'get', 'p.n.k'], { env: { PRONTODB_DATABASE_URL: undefined } })).code, 2);

    assert.match((await a.run(['db', 'delete', 'notes'])).stderr, /add --force/);
    await a.ok(['db', 'delete', 'notes', '--force']);
    assert.deepEqual((await a.ok(['db', 'list'])).trim().split('\n').map((line) => line.split('\t')[0]), ['main']);
    const again = await a.run(['db', 'delete', 'notes', '--force']);
    assert.deepEqual([again.code, again.stderr], [1, "Error: Database 'notes' does not exist\n"]);
    await a.ok(['db', 'delete', 'main', '--force']);
  });

  it("two machines share one server: each sees the other's writes; a cursor names the server without a password", async () => {
    const a = machine({ PRONTODB_DATABASE_URL: url });
    // The second machine keeps the URL in a cursor and its password in PGPASSWORD: the cursor file holds none.
    const b = machine({ PGPASSWORD: password });
    await b.ok(['cursor', 'set', 'team', urlWithoutPassword]);
    await b.ok(['cursor', 'use', 'team']);
    const cursorFiles = fs.readdirSync(path.join(b.sandbox.dataDir), { recursive: true }).map(String).filter((name) => name.endsWith('.cursor'));
    assert.equal(cursorFiles.length, 1);
    const cursorJson = fs.readFileSync(path.join(b.sandbox.dataDir, cursorFiles[0]!), 'utf8');
    assert.equal(JSON.parse(cursorJson).database_path, urlWithoutPassword);

    await a.ok(['set', 'acme.plan.step', 'one']);
    assert.equal(await b.ok(['get', 'acme.plan.step']), 'one\n');
    await b.ok(['set', 'acme.plan.owner', 'bob']);
    assert.equal(await a.ok(['get', 'acme.plan.owner']), 'bob\n');
    assert.equal(await a.ok(['keys', 'acme.plan']), 'owner\nstep\n');
    const status = await b.ok(['status', '--json']);
    assert.ok(!status.includes(password));
    assert.equal(JSON.parse(status).location, urlWithoutPassword);
    await a.ok(['db', 'delete', 'main', '--force']);
  });

  it('watch on one machine wakes when another machine writes (LISTEN/NOTIFY)', async () => {
    const a = machine({ PRONTODB_DATABASE_URL: url });
    const b = machine({ PRONTODB_DATABASE_URL: url });
    await b.ok(['set', 'work.queue.next', 'nothing yet']);
    const started = Date.now();
    const watching = a.run(['watch', 'work.queue.next', '--timeout', '20']);
    // Long enough for the watcher to have read its baseline and be listening.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await b.ok(['set', 'work.queue.next', 'task-7']);
    const wrote = Date.now();
    const result = await watching;
    const woke = Date.now();
    assert.deepEqual([result.code, result.stdout], [0, 'task-7\n'], result.stderr);
    assert.ok(woke - wrote < 1000, `woke ${woke - wrote} ms after the write (${wrote - started} ms after starting)`);
    // A delete wakes it too.
    const deleted = a.run(['watch', 'work.queue.next', '--timeout', '20']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await b.ok(['del', 'work.queue.next']);
    const gone = await deleted;
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stderr, /was deleted or expired/);
    await a.ok(['db', 'delete', 'main', '--force']);
  });

  it("the dashboard server (prontodb ui) on one machine pushes a change within 1 s of another machine's write, and reads it", async () => {
    const a = machine({ PRONTODB_DATABASE_URL: url });
    const b = machine({ PRONTODB_DATABASE_URL: url });
    await b.ok(['set', 'team.board.status', 'red']);
    const ui = spawn(process.execPath, [CLI, 'ui', '--no-open'], { cwd: a.sandbox.root, env: a.sandbox.envWith({ PRONTODB_DATABASE_URL: url }), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let printed = '';
      ui.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      const address = await new Promise<URL>((resolve, reject) => {
        ui.stdout!.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(printed);
          if (match) resolve(new URL(match[1]!));
        });
        ui.on('exit', (code) => reject(new Error(`prontodb ui exited ${code}: ${printed}`)));
      });
      const token = address.searchParams.get('token')!;
      const api = async (request: unknown): Promise<{ ok: boolean; result: unknown }> => {
        const reply = await fetch(new URL('/api', address), { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 1, request }) });
        return (await reply.json()) as { ok: boolean; result: unknown };
      };
      const overview = (await api({ type: 'overview' })).result as { databases: Array<{ ref: string; active: boolean }> };
      const active = overview.databases.find((database) => database.active)!;
      const key = { project: 'team', namespace: 'board', key: 'status', context: null };
      assert.equal(((await api({ type: 'get', database: active.ref, address: key })).result as { entry: { value: string } | null }).entry?.value, 'red');

      const events: string[] = [];
      let watching = false;
      let arrivedAt = 0;
      const stream = http.get({ host: '127.0.0.1', port: Number(address.port), path: `/events?token=${token}` });
      const response = await new Promise<http.IncomingMessage>((resolve) => stream.on('response', resolve));
      response.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().split('\n');
        watching ||= lines.includes(': watching');
        events.push(...lines.filter((line) => line.startsWith('data: ')));
        if (events.length > 0 && arrivedAt === 0) arrivedAt = Date.now();
      });
      for (const start = Date.now(); !watching && Date.now() - start < 10_000; ) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(watching, 'the event stream is watching');
      await b.ok(['set', 'team.board.status', 'green']);
      const acknowledged = Date.now();
      while (events.length === 0 && Date.now() - acknowledged < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
      stream.destroy();
      assert.ok(events.length > 0, 'a notice arrived');
      assert.deepEqual(JSON.parse(events[0]!.slice('data: '.length)), { type: 'changed', database: active.ref });
      assert.ok(arrivedAt - acknowledged < 1000, `the notice came ${arrivedAt - acknowledged} ms after the other machine's write was acknowledged`);
      // What the page then asks for is current.
      assert.equal(((await api({ type: 'get', database: active.ref, address: key })).result as { entry: { value: string } | null }).entry?.value, 'green');
      assert.ok(!printed.includes(password), 'no password printed');
    } finally {
      ui.kill('SIGTERM');
    }
    await a.ok(['db', 'delete', 'main', '--force']);
  });

  it("the audit log records each machine's writes as their user and client", async () => {
    const a = machine({ PRONTODB_DATABASE_URL: url });
    await a.ok(['audit', 'on']);
    await a.ok(['-u', 'alice', 'set', 'p.n.k', 'v1']);
    await a.ok(['-u', 'bob', 'set', 'p.n.k', 'v2']);
    const records = JSON.parse(await a.ok(['audit', 'show', 'p.n.k', '--json'])) as Array<{ operation: string; user: string; client: string }>;
    assert.deepEqual(records.map((r) => [r.operation, r.user, r.client]), [['set', 'bob', 'cli'], ['set', 'alice', 'cli']]);
    await a.ok(['db', 'delete', 'main', '--force']);
  });
});
