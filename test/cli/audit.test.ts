/**
 * The audit log through real processes: each kind of write recorded once with the right client
 * (cli, mcp), retention, history restoring an old value, the Rust CLI still working on the file,
 * and a writer killed with SIGKILL leaving data and log consistent (both or neither).
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, integrityCheck, REPO_ROOT, requireSqlite3, Sandbox, sqlite3, sqliteRows } from '../helpers/cliHarness';

const SPAWN = { via: 'spawn' } as const;
let box: Sandbox;

before(function () {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'node esbuild.config.mjs' first`);
  requireSqlite3();
});
beforeEach(() => {
  box = new Sandbox('prontodb-audit-');
  box.env.PRONTODB_BACKUP_DIR = box.path('backups');
});
afterEach(() => box.cleanup());

interface Row {
  id: number;
  operation: string;
  user: string | null;
  cursor: string | null;
  client: string | null;
  pid: number | null;
  project: string | null;
  namespace: string | null;
  key: string | null;
  oldValue: string | null;
  newDigest: string | null;
  detail: string | null;
}

async function records(args: string[] = []): Promise<Row[]> {
  return (JSON.parse(await box.ok(['audit', 'show', '--json', ...args])) as Row[]).reverse();
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('audit log', () => {
  it('records each kind of write once, with the client that made it (cli, mcp)', async () => {
    await box.ok(['set', 'early.n.k', 'before the log']);
    await box.ok(['audit', 'on', '--keep-values', '100']);
    await box.ok(['set', 'app.cfg.mode', 'blue']);
    await box.ok(['set', 'app.cfg.mode', 'green', '--expect', 'blue']);
    assert.equal((await box.run(['set', 'app.cfg.mode', 'x', '--if-absent'])).code, 3, 'a failed condition writes nothing and records nothing');
    await box.ok(['create-cache', 'app.cache', '60']);
    await box.ok(['import', '-', '--format', 'csv'], { input: 'project,namespace,key,context,value\nimp,n,a,,1\nimp,n,b,,2\n' });
    await box.ok(['del', 'imp.n.a']);
    await box.ok(['remove-cache', 'app.cache']);
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: box.env, cwd: box.root, stderr: 'pipe' });
    const client = new Client({ name: 'audit-test', version: '1.0.0' });
    await client.connect(transport);
    await client.callTool({ name: 'set', arguments: { address: 'app.cfg.mode', value: 'from mcp' } });
    await client.close();
    const backup = await box.run(['backup'], SPAWN);
    assert.equal(backup.code, 0, backup.stderr);
    const [archive] = fs.readdirSync(box.path('backups'));
    await box.ok(['restore', path.join(box.path('backups'), archive!)]);

    const log = await records();
    assert.deepEqual(
      log.map((row) => `${row.operation} ${row.client} ${[row.project, row.namespace, row.key].filter(Boolean).join('.')}`),
      [
        'audit-on cli ',
        'set cli app.cfg.mode',
        'set cli app.cfg.mode',
        'create-cache cli app.cache',
        'import cli ',
        'delete cli imp.n.a',
        'remove-cache cli app.cache',
        'set mcp app.cfg.mode',
        'restore cli ',
      ],
    );
    assert.deepEqual(new Set(log.map((row) => row.user)), new Set(['default']));
    assert.equal(log[1]!.newDigest, sha256('blue'));
    assert.deepEqual([log[2]!.oldValue, log[7]!.oldValue], ['blue', 'green']);
    assert.match(log[4]!.detail!, /^2 entries/);
    assert.match(log[8]!.detail!, new RegExp(`from .*${archive!.replace(/\./g, '\\.')}$`));
    for (const row of log) assert.ok(Number.isSafeInteger(row.pid) && row.pid! > 0, 'the writing process is recorded');
    assert.notEqual(log[7]!.pid, log[6]!.pid, 'the MCP server is a process of its own');
  });

  it('history restores an old value; show filters by address and time; retention bounds the log', async () => {
    await box.ok(['audit', 'on', '--keep-values', '1000', '--keep-rows', '6']);
    for (const value of ['v1', 'v2', 'v3']) await box.ok(['set', 'doc.text.intro', value]);
    const history = await records(['doc.text.intro']);
    assert.deepEqual(history.map((row) => row.oldValue), [null, 'v1', 'v2']);
    await box.ok(['audit', 'restore', String(history[1]!.id)]);
    assert.equal(await box.ok(['get', 'doc.text.intro']), 'v1\n');
    assert.match(await box.fails(['audit', 'restore', String(history[0]!.id)]), /has no old value: nothing was stored at doc\.text\.intro before it/);
    assert.match(await box.fails(['audit', 'restore', '999']), /No audit record 999/);
    assert.deepEqual(await records(['--since', '2999-01-01']), []);
    assert.match(await box.fails(['audit', 'show', '--since', 'yesterday']), /--since 'yesterday' must be an ISO date/);
    for (let i = 0; i < 5; i++) await box.ok(['set', `doc.text.k${i}`, 'x']);
    const bounded = await records();
    assert.equal(bounded.length, 6);
    assert.equal(bounded[bounded.length - 1]!.key, 'k4');
    assert.equal(Number(sqliteRows(box.dbFile(), 'SELECT count(*) FROM prontodb_audit;')[0]![0]), 6);
  });

  it('the Rust CLI keeps reading and writing a file with the log; its writes are not recorded and doctor says so', async () => {
    await box.ok(['audit', 'on']);
    await box.ok(['set', 'app.cfg.mode', 'ours']);
    const file = box.dbFile();
    sqlite3(file, "INSERT OR REPLACE INTO kv (project, namespace, key, context, value, created_at, updated_at, expires_at) VALUES ('app','cfg','rust',NULL,'native',1,1,NULL);");
    assert.deepEqual(sqliteRows(file, "SELECT value FROM kv WHERE project='app' AND namespace='cfg' AND key='mode' AND (context IS NULL);"), [['ours']]);
    assert.equal(await box.ok(['get', 'app.cfg.rust']), 'native\n');
    assert.deepEqual((await records()).map((row) => row.key), [null, 'mode']);
    const doctor = JSON.parse((await box.run(['doctor', '--json'])).stdout) as { checks: Array<{ name: string; message: string }> };
    assert.match(doctor.checks.find((check) => check.name === 'audit')!.message, /writes by other programs \(the Rust CLI, sqlite3\) are not recorded/);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('a writer killed with SIGKILL leaves data and log consistent: every stored value has its record, every record its value', async function () {
    this.timeout(90_000);
    await box.ok(['audit', 'on']);
    const seed = Number(process.env.PRONTODB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { seededRandom } = require(path.join(REPO_ROOT, 'test', 'helpers', 'seededRandom.js')) as { seededRandom: (seed: number) => () => number };
    const random = seededRandom(seed);
    const acknowledged: string[] = [];
    for (let round = 0; round < 4; round++) {
      const child = box.spawnFixture('writer', [`r${round}-`, '0']);
      const killAfter = 2 + Math.floor(random() * 6);
      const extraDelay = Math.floor(random() * 40);
      await new Promise<void>((resolve) => {
        let killing = false;
        const lines = readline.createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
          acknowledged.push(line);
          if (!killing && acknowledged.filter((key) => key.startsWith(`r${round}-`)).length >= killAfter) {
            killing = true;
            setTimeout(() => child.kill('SIGKILL'), extraDelay);
          }
        });
        child.on('exit', () => resolve());
      });
    }
    const file = box.dbFile();
    const why = `replay with PRONTODB_TEST_SEED=${seed}`;
    assert.equal(integrityCheck(file), 'ok', why);
    const stored = new Map(sqliteRows(file, "SELECT key, value FROM kv WHERE key LIKE 'r%';").map(([key, value]) => [key!, value!]));
    const logged = sqliteRows(file, "SELECT key, lower(hex(new_digest)) FROM prontodb_audit WHERE operation = 'set';");
    for (const key of acknowledged) assert.ok(stored.has(key), `${key} was acknowledged but is missing; ${why}`);
    assert.deepEqual(logged.map(([key]) => key).sort(), [...stored.keys()].sort(), `every stored value has exactly one set record and no record lacks its value; ${why}`);
    for (const [key, newDigest] of logged) assert.equal(newDigest, sha256(stored.get(key!)!), `${key}: the record's digest is the stored value's; ${why}`);
  });
});
