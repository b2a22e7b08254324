/**
 * Agents on one database at once (issue 8), all real processes: several `prontodb mcp` servers
 * (each driven by the MCP SDK's own Client over stdio) and `prontodb` CLI processes.
 * - writing distinct keys at once loses no acknowledged write;
 * - of agents racing for a lease (set if absent) exactly one wins each round; a lease whose owner
 *   dies expires by itself and can then be taken; renewals by the owner keep the others out;
 * - `prontodb watch` and the MCP watch tool wake within a second of another process's write,
 *   delete or the value's expiry; a timeout exits 2; a stale --expect returns at once.
 * Delays and write patterns come from a seeded generator: PRONTODB_TEST_SEED=<n> replays a run.
 * The servers are started once for the file (each costs a process start and a WebAssembly compile)
 * and every test works in its own namespaces of the one database.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, integrityCheck, REPO_ROOT, requireSqlite3, Sandbox, sleep, sqliteRows } from '../helpers/cliHarness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seededRandom } = require(path.join(REPO_ROOT, 'test', 'helpers', 'seededRandom.js')) as { seededRandom: (seed: number) => () => number };

const SEED = Number(process.env.PRONTODB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REPLAY = `replay with PRONTODB_TEST_SEED=${SEED}`;
/** The issue's promise: a watcher wakes within a second of a change made by another process. */
const WAKE_LIMIT_MS = 1000;

let box: Sandbox;
let file: string;

// ---- processes --------------------------------------------------------------------------------------

interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  /** Date.now() when the process exited: for a writer, the moment its write was acknowledged. */
  exitedAt: number;
}

/** Starts `node dist/cli.js ...args` in the sandbox; `done` resolves once it exited and its output is read. */
function startCli(args: string[], timeoutMs = 30_000): { child: ChildProcess; done: Promise<TimedRun> } {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: box.root, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exitedAt = 0;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<TimedRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => (exitedAt = Date.now()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, startedAt, exitedAt });
    });
  });
  return { child, done };
}

function cli(...args: string[]): Promise<TimedRun> {
  return startCli(args).done;
}

async function cliOk(...args: string[]): Promise<string> {
  const result = await cli(...args);
  assert.equal(result.code, 0, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Resolves once the process has a directory watch (an inotify descriptor; Node opens one only for
 * fs.watch), i.e. `prontodb watch` is past its start-up and listening. Elsewhere than Linux: a pause.
 */
async function listening(pid: number, timeoutMs = 20_000): Promise<void> {
  if (!fs.existsSync('/proc/self/fd')) return sleep(2000);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') return;
    } catch {
      // A descriptor closed while we looked, or the process is gone: look again (or time out).
    }
    await sleep(10);
  }
  throw new Error(`process ${pid} set up no directory watch within ${timeoutMs} ms`);
}

/** A `prontodb watch` process, with the moment its first output line arrived. */
function startWatch(args: string[]): { pid: number; firstLine: Promise<{ text: string; at: number } | undefined>; done: Promise<TimedRun> } {
  const { child, done } = startCli(['watch', ...args]);
  const firstLine = new Promise<{ text: string; at: number } | undefined>((resolve) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (text) => resolve({ text, at: Date.now() }));
    lines.once('close', () => resolve(undefined));
  });
  return { pid: child.pid!, firstLine, done };
}

// ---- MCP agents -------------------------------------------------------------------------------------

interface McpAgent {
  name: string;
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
}

interface ToolOutcome {
  ok: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

/** `prontodb mcp` in the sandbox, connected through the SDK's client over stdio. */
async function startMcpAgent(name: string): Promise<McpAgent> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: box.env, cwd: box.root, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: `agents-test-${name}`, version: '0.0.0' });
  await client.connect(transport);
  return { name, client, transport, stderr: () => stderr };
}

