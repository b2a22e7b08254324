/**
 * How the PostgreSQL store connects, as libpq would (src/core/postgres/libpq.ts, pgpass.ts): TLS
 * with `sslmode` and `sslrootcert` against a server whose certificate a throwaway authority signed
 * (made by `openssl` here), and the password from the URL, PGPASSWORD, the password file or the
 * backend's hook, in that order.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import postgres from 'postgres';
import { isProntoError } from '../../src/core/errors';
import { PostgresBackend } from '../../src/core/postgres/backend';
import { driverSettings } from '../../src/core/postgres/libpq';
import { findPgpassPassword, parsePgpassLine, readPgpassPassword } from '../../src/core/postgres/pgpass';
import type { KvStore } from '../../src/core/store';
import { makeTestCertificates, type PostgresCluster, startPostgres, type TestCertificates } from '../helpers/postgres';
import { at } from './contract/kvStoreContract';

const fail = (message: string) => new Error(message);

describe('the password file (pgpass), as libpq reads it', () => {
  const request = { host: 'db.example', port: '5432', database: 'team', user: 'carol' };

  it('splits five fields with \\: and \\\\ escapes; the password ends at its first unescaped colon', () => {
    assert.deepEqual(parsePgpassLine('h:5432:db:u:pw'), ['h', '5432', 'db', 'u', 'pw']);
    assert.deepEqual(parsePgpassLine('h\\:x:5432:db:u:p\\:w\\\\d'), ['h:x', '5432', 'db', 'u', 'p:w\\d']);
    assert.deepEqual(parsePgpassLine('h:5432:db:u:pw:rest'), ['h', '5432', 'db', 'u', 'pw']);
    assert.deepEqual(parsePgpassLine('h:5432:db:u:pw\r'), ['h', '5432', 'db', 'u', 'pw']);
    assert.equal(parsePgpassLine('# h:5432:db:u:pw'), undefined);
    assert.equal(parsePgpassLine('h:5432:db:u'), undefined);
    assert.equal(parsePgpassLine('   '), undefined);
  });

  it('takes the first matching line; * matches anything, \\* only a star', () => {
    const text = ['other:5432:team:carol:no', 'db.example:5433:team:carol:wrong-port', 'db.example:5432:team:carol:first', '*:*:*:*:later'].join('\n');
    assert.equal(findPgpassPassword(text, request), 'first');
    assert.equal(findPgpassPassword(text, { ...request, host: 'elsewhere' }), 'later');
    assert.equal(findPgpassPassword('*:*:team:carol:star', request), 'star');
    assert.equal(findPgpassPassword('\\*:5432:team:carol:literal', request), undefined);
    assert.equal(findPgpassPassword('\\*:5432:team:carol:literal', { ...request, host: '*' }), 'literal');
    assert.equal(findPgpassPassword('db.example:5432:team:dave:x', request), undefined);
    assert.equal(findPgpassPassword('db.example:5432:team:carol:', request), undefined);
  });

  it('ignores a file that group or others may read, with a warning that shows no password', function () {
    if (process.platform === 'win32') this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-pgpass-'));
    try {
      const file = path.join(dir, 'pgpass');
      fs.writeFileSync(file, 'db.example:5432:team:carol:s3cret-value\n');
      fs.chmodSync(file, 0o600);
      const warnings: string[] = [];
      assert.equal(readPgpassPassword(file, request, (line) => warnings.push(line)), 's3cret-value');
      assert.equal(warnings.length, 0);
      for (const mode of [0o640, 0o604]) {
        fs.chmodSync(file, mode);
        assert.equal(readPgpassPassword(file, request, (line) => warnings.push(line)), undefined);
      }
      assert.equal(warnings.length, 2);
      assert.match(warnings[0]!, /password file ".*pgpass" has group or world access/);
      assert.ok(warnings.every((line) => !line.includes('s3cret')));
      assert.equal(readPgpassPassword(path.join(dir, 'missing'), request, (line) => warnings.push(line)), undefined);
      assert.equal(warnings.length, 2, 'a missing file says nothing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('connection settings from the URL (libpq.ts)', () => {
  const env = { HOME: '/nonexistent-home' };

  it('takes libpq-only parameters out of what the driver sends to the server', () => {
    const settings = driverSettings('postgres://u:pw@h1:5432,h2:5433/db?sslmode=require&target_session_attrs=read-write&application_name=x&passfile=/p', {
      shownLocation: 'x',
      fail,
      env,
    });
    assert.equal(settings.url, 'postgres://u@h1:5432,h2:5433/db?application_name=x');
    assert.equal(settings.targetSessionAttrs, 'primary', "read-write is checked as 'primary': the driver's read-write accepts a hot standby");
    assert.deepEqual(settings.ssl, { rejectUnauthorized: false });
  });

  it('refuses an unknown sslmode, and verify-full without a root certificate, naming the setting', () => {
    assert.throws(() => driverSettings('postgres://h/db?sslmode=maybe', { shownLocation: 'postgres://h/db', fail, env }), /^Error: postgres:\/\/h\/db: sslmode "maybe" is not one of/);
    assert.throws(() => driverSettings('postgres://h/db?sslmode=verify-full', { shownLocation: 'S', fail, env }), /^Error: S: sslmode=verify-full needs the certificate .* sslrootcert=FILE/);
    assert.throws(() => driverSettings('postgres://h/db?sslmode=verify-ca&sslrootcert=/no/such.crt', { shownLocation: 'S', fail, env }), /cannot read the root certificate \(sslrootcert\) "\/no\/such.crt" \(ENOENT\)/);
    assert.throws(() => driverSettings('postgres://h/db?target_session_attrs=writable', { shownLocation: 'S', fail, env }), /target_session_attrs "writable" is not one of/);
  });

  it('asks for the password in libpq order: the URL, PGPASSWORD, the password file, then the hook', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-pgpass-'));
    try {
      const passfile = path.join(dir, '.pgpass');
      fs.writeFileSync(passfile, 'h2:5433:db:u:from-file\n', { mode: 0o600 });
      const asked: string[] = [];
      const hook = async (location: string) => (asked.push(location), 'from-hook');
      const password = (url: string, extra: Record<string, string> = {}) =>
        driverSettings(url, { shownLocation: 'S', fail, env: { HOME: dir, ...extra }, hook }).password();
      assert.equal(await password('postgres://u:from-url@h2:5433/db', { PGPASSWORD: 'from-env' }), 'from-url');
      assert.equal(await password('postgres://u@h2:5433/db', { PGPASSWORD: 'from-env' }), 'from-env');
      assert.equal(await password('postgres://u@h1:5432,h2:5433/db'), 'from-file', 'each host of a multi-host URL is looked up');
      assert.equal(await password('postgres://u@h2:5433/db?passfile=/no/such/file'), 'from-hook');
      assert.deepEqual(asked, ['postgres://u@h2:5433/db'], 'the hook gets the URL without parameters or password');
      assert.equal(await password('postgres://u@h3/db', { PGPASSFILE: passfile }), 'from-hook');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL over TLS, and the password sources, against a real server', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster;
  let certificates: TestCertificates;
  let certDir: string;
  let home: string;

  before(async function () {
    this.timeout(120_000);
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-tls-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-home-'));
    certificates = makeTestCertificates(certDir);
    // hostssl only: a login that is not encrypted is refused, so every connection below is TLS.
    cluster = await startPostgres({ tls: { certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile }, tlsOnly: true, listen: ['127.0.0.1', '127.0.0.2'] });
    await cluster.createRoleAndDatabase('tess', 'secure');
  });

  after(() => {
    cluster?.destroy();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  /** A URL to the cluster with these query parameters. */
  const urlWith = (query: string, host = '127.0.0.1', password: string | null = cluster.superPassword) =>
    `postgres://postgres${password === null ? '' : `:${password}`}@${host}:${cluster.port}/postgres?${query}`;

  async function roundTrip(url: string, backend = new PostgresBackend()): Promise<{ ssl: boolean }> {
    const store: KvStore = await backend.openStore(url);
    try {
      await store.set(at('p', 'n', 'k'), 'v');
      assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'v');
    } finally {
      await store.close();
    }
    // The server's own view of a connection made with the same settings.
    const settings = driverSettings(url.replace(/[?&]prontodb=[^&]*/, ''), { shownLocation: 'x', fail });
    const sql = postgres(settings.url, { ssl: settings.ssl as never, pass: settings.password, max: 1, onnotice: () => undefined, fetch_types: false });
    try {
      const [row] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      return { ssl: row!.ssl as boolean };
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  async function refusal(url: string): Promise<string> {
    const store = await new PostgresBackend().openStore(url);
    try {
      await store.get(at('p', 'n', 'k'));
    } catch (error) {
      assert.ok(isProntoError(error), `a ProntoError, not ${String(error)}`);
      return (error as Error).message;
    } finally {
      await store.close();
    }
    throw new Error(`connected to ${url}`);
  }

  it('sslmode=require connects encrypted without checking the certificate; prefer (the default) too; disable is refused by hostssl', async () => {
    assert.deepEqual(await roundTrip(urlWith('sslmode=require')), { ssl: true });
    assert.deepEqual(await roundTrip(urlWith('connect_timeout=5')), { ssl: true });
    const message = await refusal(urlWith('sslmode=disable'));
    assert.match(message, /no pg_hba.conf entry .* no encryption/);
    assert.ok(!message.includes(cluster.superPassword));
  });

  it('verify-full and verify-ca with the right authority connect, by IP address and by host name', async () => {
    const ca = encodeURIComponent(certificates.caFile);
    assert.deepEqual(await roundTrip(urlWith(`sslmode=verify-full&sslrootcert=${ca}`)), { ssl: true });
    assert.deepEqual(await roundTrip(urlWith(`sslmode=verify-full&sslrootcert=${ca}`, 'localhost')), { ssl: true });
    assert.deepEqual(await roundTrip(urlWith(`sslmode=verify-ca&sslrootcert=${ca}`, '127.0.0.2')), { ssl: true }, 'verify-ca does not check the name');
  });

  it('verify-full with another authority, or a host the certificate does not name, fails with one clear line', async () => {
    const wrongCa = await refusal(urlWith(`sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.otherCaFile)}`));
    assert.match(wrongCa, /^Cannot verify the server of postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres\?.* \(TLS\): unable to verify the first certificate; check sslrootcert/);
    const wrongHost = await refusal(urlWith(`sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.caFile)}`, '127.0.0.2'));
    assert.match(wrongHost, /^Cannot verify the server of .*127\.0\.0\.2.* \(TLS\): .*IP: 127\.0\.0\.2 is not in the cert's list/);
    // require with a root certificate at hand verifies the chain, as libpq does.
    assert.match(await refusal(urlWith(`sslmode=require&sslrootcert=${encodeURIComponent(certificates.otherCaFile)}`)), /^Cannot verify the server/);
    for (const message of [wrongCa, wrongHost]) {
      assert.equal(message.split('\n').length, 1);
      assert.ok(!message.includes(cluster.superPassword));
    }
  });

  it('the password comes from the password file when the URL and PGPASSWORD have none, and else from the hook', async () => {
    const saved = { HOME: process.env.HOME, PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
    try {
      delete process.env.PGPASSWORD;
      delete process.env.PGPASSFILE;
      process.env.HOME = home;
      const url = urlWith('sslmode=require', '127.0.0.1', null);
      const passfile = path.join(home, '.pgpass');
      fs.writeFileSync(passfile, `127.0.0.1:${cluster.port}:postgres:postgres:${cluster.superPassword.replace(/[:\\]/g, '\\$&')}\n`, { mode: 0o600 });
      assert.deepEqual(await roundTrip(url), { ssl: true });
      fs.rmSync(passfile);
      assert.match(await refusal(url), /refused the login: password authentication failed for user "postgres" \(the password comes from the URL, PGPASSWORD, the password file/);
      const asked: string[] = [];
      const backend = new PostgresBackend({ password: async (location) => (asked.push(location), cluster.superPassword) });
      const store = await backend.openStore(url);
      await store.set(at('p', 'n', 'hook'), 'v');
      await store.close();
      assert.deepEqual(asked, [`postgres://postgres@127.0.0.1:${cluster.port}/postgres`]);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
