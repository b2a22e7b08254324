/**
 * Coordination for agents through the real bundle: conditional writes (exit 3), `watch`, and the
 * MCP server driven by the SDK's own Client over stdio (`node dist/cli.js mcp`). Timing under load
 * and races between many processes are in agents.concurrency.test.ts.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AGENT_TOOLS } from '../../src/core/agentTools';
import { CLI, requireSqlite3, Sandbox, sqliteRows } from '../helpers/cliHarness';

const SPAWN = { via: 'spawn' } as const;
let box: Sandbox;

before(function () {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'node esbuild.config.mjs' first`);
  requireSqlite3();
});
beforeEach(() => {
  box = new Sandbox('prontodb-agents-');
});
afterEach(() => box.cleanup());

function storedValue(address: [string, string, string], name = 'main'): string | undefined {
  const rows = sqliteRows(box.dbFile(name), `SELECT value FROM kv WHERE project='${address[0]}' AND namespace='${address[1]}' AND key='${address[2]}' AND context IS NULL;`);
  assert.ok(rows.length <= 1, 'one row per address');
  return rows[0]?.[0];
}

describe('CLI: conditional writes', () => {
  it('set --if-absent writes once; a second claim exits 3, says why on stderr, and writes nothing', async () => {
    assert.equal((await box.run(['set', 'work.claims.t1', 'agent-a', '--if-absent'], SPAWN)).code, 0);
    const second = await box.run(['set', 'work.claims.t1', 'agent-b', '--if-absent'], SPAWN);
    assert.deepEqual([second.code, second.stdout], [3, '']);
    assert.equal(second.stderr.trim(), 'Not written: work.claims.t1 already holds a value');
    assert.equal(storedValue(['work', 'claims', 't1']), 'agent-a');
  });

  it('set --expect writes only over the expected value; a mismatch or a missing value exits 3', async () => {
    await box.ok(['set', 'cfg.app.mode', 'blue']);
    assert.equal((await box.run(['set', 'cfg.app.mode', 'green', '--expect', 'blue'], SPAWN)).code, 0);
    const stale = await box.run(['set', 'cfg.app.mode', 'red', '--expect', 'blue'], SPAWN);
    assert.equal(stale.code, 3);
    assert.match(stale.stderr, /^Not written: The value at cfg\.app\.mode is not the expected one\n$/);
    const missing = await box.run(['set', 'cfg.app.none', 'x', '--expect', 'blue']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /Nothing is stored at cfg\.app\.none/);
    assert.equal(storedValue(['cfg', 'app', 'mode']), 'green');
    assert.equal(storedValue(['cfg', 'app', 'none']), undefined);
  });

  it('--stdin takes the conditions too, and --if-absent with --expect is a usage error', async () => {
    await box.ok(['set', 'a.b.c', '--stdin', '--if-absent'], { input: 'first' });
    assert.equal((await box.run(['set', 'a.b.c', '--stdin', '--if-absent'], { input: 'second' })).code, 3);
    assert.match(await box.fails(['set', 'a.b.c', 'x', '--if-absent', '--expect', 'first']), /either --if-absent or --expect/);
    assert.equal(storedValue(['a', 'b', 'c']), 'first');
  });

  it('a lease: taken with --if-absent --ttl, renewed by its owner with --expect, released with del --expect', async () => {
    await box.ok(['create-cache', 'work.leases', '60']);
    await box.ok(['set', 'work.leases.t7', 'agent-a', '--if-absent', '--ttl', '30']);
    assert.equal((await box.run(['set', 'work.leases.t7', 'agent-b', '--if-absent', '--ttl', '30'])).code, 3);
    await box.ok(['set', 'work.leases.t7', 'agent-a', '--expect', 'agent-a', '--ttl', '30']);
    const [expiresAt] = sqliteRows(box.dbFile(), "SELECT expires_at - updated_at FROM kv WHERE key='t7';")[0]!;
    assert.equal(expiresAt, '30', 'the renewal sets the lease time from now');
    const wrongOwner = await box.run(['del', 'work.leases.t7', '--expect', 'agent-b'], SPAWN);
    assert.deepEqual([wrongOwner.code, wrongOwner.stderr.trim()], [3, 'Not written: The value at work.leases.t7 is not the expected one']);
    assert.equal(storedValue(['work', 'leases', 't7']), 'agent-a');
    await box.ok(['del', 'work.leases.t7', '--expect', 'agent-a']);
    assert.equal(storedValue(['work', 'leases', 't7']), undefined);
    await box.ok(['set', 'work.leases.t7', 'agent-b', '--if-absent', '--ttl', '30']);
  });

  it('help documents exit 3 and the new commands', async () => {
    assert.match(await box.ok(['help']), /3 condition not met/);
    assert.match(await box.ok(['help']), /^Agents: +watch, mcp$/m);
    assert.match(await box.ok(['help', 'set']), /--if-absent\] \[--expect OLD\]/);
    assert.match(await box.ok(['help', 'watch']), /Exit 2 when --timeout passes first/);
  });
});

describe('CLI: watch', () => {
  /** Starts `prontodb watch …` and resolves with its exit code and output. */
  function watching(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, [CLI, 'watch', ...args], { cwd: box.root, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    return { done };
  }

  it('prints the value another process writes, and exits 0', async () => {
    await box.ok(['set', 'jobs.q.next', 'one']);
    const watch = watching(['jobs.q.next', '--timeout', '30']);
    // Without --expect the watcher's baseline is what it reads when it starts, which this test cannot
    // see: write until it wakes; it must print one of the values written after it started.
    const written: string[] = [];
    let exited = false;
    void watch.done.then(() => (exited = true));
    for (let i = 1; !exited && i <= 40; i++) {
      written.push(`v${i}`);
      await box.ok(['set', 'jobs.q.next', `v${i}`], SPAWN);
      await Promise.race([watch.done, new Promise((resolve) => setTimeout(resolve, 300))]);
    }
    const result = await watch.done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(written.includes(result.stdout.replace(/\n$/, '')), `printed ${JSON.stringify(result.stdout)}, one of ${written.join(', ')} expected`);
    assert.match(result.stdout, /^v\d+\n$/);
  });

  it('with --expect, wakes on a delete (nothing on stdout, a note on stderr); exits 2 on a timeout', async () => {
    await box.ok(['set', 'jobs.q.next', 'one']);
    const watch = watching(['jobs.q.next', '--expect', 'one', '--timeout', '30']);
    await box.ok(['del', 'jobs.q.next'], SPAWN);
    const deleted = await watch.done;
    assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr.trim()], [0, '', 'jobs.q.next was deleted or expired']);
    const timedOut = await box.run(['watch', 'jobs.q.next', '--timeout', '0.3'], SPAWN);
    assert.deepEqual([timedOut.code, timedOut.stdout], [2, '']);
  });

  it('--expect with a value that is no longer there returns the current value at once', async () => {
    await box.ok(['set', 'jobs.q.next', 'three']);
    const result = await box.run(['watch', 'jobs.q.next', '--expect', 'two', '--timeout', '20'], SPAWN);
    assert.deepEqual([result.code, result.stdout], [0, 'three\n']);
  });

  it('refuses a bad timeout or address with exit 1', async () => {
    assert.match(await box.fails(['watch', 'a.b.c', '--timeout', 'soon']), /Timeout 'soon' must be a number of seconds/);
    assert.match(await box.fails(['watch', 'a..c', '--timeout', '1']), /empty namespace/);
  });
});

