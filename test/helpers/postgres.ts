/**
 * A throwaway PostgreSQL cluster for tests (/work/shared/POSTGRES_TESTING.md): initdb in a temp
 * folder, a random free port on loopback, scram-sha-256 passwords, the Unix socket inside the folder.
 * As root it runs as the `postgres` user (the server refuses root); as anyone else, as that user.
 * Missing binaries fail the tests that need them, saying how to install them: nothing is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import postgres from 'postgres';

const INSTALL_HINT = 'PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install postgresql` (Debian/Ubuntu; .ci/run does) or put their folder on PATH';

/** The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function postgresBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => fs.existsSync(path.join(root, name, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  if (versions.length > 0) return path.join(root, versions[versions.length - 1]!, 'bin');
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder && fs.existsSync(path.join(folder, 'initdb')) && fs.existsSync(path.join(folder, 'pg_ctl'))) return folder;
  }
  throw new Error(INSTALL_HINT);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresCluster {
  readonly port: number;
  readonly dir: string;
  /** The superuser `postgres` and its password. */
  readonly superPassword: string;
  /** `postgres://user:password@127.0.0.1:port/database` (a ProntoDB database with `prontodb`). */
  url(options?: { user?: string; password?: string | null; database?: string; prontodb?: string }): string;
  /** A login role owning a new PostgreSQL database; returns its URL (with the password). */
  createRoleAndDatabase(role: string, database: string): Promise<{ url: string; password: string }>;
  /** Runs statements as the superuser (one at a time: CREATE DATABASE cannot share a transaction). */
  admin(statements: string[], database?: string): Promise<void>;
  /** SIGKILLs the postmaster (its children exit on their own). */
  kill(): void;
  start(): void;
  stop(): void;
  /** A standby: `pg_ctl promote`, waiting until it accepts writes. */
  promote(): void;
  /** Stops the server and removes its folder. */
  destroy(): void;
}

const running = new Set<PostgresCluster>();
process.on('exit', () => {
  for (const cluster of running) cluster.destroy();
});

export interface StartOptions {
  /** Keeps fsync on (off by default: tests never crash the machine, only processes). */
  durable?: boolean;
  /** Serves TLS with this certificate and key (files in PEM; see makeTestCertificates). */
  tls?: { certFile: string; keyFile: string };
  /** With `tls`: password logins over TCP only through TLS (pg_hba `hostssl`). */
  tlsOnly?: boolean;
  /** Loopback addresses to listen on (default 127.0.0.1). */
  listen?: string[];
  /** Starts a hot standby of this cluster (pg_basebackup), with the same superuser password. */
  standbyOf?: PostgresCluster;
  /** On a primary: commits wait until a standby has the commit durably (synchronous_standby_names = '*'). */
  synchronous?: boolean;
}

