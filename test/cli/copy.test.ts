/**
 * `prontodb copy` and server backups through the spawned CLI (dist/cli.js with dist/postgres.js)
 * against a real PostgreSQL server: data moved up from a file and back down exactly, refusals of
 * bad input as one line, progress lines, and Ctrl-C leaving the target as it was.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, type RunOptions, type RunResult, Sandbox } from '../helpers/cliHarness';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';

function rows(file: string): string[] {
  return execFileSync('sqlite3', [file, 'SELECT project, namespace, key, quote(context), hex(value), created_at, updated_at, quote(expires_at) FROM kv'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort();
}

describe('CLI copy between files and a PostgreSQL server', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let url: string;
  let password: string;
  let sandbox: Sandbox;
  const printed: string[] = [];

  before(async function () {
    cluster = await startPostgres();
    ({ url, password } = await cluster.createRoleAndDatabase('fay', 'shared'));
  });

  after(() => cluster?.destroy());

  beforeEach(() => {
    sandbox = new Sandbox('prontodb-copy-cli-');
  });

  afterEach(() => {
    sandbox.cleanup();
    for (const text of printed.splice(0)) assert.ok(!text.includes(password), `a password was printed: ${text}`);
  });

  const server = (name?: string): string => (name ? `${url}?prontodb=${name}` : url);

  async function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await sandbox.run(args, { via: 'spawn', ...options });
    printed.push(result.stdout, result.stderr);
    return result;
  }

  async function ok(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await run(args, options);
    assert.equal(result.code, 0, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result;
  }

  /** Exit 1 with one `Error:` line naming the problem, nothing on stdout. */
  async function fails(args: string[], pattern: RegExp): Promise<void> {
    const result = await run(args);
    assert.equal(result.code, 1, `prontodb ${args.join(' ')} should exit 1: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^Error: [^\n]*\n$/, 'one line');
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }

  it('copies the data directory’s main up to a server and down to a file exactly, timestamps and contexts included', async () => {
    await ok(['set', 'app.config.host', 'db1']);
    await ok(['set', 'app.config.host__prod', 'line1\nline2\ttab \\ backslash']);
    await ok(['create-cache', 'app.sessions', '3600']);
    await ok(['set', 'app.sessions.s1', 'token']);
    await ok(['set', 'app.config.blank', '']);
    const up = await ok(['copy', 'main', server('team')]);
    assert.match(up.stderr, /^Copied 4 entries and 1 TTL namespaces from database 'main' \(.*pronto\.main\.prdb\) to postgres:\/\/fay:\*\*\*@127\.0\.0\.1:\d+\/shared\?prontodb=team\n$/);
    assert.equal((await ok(['--database-url', server('team'), 'get', 'app.config.host__prod'])).stdout, 'line1\nline2\ttab \\ backslash\n');

    // A bare name means the --database-url server's named database; a path with a folder is a file.
    fs.mkdirSync(sandbox.path('out'));
    await ok(['--database-url', url, 'copy', 'team', './out/down.prdb']);
    assert.deepEqual(rows(sandbox.path('out', 'down.prdb')), rows(sandbox.dbFile('main')));
    const ttl = (file: string) => execFileSync('sqlite3', [file, 'SELECT * FROM sys_namespaces WHERE is_ttl'], { encoding: 'utf8' });
    assert.match(ttl(sandbox.path('out', 'down.prdb')), /^app\|sessions\|1\|3600\|\d+\n$/);
    assert.equal(ttl(sandbox.path('out', 'down.prdb')), ttl(sandbox.dbFile('main')));
  });

  it('refuses a target that holds data unless --replace; bad input gets one clear line and changes nothing', async () => {
    await ok(['set', 'p.n.k', 'v']);
    await ok(['--database-url', server('full'), 'set', 'old.stuff.here', 'old']);
    await fails(['copy', 'main', server('full')], /^Error: The target postgres:\/\/fay:\*\*\*@.*prontodb=full is not empty: give --replace to replace its contents/);
    assert.equal((await ok(['--database-url', server('full'), 'get', 'old.stuff.here'])).stdout, 'old\n');
    await ok(['copy', 'main', server('full'), '--replace']);
    assert.equal((await run(['--database-url', server('full'), 'get', 'old.stuff.here'])).code, 2);
    assert.equal((await ok(['--database-url', server('full'), 'get', 'p.n.k'])).stdout, 'v\n');

    await fails(['copy', 'main', 'main'], /same database/);
    await fails(['copy', server('x'), server('x').replace('postgres://', 'postgresql://')], /same database/);
    await fails(['copy', 'main', 'postgres://fay:secret@h/a/b'], /^Error: postgres:\/\/fay:\*\*\*@h\/a\/b \(chosen by the copy target\): the path names more than one database/);
    await fails(['copy', 'main', 'mysql://h/db'], /No backend for mysql:\/\/ locations/);
    await fails(['copy', 'main', 'not a name'], /The copy target 'not a name' is neither a database name, a file path nor a postgres:\/\/ URL/);
    await fails(['copy', 'nosuchdb', server('y')], /The copy source database 'nosuchdb' .* does not exist/);
    await fails(['copy', 'main'], /Usage: prontodb copy <source> <target>/);
  });

  it('--progress reports rows copied of the total; Ctrl-C cancels, exit 1, and the target is as it was', async () => {
    const source = sandbox.path('big.prdb');
    const values = Array.from({ length: 150_000 }, (_, i) => `('bulk', 'rows', 'k${i}', NULL, 'value number ${i}', 1600000000, 1600000000, NULL)`);
    const inserts: string[] = [];
    for (let i = 0; i < values.length; i += 1000) inserts.push(`INSERT INTO kv VALUES ${values.slice(i, i + 1000).join(',')};`);
    execFileSync('sqlite3', [source], {
      input: `CREATE TABLE kv (project TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, context TEXT, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY (project, namespace, key, context));
CREATE TABLE sys_namespaces (project TEXT NOT NULL, namespace TEXT NOT NULL, is_ttl BOOLEAN NOT NULL DEFAULT 0, default_ttl INTEGER, created_at INTEGER NOT NULL, PRIMARY KEY (project, namespace));
CREATE INDEX idx_kv_expiry ON kv(expires_at) WHERE expires_at IS NOT NULL;
BEGIN; ${inserts.join('\n')} COMMIT;`,
    });
    await ok(['--database-url', server('kept'), 'set', 'old.stuff.here', 'old']);

    const child = spawn(process.execPath, [CLI, 'copy', source, server('kept'), '--replace', '--progress'], { cwd: sandbox.root, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!interrupted && /Copying: [1-9]\d* \/ 150000 rows/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
    printed.push(stderr);
    assert.ok(interrupted, `progress was printed: ${stderr}`);
    assert.match(stderr, /^Copying: 0 \/ 150000 rows\n/);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /Error: cancelled: the copy was stopped and the target left unchanged\n$/);
    assert.equal((await ok(['--database-url', server('kept'), 'get', 'old.stuff.here'])).stdout, 'old\n');
    assert.equal((await run(['--database-url', server('kept'), 'get', 'bulk.rows.k1'])).code, 2);

    // Uninterrupted, the same copy goes through, its last progress line the total.
    const done = await ok(['copy', source, server('kept'), '--replace', '--progress']);
    assert.match(done.stderr, /Copying: 150000 \/ 150000 rows\nCopied 150000 entries/);
    assert.equal((await ok(['--database-url', server('kept'), 'get', 'bulk.rows.k149999'])).stdout, 'value number 149999\n');
  });

  it('backs up a server database as the file archive, which restores into the data directory (and back into the server)', async () => {
    await ok(['--database-url', url, '--database', 'notes', 'set', 'p.n.k__ctx', 'from the server']);
    const backups = sandbox.path('backups');
    const made = await ok(['--database-url', url, '--database', 'notes', 'backup', '--output', backups]);
    const archive = made.stdout.trim();
    assert.match(path.basename(archive), /^prontodb_notes_\d{8}\.tar\.gz$/);
    await ok(['restore', archive, '--target', 'local', '--output', backups]);
    assert.equal((await ok(['--database', 'local', 'get', 'p.n.k__ctx'])).stdout, 'from the server\n');
    assert.equal(execFileSync('sqlite3', [sandbox.dbFile('local'), 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim(), 'ok');

    await ok(['--database-url', url, '--database', 'notes', 'set', 'p.n.k__ctx', 'changed']);
    const restored = await ok(['--database-url', url, 'restore', archive, '--output', backups]);
    assert.match(restored.stderr, /Saved the replaced data to .*prontodb_notes_\d{8}_pre-restore_\d{6}\.tar\.gz\nRestored .* into database 'notes'/);
    assert.equal((await ok(['--database-url', url, '--database', 'notes', 'get', 'p.n.k__ctx'])).stdout, 'from the server\n');
  });
});
