/**
 * `.prontodb` consent (issue 13 item 3): a `.prontodb` that sends data outside the data directory
 * is ignored until `prontodb allow`, by every command and by the MCP server; a changed one needs a
 * new allow; `deny` revokes; one that only names a database of the data directory needs none.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, Sandbox, sqliteRows } from '../helpers/cliHarness';

const SPAWN = { via: 'spawn' } as const;
let box: Sandbox;
let repo: string;

beforeEach(() => {
  box = new Sandbox('prontodb-trust-');
  // A repository someone cloned, whose .prontodb would send writes into a file of its own.
  repo = box.path('cloned-repo');
  fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.prontodb'), JSON.stringify({ path: 'loot.prdb' }));
});
afterEach(() => box.cleanup());

const loot = (): string => path.join(repo, 'loot.prdb');
const mainValue = (key: string): string | undefined => sqliteRows(box.dbFile(), `SELECT value FROM kv WHERE key = '${key}';`)[0]?.[0];

describe('.prontodb consent', () => {
  it('a .prontodb that redirects writes is ignored (with one warning) until allowed, and again once it changes', async () => {
    await box.ok(['set', 'seed', 'x']);
    const ignored = await box.run(['set', 'token', 'secret'], { ...SPAWN, cwd: path.join(repo, 'src') });
    assert.equal(ignored.code, 0);
    assert.equal(fs.existsSync(loot()), false, 'nothing was written into the repository');
    assert.equal(mainValue('token'), 'secret', 'the write went where it would without the .prontodb');
    const warnings = ignored.stderr.trim().split('\n');
    assert.equal(warnings.length, 1, ignored.stderr);
    assert.equal(
      warnings[0],
      `warning: ignored ${repo}/.prontodb: path points at ${loot()}, outside the data directory, and it was not allowed. If you trust it, run 'prontodb allow' in ${repo}`,
    );

    const allowed = await box.run(['allow'], { ...SPAWN, cwd: path.join(repo, 'src') });
    assert.equal(allowed.code, 0);
    assert.match(allowed.stderr, new RegExp(`^Allowed ${repo}/\\.prontodb \\(path points at .*loot\\.prdb, outside the data directory\\)`));
    await box.ok(['set', 'token', 'meant for the repo'], { cwd: repo });
    assert.deepEqual(sqliteRows(loot(), 'SELECT value FROM kv;'), [['meant for the repo']]);
    const list = JSON.parse(fs.readFileSync(path.join(box.cursorCacheDir, 'allowed-workdirs.json'), 'utf8')) as { entries: Array<{ file: string; sha256: string }> };
    assert.deepEqual(list.entries.map((entry) => entry.file), [path.join(repo, '.prontodb')]);
    assert.match(list.entries[0]!.sha256, /^[0-9a-f]{64}$/);

    // The file changes (a pull, a hostile commit): consent was for the old content.
    fs.writeFileSync(path.join(repo, '.prontodb'), JSON.stringify({ path: '/tmp/elsewhere.prdb' }));
    const changed = await box.run(['get', 'token'], { ...SPAWN, cwd: repo });
    assert.equal(changed.stdout, 'secret\n', 'main again');
    assert.match(changed.stderr, /it changed since it was allowed/);
  });

  it('deny revokes; a .prontodb naming a database of the data directory needs no allow; a server needs one', async () => {
    await box.ok(['allow'], { cwd: repo });
    await box.ok(['set', 'k', 'in loot'], { cwd: repo });
    assert.match((await box.run(['deny'], { ...SPAWN, cwd: repo })).stderr, /^Denied .*\.prontodb: it is ignored from now on/);
    const after = await box.run(['set', 'k', 'in main'], { ...SPAWN, cwd: repo });
    assert.match(after.stderr, /it was not allowed/);
    assert.equal(mainValue('k'), 'in main');
    assert.match((await box.run(['deny'], { ...SPAWN, cwd: repo })).stderr, /was not allowed; nothing changed/);

    fs.writeFileSync(path.join(repo, '.prontodb'), JSON.stringify({ database: 'team', project: 'app' }));
    const harmless = await box.run(['set', 'cfg.mode', 'x'], { ...SPAWN, cwd: repo });
    assert.deepEqual([harmless.code, harmless.stderr], [0, '']);
    assert.deepEqual(sqliteRows(box.dbFile('team'), 'SELECT project, namespace, key FROM kv;'), [['app', 'cfg', 'mode']]);

    fs.writeFileSync(path.join(repo, '.prontodb'), 'postgres://db.example/team');
    const server = await box.run(['get', 'k'], { ...SPAWN, cwd: repo });
    assert.match(server.stderr, /path names a server, and it was not allowed/);
    assert.equal(server.stdout, 'in main\n');
  });

  it('the MCP server follows the same rule, call by call', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: box.env, cwd: repo, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'trust-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const status = async (): Promise<Record<string, unknown>> => ((await client.callTool({ name: 'status', arguments: {} })) as { structuredContent: Record<string, unknown> }).structuredContent;
      assert.deepEqual([(await status()).database, (await status()).chosen_by], ['main', 'default']);
      await client.callTool({ name: 'set', arguments: { address: 'token', value: 'secret' } });
      assert.equal(fs.existsSync(loot()), false);
      assert.equal(mainValue('token'), 'secret');
      assert.equal(stderr.match(/ignored .*\.prontodb/g)?.length, 1, `said once: ${stderr}`);
      await box.ok(['allow'], { cwd: repo });
      assert.match(String((await status()).chosen_by), /\.prontodb at /);
    } finally {
      await client.close();
    }
  });
});
