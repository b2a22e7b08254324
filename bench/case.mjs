// One benchmark case per process (fresh heap, fresh JIT, own RSS), started by run.mjs:
//   node bench/case.mjs <case> <json-args>
// Prints one line `RESULT <json>` on stdout.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import {
  addressOf,
  addressText,
  benchEnv,
  DELETE_SQL,
  ENTRY_COLUMNS,
  GET_SQL,
  INSERT_SQL,
  loadCore,
  makeEntries,
  median,
  mulberry32,
  nativeSqlite,
  nowMs,
  openNative,
  quantile,
  randomValue,
  REPLACE_SQL,
  ROOT,
  SAME_ADDRESS,
  SCHEMA_SQL,
  sessionFor,
  tempDir,
} from './lib.mjs';

const [name, argText] = process.argv.slice(2);
const args = argText ? JSON.parse(argText) : {};

function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/**
 * Times the phases of the store's commit without touching src/: sql.js's export (copying the
 * database out of the wasm heap; since issue 12 only for whole-file commits) and the store's
 * persist (since issue 12 the backing's commit: the changed pages through the log, or export +
 * temp file + fsync + rename + directory fsync). Totals are per process; callers take deltas.
 */
function instrument(core) {
  const phases = { exportMs: 0, persistMs: 0, lockMs: 0, commits: 0, logCommits: 0 };
  const proto = core.sql.Database.prototype;
  const exportDb = proto.export;
  const storeProto = core.SqlJsFileStore.prototype;
  const backing = core.SqliteFileBacking.prototype;
  // Older cores: the store's persist, or the backing's replace (export outside); now: the backing's commit.
  const persistOwner = storeProto.persist && !backing.commit ? storeProto : backing;
  const persistName = persistOwner === storeProto ? 'persist' : backing.commit ? 'commit' : 'replace';
  const exportIsOutsidePersist = persistName === 'replace';
  proto.export = function (...a) {
    const t = nowMs();
    try {
      return exportDb.apply(this, a);
    } finally {
      phases.exportMs += nowMs() - t;
      if (exportIsOutsidePersist) phases.persistMs += nowMs() - t;
    }
  };
  const persist = persistOwner[persistName];
  persistOwner[persistName] = async function (...a) {
    const t = nowMs();
    try {
      return await persist.apply(this, a);
    } finally {
      phases.persistMs += nowMs() - t;
    }
  };
  if (backing.commitThroughLog) {
    const viaLog = backing.commitThroughLog;
    backing.commitThroughLog = async function (...a) {
      phases.logCommits++;
      return viaLog.apply(this, a);
    };
  }
  const commit = storeProto.commit;
  storeProto.commit = async function (...a) {
    phases.commits++;
    return commit.apply(this, a);
  };
  return phases;
}

// ---- agents (MCP over stdio, watch) -----------------------------------------------------------------

const sleepMs = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let ticks;
/** Clock ticks per second of /proc's CPU times. */
function clockTicks() {
  try {
    ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticks = 100;
  }
  return ticks;
}

