/**
 * Several processes on one database: concurrent writers lose nothing, a writer killed with SIGKILL
 * leaves a valid file holding every acknowledged write (and its lock is taken over), and one
 * process sees another's writes on its next read.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { lockPathFor } from '../../src/core/lock';
import { integrityCheck, REPO_ROOT, requireSqlite3, Sandbox, sleep, sqliteRows } from '../helpers/cliHarness';

let box: Sandbox;

before(function () {
  requireSqlite3();
  assert.ok(fs.existsSync(path.join(__dirname, '..', 'fixtures', 'writer.js')), 'compile the fixtures first: npx tsc -p .');
});

beforeEach(() => {
  box = new Sandbox('prontodb-multi-');
});

afterEach(() => {
  box.cleanup();
});

function storedValues(file: string): Map<string, string> {
  return new Map(sqliteRows(file, 'SELECT key, value FROM kv;').map(([key, value]) => [key!, value!]));
}

/** Files other than the database itself: temp files, lock directory, sidecars. */
function leftovers(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((name) => name !== path.basename(file));
}

describe('multi-process: concurrent writers', () => {
  it('CLI processes and core writers writing at once lose no update and leave a valid file', async function () {
    this.timeout(60_000);
    const file = box.dbFile('main');
    const cliLoops = 6;
    const cliSetsEach = 3;
    const writers = 6;
    const setsEach = 15;
    // Every CLI loop runs its sets one after another (as a shell script would), all loops at once,
    // while the core writers hammer the same file with one durable commit per set.
    const cliRuns = Array.from({ length: cliLoops }, async (_, loop) => {
      for (let index = 0; index < cliSetsEach; index++) {
        await box.ok(['set', `cli.loop${loop}.k${index}`, `cli ${loop}/${index}`], { via: 'spawn', timeoutMs: 55_000 });
      }
    });
    const writerRuns = Array.from({ length: writers }, (_, writer) => box.fixture('writer', [`w${writer}-`, String(setsEach)], { timeoutMs: 55_000 }));
    const [written] = await Promise.all([Promise.all(writerRuns), Promise.all(cliRuns)]);
    for (const result of written) assert.equal(result.code, 0, result.stderr);

    assert.equal(integrityCheck(file), 'ok');
    const values = storedValues(file);
    for (let writer = 0; writer < writers; writer++) {
      const acknowledged = written[writer]!.stdout.split('\n').filter(Boolean);
      assert.equal(acknowledged.length, setsEach);
      for (const key of acknowledged) assert.equal(values.get(key), `value of ${key}`, `${key} was lost`);
    }
    const cliRows = sqliteRows(file, "SELECT namespace, key, value FROM kv WHERE project = 'cli' ORDER BY namespace, key;");
    assert.equal(cliRows.length, cliLoops * cliSetsEach);
    for (const [namespace, key, value] of cliRows) assert.equal(value, `cli ${namespace!.slice(4)}/${key!.slice(1)}`);
    assert.deepEqual(sqliteRows(file, 'SELECT count(*) FROM kv;'), [[String(writers * setsEach + cliLoops * cliSetsEach)]]);
    assert.deepEqual(leftovers(file), [], 'no temp files or lock left behind');
  });

  it('concurrent CLI imports are each all-or-nothing and all land', async () => {
    const file = box.dbFile('main');
    const batches = Array.from({ length: 5 }, (_, batch) =>
      ['project,namespace,key,context,value', ...Array.from({ length: 40 }, (_, i) => `imp,b${batch},k${i},,"v${batch},${i}"`)].join('\n') + '\n',
    );
    const results = await Promise.all(batches.map((input) => box.run(['import', '-', '--format', 'csv'], { via: 'spawn', input })));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.equal(integrityCheck(file), 'ok');
    assert.deepEqual(sqliteRows(file, 'SELECT namespace, count(*) FROM kv GROUP BY namespace ORDER BY namespace;'), [
      ['b0', '40'],
      ['b1', '40'],
      ['b2', '40'],
      ['b3', '40'],
      ['b4', '40'],
    ]);
  });
});

