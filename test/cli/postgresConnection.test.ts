/**
 * The command line's connections to a PostgreSQL server, as spawned processes of the bundle
 * (dist/cli.js loading dist/postgres.js): the password from ~/.pgpass alone, TLS verify-full against
 * a throwaway authority, no password in any file the CLI writes or any line it prints, and a stream
 * of `set` processes through a multi-host URL while the primary is killed and its standby promoted.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PostgresBackend } from '../../src/core/postgres/backend';
import { at } from '../core/contract/kvStoreContract';
import { Sandbox, sandboxMachines } from '../helpers/cliHarness';
import { makeTestCertificates, type PostgresCluster, startPostgres, type TestCertificates } from '../helpers/postgres';

/** Every file under `root`, with its text, for looking for a password in them. */
function filesUnder(root: string): Array<{ file: string; text: string }> {
  return fs
    .readdirSync(root, { recursive: true })
    .map((name) => path.join(root, String(name)))
    .filter((file) => fs.statSync(file).isFile())
    .map((file) => ({ file, text: fs.readFileSync(file, 'latin1') }));
}

describe('CLI connections to PostgreSQL: password file, TLS, no password kept', function () {
  this.timeout(60_000);
  /** Each machine its own HOME; `printed` is every line any command printed, to check that no password ever appears. */
  const { machine, printed, cleanup } = sandboxMachines('prontodb-pg-conn-');
  let cluster: PostgresCluster;
  let certificates: TestCertificates;
  let certDir: string;
  let password: string;
  let urlWithoutPassword: string;

  before(async function () {
    this.timeout(120_000);
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-tls-'));
    certificates = makeTestCertificates(certDir);
    cluster = await startPostgres({ tls: { certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile } });
    ({ password } = await cluster.createRoleAndDatabase('pat', 'passfile'));
    urlWithoutPassword = cluster.url({ user: 'pat', password: null, database: 'passfile' });
  });

  after(() => {
    cleanup();
    cluster?.destroy();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const text of printed.splice(0)) assert.ok(!text.includes(password), `a password was printed: ${text}`);
  });


  it('the password comes from ~/.pgpass alone; a group-readable file is ignored with a warning that holds no password', async () => {
    const a = machine();
    const passfile = path.join(a.sandbox.home, '.pgpass');
    fs.writeFileSync(passfile, `# the team server\n127.0.0.1:${cluster.port}:passfile:pat:${password}\n`, { mode: 0o600 });
    await a.ok(['cursor', 'set', 'team', urlWithoutPassword]);
    await a.ok(['cursor', 'use', 'team']);
    await a.ok(['set', 'acme.plan.step', 'one']);
    assert.equal(await a.ok(['get', 'acme.plan.step']), 'one\n');

    fs.chmodSync(passfile, 0o644);
    const refused = await a.run(['get', 'acme.plan.step']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^warning: password file ".*\.pgpass" has group or world access; permissions should be u=rw \(0600\) or less; it is ignored\n/);
    assert.match(refused.stderr, /\nError: The server of postgres:\/\/pat@127\.0\.0\.1:\d+\/passfile refused the login: password authentication failed for user "pat" \(the password comes from the URL, PGPASSWORD, the password file ~\/\.pgpass or PGPASSFILE\)\n$/);
    assert.ok(!refused.stderr.includes('    at '), 'no stack');
    fs.chmodSync(passfile, 0o600);
    assert.equal(await a.ok(['get', 'acme.plan.step']), 'one\n');
  });

  it('no password in cursor files, or anything else the CLI writes; a cursor with a password in its URL is refused', async () => {
    const a = machine();
    const withPassword = cluster.url({ user: 'pat', password, database: 'passfile' });
    const refused = await a.run(['cursor', 'set', 'team', withPassword]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error: A cursor would keep the password of postgres:\/\/pat:\*\*\*@127\.0\.0\.1:\d+\/passfile in a file: leave it out of the URL and give it with PGPASSWORD or the password file ~\/\.pgpass\n$/);
    await a.ok(['--database-url', withPassword, 'set', 'acme.plan.owner', 'pat']);
    await a.ok(['--database-url', withPassword, 'keys', 'acme.plan']);
    await a.ok(['cursor', 'set', 'team', urlWithoutPassword]);
    await a.ok(['--cursor', 'team', 'get', 'acme.plan.owner'], { env: { PGPASSWORD: password } });
    const failing = await a.run(['--database-url', withPassword.replace(String(cluster.port), '1'), 'get', 'acme.plan.owner']);
    assert.equal(failing.code, 1);
    const files = filesUnder(a.sandbox.root);
    assert.ok(files.some(({ file }) => file.endsWith('.cursor')), 'a cursor file was written');
    for (const { file, text } of files) assert.ok(!text.includes(password), `the password is in ${file}`);
  });

  it('sslmode=verify-full with the right authority connects; with another, one clear line and exit 1', async () => {
    const a = machine();
    const base = cluster.url({ user: 'pat', password, database: 'passfile' });
    await a.ok(['--database-url', `${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.caFile)}`, 'set', 'acme.tls.on', 'yes']);
    const wrong = await a.run(['--database-url', `${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.otherCaFile)}`, 'get', 'acme.tls.on']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^Error: Cannot verify the server of postgres:\/\/pat:\*\*\*@127\.0\.0\.1:\d+\/passfile\?sslmode=verify-full&sslrootcert=\S+ \(TLS\): unable to verify the first certificate; check sslrootcert and the host name in the URL\n$/);
    const missing = await a.run(['--database-url', `${base}?sslmode=verify-full`, 'get', 'acme.tls.on']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: postgres:\/\/pat:\*\*\*@.*: sslmode=verify-full needs the certificate of the authority that signed the server's: give sslrootcert=FILE .*\n$/);
  });
});

