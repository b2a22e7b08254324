/**
 * Issue 12: a writer killed at any instant of a commit leaves a database that both native SQLite
 * and our loader read as the old or the new state, never a mix, with every acknowledged write.
 *
 * A child process (test/fixtures/crashWriter) commits a batch that is always acknowledged, then
 * one that SIGKILLs itself at a chosen step of the protocol (src/core/protocolSteps.ts): every step
 * of the write-ahead-log commit, of the whole-file replace and of the completion of a log a killed
 * writer left, at random points within them (torn writes of random length, the nth page). Then the
 * file is read by our loader and by the system sqlite3, in varying order (sqlite3 completes a log it
 * finds; sometimes only our loader reads and the next writer of ours completes it). Both must pass
 * integrity_check and show the same contents, equal to the state before or after the killed batch.
 *
 * PRONTODB_CRASH_TRIALS sets the number of kills (500 by default); PRONTODB_TEST_SEED replays a run.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { loadSqlJs } from '../../src/core/sqljs';
import { FIXTURES, REPO_ROOT, requireSqlite3, Sandbox } from '../helpers/cliHarness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seededRandom } = require(path.join(REPO_ROOT, 'test', 'helpers', 'seededRandom.js')) as { seededRandom: (seed: number) => () => number };

const SEED = Number(process.env.PRONTODB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRIALS = Number(process.env.PRONTODB_CRASH_TRIALS ?? 500);

type State = Map<string, string>;
type Batch = Array<[string, string | null]>;

interface Step {
  /** What the kill-point table reports. */
  name: string;
  /** The protocol: 'log' (few pages changed), 'whole' (PRONTODB_INCREMENTAL_WRITES=0), 'recovery' (completing a log left by a killed writer). */
  protocol: 'log' | 'whole' | 'recovery';
  /** The PRONTODB_TEST_KILL_AT value, with its random point. */
  spec(random: () => number): string;
}