/** Starts a writer, collects its acknowledgements, and SIGKILLs it once `afterAcks` have arrived. */
function killWriterAfter(prefix: string, afterAcks: number, extraDelayMs: number): Promise<{ acknowledged: string[]; stderr: string }> {
  const child = box.spawnFixture('writer', [prefix, '0']);
  const acknowledged: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    let killing = false;
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      acknowledged.push(line);
      if (!killing && acknowledged.length >= afterAcks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraDelayMs);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer acknowledged only ${acknowledged.length} writes: ${stderr}`));
    }, 20_000);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      lines.close();
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited by itself (${signal}): ${stderr}`));
      // Only complete lines count: a key whose line was cut by the kill was not acknowledged.
      else resolve({ acknowledged: acknowledged.filter((key) => key.startsWith(prefix)), stderr });
    });
  });
}

/**
 * Kill points come from a seeded generator: PRONTODB_TEST_SEED=<n> replays a run, and every failure
 * names its seed.
 */
const KILL_SEED = Number(process.env.PRONTODB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** The repository's one seeded generator, shared with the VS Code runner and the bench (plain JS, not compiled into out/). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seededRandom } = require(path.join(REPO_ROOT, 'test', 'helpers', 'seededRandom.js')) as { seededRandom: (seed: number) => () => number };

describe('multi-process: a writer killed with SIGKILL', () => {
  it('leaves a file that passes integrity_check and holds every acknowledged write; the next writers take over (seeded kill points: PRONTODB_TEST_SEED replays a run)', async function () {
    this.timeout(60_000);
    const random = seededRandom(KILL_SEED);
    const replay = `replay with PRONTODB_TEST_SEED=${KILL_SEED}`;
    const file = box.dbFile('main');
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const afterAcks = 3 + Math.floor(random() * 25);
      const extraDelayMs = Math.floor(random() * 25);
      const killed = await killWriterAfter(`r${round}-`, afterAcks, extraDelayMs);
      assert.ok(killed.acknowledged.length >= afterAcks, killed.stderr);
      acknowledged.push(...killed.acknowledged);

      assert.equal(integrityCheck(file), 'ok', `round ${round}: after a kill at ${afterAcks} acks + ${extraDelayMs} ms; ${replay}`);
      const values = storedValues(file);
      for (const key of acknowledged) assert.equal(values.get(key), `value of ${key}`, `acknowledged ${key} was lost (round ${round}, kill at ${afterAcks} acks + ${extraDelayMs} ms; ${replay})`);

      // Two writers right after the kill: whatever lock the dead one left is taken over (they would
      // give up after their 30 s lock timeout otherwise), and they serialise with each other.
      const after = await Promise.all([box.fixture('writer', [`after${round}a-`, '3']), box.fixture('writer', [`after${round}b-`, '3'])]);
      for (const result of after) {
        assert.equal(result.code, 0, result.stderr);
        acknowledged.push(...result.stdout.split('\n').filter(Boolean));
      }
      assert.equal(integrityCheck(file), 'ok');
      assert.deepEqual(leftovers(file), [], `the next writer removes the dead one's temp files and abandoned lock waits, and the lock is released; ${replay}`);
    }
    const values = storedValues(file);
    for (const key of acknowledged) assert.equal(values.get(key), `value of ${key}`, `acknowledged ${key} was lost; ${replay}`);
  });

  it('a lock whose holder was killed is taken over at once: its holder provably no longer exists', async function () {
    this.timeout(30_000);
    const file = box.dbFile('main');
    await box.ok(['set', 'k', 'before']);
    const holder = new Agent(box.spawnFixture('agent', []));
    try {
      await holder.ready;
      await holder.request({ op: 'lock' });
      assert.ok(fs.existsSync(lockPathFor(file)), 'the holder took the lock');
      holder.child.kill('SIGKILL');
      await holder.exited;
      assert.ok(fs.existsSync(lockPathFor(file)), 'a killed holder leaves its lock behind');
      // A 1 s lock timeout: only a takeover without waiting for any staleness lets it write.
      const result = await box.fixture('writer', ['taken-', '2', '1000']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.split('\n').filter(Boolean), ['taken-0', 'taken-1']);
      assert.equal(fs.existsSync(lockPathFor(file)), false);
      assert.equal(storedValues(file).get('taken-1'), 'value of taken-1');
      assert.equal(integrityCheck(file), 'ok');
    } finally {
      holder.child.kill('SIGKILL');
    }
  });
});