async function callTool(agent: McpAgent, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  const result = (await agent.client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as {
    content: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
    isError?: boolean;
  };
  return { ok: result.isError !== true, text: result.content.map((part) => part.text ?? '').join(''), structured: result.structuredContent };
}

async function toolOk(agent: McpAgent, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  const outcome = await callTool(agent, name, args);
  assert.ok(outcome.ok, `${agent.name}: ${name} ${JSON.stringify(args)} failed: ${outcome.text} (server stderr: ${agent.stderr()})`);
  return outcome;
}

const agents: McpAgent[] = [];
const MCP_SERVERS = 4;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The stored value at project.namespace.key (no context) as the system sqlite3 reads the file. */
function storedValue(address: string): string | undefined {
  const [project, namespace, key] = address.split('.');
  const rows = sqliteRows(file, `SELECT value FROM kv WHERE project = '${project}' AND namespace = '${namespace}' AND key = '${key}' AND context IS NULL;`);
  assert.ok(rows.length <= 1, `${address} is stored ${rows.length} times`);
  return rows[0]?.[0];
}

function storedExpiry(address: string): number | undefined {
  const [project, namespace, key] = address.split('.');
  const rows = sqliteRows(file, `SELECT expires_at FROM kv WHERE project = '${project}' AND namespace = '${namespace}' AND key = '${key}' AND context IS NULL;`);
  return rows[0] ? Number(rows[0][0]) : undefined;
}

// ---- the tests --------------------------------------------------------------------------------------

describe('agents: MCP servers and CLI processes on one database (seeded: PRONTODB_TEST_SEED replays a run)', function () {
  before(async function () {
    this.timeout(60_000);
    requireSqlite3();
    for (const bundle of ['cli.js', 'mcp-sdk.js']) assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', bundle)), `dist/${bundle} is missing: npm run build`);
    box = new Sandbox('prontodb-agents-');
    file = box.dbFile('main');
    await cliOk('create-cache', 'work.leases', '60');
    agents.push(...(await Promise.all(Array.from({ length: MCP_SERVERS }, (_, index) => startMcpAgent(`mcp${index}`)))));
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(agents.splice(0).map((agent) => agent.client.close()));
    box?.cleanup();
  });

  it('MCP servers and CLI processes writing distinct keys at once: every acknowledged write is there (CLI, sqlite3, each server), integrity ok', async function () {
    this.timeout(60_000);
    const random = seededRandom(SEED);
    const setsPerServer = 12;
    const cliLoops = 3;
    const cliSetsEach = 4;
    // Each server gets its writes in bursts of 1-4 calls in flight at once, with pauses between,
    // planned up front so that the seed alone decides the pattern.
    const plans = agents.map(() => {
      const bursts: Array<{ size: number; pauseMs: number }> = [];
      for (let planned = 0; planned < setsPerServer; ) {
        const size = Math.min(1 + Math.floor(random() * 4), setsPerServer - planned);
        bursts.push({ size, pauseMs: Math.floor(random() * 40) });
        planned += size;
      }
      return bursts;
    });
    const acknowledged = new Map<string, string>();
    const failures: string[] = [];

    const mcpRuns = agents.map(async (agent, server) => {
      let index = 0;
      for (const burst of plans[server]!) {
        await Promise.all(
          Array.from({ length: burst.size }, async () => {
            const address = `conc.${agent.name}.k${String(index).padStart(2, '0')}`;
            const value = `${agent.name} wrote ${index++}`;
            const outcome = await callTool(agent, 'set', { address, value });
            if (outcome.ok) acknowledged.set(address, value);
            else failures.push(`${agent.name} set ${address}: ${outcome.text}`);
          }),
        );
        await sleep(burst.pauseMs);
      }
    });
    const cliRuns = Array.from({ length: cliLoops }, async (_, loop) => {
      for (let index = 0; index < cliSetsEach; index++) {
        const address = `conc.cli${loop}.k${String(index).padStart(2, '0')}`;
        const value = `cli${loop} wrote ${index}`;
        const result = await cli('set', address, value);
        if (result.code === 0) acknowledged.set(address, value);
        else failures.push(`cli${loop} set ${address}: exit ${result.code}: ${result.stderr}`);
      }
    });
    await Promise.all([...mcpRuns, ...cliRuns]);

    assert.equal(integrityCheck(file), 'ok', REPLAY);
    // Native SQLite reads the file: every acknowledged write is there...
    const native = new Map(sqliteRows(file, "SELECT namespace, key, value FROM kv WHERE project = 'conc';").map(([namespace, key, value]) => [`conc.${namespace}.${key}`, value!]));
    const lost = [...acknowledged].filter(([address, value]) => native.get(address) !== value).map(([address]) => address);
    assert.deepEqual(lost, [], `acknowledged writes lost (${REPLAY})`);
    // ...no write failed, and there is nothing else.
    assert.deepEqual(failures, [], `no write may fail (${REPLAY})`);
    assert.equal(acknowledged.size, MCP_SERVERS * setsPerServer + cliLoops * cliSetsEach);
    assert.deepEqual(native, acknowledged, `sqlite3 must read back exactly the acknowledged writes (${REPLAY})`);

    // A fresh CLI process reads them all back.
    const exported = JSON.parse(await cliOk('export', 'conc', '--format', 'json')) as { entries: Array<{ namespace: string; key: string; value: string }> };
    assert.deepEqual(new Map(exported.entries.map((entry) => [`conc.${entry.namespace}.${entry.key}`, entry.value])), acknowledged);

    // Each long-lived server sees every other process's writes (its store stays open between calls).
    const namespaces = [...new Set([...acknowledged.keys()].map((address) => address.split('.')[1]!))];
    for (const agent of agents) {
      const seen = new Map<string, string>();
      for (const namespace of namespaces) {
        const { structured } = await toolOk(agent, 'scan', { path: `conc.${namespace}`, limit: 100 });
        for (const entry of structured!.entries as Array<{ key: string; value: string }>) seen.set(`conc.${namespace}.${entry.key}`, entry.value);
      }
      assert.deepEqual(seen, acknowledged, `${agent.name} must see every acknowledged write`);
    }
  });

  /** One round of a lease race; returns the winner's name. */
  async function race(round: string, lease: string, contenders: Array<{ name: string; delayMs: number; via: 'mcp' | 'cli'; agent?: McpAgent }>): Promise<string> {
    const attempts = contenders.map(async ({ name, delayMs, via, agent }) => {
      await sleep(delayMs);
      if (via === 'cli') {
        const result = await cli('set', lease, name, '--if-absent', '--ttl', '30');
        return { name, won: result.code === 0, lost: result.code === 3 && /^Not written: .*already holds a value/m.test(result.stderr), detail: `exit ${result.code}: ${result.stderr.trim()}` };
      }
      const outcome = await callTool(agent!, 'set', { address: lease, value: name, if_absent: true, ttl: 30 });
      return { name, won: outcome.ok, lost: !outcome.ok && /already holds a value/.test(outcome.text), detail: outcome.text };
    });
    const results = await Promise.all(attempts);
    const summary = `${round}: ${results.map((result) => `${result.name} ${result.won ? 'won' : result.detail}`).join('; ')} (${REPLAY})`;
    const winners = results.filter((result) => result.won);
    assert.equal(winners.length, 1, `exactly one agent must win the lease. ${summary}`);
    const winner = winners[0]!.name;
    for (const result of results) {
      if (result.won) continue;
      assert.ok(result.lost, `a loser must be told the lease is held (exit 3 / tool error), not fail otherwise. ${summary}`);
      // The MCP loser's error says who holds it; the CLI keeps values out of its message.
      if (contenders.find((contender) => contender.name === result.name)!.via === 'mcp') assert.match(result.detail, new RegExp(`it is now "${winner}"`), summary);
    }
    assert.equal(storedValue(lease), winner, `the stored value must be the winner's. ${summary}`);
    return winner;
  }

  it('leases: of MCP agents and CLI processes racing for a lease exactly one wins each round; the winner releases with del --expect', async function () {
    this.timeout(60_000);
    const random = seededRandom(SEED + 1);
    const rounds = 6;
    const wins: string[] = [];
    let lease = '';
    let holder = '';
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        lease = `work.leases.task-${round}`;
      } else {
        // The same lease again, once its holder released it: a non-holder's release is refused first.
        const other = holder.startsWith('cli') ? agents[0]! : undefined;
        if (other) {
          const refused = await callTool(other, 'delete', { address: lease, expect: other.name });
          assert.ok(!refused.ok && /not the expected one/.test(refused.text), `a non-holder's release must be refused: ${refused.text}`);
        } else {
          const refused = await cli('del', lease, '--expect', 'cli-x');
          assert.equal(refused.code, 3, `a non-holder's release must exit 3: ${refused.stderr}`);
        }
        assert.equal(storedValue(lease), holder, 'a refused release leaves the lease with its holder');
        const holderAgent = agents.find((agent) => agent.name === holder);
        if (holderAgent) assert.equal((await toolOk(holderAgent, 'delete', { address: lease, expect: holder })).structured!.deleted, true);
        else await cliOk('del', lease, '--expect', holder);
        assert.equal(storedValue(lease), undefined, 'the holder released the lease');
      }
      // CLI contenders start at once and need a process start (a few hundred ms) before they try;
      // the MCP calls go out after seeded delays, early, around that or late, so either kind can
      // win; the last round is CLI processes alone.
      const [earliest, spread] = [[0, 300], [250, 500], [700, 600]][round % 3]!;
      const mcpContenders = round === rounds - 1 ? [] : agents.slice(0, 3);
      const contenders = [
        ...mcpContenders.map((agent) => ({ name: agent.name, delayMs: earliest + Math.floor(random() * spread), via: 'mcp' as const, agent })),
        ...['cli-a', 'cli-b', 'cli-c', 'cli-d'].map((name) => ({ name, delayMs: Math.floor(random() * 50), via: 'cli' as const })),
      ];
      holder = await race(`round ${round} (${lease}, delays ${contenders.map((c) => `${c.name} ${c.delayMs} ms`).join(', ')})`, lease, contenders);
      wins.push(holder);
    }
    assert.equal(wins.length, rounds);
    assert.equal(integrityCheck(file), 'ok');
  });

  it('leases: every MCP server asking in the same instant, 8 rounds: exactly one wins each', async function () {
    this.timeout(30_000);
    for (let round = 0; round < 8; round++) {
      const lease = `work.leases.burst-${round}`;
      await race(`burst round ${round}`, lease, agents.map((agent) => ({ name: agent.name, delayMs: 0, via: 'mcp' as const, agent })));
    }
  });

  it('leases: a lease whose owner died expires by itself and is then taken by another agent, not before', async function () {
    this.timeout(30_000);
    const lease = 'work.leases.orphaned';
    const owner = await startMcpAgent('doomed');
    const taken = await toolOk(owner, 'set', { address: lease, value: 'doomed', if_absent: true, ttl: 2 });
    const expiresAtMs = Date.parse(taken.structured!.expires_at as string);
    // The owner dies without releasing anything.
    process.kill(owner.transport.pid!, 'SIGKILL');
    await owner.client.close();

    // Another agent keeps trying, as a shell loop would, until it has the lease.
    const attempts: TimedRun[] = [];
    for (let won = false; !won; ) {
      assert.ok(Date.now() < expiresAtMs + 10_000, `the lease was not taken within 10 s of its expiry: ${attempts.map((a) => a.stderr.trim()).join(' / ')}`);
      const attempt = await cli('set', lease, 'heir', '--if-absent', '--ttl', '30');
      attempts.push(attempt);
      won = attempt.code === 0;
      if (!won) {
        assert.equal(attempt.code, 3, attempt.stderr);
        assert.match(attempt.stderr, /already holds a value/);
        // Once the expiry has passed (with a margin for the process to start), nothing holds it any more.
        assert.ok(attempt.startedAt < expiresAtMs + 200, `refused ${attempt.startedAt - expiresAtMs} ms after the lease expired`);
        await sleep(100);
      }
    }
    const winning = attempts.at(-1)!;
    assert.ok(winning.exitedAt >= expiresAtMs, `taken ${expiresAtMs - winning.exitedAt} ms before the lease expired`);
    assert.ok(attempts.length > 1, 'the first attempt, right after the owner took it, must have been refused');
    assert.equal(storedValue(lease), 'heir');
  });

  it('leases: renewals by the owner (set --expect own --ttl) keep others out past the TTL; once they stop, another takes it', async function () {
    this.timeout(40_000);
    const lease = 'work.leases.renewed';
    const ttl = 3;
    await cliOk('set', lease, 'owner', '--if-absent', '--ttl', String(ttl));
    const firstExpiry = storedExpiry(lease)!;
    const contender = agents[2]!;
    const refusals: string[] = [];
    const holdUntil = Date.now() + (ttl + 1.5) * 1000; // longer than the TTL: without renewals it would have expired
    let renewing = true;

    const renewals = (async () => {
      let count = 0;
      while (Date.now() < holdUntil) {
        await cliOk('set', lease, 'owner', '--expect', 'owner', '--ttl', String(ttl));
        count++;
        await sleep(200);
      }
      renewing = false;
      return count;
    })();
    const mcpTries = (async () => {
      while (renewing) {
        const outcome = await callTool(contender, 'set', { address: lease, value: contender.name, if_absent: true, ttl });
        assert.ok(!outcome.ok, `${contender.name} took the lease while its owner renewed it`);
        assert.match(outcome.text, /already holds a value.*it is now "owner"/);
        refusals.push('mcp');
        await sleep(150);
      }
    })();
    const cliTries = (async () => {
      while (renewing) {
        const result = await cli('set', lease, 'cli-contender', '--if-absent', '--ttl', String(ttl));
        assert.equal(result.code, 3, `cli-contender took the lease while its owner renewed it: ${result.stderr}`);
        refusals.push('cli');
      }
    })();
    const renewed = await renewals;
    await Promise.all([mcpTries, cliTries]);
    assert.ok(renewed >= 3, `the owner renewed only ${renewed} times`);
    assert.ok(refusals.filter((via) => via === 'mcp').length >= 5 && refusals.includes('cli'), `the contenders tried too rarely: ${refusals.join(',')}`);
    assert.ok(storedExpiry(lease)! > firstExpiry, 'renewals move the expiry');
    assert.equal(storedValue(lease), 'owner');

    // The owner stopped: the contender gets it once the last renewal has expired.
    const lastExpiryMs = storedExpiry(lease)! * 1000;
    let taken: ToolOutcome | undefined;
    while (!taken) {
      assert.ok(Date.now() < lastExpiryMs + 10_000, 'the lease was not taken within 10 s of its expiry');
      const outcome = await callTool(contender, 'set', { address: lease, value: contender.name, if_absent: true, ttl: 30 });
      if (outcome.ok) taken = outcome;
      else await sleep(100);
    }
    assert.ok(Date.now() >= lastExpiryMs, 'taken before the last renewal expired');
    assert.equal(storedValue(lease), contender.name);
    // The former owner's renewal is now refused: it no longer holds the lease.
    const late = await cli('set', lease, 'owner', '--expect', 'owner', '--ttl', String(ttl));
    assert.equal(late.code, 3, late.stderr);
    assert.match(late.stderr, /not the expected one/);
  });

  it('watch: a `prontodb watch` process wakes within 1 s of a write by another process; --timeout exits 2; a stale --expect returns at once', async function () {
    this.timeout(60_000);
    const random = seededRandom(SEED + 2);
    const address = 'watch.cli.k';
    await cliOk('set', address, 'v0');
    const latencies: number[] = [];
    for (let round = 0; round < 4; round++) {
      const watcher = startWatch([address, '--expect', `v${round}`, '--timeout', '30']);
      await listening(watcher.pid);
      await sleep(Math.floor(random() * 200));
      const write = await cli('set', address, `v${round + 1}`);
      assert.equal(write.code, 0, write.stderr);
      const line = await watcher.firstLine;
      const watched = await watcher.done;
      assert.equal(watched.code, 0, watched.stderr);
      assert.equal(line?.text, `v${round + 1}`);
      latencies.push(line!.at - write.exitedAt);
    }
    const summary = `wake-up after the writer exited, ms: ${latencies.join(', ')} (${REPLAY})`;
    for (const latency of latencies) assert.ok(latency < WAKE_LIMIT_MS, summary);
    // Change events, not the once-a-second safety recheck, must be what wakes it.
    assert.ok(median(latencies) < 400, summary);

    const timedOut = await cli('watch', address, '--timeout', '0.5');
    assert.equal(timedOut.code, 2, timedOut.stderr);
    assert.equal(timedOut.stdout, '');
    assert.ok(timedOut.exitedAt - timedOut.startedAt >= 500);

    const stale = await cli('watch', address, '--expect', 'v1', '--timeout', '20');
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(stale.stdout, 'v4\n');
    assert.ok(stale.exitedAt - stale.startedAt < 10_000, 'a stale --expect must not wait for the timeout');
  });

  it('watch: the MCP watch tool wakes within 1 s of a write by a CLI process or another server; timeout and stale expect', async function () {
    this.timeout(60_000);
    const random = seededRandom(SEED + 3);
    const [watcher, writer] = [agents[0]!, agents[1]!];
    const address = 'watch.mcp.k';
    await toolOk(writer, 'set', { address, value: 'v0' });
    const latencies: Array<{ via: string; ms: number }> = [];
    for (let round = 0; round < 6; round++) {
      let wokeAt = 0;
      const watching = callTool(watcher, 'watch', { address, expect: `v${round}`, timeout: 30 }).then((outcome) => ((wokeAt = Date.now()), outcome));
      // Written just after the watch's once-a-second safety recheck has looked (it starts with the
      // call): only a change event can then wake it well within the second.
      await sleep(1050 + Math.floor(random() * 100));
      const value = `v${round + 1}`;
      let acknowledgedAt: number;
      const via = round % 2 === 0 ? 'cli' : 'mcp';
      if (via === 'cli') {
        const write = await cli('set', address, value);
        assert.equal(write.code, 0, write.stderr);
        acknowledgedAt = write.exitedAt;
      } else {
        await toolOk(writer, 'set', { address, value });
        acknowledgedAt = Date.now();
      }
      const outcome = await watching;
      assert.ok(outcome.ok, outcome.text);
      assert.deepEqual(outcome.structured, { address, changed: true, value, deleted: false });
      latencies.push({ via, ms: wokeAt - acknowledgedAt });
    }
    const summary = `wake-up after the write was acknowledged, ms: ${latencies.map((l) => `${l.ms} (${l.via})`).join(', ')} (${REPLAY})`;
    for (const { ms } of latencies) assert.ok(ms < WAKE_LIMIT_MS, summary);
    assert.ok(median(latencies.map((l) => l.ms)) < 400, summary);

    const started = Date.now();
    const timedOut = await toolOk(watcher, 'watch', { address, timeout: 1 });
    assert.deepEqual(timedOut.structured, { address, changed: false, value: 'v6', deleted: false });
    assert.ok(Date.now() - started >= 950, 'the watch gave up before its timeout');

    const staleStarted = Date.now();
    const stale = await toolOk(watcher, 'watch', { address, expect: 'v2', timeout: 20 });
    assert.deepEqual(stale.structured, { address, changed: true, value: 'v6', deleted: false });
    assert.ok(Date.now() - staleStarted < 2000, `a stale expect must return at once, took ${Date.now() - staleStarted} ms`);
  });

  it('watch: a delete in another process and the value expiring wake a CLI watcher and an MCP watch', async function () {
    this.timeout(60_000);
    const mcp = agents[3]!;

    // Delete.
    const deleted = 'watch.del.k';
    await cliOk('set', deleted, 'doomed');
    const cliWatcher = startWatch([deleted, '--expect', 'doomed', '--timeout', '30']);
    let mcpWokeAt = 0;
    const mcpWatch = callTool(mcp, 'watch', { address: deleted, expect: 'doomed', timeout: 30 }).then((outcome) => ((mcpWokeAt = Date.now()), outcome));
    await listening(cliWatcher.pid);
    await sleep(300);
    const del = await cli('del', deleted);
    assert.equal(del.code, 0, del.stderr);
    const [cliDone, mcpOutcome] = await Promise.all([cliWatcher.done, mcpWatch]);
    assert.equal(cliDone.code, 0, cliDone.stderr);
    assert.equal(cliDone.stdout, '', 'a deleted value prints nothing');
    assert.match(cliDone.stderr, /watch\.del\.k was deleted or expired/);
    assert.deepEqual(mcpOutcome.structured, { address: deleted, changed: true, value: null, deleted: true });
    const deleteLatencies = [cliDone.exitedAt - del.exitedAt, mcpWokeAt - del.exitedAt];
    for (const latency of deleteLatencies) assert.ok(latency < WAKE_LIMIT_MS, `after the delete: CLI watcher exited ${deleteLatencies[0]} ms, MCP watch returned ${deleteLatencies[1]} ms later`);

    // Expiry: nobody writes; the watchers wake once the clock reaches the value's expiry.
    await cliOk('create-cache', 'watch.ttl', '60');
    const expiring = 'watch.ttl.k';
    const written = await toolOk(agents[1]!, 'set', { address: expiring, value: 'short-lived', ttl: 3 });
    const expiresAtMs = Date.parse(written.structured!.expires_at as string); // 2-3 s from now
    const expiryWatcher = startWatch([expiring, '--expect', 'short-lived', '--timeout', '30']);
    // The MCP watch starts 1.1 s before the expiry, so its once-a-second safety recheck looks 0.1 s
    // before it and next 0.9 s after it: only the expiry timer wakes it sooner.
    await sleep(expiresAtMs - 1100 - Date.now());
    let mcpExpiryAt = 0;
    const mcpExpiry = callTool(mcp, 'watch', { address: expiring, expect: 'short-lived', timeout: 30 }).then((outcome) => ((mcpExpiryAt = Date.now()), outcome));
    await listening(expiryWatcher.pid);
    assert.ok(Date.now() < expiresAtMs - 200, `the watcher started too late to see the value expire (machine overloaded?); ${expiresAtMs - Date.now()} ms were left`);
    const [expiryDone, expiryOutcome] = await Promise.all([expiryWatcher.done, mcpExpiry]);
    assert.equal(expiryDone.code, 0, expiryDone.stderr);
    assert.equal(expiryDone.stdout, '');
    assert.match(expiryDone.stderr, /was deleted or expired/);
    assert.deepEqual(expiryOutcome.structured, { address: expiring, changed: true, value: null, deleted: true });
    // A timer set for the expiry wakes them, not the once-a-second safety recheck: well under a second.
    for (const [who, at] of [
      ['CLI watcher', expiryDone.exitedAt],
      ['MCP watch', mcpExpiryAt],
    ] as const) {
      assert.ok(at >= expiresAtMs - 20, `${who} woke ${expiresAtMs - at} ms before the value expired`);
      assert.ok(at - expiresAtMs < 500, `${who} woke ${at - expiresAtMs} ms after the value expired`);
    }
  });
});
