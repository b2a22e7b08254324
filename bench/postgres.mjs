// The PostgreSQL section of `npm run bench` (issue 11), started by run.mjs in a process of its own
// (the cluster is asynchronous to start and must be stopped whatever happens):
//   node bench/postgres.mjs → one line `RESULT <json>` on stdout
// Starts the test suite's throwaway cluster on loopback (test/helpers/postgres.ts, compiled to
// out/) with fsync on, then runs bench/postgresCase.mjs children: warm get and durable set next to
// the file store on the same keys, and 8 concurrent writer processes on each. With no PostgreSQL
// installed it reports `unavailable` (run.mjs prints "not measured").
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BENCH_DIR, ROOT, tempDir } from './lib.mjs';

const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
const report = (result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
const log = (text) => process.stderr.write(`  [postgres] ${text}\n`);
const CASE = path.join(BENCH_DIR, 'postgresCase.mjs');
const WRITERS = 8;
const WRITE_SECONDS = 5;

function runCase(name, args) {
  const result = spawnSync(process.execPath, [CASE, name, JSON.stringify(args)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (result.status !== 0 || !line) throw new Error(`postgres case ${name} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(line.slice('RESULT '.length));
}

/** A writer process; resolves its result once it exits. `ready` resolves when it has connected. */
function startWriter(args) {
  const child = spawn(process.execPath, [CASE, 'writer', JSON.stringify(args)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('READY\n')) markReady();
  });
  child.stderr.on('data', (chunk) => (err += chunk));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`postgres writer failed (exit ${code}):\n${out}\n${err}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
  return { child, ready, done };
}

/** 8 processes writing their own keys for WRITE_SECONDS to `location`, started together once all are connected; every acknowledged write checked afterwards. */
async function concurrentWriters(location) {
  const writers = Array.from({ length: WRITERS }, (_, id) => startWriter({ location, id }));
  await Promise.all(writers.map((w) => w.ready));
  for (const w of writers) w.child.stdin.write(`GO ${WRITE_SECONDS}\n`);
  const results = await Promise.all(writers.map((w) => w.done));
  const total = results.reduce((sum, r) => sum + r.count, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const { missing } = runCase('verifyWriters', { location, counts: results.map((r) => r.count) });
  return { total, seconds, perSecond: total / seconds, perWriter: results.map((r) => r.count), missing };
}

let helper;
try {
  helper = requireFromRoot(path.join(ROOT, 'out', 'test', 'helpers', 'postgres.js'));
  helper.postgresBinaries();
} catch (error) {
  report({ unavailable: String(error.message ?? error).split('\n')[0] });
  process.exit(0);
}

const work = tempDir('postgres');
let cluster;
try {
  log('starting a throwaway cluster (fsync on)');
  cluster = await helper.startPostgres({ durable: true });
  const { url } = await cluster.createRoleAndDatabase('bench', 'bench');
  const location = (name) => `${url}${url.includes('?') ? '&' : '?'}prontodb=${name}`;

  log('warm get and durable set, 10k keys, server and file interleaved');
  const getset = runCase('getset', { server: location('getset'), file: path.join(work, 'getset.prdb') });
  if (getset.misses || getset.lost) throw new Error(`getset: ${getset.misses} misses, ${getset.lost} acknowledged sets lost`);

  log(`${WRITERS} concurrent writer processes, ${WRITE_SECONDS} s each: server`);
  const serverWriters = await concurrentWriters(location('writers'));
  log(`${WRITERS} concurrent writer processes, ${WRITE_SECONDS} s each: file`);
  const fileWriters = await concurrentWriters(path.join(work, 'writers.prdb'));
  if (serverWriters.missing || fileWriters.missing) throw new Error(`writers: acknowledged writes missing: server ${serverWriters.missing}, file ${fileWriters.missing}`);
  report({ getset, serverWriters, fileWriters });
} finally {
  cluster?.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