describe('CLI failover: set processes through a multi-host URL while the primary dies and the standby is promoted', function () {
  this.timeout(240_000);
  let primary: PostgresCluster;
  let standby: PostgresCluster;
  let sandbox: Sandbox;

  before(async function () {
    this.timeout(180_000);
    primary = await startPostgres({ synchronous: true });
    standby = await startPostgres({ standbyOf: primary });
    sandbox = new Sandbox('prontodb-pg-failover-');
  });

  after(() => {
    sandbox?.cleanup();
    standby?.destroy();
    primary?.destroy();
  });

  it('every set that exited 0 is there afterwards; the others failed with one clear line', async () => {
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write&connect_timeout=2`;
    const env = { PRONTODB_DATABASE_URL: url, PGPASSWORD: primary.superPassword };
    const acknowledged: string[] = [];
    const failures: string[] = [];
    let index = 0;
    const setUntil = async (count: number): Promise<void> => {
      const target = acknowledged.length + count;
      for (const start = Date.now(); acknowledged.length < target; index++) {
        assert.ok(Date.now() - start < 90_000, `only ${acknowledged.length} of ${target} sets succeeded; failures: ${failures.slice(-3).join(' | ')}`);
        const result = await sandbox.run(['set', `acme.failover.key-${index}`, `value ${index}`], { via: 'spawn', env });
        if (result.code === 0) acknowledged.push(`key-${index}`);
        else failures.push(`${result.code}: ${result.stderr}`);
      }
    };
    await setUntil(10);
    // The kill lands while `set` processes keep starting: some meet the dying primary, some no server.
    const stream = setUntil(20);
    await new Promise((resolve) => setTimeout(resolve, 500));
    primary.kill();
    // Longer than connect_timeout: the processes started meanwhile find no writable server and say so.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    standby.promote();
    await stream;
    assert.ok(failures.length > 0, 'some sets ran while no server was writable');
    console.log(`      ${acknowledged.length} sets exited 0, ${failures.length} failed: ${[...new Set(failures.map((line) => line.replace(/\d+/g, 'N')))].join(' | ')}`);
    for (const failure of failures) {
      assert.match(failure, /^1: Error: Cannot reach the server of postgres:\/\/postgres@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/postgres\?target_session_attrs=read-write&connect_timeout=2: [^\n]*\n$/);
      assert.ok(!failure.includes(primary.superPassword));
    }
    const store = await new PostgresBackend().openStore(`postgres://postgres:${primary.superPassword}@127.0.0.1:${standby.port}/postgres`);
    try {
      const present = new Set((await store.list({ project: 'acme', namespace: 'failover' })).map((entry) => entry.key));
      assert.deepEqual(acknowledged.filter((key) => !present.has(key)), [], 'acknowledged sets lost');
      assert.equal((await store.get(at('acme', 'failover', acknowledged[acknowledged.length - 1]!)))?.value, `value ${acknowledged[acknowledged.length - 1]!.slice(4)}`);
    } finally {
      await store.close();
    }
  });
});