// ---- MCP -------------------------------------------------------------------------------------------

interface ToolCall {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

async function connect(args: string[] = [], options: { cwd?: string } = {}): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args, 'mcp'], env: box.env, cwd: options.cwd ?? box.root, stderr: 'pipe' });
  const client = new Client({ name: 'prontodb-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolCall> {
  return (await client.callTool({ name, arguments: args })) as ToolCall;
}

function text(result: ToolCall): string {
  return result.content.map((part) => part.text ?? '').join('');
}

/** A tool error: isError, no structured content, the core's message as text. */
function assertToolError(result: ToolCall, message: RegExp): void {
  assert.equal(result.isError, true, `expected a tool error, got ${JSON.stringify(result)}`);
  assert.equal(result.structuredContent, undefined);
  assert.match(text(result), message);
}

describe('MCP server (prontodb mcp) through the SDK client', function () {
  this.timeout(60_000);
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('lists every tool with its schemas, a title and honest hints', async () => {
    client = await connect();
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ['get', 'set', 'delete', 'keys', 'scan', 'projects', 'namespaces', 'create_cache', 'status', 'watch'],
    );
    for (const tool of tools) {
      const own = AGENT_TOOLS.find((each) => each.name === tool.name)!;
      assert.deepEqual(tool.inputSchema, own.inputSchema, `${tool.name}: input schema`);
      assert.deepEqual(tool.outputSchema, own.outputSchema, `${tool.name}: output schema`);
      assert.ok(tool.title && tool.description && tool.description.length > 40, `${tool.name}: title and description`);
    }
    const hints = Object.fromEntries(tools.map((tool) => [tool.name, [tool.annotations?.readOnlyHint, tool.annotations?.destructiveHint, tool.annotations?.idempotentHint]]));
    assert.deepEqual(hints.get, [true, false, true]);
    assert.deepEqual(hints.set, [false, true, false]);
    assert.deepEqual(hints.delete, [false, true, true]);
    assert.deepEqual(hints.create_cache, [false, false, true]);
    assert.deepEqual(hints.watch, [true, false, true]);
  });

  it('every tool works, with structured results that match their output schemas (the client checks them)', async () => {
    client = await connect();
    assert.deepEqual((await call(client, 'create_cache', { namespace: 'work.leases', ttl: 60 })).structuredContent, { namespace: 'work.leases', ttl_seconds: 60 });
    const set = await call(client, 'set', { address: 'work.notes.plan', value: 'step 1\nstep 2' });
    assert.deepEqual(set.structuredContent, { address: 'work.notes.plan', written: true, expires_at: null });
    const lease = await call(client, 'set', { address: 'work.leases.t1', value: 'agent-a', if_absent: true, ttl: 30 });
    const expiresAt = Date.parse(lease.structuredContent!.expires_at as string);
    assert.ok(Math.abs(expiresAt - (Date.now() + 30_000)) < 5_000, 'a lease expires ttl seconds from now');
    const get = await call(client, 'get', { address: 'work.notes.plan' });
    assert.equal(text(get), 'step 1\nstep 2');
    assert.equal(get.structuredContent!.value, 'step 1\nstep 2');
    await box.ok(['set', 'work.notes.todo__alice', 'x']);
    assert.deepEqual((await call(client, 'keys', { path: 'work.notes' })).structuredContent, { keys: ['plan', 'todo__alice'], truncated: false });
    const scan = await call(client, 'scan', { path: 'work.notes', limit: 1 });
    assert.deepEqual(scan.structuredContent, { entries: [{ key: 'plan', value: 'step 1\nstep 2', expires_at: null }], truncated: true });
    assert.deepEqual((await call(client, 'projects')).structuredContent, { projects: ['work'] });
    assert.deepEqual((await call(client, 'namespaces', { project: 'work' })).structuredContent, {
      namespaces: [
        { name: 'leases', ttl_seconds: 60 },
        { name: 'notes', ttl_seconds: null },
      ],
    });
    const status = (await call(client, 'status')).structuredContent!;
    assert.deepEqual([status.database, status.user, status.client, status.read_only], ['main', 'default', 'mcp', false]);
    assert.equal(status.location, box.dbFile('main'));
    assert.deepEqual((await call(client, 'delete', { address: 'work.leases.t1', expect: 'agent-a' })).structuredContent, { address: 'work.leases.t1', deleted: true });
    assert.deepEqual((await call(client, 'delete', { address: 'work.leases.t1' })).structuredContent, { address: 'work.leases.t1', deleted: false });
    const timedOut = await call(client, 'watch', { address: 'work.notes.plan', timeout: 0 });
    assert.deepEqual(timedOut.structuredContent, { address: 'work.notes.plan', changed: false, value: 'step 1\nstep 2', deleted: false });
    // What the tools wrote is in the file, for every other process.
    assert.equal(storedValue(['work', 'notes', 'plan']), 'step 1\nstep 2');
  });

  it('sees other processes at once, and watch wakes on their writes', async () => {
    client = await connect();
    await box.ok(['set', 'jobs.q.next', 'one'], SPAWN);
    assert.equal(text(await call(client, 'get', { address: 'jobs.q.next' })), 'one');
    const waiting = call(client, 'watch', { address: 'jobs.q.next', expect: 'one', timeout: 30 });
    await box.ok(['set', 'jobs.q.next', 'two'], SPAWN);
    assert.deepEqual((await waiting).structuredContent, { address: 'jobs.q.next', changed: true, value: 'two', deleted: false });
    assert.equal(text(await call(client, 'get', { address: 'jobs.q.next' })), 'two');
  });

  it('failures are tool errors with the core message: bad address, miss, failed condition, bad arguments', async () => {
    client = await connect();
    assertToolError(await call(client, 'get', { address: 'a..c' }), /^Address 'a\.\.c' has an empty namespace$/);
    assertToolError(await call(client, 'get', { address: 'a.b.none' }), /^Nothing is stored at a\.b\.none$/);
    await call(client, 'set', { address: 'a.b.c', value: 'mine' });
    assertToolError(await call(client, 'set', { address: 'a.b.c', value: 'theirs', if_absent: true }), /^a\.b\.c already holds a value \(it is now "mine"\)$/);
    assertToolError(await call(client, 'set', { address: 'a.b.c', value: 'x', expect: 'old' }), /is not the expected one/);
    assertToolError(await call(client, 'delete', { address: 'a.b.c', expect: 'old' }), /is not the expected one/);
    assertToolError(await call(client, 'set', { address: 'a.b.c', value: 'x', ttl: 5 }), /TTL not allowed: namespace 'a\.b' is not TTL-enabled/);
    assertToolError(await call(client, 'set', { address: 'a.b.c', value: 42 }), /'value' must be a string/);
    assertToolError(await call(client, 'set', { address: 'a.b.c' }), /'value' is required/);
    assertToolError(await call(client, 'get', { address: 'a.b.c', colour: 'red' }), /unknown argument 'colour'/);
    assertToolError(await call(client, 'watch', { address: 'a.b.c', timeout: 9999 }), /'timeout' must be from 0 to 300 seconds/);
    assertToolError(await call(client, 'nope'), /Unknown tool 'nope'/);
    assert.equal(storedValue(['a', 'b', 'c']), 'mine', 'no failed call wrote anything');
  });

  it('--read-only serves only the reading tools and refuses the writers', async () => {
    await box.ok(['set', 'a.b.c', 'kept']);
    client = await connect(['--read-only']);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    assert.deepEqual(names, ['get', 'keys', 'scan', 'projects', 'namespaces', 'status', 'watch']);
    assertToolError(await call(client, 'set', { address: 'a.b.c', value: 'changed' }), /'set' is not served: this server is read-only/);
    assertToolError(await call(client, 'delete', { address: 'a.b.c' }), /read-only/);
    assert.equal((await call(client, 'status')).structuredContent!.read_only, true);
    assert.equal(text(await call(client, 'get', { address: 'a.b.c' })), 'kept');
    assert.equal(storedValue(['a', 'b', 'c']), 'kept');
  });

  it('resolves its database like every command: flags given to mcp, .prontodb, and a cursor chosen meanwhile', async () => {
    await box.ok(['db', 'create', 'team']);
    client = await connect(['--database', 'team']);
    await call(client, 'set', { address: 'a.b.c', value: 'in team' });
    assert.equal(storedValue(['a', 'b', 'c'], 'team'), 'in team');
    assert.equal((await call(client, 'status')).structuredContent!.chosen_by, '--database');
    await client.close();

    const project = box.path('project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, '.prontodb'), JSON.stringify({ database: 'team' }));
    client = await connect([], { cwd: project });
    assert.equal(text(await call(client, 'get', { address: 'a.b.c' })), 'in team');
    await client.close();

    client = await connect();
    assert.equal((await call(client, 'status')).structuredContent!.database, 'main');
    await box.ok(['cursor', 'set', 'shared', 'team']);
    await box.ok(['cursor', 'use', 'shared']);
    const status = (await call(client, 'status')).structuredContent!;
    assert.deepEqual([status.database, status.cursor], ['team', 'shared']);
  });
});