interface Reply {
  id?: number;
  ok?: boolean;
  value?: string | null;
  error?: string;
  event?: string;
  ready?: boolean;
  file?: string;
}

/** Drives test/fixtures/agent: a long-lived ProntoDB instance in its own process. */
class Agent {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  readonly events: string[] = [];
  readonly ready: Promise<Reply>;
  readonly exited: Promise<void>;
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    let onReady: (reply: Reply) => void = () => undefined;
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      if (reply.ready) onReady(reply);
      else if (reply.event) this.events.push(reply.event);
      else if (reply.id !== undefined) this.pending.get(reply.id)?.(reply);
    });
  }

  request(message: { op: string; address?: string; value?: string }): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not answer ${JSON.stringify(message)}: ${this.stderr}`)), 15_000);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (reply.ok) resolve(reply);
        else reject(new Error(`agent failed ${JSON.stringify(message)}: ${reply.error}`));
      });
      this.child.stdin!.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  }

  async get(address: string): Promise<string | null> {
    return (await this.request({ op: 'get', address })).value ?? null;
  }

  async set(address: string, value: string): Promise<void> {
    await this.request({ op: 'set', address, value });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end();
      await Promise.race([this.exited, sleep(5000)]);
      this.child.kill('SIGKILL');
    }
  }
}

describe('multi-process: two long-lived instances', () => {
  let a: Agent;
  let b: Agent;

  beforeEach(async () => {
    a = new Agent(box.spawnFixture('agent', []));
    b = new Agent(box.spawnFixture('agent', []));
    const [readyA, readyB] = await Promise.all([a.ready, b.ready]);
    assert.equal(readyA.file, box.dbFile('main'));
    assert.equal(readyB.file, box.dbFile('main'));
  });

  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it("each sees the other's write on its next read, even for same-size values in quick succession", async () => {
    assert.equal(await b.get('shared.k'), null);
    for (let round = 0; round < 15; round++) {
      const fromA = `A-${String(round).padStart(3, '0')}`;
      await a.set('shared.k', fromA);
      assert.equal(await b.get('shared.k'), fromA, `round ${round}: B read a stale value`);
      const fromB = `B-${String(round).padStart(3, '0')}`;
      await b.set('shared.k', fromB);
      assert.equal(await a.get('shared.k'), fromB, `round ${round}: A read a stale value`);
    }
    // A CLI process writing in between is seen too.
    await box.ok(['set', 'shared.k', 'C-cli'], { via: 'spawn' });
    assert.deepEqual(await Promise.all([a.get('shared.k'), b.get('shared.k')]), ['C-cli', 'C-cli']);
    // Interleaved writes of different keys by both: neither overwrites the other's (no lost update
    // from a stale in-memory copy).
    await Promise.all([a.set('shared.fromA', '1'), b.set('shared.fromB', '2')]);
    assert.deepEqual(await Promise.all([a.get('shared.fromB'), b.get('shared.fromA')]), ['2', '1']);
    assert.equal(integrityCheck(box.dbFile('main')), 'ok');
  });

  it('a watcher is told about writes by another process', async () => {
    await b.request({ op: 'watch' });
    await a.set('watched.k', 'v1');
    const deadline = Date.now() + 5000;
    while (!b.events.includes('external') && Date.now() < deadline) await sleep(20);
    assert.ok(b.events.includes('external'), `B saw events ${JSON.stringify(b.events)}`);
    assert.equal(await b.get('watched.k'), 'v1');
    // Its own writes are reported as local, not external. The negative check waits for a positive
    // marker instead of a fixed sleep: A's next write, which B must report as external, comes after
    // B's own write's file event; by then a wrong 'external' for B's own write would have arrived.
    b.events.length = 0;
    await b.set('watched.k', 'v2');
    assert.deepEqual(b.events, ['local'], 'a local event is emitted before the write resolves');
    await a.set('watched.marker', 'after');
    const markerDeadline = Date.now() + 5000;
    while (!b.events.includes('external') && Date.now() < markerDeadline) await sleep(10);
    assert.deepEqual(b.events, ['local', 'external'], `B's own write must not be reported as external: ${JSON.stringify(b.events)}`);
    assert.equal(await b.get('watched.marker'), 'after');
  });
});