/** `prontodb mcp` for the database of `home`, connected through the SDK's client over stdio. */
async function startMcpServer(home) {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const transport = new StdioClientTransport({ command: process.execPath, args: [path.join(ROOT, 'dist', 'cli.js'), 'mcp'], env: benchEnv(home), cwd: home, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += chunk));
  const client = new Client({ name: 'prontodb-bench', version: '0.0.0' });
  const t = nowMs();
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`prontodb mcp did not start: ${error.message}; its stderr: ${stderr}`, { cause: error });
  }
  const connectMs = nowMs() - t;
  /** CPU time (user + system) of the server process so far, from /proc (Linux); NaN elsewhere. */
  const cpuMs = () => {
    try {
      const stat = fs.readFileSync(`/proc/${transport.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks(); // utime, stime
    } catch {
      return NaN;
    }
  };
  return { client, connectMs, cpuMs, close: () => client.close() };
}

/**
 * Resolves once the process holds an inotify descriptor (Node opens one only for fs.watch): the
 * `prontodb watch` process is past its start-up and listening. Elsewhere than Linux: a pause.
 */
async function directoryWatchSetUp(pid, timeoutMs = 30_000) {
  if (!fs.existsSync('/proc/self/fd')) return sleepMs(2000);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') return;
    } catch {
      // a descriptor closed while we looked, or the process ended: look again or time out
    }
    await sleepMs(5);
  }
  throw new Error(`prontodb watch (pid ${pid}) set up no directory watch within ${timeoutMs} ms`);
}

const cases = {
  /** 1. Warm point reads: store.get / Session.get (awaited) vs a prepared native get, interleaved. */
  async get({ file, nativeFile, keys, ops = 50_000, rounds = 5, warmup = 20_000 }) {
    const core = await loadCore();
    const store = new core.SqlJsFileStore(file, core.sql);
    const session = sessionFor(core.Session, store);
    const db = openNative(nativeFile);
    const stmt = db.prepare(GET_SQL);
    // A second native connection given the same page cache as the store (32 MiB), for context.
    const db32 = openNative(nativeFile);
    db32.pragma('cache_size = -32768');
    const stmt32 = db32.prepare(GET_SQL);
    // The same lookup without ORDER BY ... LIMIT 1, the newest row picked in JS (what the store
    // does since 606dd64), so the baseline is native SQLite's faster way of answering, whichever.
    const stmtAll = db.prepare(`SELECT ${ENTRY_COLUMNS}, rowid FROM kv WHERE ${SAME_ADDRESS}`).raw(true);

    const random = mulberry32(42);
    const pick = (count) => Array.from({ length: count }, () => addressOf(Math.floor(random() * keys)));
    const texts = (list) => list.map((a) => `${a.project}.${a.namespace}.${a.key}${a.context === null ? '' : `__${a.context}`}`);
    const perRound = Math.floor(ops / rounds);
    const warm = pick(warmup);
    const measured = Array.from({ length: rounds }, () => pick(perRound));

    const nowSeconds = () => Math.floor(Date.now() / 1000);
    const nativeGet = (a) => {
      const row = stmt.get(a.project, a.namespace, a.key, a.context);
      if (!row) return undefined;
      return row.expires_at !== null && row.expires_at <= nowSeconds() ? undefined : row;
    };
    let misses = 0;
    // CPU time (user + system) of this process per op, per side: less disturbed by other load than wall time.
    const cpu = { ours: [], native: [] };
    const cpuUs = (start, n) => {
      const used = process.cpuUsage(start);
      return (used.user + used.system) / n;
    };
    const runOurs = async (list) => {
      const t = nowMs();
      const c = process.cpuUsage();
      for (const a of list) if (!(await store.get(a))) misses++;
      cpu.ours.push(cpuUs(c, list.length));
      return ((nowMs() - t) * 1000) / list.length;
    };
    const runSession = async (list) => {
      const t = nowMs();
      for (const a of list) if (!(await session.get(a))) misses++;
      return ((nowMs() - t) * 1000) / list.length;
    };
    const runNative = (list) => {
      const t = nowMs();
      const c = process.cpuUsage();
      for (const a of list) if (!nativeGet(a)) misses++;
      cpu.native.push(cpuUs(c, list.length));
      return ((nowMs() - t) * 1000) / list.length;
    };
    const runNativeUnsorted = (list) => {
      const t = nowMs();
      for (const a of list) {
        const rows = stmtAll.all(a.project, a.namespace, a.key, a.context);
        let newest = rows[0];
        for (const row of rows) if (row[6] > newest[6] || (row[6] === newest[6] && row[8] > newest[8])) newest = row;
        if (!newest || (newest[7] !== null && newest[7] <= nowSeconds())) misses++;
      }
      return ((nowMs() - t) * 1000) / list.length;
    };
    const runNative32 = (list) => {
      const t = nowMs();
      for (const a of list) if (!stmt32.get(a.project, a.namespace, a.key, a.context)) misses++;
      return ((nowMs() - t) * 1000) / list.length;
    };
    const runNativeAwaited = async (list) => {
      const t = nowMs();
      for (const a of list) if (!(await Promise.resolve(nativeGet(a)))) misses++;
      return ((nowMs() - t) * 1000) / list.length;
    };

    const tLoad = nowMs();
    await store.get(warm[0]); // first read loads the file into sql.js
    const loadMs = nowMs() - tLoad;
    await runOurs(warm);
    await runSession(texts(warm));
    runNative(warm);
    runNative32(warm);
    runNativeUnsorted(warm);
    await runNativeAwaited(warm);

    const ours = [];
    const sessions = [];
    const native = [];
    const nativeAwaited = [];
    const native32 = [];
    const nativeUnsorted = [];
    for (let r = 0; r < rounds; r++) {
      const list = measured[r];
      const text = texts(list);
      // Alternate the order each round so neither side always runs on a "fresher" machine.
      if (r % 2 === 0) {
        ours.push(await runOurs(list));
        native.push(runNative(list));
        sessions.push(await runSession(text));
        nativeAwaited.push(await runNativeAwaited(list));
        native32.push(runNative32(list));
        nativeUnsorted.push(runNativeUnsorted(list));
      } else {
        nativeUnsorted.push(runNativeUnsorted(list));
        native32.push(runNative32(list));
        nativeAwaited.push(await runNativeAwaited(list));
        sessions.push(await runSession(text));
        native.push(runNative(list));
        ours.push(await runOurs(list));
      }
    }

    // Diagnosis: what one read costs before SQLite is reached (a stat of the file per call).
    const tStat = nowMs();
    for (let i = 0; i < 50_000; i++) fs.statSync(file, { throwIfNoEntry: false });
    const statUs = ((nowMs() - tStat) * 1000) / 50_000;
    // ... the bare sql.js statement, bypassing the store (same SQL), and the same lookup without
    // ORDER BY ... LIMIT 1 (which makes SQLite build a temp b-tree sorter per call), picking the
    // newest row in JS instead: same answer, since an address has one row but in legacy files.
    const rawDb = store.db;
    let rawUs;
    let unsortedUs;
    if (rawDb) {
      const timeRaw = (sql, pickNewest) => {
        const raw = rawDb.prepare(sql);
        const list = measured[0];
        const t = nowMs();
        for (const a of list) {
          raw.bind([a.project, a.namespace, a.key, a.context]);
          let best;
          while (raw.step()) {
            const row = raw.get();
            if (!pickNewest || !best || row[6] > best[6] || (row[6] === best[6] && row[8] > best[8])) best = row;
            if (!pickNewest) break;
          }
          raw.reset();
          if (!best) misses++;
        }
        raw.free();
        return ((nowMs() - t) * 1000) / list.length;
      };
      for (let i = 0; i < 2; i++) {
        rawUs = timeRaw(GET_SQL, false);
        unsortedUs = timeRaw(`SELECT ${ENTRY_COLUMNS}, rowid FROM kv WHERE ${SAME_ADDRESS}`, true);
      }
    }

    db.close();
    db32.close();
    await store.close();
    report({
      oursUs: median(ours),
      sessionUs: median(sessions),
      nativeUs: median(native),
      nativeAwaitedUs: median(nativeAwaited),
      native32Us: median(native32),
      nativeUnsortedUs: median(nativeUnsorted),
      cpuOursUs: median(cpu.ours.slice(-rounds)),
      cpuNativeUs: median(cpu.native.slice(-rounds)),
      rounds: { ours, sessions, native, nativeAwaited, native32, nativeUnsorted },
      statUs,
      rawSqlJsUs: rawUs,
      unsortedSqlJsUs: unsortedUs,
      loadMs,
      misses,
      ops: perRound * rounds,
    });
  },

  /** 2. Import n keys in one call into an empty database, durable; native baselines interleaved. */
  async import({ n = 100_000, reps = 3 }) {
    const core = await loadCore();
    const phases = instrument(core);
    const entries = makeEntries(n, 7);
    const dir = tempDir('import');
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    let serial = 0;
    const fresh = () => path.join(dir, `db${serial++}.prdb`);

    const ours = async (list) => {
      const file = fresh();
      const store = new core.SqlJsFileStore(file, core.sql);
      const before = { ...phases };
      const t = nowMs();
      const c = process.cpuUsage();
      const count = await store.importEntries(list, []);
      const ms = nowMs() - t;
      const used = process.cpuUsage(c);
      const writes = store.fileWrites;
      await store.close();
      if (count !== list.length) throw new Error(`import wrote ${count}`);
      return {
        ms,
        cpuMs: (used.user + used.system) / 1000,
        writes,
        exportMs: phases.exportMs - before.exportMs,
        persistMs: phases.persistMs - before.persistMs,
        size: fs.statSync(file).size,
        file,
      };
    };
    const native = (list, mode) => {
      const file = fresh();
      const now = Math.floor(Date.now() / 1000);
      const t = nowMs();
      const c = process.cpuUsage();
      const db = openNative(file);
      db.exec(SCHEMA_SQL);
      if (mode === 'delete-insert') {
        const remove = db.prepare(DELETE_SQL);
        const insert = db.prepare(INSERT_SQL);
        db.transaction(() => {
          for (const e of list) {
            remove.run(e.project, e.namespace, e.key, e.context);
            insert.run(e.project, e.namespace, e.key, e.context, e.value, now, now, e.expiresAt);
          }
        }).immediate();
      } else {
        const replace = db.prepare(REPLACE_SQL);
        db.transaction(() => {
          for (const e of list) replace.run(e.project, e.namespace, e.key, e.context, e.value, now, now, e.expiresAt);
        }).immediate();
      }
      const ms = nowMs() - t; // committed with synchronous=FULL: durable here
      const used = process.cpuUsage(c);
      db.close();
      return { ms, cpuMs: (used.user + used.system) / 1000, size: fs.statSync(file).size };
    };

    // Warm-up: one full-size run per side (wasm tier-up and JIT reach steady state only after a few
    // seconds of work); the cold figures are reported apart as the first import of a fresh process.
    const cold = { ours: (await ours(entries)).ms, deleteInsert: native(entries, 'delete-insert').ms, replace: native(entries, 'replace').ms };

    const results = { ours: [], deleteInsert: [], replace: [] };
    let verifyFile;
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? ['ours', 'deleteInsert', 'replace'] : ['replace', 'deleteInsert', 'ours'];
      for (const which of order) {
        if (which === 'ours') {
          const result = await ours(entries);
          verifyFile = result.file;
          results.ours.push(result);
        } else {
          results[which].push(native(entries, which === 'deleteInsert' ? 'delete-insert' : 'replace'));
        }
      }
    }
    // The imported file, read back by native SQLite: every row there, file intact.
    const check = openNative(verifyFile);
    const rows = check.prepare('SELECT count(*) AS c FROM kv').get().c;
    const integrity = check.pragma('integrity_check', { simple: true });
    check.close();
    report({
      oursMs: median(results.ours.map((x) => x.ms)),
      deleteInsertMs: median(results.deleteInsert.map((x) => x.ms)),
      replaceMs: median(results.replace.map((x) => x.ms)),
      cpuOursMs: median(results.ours.map((x) => x.cpuMs)),
      cpuDeleteInsertMs: median(results.deleteInsert.map((x) => x.cpuMs)),
      exportMs: median(results.ours.map((x) => x.exportMs)),
      persistMs: median(results.ours.map((x) => x.persistMs)),
      writes: results.ours.map((x) => x.writes),
      oursSize: results.ours[0].size,
      nativeSize: results.deleteInsert[0].size,
      runs: { ours: results.ours.map((x) => x.ms), deleteInsert: results.deleteInsert.map((x) => x.ms), replace: results.replace.map((x) => x.ms) },
      verify: { rows, integrity },
      cold,
    });
  },

  /** 3. Durable single sets, sequential and awaited, interleaved with native upsert transactions. */
  async set({ file, nativeFile, keys, count = 30, warmup = 3, floor: measureFloor = true }) {
    const core = await loadCore();
    const phases = instrument(core);
    const store = new core.SqlJsFileStore(file, core.sql);
    const db = openNative(nativeFile);
    const select = db.prepare(`SELECT created_at, value, expires_at FROM kv WHERE ${SAME_ADDRESS} ORDER BY updated_at DESC, rowid DESC LIMIT 1`);
    const ttl = db.prepare('SELECT default_ttl FROM sys_namespaces WHERE project = ? AND namespace = ? AND is_ttl = 1');
    const remove = db.prepare(DELETE_SQL);
    const insert = db.prepare(INSERT_SQL);
    const nativeSet = db.transaction((a, value) => {
      const now = Math.floor(Date.now() / 1000);
      const current = select.get(a.project, a.namespace, a.key, a.context);
      ttl.get(a.project, a.namespace);
      remove.run(a.project, a.namespace, a.key, a.context);
      insert.run(a.project, a.namespace, a.key, a.context, value, current ? current.created_at : now, now, null);
    });
    const random = mulberry32(99);
    const next = () => ({ address: addressOf(Math.floor(random() * keys)), value: randomValue(random) });

    const tLoad = nowMs();
    await store.get(addressOf(0));
    const loadMs = nowMs() - tLoad;
    const tFirst = nowMs();
    const first = next();
    await store.set(first.address, first.value); // the first write also runs PRAGMA quick_check
    const firstSetMs = nowMs() - tFirst;
    for (let i = 0; i < warmup; i++) {
      const w = next();
      await store.set(w.address, w.value);
      nativeSet.immediate(w.address, w.value);
    }

    // The floor of a whole-file rewrite: the same steps as src/core/atomicFile.ts (temp file, write,
    // fdatasync, rename, directory fsync) for bytes of the database's size, without sql.js.
    const bytes = measureFloor ? fs.readFileSync(file) : Buffer.alloc(0);
    const floorDir = path.join(path.dirname(file), 'floor');
    fs.mkdirSync(floorDir, { recursive: true });
    const rawWrite = async () => {
      const target = path.join(floorDir, 'copy.prdb');
      const temp = `${target}.tmp`;
      const t = nowMs();
      const handle = await fs.promises.open(temp, 'wx', 0o644);
      await handle.writeFile(bytes);
      await handle.datasync();
      await handle.close();
      await fs.promises.rename(temp, target);
      const dir = await fs.promises.open(floorDir, 'r');
      await dir.sync();
      await dir.close();
      return nowMs() - t;
    };
    await rawWrite();
    const floor = [];

    const ours = [];
    const native = [];
    const exportMs = [];
    const persistMs = [];
    const last = new Map();
    for (let i = 0; i < count; i++) {
      const s = next();
      last.set(`${s.address.project}.${s.address.namespace}.${s.address.key}.${s.address.context}`, s);
      const runOurs = async () => {
        const before = { ...phases };
        const t = nowMs();
        await store.set(s.address, s.value);
        ours.push(nowMs() - t);
        exportMs.push(phases.exportMs - before.exportMs);
        persistMs.push(phases.persistMs - before.persistMs);
      };
      const runNative = () => {
        const t = nowMs();
        nativeSet.immediate(s.address, s.value);
        native.push(nowMs() - t);
      };
      // The whole-file floor is measured after the sets, not between them: each of its rewrites
      // frees a file of the database's size, and the file system's journal commit that follows
      // (which the next fsync waits for) would be charged to the next set.
      if (i % 2 === 0) {
        await runOurs();
        runNative();
      } else {
        runNative();
        await runOurs();
      }
    }
    if (measureFloor) for (let i = 0; i < Math.min(count, 10); i++) floor.push(await rawWrite());
    const writes = store.fileWrites;
    const logCommits = phases.logCommits;
    await store.close();
    db.close();
    // Read back the last values with a fresh store: every acknowledged set is in the file.
    const reread = new core.SqlJsFileStore(file, core.sql);
    let lost = 0;
    for (const s of last.values()) if ((await reread.get(s.address))?.value !== s.value) lost++;
    await reread.close();
    report({
      oursMedianMs: median(ours),
      oursP90Ms: quantile(ours, 0.9),
      nativeMedianMs: median(native),
      nativeP90Ms: quantile(native, 0.9),
      exportMedianMs: median(exportMs),
      persistMedianMs: median(persistMs),
      floorMedianMs: floor.length ? median(floor) : undefined,
      loadMs,
      firstSetMs,
      writes,
      logCommits,
      lost,
      size: fs.statSync(file).size,
      ours,
      native,
    });
  },

  /** 4. 1,000 concurrent sets (Promise.all) through the core API; counts file writes. */
  async concurrent({ file, nativeFile, keys, count = 1000, nonce }) {
    const core = await loadCore();
    const phases = instrument(core);
    const store = new core.SqlJsFileStore(file, core.sql);
    await store.get(addressOf(0)); // load
    await store.set(addressOf(keys - 1), 'warm-up'); // first write (integrity check) out of the way
    const writesBefore = store.fileWrites;
    const commitsBefore = phases.commits;
    const resolvedAt = new Array(count);
    // When the first promise resolves, its value must already be in the file on disk: read the file
    // (not the store's memory) into a separate sql.js database and look. The check's time is not counted.
    let onDiskAtFirstResolve;
    let checkMs = 0;
    const checkOnDisk = (i) => {
      const c = nowMs();
      const bytes = fs.readFileSync(file);
      bytes[18] = 1;
      bytes[19] = 1;
      const copy = new core.sql.Database(bytes);
      const a = addressOf(i);
      const found = copy.exec(`SELECT value FROM kv WHERE ${SAME_ADDRESS}`, [a.project, a.namespace, a.key, a.context]);
      copy.close();
      onDiskAtFirstResolve = found[0]?.values[0]?.[0] === `concurrent-${nonce}-${i}`;
      checkMs = nowMs() - c;
    };
    const t = nowMs();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        store.set(addressOf(i), `concurrent-${nonce}-${i}`).then(() => {
          resolvedAt[i] = nowMs() - t;
          if (onDiskAtFirstResolve === undefined) checkOnDisk(i);
        }),
      ),
    );
    const totalMs = nowMs() - t - checkMs;
    const fileWrites = store.fileWrites - writesBefore;
    const commits = phases.commits - commitsBefore;
    await store.close();

    // A fresh store in this process reads the file back.
    const fresh = new core.SqlJsFileStore(file, core.sql);
    let freshMissing = 0;
    for (let i = 0; i < count; i++) if ((await fresh.get(addressOf(i)))?.value !== `concurrent-${nonce}-${i}`) freshMissing++;
    await fresh.close();

    // Baseline: the same 1,000 sets as separate durable native transactions (each durable on return).
    const db = openNative(nativeFile);
    const remove = db.prepare(DELETE_SQL);
    const insert = db.prepare(INSERT_SQL);
    const nativeSet = db.transaction((a, value) => {
      const now = Math.floor(Date.now() / 1000);
      remove.run(a.project, a.namespace, a.key, a.context);
      insert.run(a.project, a.namespace, a.key, a.context, value, now, now, null);
    });
    nativeSet.immediate(addressOf(keys - 1), 'warm-up');
    const tn = nowMs();
    for (let i = 0; i < count; i++) nativeSet.immediate(addressOf(i), `native-${nonce}-${i}`);
    const nativeMs = nowMs() - tn;
    // ... and in one transaction (what group commit amounts to natively).
    const tg = nowMs();
    db.transaction(() => {
      for (let i = 0; i < count; i++) nativeSet(addressOf(i), `native-group-${nonce}-${i}`);
    }).immediate();
    const nativeGroupMs = nowMs() - tg;
    db.close();

    report({
      totalMs,
      fileWrites,
      commits,
      firstResolvedMs: Math.min(...resolvedAt),
      medianResolvedMs: median(resolvedAt),
      nativeMs,
      nativeGroupMs,
      freshMissing,
      onDiskAtFirstResolve,
      size: fs.statSync(file).size,
    });
  },

  /** 6. Memory with a large database open: RSS and heap figures around open + one get (+ one set). */
  /**
   * What the Databases view runs when a user expands each level: projects, namespaces, and the first
   * page of keys (200) plus the next page; on a namespace of a million keys and on one of a hundred.
   */
  async tree({ file, reps = 15 }) {
    const core = await loadCore();
    const store = new core.SqlJsFileStore(file, core.sql);
    const session = sessionFor(core.Session, store);
    const t0 = nowMs();
    await session.projects();
    const loadMs = nowMs() - t0;
    const time = async (fn) => {
      const runs = [];
      for (let i = 0; i < reps; i++) {
        const t = nowMs();
        await fn();
        runs.push(nowMs() - t);
      }
      return median(runs);
    };
    const firstPage = (project, namespace) => () => session.page({ project, namespace, limit: 200 });
    const big = await session.page({ project: 'big', namespace: 'huge', limit: 200 });
    // The two namespaces alternate, so machine noise falls on both sides alike.
    const bigRuns = [];
    const smallRuns = [];
    for (let i = 0; i < reps * 4; i++) {
      for (const [fn, runs] of [[firstPage('big', 'huge'), bigRuns], [firstPage('small', 'tiny'), smallRuns]]) {
        const t = nowMs();
        await fn();
        runs.push(nowMs() - t);
      }
    }
    const result = {
      loadMs,
      projectsMs: await time(() => session.projects()),
      namespacesBigMs: await time(() => session.namespaces('big')),
      namespacesSmallMs: await time(() => session.namespaces('small')),
      expandBigMs: median(bigRuns),
      expandSmallMs: median(smallRuns),
      loadMoreBigMs: await time(() => session.page({ project: 'big', namespace: 'huge', after: big.next, limit: 200 })),
      deepPageBigMs: await time(() => session.page({ project: 'big', namespace: 'huge', after: { key: 'key0900000', context: null }, limit: 200 })),
      projects: await session.projects(),
      bigFirstPage: (await session.page({ project: 'big', namespace: 'huge', limit: 200 })).entries.length,
    };
    await store.close();
    report(result);
  },

  async memory({ file, keys, mode = 'ours' }) {
    const gc = globalThis.gc ?? (() => undefined);
    const snap = () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, maxRss: process.resourceUsage().maxRSS * 1024 };
    };
    const address = addressOf(Math.floor(keys / 2));
    if (mode === 'native') {
      const { nativeSqlite } = await import('./lib.mjs');
      const Database = nativeSqlite();
      gc();
      const before = snap();
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const row = db.prepare(GET_SQL).get(address.project, address.namespace, address.key, address.context);
      const opened = snap();
      db.close();
      report({ before, opened, found: !!row });
      return;
    }
    const core = await loadCore();
    gc();
    gc();
    const before = snap();
    const store = new core.SqlJsFileStore(file, core.sql);
    const t = nowMs();
    const entry = await store.get(address);
    const openMs = nowMs() - t;
    const opened = snap();
    gc();
    gc();
    const openedAfterGc = snap();
    // RSS while the write runs: sampled on every turn of the event loop the commit yields (its
    // fsyncs run on the thread pool), and right before and after.
    let duringSetRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (duringSetRss = Math.max(duringSetRss, process.memoryUsage().rss)), 1);
    const ts = nowMs();
    await store.set(address, 'memory-bench');
    const setMs = nowMs() - ts;
    clearInterval(sampler);
    const afterSet = snap();
    duringSetRss = Math.max(duringSetRss, afterSet.rss);
    gc();
    gc();
    const afterSetGc = snap();
    await store.close();
    report({ before, opened, openedAfterGc, afterSet, afterSetGc, duringSetRss, openMs, setMs, found: !!entry });
  },

  /**
   * 7. Activation in a real VS Code (code-server + headless Chromium, test/vscode/): the extension
   * host's own figure for this extension (loading dist/extension.js + activate(), as "Developer: Show
   * Running Extensions" shows it), once per extension host. The first host comes with the window,
   * each later one with a reload of the window (a new extension host process); each time, opening
   * the ProntoDB view from the activity bar activates the extension, as it does for a user.
   */
  async activation({ runs = 5 }) {
    const harness = await import('../test/vscode/codeServer.mjs');
    try {
      harness.ensureInstalled();
    } catch (error) {
      report({ unavailable: error.message });
      return;
    }
    const root = tempDir('activation');
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    let server;
    let wb;
    try {
      server = await harness.startCodeServer({ env: { PRONTODB_DATA_DIR: path.join(root, 'data') } });
      wb = await harness.openWorkbench(server, { folder: workspace, extensionDevelopmentPath: harness.REPO_ROOT, viewport: { width: 1280, height: 760 } });
      const { page } = wb;
      const times = [];
      for (let i = 0; i < runs; i++) {
        if (i > 0) {
          // Leave the ProntoDB view closed, so the reloaded window does not restore it while loading.
          await harness.openViewContainer(page, 'Explorer', { timeout: 60000 });
          await page.reload();
          await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60000 });
        }
        await harness.openViewContainer(page, 'ProntoDB', { timeout: 60000 });
        // The view's welcome content (no database yet) is drawn once the extension answered it.
        await page.locator('.part.sidebar .welcome-view-content').first().waitFor({ timeout: 60000 });
        const { ms, startup } = await harness.extensionActivationTime(page, 'prontodb.prontodb');
        if (!(ms > 0)) throw new Error(`the extension host reported ${ms} ms`);
        times.push({ ms, startup });
      }
      const bundleBytes = fs.statSync(path.join(harness.REPO_ROOT, 'dist', 'extension.js')).size;
      report({ times: times.map((t) => t.ms), startup: times.filter((t) => t.startup).length, medianMs: median(times.map((t) => t.ms)), bundleBytes });
    } finally {
      if (wb) await wb.close();
      if (server) await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },

  /**
   * 8. MCP `get` round trip (issue 8): `prontodb mcp` (dist/cli.js, a real process) serving the
   * database in `home`, driven over stdio by the SDK's own Client, as an agent's host drives it.
   * The expected values are read natively from `fixtureFile` (the untouched original) first; then
   * warm-up calls (the first loads the file), then `count` gets of seeded random keys, each timed
   * from the call to its result and checked against the fixture.
   */
  async mcp({ home, fixtureFile, keys, count = 1000, warmup = 200, seed = 8 }) {
    const random = mulberry32(seed);
    const sample = Array.from({ length: warmup + count }, () => addressOf(Math.floor(random() * keys)));
    const native = new (nativeSqlite())(fixtureFile, { readonly: true });
    const lookup = native.prepare(GET_SQL);
    const expected = sample.map((a) => lookup.get(a.project, a.namespace, a.key, a.context).value);
    native.close();

    const agent = await startMcpServer(home);
    try {
      const get = async (address) => {
        const result = await agent.client.callTool({ name: 'get', arguments: { address } });
        if (result.isError) throw new Error(`get ${address}: ${result.content[0]?.text}`);
        return result.content[0].text;
      };
      const t0 = nowMs();
      const firstValue = await get(addressText(sample[0]));
      const firstCallMs = nowMs() - t0;
      let wrong = firstValue === expected[0] ? 0 : 1;
      for (let i = 1; i < warmup; i++) if ((await get(addressText(sample[i]))) !== expected[i]) wrong++;
      const times = [];
      const cpuBefore = agent.cpuMs();
      for (let i = warmup; i < warmup + count; i++) {
        const address = addressText(sample[i]);
        const t = nowMs();
        const value = await get(address);
        times.push(nowMs() - t);
        if (value !== expected[i]) wrong++;
      }
      const serverCpuUs = ((agent.cpuMs() - cpuBefore) * 1000) / count;
      report({ medianMs: median(times), p90Ms: quantile(times, 0.9), meanMs: times.reduce((a, b) => a + b, 0) / times.length, minMs: Math.min(...times), firstCallMs, connectMs: agent.connectMs, serverCpuUs, wrong, count });
    } finally {
      await agent.close();
    }
  },

  /**
   * 9. `watch` wake-up after a write in another process (issue 8). A writer (a `prontodb mcp` server,
   * so its acknowledgement is the moment the durable write returned to its client) changes one
   * address `count` times; before each write a watcher waits on it: `watcher: 'mcp'` a watch call to
   * a second server, `watcher: 'cli'` a fresh `prontodb watch ADDR --expect OLD` process, written to
   * only once it has its directory watch set up. Timed from the writer's acknowledgement (and from
   * its request) to the watcher's answer (the call's result, the process's stdout line); each answer
   * is checked to be the value written.
   */
  async watch({ home, address, watcher = 'mcp', count = 20, warmup = 2, seed = 9 }) {
    const random = mulberry32(seed);
    const writer = await startMcpServer(home);
    const waiter = watcher === 'mcp' ? await startMcpServer(home) : undefined;
    const call = async (agent, tool, args) => {
      const result = await agent.client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000 });
      if (result.isError) throw new Error(`${tool} ${JSON.stringify(args)}: ${result.content[0]?.text}`);
      return result;
    };
    try {
      let previous = `watch-bench-start-${seed}`;
      // The first write of a process also runs PRAGMA quick_check; the first read loads the file.
      await call(writer, 'set', { address, value: previous });
      if (waiter) await call(waiter, 'get', { address });
      const fromAck = [];
      const fromRequest = [];
      const writeMs = [];
      let wrong = 0;
      for (let i = 0; i < warmup + count; i++) {
        const value = `watch-bench-${seed}-${i}`;
        let answered;
        if (waiter) {
          answered = call(waiter, 'watch', { address, expect: previous, timeout: 60 }).then((result) => ({ at: nowMs(), value: result.structuredContent?.value }));
          // The call reaches the warm server in a millisecond or two; leave it time to subscribe.
          await sleepMs(150 + Math.floor(random() * 100));
        } else {
          const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'watch', address, '--expect', previous, '--timeout', '60'], { cwd: home, env: benchEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk) => (stderr += chunk));
          answered = new Promise((resolve, reject) => {
            const lines = readline.createInterface({ input: child.stdout });
            lines.once('line', (line) => resolve({ at: nowMs(), value: line }));
            child.once('close', (code) => reject(new Error(`prontodb watch exited ${code} without output: ${stderr}`)));
          });
          await directoryWatchSetUp(child.pid);
          await sleepMs(50 + Math.floor(random() * 100));
        }
        const sent = nowMs();
        await call(writer, 'set', { address, value });
        const acknowledged = nowMs();
        const answer = await answered;
        if (answer.value !== value) wrong++;
        if (i >= warmup) {
          fromAck.push(answer.at - acknowledged);
          fromRequest.push(answer.at - sent);
          writeMs.push(acknowledged - sent);
        }
        previous = value;
      }
      report({ watcher, medianMs: median(fromAck), p90Ms: quantile(fromAck, 0.9), fromRequestMedianMs: median(fromRequest), writeMedianMs: median(writeMs), fromAck, wrong, count });
    } finally {
      await Promise.all([writer.close(), waiter?.close()]);
    }
  },

  /**
   * 11. copy (issue 11): `copyDatabase` of a 100k-key file to a new database on a PostgreSQL server,
   * against the same copy to a new file in the same process (alternating); then the server's
   * merging import (importEntries into a database that may hold rows) of the same entries.
   */
  async copy({ file, url, keys, reps = 3 }) {
    const core = await loadCore();
    const coreDir = process.env.BENCH_CORE_DIR ? path.resolve(process.env.BENCH_CORE_DIR) : path.join(ROOT, 'out', 'src', 'core');
    const { copyDatabase, resolveCopyLocation } = await import(path.join(coreDir, 'copy.js'));
    const home = tempDir('copy');
    const pronto = new core.ProntoDB({ env: benchEnv(home), cwd: home, client: 'bench' });
    try {
      const source = resolveCopyLocation(pronto, file, 'source');
      const runs = { server: [], file: [] };
      let cold;
      const entriesOf = async (location) => (await (await pronto.store(location)).stats()).entries;
      for (let i = 0; i <= reps; i++) {
        const server = resolveCopyLocation(pronto, `${url}?prontodb=bench${i}`, 'target');
        let t = nowMs();
        await copyDatabase(pronto, source, server);
        const serverMs = nowMs() - t;
        const fileTarget = resolveCopyLocation(pronto, path.join(home, `copy${i}.prdb`), 'target');
        t = nowMs();
        await copyDatabase(pronto, source, fileTarget);
        const fileMs = nowMs() - t;
        for (const location of [server.location, fileTarget.location]) {
          const count = await entriesOf(location);
          if (count !== keys) throw new Error(`copy: ${location} holds ${count} entries, not ${keys}`);
        }
        if (i === 0) cold = { server: serverMs, file: fileMs };
        else {
          runs.server.push(serverMs);
          runs.file.push(fileMs);
        }
      }
      // The merging import: COPY into a temporary table, then one INSERT … ON CONFLICT.
      const sourceStore = await pronto.store(source.location);
      const { entries, ttlNamespaces } = await sourceStore.exportEntries({});
      const merge = await pronto.store(`${url}?prontodb=benchmerge`);
      await merge.set({ project: 'p', namespace: 'n', key: 'existing', context: null }, 'v');
      let t = nowMs();
      await merge.importEntries(entries, ttlNamespaces, { preserveTimestamps: true });
      const mergeMs = nowMs() - t;
      t = nowMs();
      const exported = (await sourceStore.exportEntries({})).entries.length;
      const exportMs = nowMs() - t;
      report({ serverMs: median(runs.server), fileMs: median(runs.file), runs, cold, mergeMs, exportMs, exported });
    } finally {
      await pronto.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
};

const run = cases[name];
if (!run) {
  console.error(`unknown case '${name}'`);
  process.exit(1);
}
await run(args);