const pick = (random: () => number, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

const STEPS: Step[] = [
  { name: 'wal-created', protocol: 'log', spec: () => 'wal-created' },
  { name: 'torn wal-frames', protocol: 'log', spec: (r) => `torn:wal-frames:${pick(r, 0, 30_000)}` },
  { name: 'wal-frames-written', protocol: 'log', spec: () => 'wal-frames-written' },
  { name: 'wal-frames-synced', protocol: 'log', spec: () => 'wal-frames-synced' },
  { name: 'torn wal-header', protocol: 'log', spec: (r) => `torn:wal-header:${pick(r, 0, 31)}` },
  { name: 'wal-header-written', protocol: 'log', spec: () => 'wal-header-written' },
  { name: 'wal-committed', protocol: 'log', spec: () => 'wal-committed' },
  { name: 'checkpoint-page #n', protocol: 'log', spec: (r) => `checkpoint-page#${pick(r, 1, 3)}` },
  { name: 'torn checkpoint-page #n', protocol: 'log', spec: (r) => `torn:checkpoint-page:${pick(r, 0, 4095)}#${pick(r, 1, 3)}` },
  { name: 'checkpoint-written', protocol: 'log', spec: () => 'checkpoint-written' },
  { name: 'checkpoint-synced', protocol: 'log', spec: () => 'checkpoint-synced' },
  { name: 'wal-removed', protocol: 'log', spec: () => 'wal-removed' },
  { name: 'torn atomic-temp', protocol: 'whole', spec: (r) => `torn:atomic-temp:${pick(r, 0, 4096)}#${pick(r, 1, 2)}` },
  { name: 'atomic-temp-written', protocol: 'whole', spec: () => 'atomic-temp-written' },
  { name: 'atomic-temp-synced', protocol: 'whole', spec: () => 'atomic-temp-synced' },
  { name: 'atomic-renamed', protocol: 'whole', spec: () => 'atomic-renamed' },
  { name: 'atomic-directory-synced', protocol: 'whole', spec: () => 'atomic-directory-synced' },
  { name: 'recovery-page #n', protocol: 'recovery', spec: (r) => `recovery-page#${pick(r, 1, 3)}` },
  { name: 'torn recovery-page #n', protocol: 'recovery', spec: (r) => `torn:recovery-page:${pick(r, 0, 4095)}#${pick(r, 1, 3)}` },
  { name: 'recovery-written', protocol: 'recovery', spec: () => 'recovery-written' },
  { name: 'recovery-synced', protocol: 'recovery', spec: () => 'recovery-synced' },
  { name: 'recovery-removed', protocol: 'recovery', spec: () => 'recovery-removed' },
];

let sql: SqlJsStatic;
let box: Sandbox;

before(async () => {
  requireSqlite3();
  assert.ok(fs.existsSync(path.join(FIXTURES, 'crashWriter.js')), 'compile the fixtures first: npx tsc -p .');
  sql = await loadSqlJs();
});

beforeEach(() => {
  box = new Sandbox('prontodb-crash-');
});

afterEach(() => box.cleanup());

function applied(state: State, batch: Batch): State {
  const next = new Map(state);
  for (const [key, value] of batch) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return next;
}

function describeDifference(actual: State, expected: State): string {
  const missing = [...expected.keys()].filter((key) => actual.get(key) !== expected.get(key)).slice(0, 3);
  const extra = [...actual.keys()].filter((key) => !expected.has(key)).slice(0, 3);
  return `${actual.size} keys vs ${expected.size}; differing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`;
}

function sameState(a: State, b: State): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

/** What our loader reads (a fresh store, in this process), after its own integrity_check. */
async function readOurs(file: string): Promise<{ state: State; integrity: string }> {
  const store = new SqlJsFileStore(file, sql);
  try {
    const integrity = (await store.integrityCheck()).join('; ');
    const { entries } = await store.exportEntries({ project: 'crash' });
    return { state: new Map(entries.map((entry) => [entry.key, entry.value])), integrity };
  } finally {
    await store.close();
  }
}

/** What the system sqlite3 reads (it completes a committed log it finds, and removes the log). */
function readNative(file: string): { state: State; integrity: string } {
  const out = execFileSync('sqlite3', ['-batch', '-separator', '\x1f', '-newline', '\x1e', file], {
    input: "PRAGMA integrity_check;\nSELECT key, value FROM kv WHERE project = 'crash';\n",
    encoding: 'utf8',
  });
  const [integrity = '', ...rows] = out.split('\x1e').filter((line) => line.length > 0);
  return { state: new Map(rows.map((row) => row.split('\x1f') as [string, string])), integrity };
}

function runWriter(file: string, batches: Batch[], env: Record<string, string>): Promise<{ acks: number[]; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  const planFile = box.path(`plan-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(planFile, JSON.stringify({ batches }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(FIXTURES, 'crashWriter.js'), file, planFile], { env: box.envWith(env), cwd: box.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(planFile, { force: true });
      // Only complete lines count: an acknowledgement cut by the kill was not given.
      const acks = stdout.split('\n').slice(0, -1).filter((line) => line.startsWith('ACK ')).map((line) => Number(line.slice(4)));
      resolve({ acks, signal, code, stderr });
    });
  });
}

describe('crash safety (issue 12): a writer killed at every step of its commit', () => {
  it(`${TRIALS} SIGKILLs over every step and random points: sqlite3 and our loader agree, integrity ok, the old or the new state, every acknowledged write kept (PRONTODB_TEST_SEED replays)`, async function () {
    this.timeout(60 * 60_000);
    const random = seededRandom(SEED);
    const replay = `replay with PRONTODB_TEST_SEED=${SEED}`;
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const value = (): string => `v${Math.floor(random() * 1e9).toString(36)} ${'x'.repeat(pick(random, 5, 220))}`;

    // A database of some 60-80 pages, written by us (WAL format, like the Rust CLI's).
    let state: State = new Map(Array.from({ length: 1500 }, (_, index) => [`key${String(index).padStart(5, '0')}`, value()]));
    {
      const store = new SqlJsFileStore(file, sql);
      await store.importEntries(
        [...state].map(([key, text]) => ({ project: 'crash', namespace: 'n', key, context: null, value: text, createdAt: 1, updatedAt: 1, expiresAt: null })),
        [],
      );
      await store.close();
    }
    /** Sets of random keys (one in ten new), one in ten a delete; `changes`: only sets of existing keys (always a commit). */
    const batch = (size: number, changes = false): Batch =>
      Array.from({ length: size }, () => {
        const key = !changes && random() < 0.1 ? `new${Math.floor(random() * 1e6)}` : `key${String(pick(random, 0, 1499)).padStart(5, '0')}`;
        return [key, !changes && random() < 0.1 ? null : value()] as [string, string | null];
      });

    const kills = new Map<string, number>(STEPS.map((step) => [step.name, 0]));
    const notReached = new Map<string, number>();
    const outcomes = { old: 0, new: 0 };
    let killed = 0;
    let attempts = 0;
    let nativeReads = 0;
    let leftoverLogs = 0;

    /** Checks the file after a writer ended; returns the state it holds. `verify`: who reads it, in which order. */
    const check = async (label: string, expectations: State[], verify: 'ours-native' | 'native-ours' | 'ours'): Promise<State> => {
      let native: { state: State; integrity: string } | undefined;
      if (verify === 'native-ours') native = readNative(file);
      const ours = await readOurs(file);
      if (verify === 'ours-native') native = readNative(file);
      if (native) nativeReads++;
      assert.equal(ours.integrity, 'ok', `${label}: our loader's integrity_check; ${replay}`);
      const matched = expectations.findIndex((expected) => sameState(ours.state, expected));
      assert.ok(matched >= 0, `${label}: our loader read neither the old nor the new state (${describeDifference(ours.state, expectations[expectations.length - 1]!)}); ${replay}`);
      if (native) {
        assert.equal(native.integrity, 'ok', `${label}: sqlite3's integrity_check; ${replay}`);
        assert.ok(sameState(native.state, ours.state), `${label}: sqlite3 and our loader disagree (${describeDifference(native.state, ours.state)}); ${replay}`);
      }
      if (expectations.length > 1) outcomes[matched === 0 ? 'old' : 'new']++;
      if (fs.existsSync(`${file}-wal`)) leftoverLogs++;
      return ours.state;
    };

    let round = 0;
    while (killed < TRIALS) {
      assert.ok(attempts < TRIALS * 2, `too many trials never reached their kill point: ${JSON.stringify([...notReached])}`);
      const step = STEPS[round++ % STEPS.length]!;
      const verify = (['ours-native', 'native-ours', 'ours'] as const)[pick(random, 0, 2)]!;
      if (step.protocol === 'recovery') {
        // First a writer killed right after its commit point: it leaves a committed log.
        const prep = batch(pick(random, 1, 4), true);
        const left = await runWriter(file, [prep], { CRASH_KILL_AT: 'wal-committed' });
        attempts++;
        assert.equal(left.signal, 'SIGKILL', `the preparing writer died at wal-committed: ${left.stderr}; ${replay}`);
        assert.ok(fs.existsSync(`${file}-wal`), 'it left its log');
        killed++;
        kills.set('wal-committed', kills.get('wal-committed')! + 1);
        state = await check(`after wal-committed (prep)`, [applied(state, prep)], 'ours');
        // Then a writer that completes it and dies at a step of that.
        const next = batch(pick(random, 1, 4), true);
        const spec = step.spec(random);
        const result = await runWriter(file, [next], { CRASH_KILL_AT: spec });
        attempts++;
        const label = `kill at ${spec}`;
        if (result.signal === 'SIGKILL') {
          killed++;
          kills.set(step.name, kills.get(step.name)! + 1);
          assert.deepEqual(result.acks, [], `${label}: nothing acknowledged`);
          state = await check(label, [state], verify);
        } else {
          assert.equal(result.code, 0, `${label}: ${result.stderr}`);
          notReached.set(spec, (notReached.get(spec) ?? 0) + 1);
          state = await check(`${label} (not reached)`, [applied(state, next)], verify);
        }
        continue;
      }
      const first = batch(pick(random, 1, 3));
      const second = batch(step.protocol === 'log' ? pick(random, 1, 6) : pick(random, 1, 30));
      const spec = step.spec(random);
      const env: Record<string, string> = { CRASH_KILL_AT: spec };
      if (step.protocol === 'whole') env.PRONTODB_INCREMENTAL_WRITES = '0';
      const result = await runWriter(file, [first, second], env);
      attempts++;
      const label = `kill at ${spec} (${step.protocol})`;
      assert.ok(result.acks.includes(0), `${label}: the first batch was acknowledged (${result.stderr}); ${replay}`);
      const before = applied(state, first);
      const after = applied(before, second);
      if (result.signal === 'SIGKILL') {
        killed++;
        kills.set(step.name, kills.get(step.name)! + 1);
        assert.deepEqual(result.acks, [0], `${label}: the killed batch was not acknowledged`);
        state = await check(label, [before, after], verify);
      } else {
        // The batch took the other protocol or had fewer pages than the step's n: it completed.
        assert.equal(result.code, 0, `${label}: ${result.stderr}`);
        assert.deepEqual(result.acks, [0, 1]);
        notReached.set(spec.replace(/:\d+/, ':n'), (notReached.get(spec.replace(/:\d+/, ':n')) ?? 0) + 1);
        state = await check(`${label} (not reached)`, [after], verify);
      }
    }

    // The last state is completed and written over by one more writer, then read by both.
    const last = batch(3);
    const final = await runWriter(file, [last], {});
    assert.deepEqual([final.code, final.acks], [0, [0]], final.stderr);
    await check('after the last writer', [applied(state, last)], 'ours-native');
    assert.equal(fs.existsSync(`${file}-wal`), false, 'no log is left once a writer has completed');

    const table = [...kills].map(([name, count]) => `${name}: ${count}`).join(', ');
    console.log(
      `      crash safety: ${killed} kills in ${attempts} writers (seed ${SEED}); per step: ${table}; ` +
        `killed batches read as old ${outcomes.old}, new ${outcomes.new}; sqlite3 read ${nativeReads} times; ${leftoverLogs} checks found a log left; ` +
        `steps not reached (the batch took another path): ${JSON.stringify([...notReached])}`,
    );
    for (const [name, count] of kills) assert.ok(count > 0, `no kill at ${name}: the step was never reached; ${replay}`);
    assert.ok(outcomes.old > 0 && outcomes.new > 0, 'kills both before and after the commit point');
  });
});
