// ProntoDB benchmark: the sql.js core against native SQLite (better-sqlite3@12) in the same run.
//   npm run bench            (from the repository root; builds dist/ first)
//   node bench/run.mjs       (builds out/ and dist/ itself as well)
// Env: BENCH_SKIP_BUILD=1 skips the tsc/esbuild steps; BENCH_ONLY=get,import,... runs a subset.
// Prints a markdown table and writes it to bench/results.md.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const started = Date.now();
const log = (text) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${text}\n`);

// ---- setup: bench dependencies and builds ----------------------------------------------------------

function ensureBenchDependencies() {
  if (fs.existsSync(path.join(BENCH_DIR, 'node_modules', 'better-sqlite3', 'package.json'))) return;
  log('installing bench dependencies (better-sqlite3@12; compiles from source when no prebuilt binary can be fetched: a few minutes)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const hasLock = fs.existsSync(path.join(BENCH_DIR, 'package-lock.json'));
  const result = spawnSync(npm, [hasLock ? 'ci' : 'install', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm ${hasLock ? 'ci' : 'install'} --prefix bench failed`);
}

function build() {
  if (process.env.BENCH_SKIP_BUILD) return;
  log('compiling the core (npx tsc -p .) and bundling the CLI (node esbuild.config.mjs)');
  const tsc = spawnSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) {
    // tsc still emits on type errors (noEmitOnError is off); go on if the core is there.
    process.stderr.write(tsc.stdout + tsc.stderr);
    log('tsc reported errors (above); continuing with what it emitted');
  }
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
  for (const file of ['out/src/core/pronto.js', 'out/src/core/fileStore.js', 'out/src/core/sqljs.js', 'dist/cli.js']) {
    if (!fs.existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing after the build`);
  }
}

ensureBenchDependencies();
build();

const lib = await import('./lib.mjs');
const { addressOf, addressText, makeNativeFixture, median, mb, nowMs, tempDir, quantile } = lib;

// ---- helpers ---------------------------------------------------------------------------------------

function runCase(name, args, nodeArgs = []) {
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(BENCH_DIR, 'case.mjs'), name, JSON.stringify(args)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (result.status !== 0 || !line) {
    throw new Error(`case ${name} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(line.slice('RESULT '.length));
}

/** CPU time (user + system, ms) of this process's waited-for children, from /proc (Linux); undefined elsewhere. */
const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function childCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks; // cutime, cstime
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU time that other processes used over `ms` (from /proc/stat; Linux). */
function backgroundBusy(ms = 500) {
  const read = () => {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const values = fields.map(Number);
    const idle = values[3] + (values[4] ?? 0);
    return { idle, total: values.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    const b = read();
    return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
  } catch {
    return undefined;
  }
}

/**
 * The machine is shared: before each measurement wait (up to maxWaitMs) for other processes to use
 * less than a quarter of the CPUs, and record what they used, so the notes say how quiet it was.
 */
const quiet = {};
function waitForQuiet(label, maxWaitMs = 10_000) {
  const until = Date.now() + maxWaitMs;
  let busy = backgroundBusy();
  while (busy !== undefined && busy > 0.25 && Date.now() < until) busy = backgroundBusy(1000);
  quiet[label] = busy;
  if (busy !== undefined && busy > 0.25) log(`${label}: other processes still use ${(busy * 100).toFixed(0)}% of the CPUs; measuring anyway`);
}

const copy = (from, to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  return to;
};

const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const wanted = (name) => !only || only.has(name);
const fmt = (value, digits = 1) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const rows = [];
const notes = [];
const work = tempDir('run');
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** Runs one measurement; a crash or failed verification becomes a FAIL row, and the others still run. */
const errors = [];
function section(name, body) {
  if (!wanted(name)) return;
  try {
    body();
  } catch (error) {
    errors.push(name);
    log(`${name} failed: ${error.stack ?? error}`);
    rows.push({ name: `${name}: the measurement failed`, ours: 'error', base: '', ratio: NaN, ratioLabel: 'n/a', target: '', pass: false });
    const lines = String(error.message ?? error).split('\n').filter((line) => line.trim());
    notes.push(`${name} failed: ${lines[0]} ${lines.filter((line) => /Error|error:/.test(line)).slice(0, 2).join(' / ')}`);
  }
}

// ---- fixtures (native SQLite, the Rust CLI's schema, WAL format) ---------------------------------------

const fixtures = {};
/** `valueBytes`: the range of value lengths; 60-100 unless a case needs another file size per key. */
function fixture(keys, valueBytes = [60, 100]) {
  const id = `${keys}-${valueBytes.join('-')}`;
  if (!fixtures[id]) {
    const file = path.join(work, `fixture-${id}.prdb`);
    const t = nowMs();
    const size = makeNativeFixture(file, keys, 1, valueBytes);
    log(`fixture: ${keys} keys, values ${valueBytes.join('-')} bytes, ${mb(size).toFixed(1)} MiB (${(nowMs() - t).toFixed(0)} ms)`);
    fixtures[id] = { file, size, keys, valueBytes };
  }
  return fixtures[id];
}

// ---- 1. warm get ------------------------------------------------------------------------------------

section('get', () => {
  const f = fixture(100_000);
  log('1. warm get on 100k keys');
  waitForQuiet('get');
  const r = runCase('get', { file: copy(f.file, path.join(work, 'get', 'ours.prdb')), nativeFile: copy(f.file, path.join(work, 'get', 'native.prdb')), keys: f.keys, ops: 50_000, rounds: 10 });
  if (r.misses) throw new Error(`get: ${r.misses} lookups missed`);
  // Judged against the fastest native way (prepared ORDER BY ... LIMIT 1 with the default or the
  // store's 32 MiB page cache, or all rows of the address with the newest picked in JS), as the
  // median of per-round ratios: rounds run back to back, so a slow spell of the shared machine
  // affects both sides of a ratio alike.
  const natives = { default: [r.nativeUs, r.rounds.native], cache32: [r.native32Us, r.rounds.native32], unsorted: [r.nativeUnsortedUs, r.rounds.nativeUnsorted] };
  const [bestName, [bestNative, bestRounds]] = Object.entries(natives).sort((a, b) => a[1][0] - b[1][0])[0];
  const ratio = median(r.rounds.ours.map((x, i) => x / bestRounds[i]));
  rows.push({
    name: `warm \`get\`, 100k keys (${mb(f.size).toFixed(1)} MiB), ${r.ops} random gets, µs/op`,
    ours: `${fmt(r.oursUs, 2)} (store.get); ${fmt(r.sessionUs, 2)} (Session.get of text)`,
    base: `${fmt(r.nativeUs, 2)} (prepared newest-row .get, default cache); ${fmt(r.native32Us, 2)} (same, 32 MiB cache); ${fmt(r.nativeUnsortedUs, 2)} (no ORDER BY, newest picked in JS); ${fmt(r.nativeAwaitedUs, 2)} (default, awaited)`,
    ratio,
    extra: `vs ${bestName}; of medians ${fmt(r.oursUs / bestNative, 2)}x`,
    target: '≤ 3x',
    pass: ratio <= 3,
  });
  const list = (values) => `[${values.map((x) => x.toFixed(1)).join(', ')}]`;
  notes.push(
    `get: per-round µs/op ours ${list(r.rounds.ours)}, native default ${list(r.rounds.native)}, 32 MiB cache ${list(r.rounds.native32)}, unsorted ${list(r.rounds.nativeUnsorted)}; ` +
      `a bare fs.statSync of the file costs ${fmt(r.statUs, 2)} µs (the store does one per read); on bare sql.js (the store's database handle, no store code) ` +
      `the newest-row SELECT with ORDER BY updated_at DESC, rowid DESC LIMIT 1 costs ${fmt(r.rawSqlJsUs, 2)} µs and without the ORDER BY (newest picked in JS) ${fmt(r.unsortedSqlJsUs, 2)} µs; ` +
      `first read (loading the file) ${fmt(r.loadMs, 0)} ms. Session.get / awaited native: ${fmt(r.sessionUs / r.nativeAwaitedUs, 2)}x. ` +
      `CPU time per op: ours ${fmt(r.cpuOursUs, 2)} µs, native default ${fmt(r.cpuNativeUs, 2)} µs (${fmt(r.cpuOursUs / r.cpuNativeUs, 2)}x).`,
  );
});


// ---- 2. import ----------------------------------------------------------------------------------------

section('import', () => {
  log('2. import 100k keys into an empty database');
  waitForQuiet('import');
  const r = runCase('import', { n: 100_000, reps: 7 });
  if (r.verify.rows !== 100_000 || r.verify.integrity !== 'ok') throw new Error(`import verification failed: ${JSON.stringify(r.verify)}`);
  // Median of per-run ratios (each of ours next to a native run), as for get.
  const ratio = median(r.runs.ours.map((x, i) => x / r.runs.deleteInsert[i]));
  rows.push({
    name: 'import 100k keys in one call into an empty DB (durable), ms (judged warm)',
    ours: `${fmt(r.oursMs, 0)} (store.importEntries, warm); ${fmt(r.cold.ours, 0)} (first in a fresh process)`,
    base: `${fmt(r.deleteInsertMs, 0)} (DELETE+INSERT per row, 1 txn, warm); ${fmt(r.cold.deleteInsert, 0)} (first); ${fmt(r.replaceMs, 0)} (INSERT OR REPLACE, warm)`,
    ratio,
    target: '≤ 2x',
    pass: ratio <= 2,
    extra: `warm; first in process ${fmt(r.cold.ours / r.cold.deleteInsert, 2)}x; of medians ${fmt(r.oursMs / r.deleteInsertMs, 2)}x, best of ${r.runs.ours.length} each ${fmt(Math.min(...r.runs.ours) / Math.min(...r.runs.deleteInsert), 2)}x; vs INSERT OR REPLACE ${fmt(median(r.runs.ours.map((x, i) => x / r.runs.replace[i])), 2)}x`,
  });
  notes.push(
    `import: runs ms ours [${r.runs.ours.map((x) => x.toFixed(0)).join(', ')}], delete+insert [${r.runs.deleteInsert.map((x) => x.toFixed(0)).join(', ')}], ` +
      `replace [${r.runs.replace.map((x) => x.toFixed(0)).join(', ')}]; of ours (median): export ${fmt(r.exportMs, 0)} ms, persist incl. export ${fmt(r.persistMs, 0)} ms, ` +
      `so SQL work ≈ ${fmt(r.oursMs - r.persistMs, 0)} ms; first (cold, not counted) run of the process: ours ${fmt(r.cold.ours, 0)} ms, delete+insert ${fmt(r.cold.deleteInsert, 0)} ms, replace ${fmt(r.cold.replace, 0)} ms; CPU time ours ${fmt(r.cpuOursMs, 0)} ms vs native delete+insert ${fmt(r.cpuDeleteInsertMs, 0)} ms (${fmt(r.cpuOursMs / r.cpuDeleteInsertMs, 2)}x); file writes per import ${r.writes.join('/')}; file ${mb(r.oursSize).toFixed(1)} MiB (native ${mb(r.nativeSize).toFixed(1)} MiB); ` +
      `read back by native SQLite: ${r.verify.rows} rows, integrity ${r.verify.integrity}.`,
  );
});


// ---- 3. durable single set ---------------------------------------------------------------------------

section('set', () => {
  // The issue defines this case as a 100k-key database of about 11 MB: that needs values of 20-55
  // bytes. The same measurement on 100k keys with 60-100 byte values (a 15 MB file) is shown too,
  // and on a database of about 100 MiB (issue 12: median ≤ 100 ms).
  const base = fixture(100_000);
  const bigKeys = Math.round((100 * 1024 * 1024 * base.keys) / base.size);
  for (const [keys, valueBytes, target] of [
    [100_000, [20, 55], { median: 20, p90: 40 }],
    [100_000, [60, 100], undefined],
    [bigKeys, [60, 100], { median: 100 }],
  ]) {
    const fx = fixture(keys, valueBytes);
    const big = fx.size > 50 * 1024 * 1024;
    log(`3. durable single set on ${keys} keys, values ${valueBytes.join('-')} bytes`);
    waitForQuiet(`set ${keys}`);
    const dir = path.join(work, `set-${keys}-${valueBytes.join('-')}`);
    const r = runCase('set', { file: copy(fx.file, path.join(dir, 'ours.prdb')), nativeFile: copy(fx.file, path.join(dir, 'native.prdb')), keys, count: big ? 20 : 30, floor: !big });
    if (r.lost) throw new Error(`set: ${r.lost} acknowledged values not found on re-read`);
    const targetText = target ? `median ≤ ${target.median} ms${target.p90 ? `, p90 ≤ ${target.p90} ms` : ''}` : 'info';
    rows.push({
      name: `durable single \`set\`, ${keys >= 1000 ? `${Math.round(keys / 1000)}k` : keys} keys, values ${valueBytes.join('-')} bytes (${mb(r.size).toFixed(1)} MiB = ${(r.size / 1e6).toFixed(1)} MB file), ${r.ours.length} sequential, ms median / p90${target ? '' : ' (info)'}`,
      ours: `${fmt(r.oursMedianMs)} / ${fmt(r.oursP90Ms)}`,
      base: `${fmt(r.nativeMedianMs, 2)} / ${fmt(r.nativeP90Ms, 2)} (upsert txn, sync=FULL)`,
      ratio: r.oursMedianMs / r.nativeMedianMs,
      target: targetText,
      pass: target ? r.oursMedianMs <= target.median && (target.p90 === undefined || r.oursP90Ms <= target.p90) : undefined,
    });
    notes.push(
      `set (${keys} keys, values ${valueBytes.join('-')} bytes): runs ms ours [${r.ours.map((x) => x.toFixed(0)).join(', ')}]; ${r.logCommits ?? 'n/a'} of ${r.writes} commits wrote only the changed pages (through the -wal); ` +
        `median breakdown: sql.js export ${fmt(r.exportMedianMs)} ms, persist (the backing's commit: log + fsyncs + copy, or export + whole-file replace) ${fmt(r.persistMedianMs)} ms, rest (lock, stat, readdir, SQL) ≈ ${fmt(r.oursMedianMs - r.persistMedianMs)} ms; ` +
        (r.floorMedianMs === undefined ? '' : `a bare atomic rewrite of a file that size (write + fdatasync + rename + dir fsync, no sql.js), after the sets: median ${fmt(r.floorMedianMs)} ms; `) +
        `first set after open (PRAGMA quick_check unless the version was verified recently) ${fmt(r.firstSetMs, 0)} ms; load ${fmt(r.loadMs, 0)} ms; every value re-read by a fresh store.`,
    );
  }
});


// ---- tree: expanding a namespace of a million keys vs one of a hundred --------------------------------

section('tree', () => {
  const file = path.join(work, 'tree', 'ours.prdb');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const Database = lib.nativeSqlite();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(lib.SCHEMA_SQL);
  const insert = db.prepare(lib.INSERT_SQL);
  const now = Math.floor(Date.now() / 1000);
  db.transaction(() => {
    for (let i = 0; i < 1_000_000; i++) insert.run('big', 'huge', `key${String(i).padStart(7, '0')}`, null, `v${i}`, now, now, null);
    for (let i = 0; i < 100; i++) insert.run('small', 'tiny', `key${i}`, null, `v${i}`, now, now, null);
    for (const project of ['alpha', 'beta', 'gamma']) insert.run(project, 'ns', 'k', null, 'v', now, now, null);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const size = fs.statSync(file).size;
  log(`tree: 1,000,100 keys, ${mb(size).toFixed(1)} MiB`);
  waitForQuiet('tree');
  const r = runCase('tree', { file });
  if (r.bigFirstPage !== 200) throw new Error(`tree: first page held ${r.bigFirstPage} keys`);
  // The big namespace shows a page of 200 keys, the small one all of its 100: judged per key shown.
  const perKeyRatio = r.expandBigMs / 200 / (r.expandSmallMs / 100);
  rows.push({
    name: 'Databases view: expand a namespace, 1,000,000 keys (first page: 200 shown) vs 100 keys (all 100 shown), ms',
    ours: `${fmt(r.expandBigMs, 2)} vs ${fmt(r.expandSmallMs, 2)}; "Load more" ${fmt(r.loadMoreBigMs, 2)}, a page 900k keys in ${fmt(r.deepPageBigMs, 2)}`,
    base: '',
    ratio: perKeyRatio,
    target: 'as fast as 100 keys (per key shown)',
    pass: perKeyRatio <= 1.5,
  });
  notes.push(
    `tree (file ${mb(size).toFixed(1)} MiB, 1,000,100 keys): loading the file ${fmt(r.loadMs, 0)} ms (once per process and file); then medians of 15: ` +
      `projects ${fmt(r.projectsMs, 2)} ms (${r.projects.length} projects), namespaces of the 1M-key project ${fmt(r.namespacesBigMs, 2)} ms, of the 100-key project ${fmt(r.namespacesSmallMs, 2)} ms; ` +
      `first page ${fmt(r.expandBigMs, 2)} ms (200 of 1M keys) vs ${fmt(r.expandSmallMs, 2)} ms (100 of 100); ratio per key shown ${perKeyRatio.toFixed(2)}x. The view keeps only the pages it shows.`,
  );
});

// ---- 4. 1,000 concurrent sets ---------------------------------------------------------------------------

section('concurrent', () => {
  const f = fixture(10_000);
  log('4. 1,000 concurrent sets on 10k keys');
  waitForQuiet('concurrent');
  const nonce = Date.now().toString(36);
  const file = copy(f.file, path.join(work, 'concurrent', 'ours.prdb'));
  const r = runCase('concurrent', { file, nativeFile: copy(f.file, path.join(work, 'concurrent', 'native.prdb')), keys: f.keys, count: 1000, nonce });
  // Verify from this (another) process with native SQLite: every value there, file intact.
  const Database = lib.nativeSqlite();
  const db = new Database(file, { readonly: false });
  const get = db.prepare(lib.GET_SQL);
  let missing = 0;
  for (let i = 0; i < 1000; i++) {
    const a = addressOf(i);
    if (get.get(a.project, a.namespace, a.key, a.context)?.value !== `concurrent-${nonce}-${i}`) missing++;
  }
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  const ok = missing === 0 && r.freshMissing === 0 && integrity === 'ok' && r.onDiskAtFirstResolve === true;
  rows.push({
    name: '1,000 concurrent `set` (Promise.all), 10k keys: total ms; file writes',
    ours: `${fmt(r.totalMs, 0)} ms; **${r.fileWrites} file writes**`,
    base: `${fmt(r.nativeMs, 0)} ms (1,000 durable txns); ${fmt(r.nativeGroupMs, 1)} ms (1 txn)`,
    ratio: r.totalMs / r.nativeMs,
    target: '≤ 20 file writes, all durable',
    pass: r.fileWrites <= 20 && ok,
  });
  notes.push(
    `concurrent: ${r.commits} commit(s); when the first promise resolved its value was ${r.onDiskAtFirstResolve ? 'already' : '**not**'} in the file on disk; first promise resolved at ${fmt(r.firstResolvedMs, 0)} ms, median ${fmt(r.medianResolvedMs, 0)} ms; ` +
      `verified after close: fresh store missing ${r.freshMissing}, native SQLite in another process missing ${missing}, integrity_check ${integrity}; file ${mb(r.size).toFixed(1)} MiB.`,
  );
});


// ---- 5. CLI get ------------------------------------------------------------------------------------------

/** The CLI get median of section 5 (10k keys), for the MCP row's comparison; undefined when it did not run. */
let cliGetMedianMs;

section('cli', () => {
  const f = fixture(10_000);
  log('5. CLI get on 10k keys vs node -e 0');
  const home = path.join(work, 'cli-home');
  const data = path.join(home, 'data');
  copy(f.file, path.join(data, 'odx', 'prontodb', 'main', 'pronto.main.prdb'));
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: data };
  delete env.PRONTO_DB;
  delete env.NODE_OPTIONS;
  const index = 120;
  const address = addressText(addressOf(index));
  // The value the fixture holds there, read natively, to check the CLI's answer.
  const Database = lib.nativeSqlite();
  const fdb = new Database(f.file, { readonly: true });
  const expected = fdb.prepare(lib.GET_SQL).get(...Object.values(addressOf(index))).value;
  fdb.close();
  const cli = path.join(ROOT, 'dist', 'cli.js');
  waitForQuiet('cli');
  const time = (args, cpuBucket) => {
    const c = childCpuMs();
    const t = nowMs();
    const result = spawnSync(process.execPath, args, { cwd: home, env, encoding: 'utf8' });
    const ms = nowMs() - t;
    const cpu = c === undefined ? undefined : childCpuMs() - c;
    if (cpu !== undefined && cpuBucket) cpuBucket.push(cpu);
    return { ms, result };
  };
  const cliCpu = [];
  const nodeCpu = [];
  const cliRuns = [];
  const nodeRuns = [];
  const runs = 20;
  const warmups = 3;
  const order = ['cli', 'node'];
  for (let i = 0; i < runs + warmups; i++) {
    for (const which of i % 2 === 0 ? order : [...order].reverse()) {
      if (which === 'node') {
        const { ms } = time(['-e', '0'], i >= warmups ? nodeCpu : undefined);
        if (i >= warmups) nodeRuns.push(ms);
        continue;
      }
      const { ms, result } = time([cli, 'get', address], i < warmups ? undefined : cliCpu);
      if (result.status !== 0 || result.stdout !== `${expected}\n`) {
        throw new Error(`CLI get failed: exit ${result.status}, stdout ${JSON.stringify(result.stdout)}, stderr ${result.stderr}`);
      }
      if (i >= warmups) cliRuns.push(ms);
    }
  }
  cliGetMedianMs = median(cliRuns);
  // Diagnosis: `prontodb version` touches no database: node start + loading the bundle only.
  const helpRuns = [];
  for (let i = 0; i < 10; i++) helpRuns.push(time([cli, 'version']).ms);
  // Median of the ratios of each CLI run to the `node -e 0` run next to it.
  const ratio = median(cliRuns.map((x, i) => x / nodeRuns[i]));
  rows.push({
    name: `CLI \`get ${address}\`, 10k keys (${mb(f.size).toFixed(1)} MiB), median of ${runs} runs, ms`,
    ours: `${fmt(median(cliRuns))} (p90 ${fmt(quantile(cliRuns, 0.9))})`,
    base: `${fmt(median(nodeRuns))} (\`node -e 0\`)`,
    ratio,
    extra: `of medians ${fmt(median(cliRuns) / median(nodeRuns), 2)}x`,
    target: '≤ 3x',
    pass: ratio <= 3,
  });
  // Information: a CLI `set` on the 100k-key database (load + first-write integrity check + rewrite).
  const big = fixture(100_000);
  const bigHome = path.join(work, 'cli-home-100k');
  copy(big.file, path.join(bigHome, 'data', 'odx', 'prontodb', 'main', 'pronto.main.prdb'));
  const bigEnv = { ...env, HOME: bigHome, XDG_DATA_HOME: path.join(bigHome, 'data') };
  const setRuns = [];
  const setNodeRuns = [];
  for (let i = 0; i < 6; i++) {
    let t = nowMs();
    const result = spawnSync(process.execPath, [cli, 'set', address, `cli-set-${i}`], { cwd: bigHome, env: bigEnv, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`CLI set failed: ${result.stderr}`);
    if (i > 0) setRuns.push(nowMs() - t);
    t = nowMs();
    spawnSync(process.execPath, ['-e', '0'], { cwd: bigHome, env: bigEnv });
    if (i > 0) setNodeRuns.push(nowMs() - t);
  }
  const setRatio = median(setRuns.map((x, i) => x / setNodeRuns[i]));
  rows.push({
    name: `CLI \`set\`, 100k keys (${mb(big.size).toFixed(1)} MiB), median of ${setRuns.length} runs, ms`,
    ours: fmt(median(setRuns)),
    base: `${fmt(median(setNodeRuns))} (\`node -e 0\`)`,
    ratio: setRatio,
    extra: `of medians ${fmt(median(setRuns) / median(setNodeRuns), 2)}x; runs [${setRuns.map((x) => x.toFixed(0)).join(', ')}]`,
    target: '≤ 3x',
    pass: setRatio <= 3,
  });
  notes.push(
    `cli: runs ms cli [${cliRuns.map((x) => x.toFixed(0)).join(', ')}], node -e 0 [${nodeRuns.map((x) => x.toFixed(0)).join(', ')}]; ` +
      `\`prontodb version\` (bundle load, no database) median ${fmt(median(helpRuns))} ms, i.e. ${fmt(median(helpRuns) / median(nodeRuns), 2)}x node -e 0` +
      (cliCpu.length ? `; CPU time of the child (all threads, 10 ms ticks) median: cli get ${fmt(median(cliCpu), 0)} ms, node -e 0 ${fmt(median(nodeCpu), 0)} ms.` : '.'),
  );
});


// ---- 8. agents: MCP get round trip, watch wake-up -------------------------------------------------------

/** A home whose default database `main` is a copy of `fixtureFile`, as the CLI and `prontodb mcp` find it. */
function homeWith(label, fixtureFile) {
  const home = path.join(work, label);
  copy(fixtureFile, path.join(home, 'data', 'odx', 'prontodb', 'main', 'pronto.main.prdb'));
  return home;
}

section('mcp', () => {
  const f = fixture(100_000);
  log('8. MCP get round trip on 100k keys (prontodb mcp over stdio, the SDK client)');
  const home = homeWith('mcp-home', f.file);
  waitForQuiet('mcp');
  const r = runCase('mcp', { home, fixtureFile: f.file, keys: f.keys, count: 1000 });
  if (r.wrong) throw new Error(`mcp: ${r.wrong} gets answered another value than the fixture holds`);
  // The same kind of get through the CLI on the same database: a process per call.
  const address = addressText(addressOf(4242));
  const Database = lib.nativeSqlite();
  const fdb = new Database(f.file, { readonly: true });
  const expected = fdb.prepare(lib.GET_SQL).get(...Object.values(addressOf(4242))).value;
  fdb.close();
  const cliRuns = [];
  for (let i = 0; i < 12; i++) {
    const t = nowMs();
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'get', address], { cwd: home, env: lib.benchEnv(home), encoding: 'utf8' });
    if (result.status !== 0 || result.stdout !== `${expected}\n`) throw new Error(`CLI get failed: exit ${result.status}, stderr ${result.stderr}`);
    if (i >= 2) cliRuns.push(nowMs() - t);
  }
  const cli100k = median(cliRuns);
  rows.push({
    name: `warm MCP \`get\` round trip (SDK client → \`prontodb mcp\` over stdio), 100k keys (${mb(f.size).toFixed(1)} MiB), ${r.count} random gets, ms median / p90`,
    ours: `${fmt(r.medianMs, 2)} / ${fmt(r.p90Ms, 2)}`,
    base: `${fmt(cli100k, 0)} (CLI \`get\`, a process per call, same database, median of ${cliRuns.length})${cliGetMedianMs === undefined ? '' : `; ${fmt(cliGetMedianMs, 0)} (CLI get of section 5, 10k keys)`}`,
    ratio: r.medianMs / cli100k,
    ratioLabel: `${fmt(r.medianMs / cli100k, 4)}x (a CLI call costs ${fmt(cli100k / r.medianMs, 0)} MCP calls)`,
    target: 'median ≤ 2 ms',
    pass: r.medianMs <= 2,
  });
  notes.push(
    `mcp: server start to connected ${fmt(r.connectMs, 0)} ms; first get (loads the file) ${fmt(r.firstCallMs, 0)} ms; then 200 warm-up gets and ${r.count} timed: median ${fmt(r.medianMs, 2)} ms, ` +
      `p90 ${fmt(r.p90Ms, 2)}, mean ${fmt(r.meanMs, 2)}, min ${fmt(r.minMs, 2)} ms; server CPU time ${fmt(r.serverCpuUs, 0)} µs per get (10 ms ticks); every value checked against the fixture. ` +
      `CLI get on the same 100k database: runs ms [${cliRuns.map((x) => x.toFixed(0)).join(', ')}].`,
  );
});

section('watch', () => {
  for (const keys of [1_000, 100_000]) {
    const f = fixture(keys);
    const home = homeWith(`watch-home-${keys}`, f.file);
    const address = addressText(addressOf(5));
    for (const watcher of ['mcp', 'cli']) {
      log(`9. watch wake-up, ${watcher === 'mcp' ? 'MCP watch call' : 'prontodb watch process'}, ${keys} keys`);
      waitForQuiet(`watch ${watcher} ${keys}`);
      const r = runCase('watch', { home, address, watcher, count: 20 });
      if (r.wrong) throw new Error(`watch: ${r.wrong} wake-ups answered another value than the one written`);
      const who = watcher === 'mcp' ? 'an MCP `watch` call (another server)' : 'a `prontodb watch` process';
      rows.push({
        name: `\`watch\` wake-up after a durable write in another process: ${who}, ${keys / 1000}k keys (${mb(f.size).toFixed(1)} MiB), ${r.count} writes, ms from the write's acknowledgement, median / p90`,
        ours: `${fmt(r.medianMs)} / ${fmt(r.p90Ms)}`,
        base: '',
        ratio: NaN,
        ratioLabel: 'n/a',
        target: 'median ≤ 200 ms',
        pass: r.medianMs <= 200,
      });
      notes.push(
        `watch (${watcher}, ${keys} keys): wake-ups ms after the acknowledgement [${r.fromAck.map((x) => x.toFixed(0)).join(', ')}]; from the write's request median ${fmt(r.fromRequestMedianMs)} ms; ` +
          `the write itself (an MCP set, durable) median ${fmt(r.writeMedianMs)} ms; negative: the watcher answered before the writer's reply arrived.`,
      );
    }
  }
});

// ---- 6. memory -----------------------------------------------------------------------------------------

section('memory', () => {
  const base = fixture(100_000);
  const keys = Math.round((100 * 1024 * 1024 * base.keys) / base.size);
  const f = fixture(keys);
  log(`6. memory with a ${mb(f.size).toFixed(0)} MiB database open`);
  const file = copy(f.file, path.join(work, 'memory', 'ours.prdb'));
  waitForQuiet('memory');
  const r = runCase('memory', { file, keys }, ['--expose-gc']);
  const n = runCase('memory', { file: copy(f.file, path.join(work, 'memory', 'native.prdb')), keys, mode: 'native' }, ['--expose-gc']);
  if (!r.found || !n.found) throw new Error('memory: the probe key was not found');
  const growth = r.opened.rss - r.before.rss;
  const growthGc = r.openedAfterGc.rss - r.before.rss;
  const ratio = growth / f.size;
  rows.push({
    name: `memory, ${mb(f.size).toFixed(0)} MiB database open + one get: RSS growth, MiB`,
    ours: `${fmt(mb(growth), 0)} (${fmt(mb(growthGc), 0)} after GC; peak +${fmt(mb(r.opened.maxRss - r.before.rss), 0)})`,
    base: `+${fmt(mb(n.opened.rss - n.before.rss), 1)} (native open + get)`,
    ratio,
    ratioLabel: `${fmt(ratio, 2)}x file size`,
    target: '≤ 3x file size',
    pass: ratio <= 3,
  });
  const detail = (s) =>
    `rss ${fmt(mb(s.rss), 0)}, heapUsed ${fmt(mb(s.heapUsed), 0)}, external ${fmt(mb(s.external), 0)}, arrayBuffers ${fmt(mb(s.arrayBuffers), 0)}, peak rss ${fmt(mb(s.maxRss), 0)} MiB`;
  const duringWrite = (r.duringSetRss ?? r.afterSet.rss) - r.before.rss;
  rows.push({
    name: `memory, same database during and after one durable \`set\` (${fmt(r.setMs, 0)} ms): RSS growth over before-open, MiB`,
    ours: `${fmt(mb(duringWrite), 0)} at most while writing; ${fmt(mb(r.afterSet.rss - r.before.rss), 0)} after (${fmt(mb(r.afterSetGc.rss - r.before.rss), 0)} after GC; process peak incl. loading +${fmt(mb(r.afterSet.maxRss - r.before.rss), 0)})`,
    base: '',
    ratio: duringWrite / f.size,
    ratioLabel: `${fmt(duringWrite / f.size, 2)}x file size (process peak ${fmt((r.afterSet.maxRss - r.before.rss) / f.size, 2)}x)`,
    target: '≤ 1.5x file size',
    pass: duringWrite / f.size <= 1.5,
  });
  notes.push(
    `memory (file ${mb(f.size).toFixed(1)} MiB, ${keys} keys; open + get took ${fmt(r.openMs, 0)} ms): before open: ${detail(r.before)}; ` +
      `after open+get: ${detail(r.opened)}; after GC: ${detail(r.openedAfterGc)}; after set: ${detail(r.afterSet)}; after set + GC: ${detail(r.afterSetGc)}.`,
  );
});


// ---- 7. activation in VS Code -----------------------------------------------------------------------------

section('activation', () => {
  // Reported, not judged: the tests no longer bound it by wall clock (it varies with the machine's load).
  const runs = 5;
  log(`7. activation in VS Code (code-server + headless Chromium), ${runs} extension hosts`);
  waitForQuiet('activation');
  const r = runCase('activation', { runs });
  if (r.unavailable) {
    rows.push({ name: 'VS Code activation (extension host: loading dist/extension.js + activate()), ms (info)', ours: 'not measured', base: '', ratio: NaN, ratioLabel: 'n/a', target: 'info', pass: undefined });
    notes.push(`activation: not measured: ${r.unavailable}.`);
    return;
  }
  rows.push({
    name: `VS Code activation: the extension host loading dist/extension.js (${(r.bundleBytes / 1024).toFixed(0)} KiB) + activate(), its own figure, median of ${r.times.length} extension hosts, ms (info)`,
    ours: `${fmt(r.medianMs, 0)} (min ${fmt(Math.min(...r.times), 0)}, max ${fmt(Math.max(...r.times), 0)})`,
    base: '',
    ratio: NaN,
    ratioLabel: 'n/a',
    target: 'info',
    pass: undefined,
  });
  notes.push(
    `activation: per extension host ms [${r.times.join(', ')}] (${r.startup} of them at start-up); each host is new (the first with the window, the others after a reload) and ` +
      'activates the extension when the ProntoDB view is opened from the activity bar.',
  );
});

// ---- 10. the dashboard's Keys page on a million keys, in Chromium ----------------------------------------

section('dashboard', () => {
  log('10. dashboard Keys page (prontodb ui, headless Chromium) on a namespace of 1,000,000 keys');
  waitForQuiet('dashboard');
  const child = spawnSync(process.execPath, [path.join(BENCH_DIR, 'dashboardKeys.mjs')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) throw new Error(`dashboardKeys.mjs failed (exit ${child.status ?? child.signal}):\n${child.stdout}`);
  const r = JSON.parse(line.slice('RESULT '.length));
  const name = 'dashboard Keys page (`prontodb ui`, Chromium), namespace of 1,000,000 keys: first page / next page, from the action to the 100 rows in the DOM, ms median';
  if (r.unavailable) {
    rows.push({ name, ours: 'not measured', base: '', ratio: NaN, ratioLabel: 'n/a', target: '≤ 100 ms', pass: undefined });
    notes.push(`dashboard: not measured: ${r.unavailable}.`);
    return;
  }
  rows.push({
    name,
    ours: `${fmt(r.firstPageMedianMs)} / ${fmt(r.nextPageMedianMs)} (of which the request ${fmt(r.firstPageRequestMedianMs, 0)} / ${fmt(r.nextPageRequestMedianMs, 0)})`,
    base: '',
    ratio: NaN,
    ratioLabel: 'n/a',
    target: '≤ 100 ms each',
    pass: r.firstPageMedianMs <= 100 && r.nextPageMedianMs <= 100,
  });
  notes.push(
    `dashboard (file ${mb(r.sizeBytes).toFixed(1)} MiB; ${r.keys} keys added by sqlite3 in ${fmt(r.fixtureMs / 1000)} s): first page ms [${r.firstPageMs.join(', ')}], next page ms [${r.nextPageMs.join(', ')}]` +
      `${r.otherRequests.length ? `; other requests while measuring: ${r.otherRequests.join(', ')}` : ''}. ` +
      `Opening the Keys page cold (a new page load) showed its rows after ${fmt(r.coldRowsMs / 1000)} s and the namespace list after ${fmt(r.coldNamespacesMs / 1000)} s; ` +
      `the page was idle after ${fmt(r.settledMs / 1000)} s (requests: ${r.coldRequests.join(', ')}): the namespace list comes with the \`database\` request (the database's status and each namespace's counts), ` +
      'and the page loads once more when its live-update channel first opens.',
  );
});

// ---- 11. a database on a PostgreSQL server (issue 11) ------------------------------------------------------

section('postgres', () => {
  log('11. PostgreSQL on loopback (fsync on) next to the file store: warm get, durable set, 8 concurrent writers');
  waitForQuiet('postgres');
  const child = spawnSync(process.execPath, [path.join(BENCH_DIR, 'postgres.mjs')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) throw new Error(`postgres.mjs failed (exit ${child.status ?? child.signal}):\n${child.stdout}`);
  const r = JSON.parse(line.slice('RESULT '.length));
  if (r.unavailable) {
    rows.push({ name: 'PostgreSQL server (loopback): warm `get`, durable `set`, 8 writers', ours: 'not measured', base: '', ratio: NaN, ratioLabel: 'n/a', target: 'info', pass: undefined });
    notes.push(`postgres: not measured: ${r.unavailable}.`);
    return;
  }
  const { server, file } = r.getset;
  rows.push({
    name: `PostgreSQL server (loopback) vs file store: warm \`get\`, 10k keys, ${server.get.count} random gets each, ms median / p99 (info)`,
    ours: `${fmt(server.get.median, 3)} / ${fmt(server.get.p99, 3)}`,
    base: `${fmt(file.get.median, 3)} / ${fmt(file.get.p99, 3)} (file store)`,
    ratio: server.get.median / file.get.median,
    target: 'info',
    pass: undefined,
  });
  rows.push({
    name: `PostgreSQL server (loopback, fsync on) vs file store: durable \`set\`, 10k keys, ${server.set.count} sequential each, ms median / p99 (info)`,
    ours: `${fmt(server.set.median, 2)} / ${fmt(server.set.p99, 2)}`,
    base: `${fmt(file.set.median, 2)} / ${fmt(file.set.p99, 2)} (file store)`,
    ratio: server.set.median / file.set.median,
    target: 'info',
    pass: undefined,
  });
  const w = (x) => `${fmt(x.perSecond, 0)} sets/s (${x.total} in ${fmt(x.seconds, 1)} s)`;
  rows.push({
    name: '8 concurrent writer processes, durable `set` of their own keys for 5 s: total throughput, sets/s (higher is better; info)',
    ours: w(r.serverWriters),
    base: `${w(r.fileWriters)} (the same on one database file)`,
    ratio: r.serverWriters.perSecond / r.fileWriters.perSecond,
    ratioLabel: `${fmt(r.serverWriters.perSecond / r.fileWriters.perSecond, 2)}x the file's`,
    target: 'info',
    pass: undefined,
  });
  notes.push(
    `postgres: gets and sets alternate between the server and the file store round by round (10 rounds), so load spells hit both; every acknowledged set was read back by a fresh store (a new connection / a fresh load): none lost. ` +
      `Writers per process: server [${r.serverWriters.perWriter.join(', ')}], file [${r.fileWriters.perWriter.join(', ')}]; every acknowledged write of every writer found afterwards. ` +
      'The server runs on the same 2 cores as the writers, with fsync on and synchronous_commit on.',
  );
});

// ---- 12. copy 100k keys file → PostgreSQL server (issue 11) ------------------------------------------------

if (wanted('copy')) {
  // A throwaway cluster on loopback, as the tests start them (test/helpers/postgres.ts, compiled in out/).
  let cluster;
  let startError;
  try {
    const { startPostgres } = createRequire(import.meta.url)(path.join(ROOT, 'out', 'test', 'helpers', 'postgres.js'));
    cluster = await startPostgres();
  } catch (error) {
    startError = error;
  }
  section('copy', () => {
    if (!cluster) throw startError;
    const f = fixture(100_000);
    log('12. copy 100k keys: file → PostgreSQL server, against file → file');
    waitForQuiet('copy');
    const r = runCase('copy', { file: copy(f.file, path.join(work, 'copy', 'source.prdb')), url: cluster.url({ database: 'postgres' }), keys: f.keys, reps: 3 });
    rows.push({
      name: `\`copy\` of 100k keys (${mb(f.size).toFixed(1)} MiB file) to a new database: file → PostgreSQL server (loopback), ms median of ${r.runs.server.length} (info)`,
      ours: `${fmt(r.serverMs, 0)} (first ${fmt(r.cold.server, 0)})`,
      base: `${fmt(r.fileMs, 0)} (same copy file → file; first ${fmt(r.cold.file, 0)})`,
      ratio: r.serverMs / r.fileMs,
      target: 'info',
      pass: undefined,
    });
    notes.push(
      `copy: runs ms file → server [${r.runs.server.map((x) => x.toFixed(0)).join(', ')}], file → file [${r.runs.file.map((x) => x.toFixed(0)).join(', ')}]; ` +
        `reading the 100k entries out of the (loaded) source ${fmt(r.exportMs, 0)} ms; a merging import of the same entries into a server database that holds a row ` +
        `(COPY into a temporary table, then INSERT … ON CONFLICT) ${fmt(r.mergeMs, 0)} ms. Every target was counted afterwards (100k live entries each).`,
    );
  });
  cluster?.destroy();
}

// ---- report -----------------------------------------------------------------------------------------------

const cpus = os.cpus();
/** Which code was measured: the commit, and whether src/ had uncommitted changes. */
const revision = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${head}${dirty ? ` + uncommitted changes in src/ (${dirty.split('\n').length} files)` : ''}`;
  } catch {
    return 'unknown revision';
  }
})();
const header = [
  `# ProntoDB benchmark`,
  '',
  `${new Date().toISOString()} · ProntoDB ${revision}${process.env.BENCH_CORE_DIR ? ` (core from ${process.env.BENCH_CORE_DIR})` : ''} · node ${process.version} · ${os.platform()} ${os.arch()} · ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}) · ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · load avg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} · ` +
    `baseline better-sqlite3 ${JSON.parse(fs.readFileSync(path.join(BENCH_DIR, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version} ` +
    `(SQLite ${new (lib.nativeSqlite())(':memory:').prepare('select sqlite_version() v').get().v}) · total ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  '| measure | ProntoDB (sql.js) | baseline (native SQLite) | ratio | target | result |',
  '| --- | --- | --- | --- | --- | --- |',
];
const table = rows.map((row) => {
  const ratio = row.ratioLabel ?? `${fmt(row.ratio, 2)}x${row.extra ? ` (${row.extra})` : ''}`;
  const result = row.pass === undefined ? '—' : row.pass ? 'PASS' : '**FAIL**';
  return `| ${row.name} | ${row.ours} | ${row.base} | ${ratio} | ${row.target} | ${result} |`;
});
notes.push(
  `machine: share of CPU used by other processes just before each measurement (this machine is shared; waited up to 10 s for < 25%): ` +
    Object.entries(quiet)
      .map(([label, busy]) => `${label} ${busy === undefined ? 'n/a' : `${(busy * 100).toFixed(0)}%`}`)
      .join(', ') +
    '.',
);
const method = [
  'Data: keys `key<i>` over 4 projects x 5 namespaces, one in ten with a context, values of 60-100 random printable bytes; fixtures are written by native SQLite ' +
    'with the schema of src/core/schema.ts and left in WAL format (as the Rust CLI leaves them); each side gets its own copy. Native connections use ' +
    'journal_mode=WAL and synchronous=FULL. Every case runs in its own Node process (fresh heap and JIT); the two sides alternate within it.',
  '1. get: `SqlJsFileStore.get(address)` awaited (and `Session.get("p.n.key")`), vs better-sqlite3 answering the same newest-row lookup three ways: a prepared ' +
    '`SELECT ... ORDER BY updated_at DESC, rowid DESC LIMIT 1` with the default page cache and with the store\'s 32 MiB, and all rows of the address with the newest picked in JS; ' +
    '20k warm-up lookups per side, then 10 rounds of 5,000 random keys, sides alternating; judged on the median of per-round ratios against the fastest native way (the ratio of the medians is shown too).',
  '2. import: `SqlJsFileStore.importEntries(100k entries)` into a new file (one durable commit) vs native open + DDL + one transaction of DELETE+INSERT per row ' +
    '(and of INSERT OR REPLACE), committed with synchronous=FULL; one full-size warm-up run each (reported as the cold figure), then 7 alternating runs; judged on the median of per-run ratios (ours / the native run beside it). Read back natively afterwards.',
  '3. set: 30 sequential awaited `store.set` of random existing keys (20 on the ~100 MiB database) after 3 warm-up sets (the first write of a process also runs PRAGMA quick_check ' +
    'unless the version was verified within a day, reported apart), alternating with a native upsert transaction (select current, TTL lookup, DELETE, INSERT); phases timed by ' +
    'wrapping sql.js `export` and the backing\'s `commit`; the bare whole-file rewrite is timed after the sets (until issue 12 it was interleaved with them, which charged the ' +
    'file system\'s work of freeing each rewritten copy to the next set: on the 11 MB file the set median was 19-20 ms interleaved, 13 ms with the floor after the sets on a busy machine).',
  '4. concurrent: 1,000 `store.set` issued in one turn and awaited with Promise.all after a warm-up write; `fileWrites` delta; when the first promise resolves the file on disk ' +
    'is read into a separate sql.js database to confirm its value is there (not timed); afterwards a fresh store and native SQLite ' +
    'in another process read all 1,000 values back and run integrity_check. Baseline: the same 1,000 sets as separate durable native transactions.',
  '5. cli: `node dist/cli.js get <address>` with HOME and XDG_DATA_HOME pointing at a temp dir holding `odx/prontodb/main/pronto.main.prdb`, output checked, ' +
    '3 warm-up + 20 runs alternating with `node -e 0`; wall time around spawnSync; judged on the median of per-run ratios.',
  '6. memory: a child started with --expose-gc loads the core and sql.js, collects garbage, records RSS, opens a store on a ~100 MiB file and reads one key, records ' +
    'process.memoryUsage() and the peak RSS (getrusage maxrss); then one durable set. The baseline is the same in a child using better-sqlite3.',
  '7. activation: code-server 4.100.3 (VS Code 1.100.3) and headless Chromium from the test harness (test/vscode/; `bash test/vscode/install.sh`), the repository as a development ' +
    'extension on an empty data directory; after the window is up, the ProntoDB view is opened from the activity bar, which activates the extension; the figure is the one ' +
    'the extension host itself records and "Developer: Show Running Extensions" shows (time to load the main module plus the activate() call), read from that editor; ' +
    'then the window is reloaded (a new extension host) and it is measured again, 5 hosts in all; the median is reported. Without the harness installed the row says "not measured".',
  '8. mcp: `node dist/cli.js mcp` started by the MCP SDK\'s own Client (StdioClientTransport, the way agent hosts start it) with HOME and XDG_DATA_HOME on a copy of the 100k fixture; ' +
    '200 warm-up gets (the first loads the file), then 1,000 `get` calls of seeded random keys one after another, each timed from callTool to its result and checked against the fixture; ' +
    'compared with `node dist/cli.js get` on the same database (2 warm-up + 10 runs).',
  '9. watch: a writer (`prontodb mcp`, SDK client) sets one address 2 + 20 times; before each write the watcher waits with `expect` = the current value: either a `watch` call to a second ' +
    'server (written to 150-250 ms after the call went out) or a fresh `prontodb watch ADDR --expect OLD` process (written to once it holds its directory watch); timed from the writer\'s ' +
    'acknowledgement to the watch call\'s result or the process\'s stdout line; on a 1k-key and on the 100k-key database (the watcher rereads the whole file after a change).',
  '10. dashboard (bench/dashboardKeys.mjs): the CLI makes the database, sqlite3 adds 1,000,000 keys to one namespace (and the CLI wrote one key to another); `prontodb ui --no-open` serves it ' +
    'and headless Chromium (from the test harness) opens the Keys page on it and waits until it is idle; then 9 runs of: choose the small namespace, choose the big one (timed: its first ' +
    'page), "Next page" twice (each timed); every time from the action in the page to the expected first key in the table (a MutationObserver), and the page\'s own request-to-table figure beside it.',
];
const text = [...header, ...table, '', '## Notes', '', ...notes.map((n) => `- ${n}`), '', '## Method', '', ...method.map((m) => `- ${m}`), ''].join('\n');
process.stdout.write(`${text}\n`);
if (!only) fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), text);
log(`done; ${rows.filter((r) => r.pass === false).length} target(s) missed${errors.length ? `; failed: ${errors.join(', ')}` : ''}`);
// Missed targets are findings, not errors; a measurement that crashed or lost data is an error.
if (errors.length) process.exitCode = 1;
