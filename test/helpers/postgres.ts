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
  /** Stops the server and removes its folder. */
  destroy(): void;
}

const running = new Set<PostgresCluster>();
process.on('exit', () => {
  for (const cluster of running) cluster.destroy();
});

/** Starts a cluster; `durable` keeps fsync on (off by default: tests never crash the machine, only processes). */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-pg-'));
  fs.chmodSync(dir, 0o700);
  const superPassword = randomBytes(12).toString('hex');
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
  const run = (tool: string, args: string[]): void => {
    const command = asRoot ? 'runuser' : path.join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) {
      const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000) : '';
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}${log}`);
    }
  };
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  let port = 0;
  const settings = () =>
    [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c max_connections=200', ...(options.durable ? [] : ['-c fsync=off'])].join(' ');
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
    const sql = postgres(url({ database }), { max: 1, onnotice: () => undefined, fetch_types: false });
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