/** Starts a cluster (a fresh one, or a standby of `standbyOf`). */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-pg-'));
  fs.chmodSync(dir, 0o700);
  const superPassword = options.standbyOf?.superPassword ?? randomBytes(12).toString('hex');
  const pwFile = path.join(dir, 'pw');
  fs.writeFileSync(pwFile, superPassword);
  if (asRoot) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${INSTALL_HINT} (the system user 'postgres' does not exist)`);
    }
    execFileSync('chown', ['-R', 'postgres', dir]);
  }
  const run = (tool: string, args: string[], env: Record<string, string> = {}): void => {
    const command = asRoot ? 'runuser' : path.join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    if (result.status !== 0) {
      const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000) : '';
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}${log}`);
    }
  };
  const data = path.join(dir, 'data');
  if (options.standbyOf) {
    // The primary's pg_hba (initdb's) lets `postgres` replicate from 127.0.0.1 with its password.
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(options.standbyOf.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream'], { PGPASSWORD: superPassword });
  } else {
    run('initdb', ['-D', data, '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  }
  const extraSettings: string[] = [];
  if (options.tls) {
    // The server reads its key only when owned by its user and not readable by others.
    for (const [from, to] of [[options.tls.certFile, 'server.crt'], [options.tls.keyFile, 'server.key']] as const) {
      fs.copyFileSync(from, path.join(dir, to));
      fs.chmodSync(path.join(dir, to), 0o600);
      if (asRoot) execFileSync('chown', ['postgres', path.join(dir, to)]);
    }
    extraSettings.push('-c ssl=on', `-c ssl_cert_file=${path.join(dir, 'server.crt')}`, `-c ssl_key_file=${path.join(dir, 'server.key')}`);
    if (options.tlsOnly) {
      const hba = path.join(data, 'pg_hba.conf');
      fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^host(\s+all\s)/gm, 'hostssl$1'));
    }
  }
  if (options.synchronous) extraSettings.push(`-c synchronous_standby_names='*'`);
  const listen = (options.listen ?? ['127.0.0.1']).join(',');
  let port = 0;
  const settings = () =>
    [`-p ${port}`, `-k ${dir}`, `-c listen_addresses=${listen}`, '-c max_connections=200', ...(options.durable ? [] : ['-c fsync=off']), ...extraSettings].join(' ');
  const start = (): void => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', settings(), 'start']);
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      start();
      break;
    } catch (error) {
      // Another process took the port between the probe and the start.
      if (attempt >= 3) throw error;
    }
  }
  const url: PostgresCluster['url'] = ({ user = 'postgres', password, database = 'postgres', prontodb } = {}) => {
    const secret = password === null ? '' : `:${encodeURIComponent(password ?? (user === 'postgres' ? superPassword : ''))}`;
    return `postgres://${encodeURIComponent(user)}${secret}@127.0.0.1:${port}/${encodeURIComponent(database)}${prontodb ? `?prontodb=${encodeURIComponent(prontodb)}` : ''}`;
  };
  const admin: PostgresCluster['admin'] = async (statements, database = 'postgres') => {
    const sql = postgres(url({ database }), { max: 1, onnotice: () => undefined, fetch_types: false, ssl: options.tls ? 'require' : false });
    try {
      for (const statement of statements) await sql.unsafe(statement);
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  let destroyed = false;
  const cluster: PostgresCluster = {
    port,
    dir,
    superPassword,
    url,
    admin,
    async createRoleAndDatabase(role, database) {
      const password = randomBytes(9).toString('hex');
      await admin([`CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`, `CREATE DATABASE "${database}" OWNER "${role}" ENCODING 'UTF8'`]);
      return { url: url({ user: role, password, database }), password };
    },
    kill() {
      const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
    },
    start,
    promote() {
      run('pg_ctl', ['-D', data, '-w', '-t', '60', 'promote']);
    },
    stop() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      running.delete(cluster);
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
        const command = asRoot ? 'runuser' : path.join(bin, 'pg_ctl');
        const argv = ['-D', data, '-m', 'immediate', '-w', 'stop'];
        spawnSync(command, asRoot ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...argv] : argv, { stdio: 'ignore', timeout: 30_000 });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(cluster);
  return cluster;
}

export interface TestCertificates {
  /** The authority that signed the server's certificate. */
  caFile: string;
  /** Another authority, which signed nothing here. */
  otherCaFile: string;
  /** The server's certificate (names 127.0.0.1 and localhost only) and key. */
  serverCertFile: string;
  serverKeyFile: string;
}

/** A certificate authority and a server certificate for 127.0.0.1 and localhost, made by the `openssl` binary in `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.status ?? result.error?.message}): ${result.stderr}`);
  };
  const authority = (name: string): void =>
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=ProntoDB test ${name}`]);
  authority('ca');
  authority('other-ca');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  return {
    caFile: path.join(dir, 'ca.crt'),
    otherCaFile: path.join(dir, 'other-ca.crt'),
    serverCertFile: path.join(dir, 'server.crt'),
    serverKeyFile: path.join(dir, 'server.key'),
  };
}
