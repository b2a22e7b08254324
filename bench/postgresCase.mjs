// The PostgreSQL measurements of `npm run bench` (issue 11), one per process like case.mjs:
//   node bench/postgresCase.mjs <case> <json-args>   → one line `RESULT <json>` on stdout
// Cases: `getset` (warm get and durable set on a server database and on a database file, the
// same 10k keys, interleaved per round so a slow spell of the shared machine hits both), and
// `writer` (one of the 8 concurrent writer processes: sequential durable sets until a deadline).
// The server is the test suite's throwaway cluster (test/helpers/postgres.ts), started by run.mjs
// with fsync on, so a set resolves only after the server's WAL reached the disk.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { addressOf, loadCore, makeEntries, mulberry32, nowMs, quantile, randomValue, ROOT } from './lib.mjs';

const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
const [name, argText] = process.argv.slice(2);
const args = argText ? JSON.parse(argText) : {};
const report = (result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

/** A store on `location`: a postgres:// URL through the compiled PostgreSQL backend, else a file. */
async function openStore(location) {
  if (/^postgres(ql)?:\/\//.test(location)) {
    const { PostgresBackend } = requireFromRoot(path.join(ROOT, 'out', 'src', 'core', 'postgres', 'backend.js'));
    return new PostgresBackend().createStore(location);
  }
  const core = await loadCore();
  return new core.SqlJsFileStore(location, core.sql);
}

const stats = (values) => ({ median: quantile(values, 0.5), p99: quantile(values, 0.99), count: values.length });

const cases = {
  /** Fills both databases with the same `keys` entries, then times gets and sets on each, round by round. */
  async getset({ server, file, keys = 10_000, rounds = 10, getsPerRound = 500, setsPerRound = 20 }) {
    const stores = { server: await openStore(server), file: await openStore(file) };
    const entries = makeEntries(keys);
    for (const store of Object.values(stores)) await store.importEntries(entries, []);
    const random = mulberry32(7);
    const times = { server: { get: [], set: [] }, file: { get: [], set: [] } };
    let misses = 0;
    const written = { server: new Map(), file: new Map() };
    for (const [which, store] of Object.entries(stores)) {
      // Warm: the first reads load the file / open the connections and prepare statements.
      for (let i = 0; i < 50; i++) await store.get(addressOf(i));
      await store.set(addressOf(0), 'warm');
      written[which].set(0, 'warm');
    }
    for (let round = 0; round < rounds; round++) {
      for (const [which, store] of Object.entries(stores)) {
        for (let i = 0; i < getsPerRound; i++) {
          const address = addressOf(Math.floor(random() * keys));
          const t = nowMs();
          const entry = await store.get(address);
          times[which].get.push(nowMs() - t);
          if (!entry) misses++;
        }
        for (let i = 0; i < setsPerRound; i++) {
          const index = Math.floor(random() * keys);
          const value = randomValue(random);
          const t = nowMs();
          await store.set(addressOf(index), value);
          times[which].set.push(nowMs() - t);
          written[which].set(index, value);
        }
      }
    }
    for (const store of Object.values(stores)) await store.close();
    // Every acknowledged set read back by a fresh store (a new connection, a fresh file load).
    let lost = 0;
    for (const [which, location] of Object.entries({ server, file })) {
      const fresh = await openStore(location);
      for (const [index, value] of written[which]) if ((await fresh.get(addressOf(index)))?.value !== value) lost++;
      await fresh.close();
    }
    report({
      misses,
      lost,
      server: { get: stats(times.server.get), set: stats(times.server.set) },
      file: { get: stats(times.file.get), set: stats(times.file.set) },
    });
  },

  /**
   * One of several writer processes: connects (or loads the file), says READY on stdout, and on a
   * `GO <seconds>` line from the orchestrator sets its own keys for that long, so every writer
   * starts together however long the others took to start.
   */
  async writer({ location, id }) {
    const store = await openStore(location);
    await store.get(addressOf(0));
    process.stdout.write('READY\n');
    const seconds = await new Promise((resolve) => {
      let input = '';
      process.stdin.on('data', (chunk) => {
        input += chunk;
        const match = /GO (\d+(?:\.\d+)?)\n/.exec(input);
        if (match) resolve(Number(match[1]));
      });
    });
    const startAt = Date.now();
    const endAt = startAt + seconds * 1000;
    let count = 0;
    while (Date.now() < endAt) {
      await store.set({ project: 'bench', namespace: `writer${id}`, key: `k${count}`, context: null }, `value-${id}-${count}`);
      count++;
    }
    const finishedAt = Date.now();
    process.stdin.destroy();
    await store.close();
    report({ id, count, seconds: (finishedAt - startAt) / 1000 });
  },

  /** After the writers: every acknowledged value of every writer is there. */
  async verifyWriters({ location, counts }) {
    const store = await openStore(location);
    let missing = 0;
    for (const [id, count] of counts.entries()) {
      const rows = await store.list({ project: 'bench', namespace: `writer${id}` });
      const present = new Set(rows.map((row) => row.key));
      for (let i = 0; i < count; i++) if (!present.has(`k${i}`)) missing++;
    }
    await store.close();
    report({ missing });
  },
};

if (!cases[name]) {
  process.stderr.write(`unknown case ${name}\n`);
  process.exit(2);
}
await cases[name](args);
process.exit(0);
