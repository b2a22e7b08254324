/**
 * Faults on a real server: a primary/standby pair with synchronous replication on loopback behind a
 * multi-host URL (`target_session_attrs=read-write`), the primary SIGKILLed in the middle of a stream
 * of writes and the standby promoted; and one server killed and restarted under a stream of writes.
 * What must hold: every write the store acknowledged is there afterwards, a write that failed says
 * so clearly, and the store carries on without being reopened.
 */
import * as assert from 'node:assert/strict';
import { isProntoError } from '../../src/core/errors';
import { PostgresBackend } from '../../src/core/postgres/backend';
import type { KvStore } from '../../src/core/store';
import { type PostgresCluster, startPostgres } from '../helpers/postgres';
import { at } from './contract/kvStoreContract';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes key-0, key-1… one after another until stopped; records which were acknowledged and how the others failed. */
function writeStream(store: KvStore, prefix: string) {
  const acknowledged: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let index = 0; !stopped; index++) {
      const key = `${prefix}-${index}`;
      try {
        await store.set(at('p', 'n', key), `value ${index}`);
        acknowledged.push(key);
      } catch (error) {
        failures.push(isProntoError(error) ? error.message : `not a ProntoError: ${String(error)}`);
        await sleep(100);
      }
    }
  })();
  return {
    acknowledged,
    failures,
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
    /** Resolves once `count` more writes have been acknowledged. */
    async waitForMore(count: number, ms = 30_000): Promise<void> {
      const target = acknowledged.length + count;
      for (const start = Date.now(); acknowledged.length < target; await sleep(20)) {
        if (Date.now() - start > ms) throw new Error(`only ${acknowledged.length} of ${target} writes acknowledged after ${ms} ms; failures: ${failures.slice(-3).join(' | ')}`);
      }
    },
  };
}

/** Reads one key over and over until stopped; counts the reads and records how any failed. */
function readStream(store: KvStore, key: string) {
  let reads = 0;
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        await store.get(at('p', 'n', key));
        reads++;
      } catch (error) {
        failures.push((error as Error).message);
        await sleep(100);
      }
    }
  })();
  return {
    failures,
    get reads() {
      return reads;
    },
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
  };
}

async function assertAllPresent(store: KvStore, keys: string[]): Promise<void> {
  const present = new Set((await store.list({ project: 'p', namespace: 'n' })).map((entry) => entry.key));
  const missing = keys.filter((key) => !present.has(key));
  assert.deepEqual(missing, [], `${missing.length} acknowledged writes lost`);
}

describe('failover: a primary and a synchronous standby behind one multi-host URL', function () {
  this.timeout(180_000);
  let primary: PostgresCluster;
  let standby: PostgresCluster;

  before(async function () {
    this.timeout(180_000);
    primary = await startPostgres({ synchronous: true });
    standby = await startPostgres({ standbyOf: primary });
  });

  after(() => {
    standby?.destroy();
    primary?.destroy();
  });

  it('the primary killed mid-stream, the standby promoted: the store carries on, every acknowledged write is there', async () => {
    // The standby first: target_session_attrs must pass it over while it is one.
    const hosts = `127.0.0.1:${standby.port},127.0.0.1:${primary.port}`;
    const url = `postgres://postgres:${primary.superPassword}@${hosts}/postgres?target_session_attrs=read-write&connect_timeout=5&prontodb=failover`;
    const store = await new PostgresBackend().openStore(url);
    const stream = writeStream(store, 'k');
    const readerStore = await new PostgresBackend().openStore(url);
    let reader: ReturnType<typeof readStream> | undefined;
    try {
      await stream.waitForMore(1);
      reader = readStream(readerStore, 'k-0');
      await stream.waitForMore(50);
      primary.kill();
      const killedAt = stream.acknowledged.length;
      const killTime = Date.now();
      await sleep(1000);
      standby.promote();
      const promotedAfter = Date.now() - killTime;
      await stream.waitForMore(1);
      const resumedAfter = Date.now() - killTime;
      await stream.waitForMore(49);
      await stream.stop();
      await reader.stop();
      assert.ok(reader.reads > 0);
      assert.deepEqual(reader.failures, [], `reads are run again on a new connection (${reader.reads} succeeded)`);
      console.log(`      promoted ${promotedAfter} ms after the kill, writes acknowledged again after ${resumedAfter} ms`);
      console.log(`      ${stream.acknowledged.length} acknowledged (${killedAt} before the kill), ${stream.failures.length} failed: ${[...new Set(stream.failures)].slice(0, 4).join(' | ')}`);
      for (const failure of stream.failures) assert.match(failure, /^Cannot reach the server of postgres:\/\/postgres:\*\*\*@/);
      await assertAllPresent(store, stream.acknowledged);
    } finally {
      await stream.stop();
      await reader?.stop();
      await store.close();
      await readerStore.close();
    }
  });
});

describe('faults on one server: killed and restarted under a stream of writes; the connection cut during an import', function () {
  this.timeout(180_000);
  let cluster: PostgresCluster;
  let url: string;

  before(async function () {
    this.timeout(120_000);
    cluster = await startPostgres();
    url = cluster.url({ prontodb: 'faults' });
  });

  after(() => cluster?.destroy());

  /** Starts the killed server again; the killed postmaster's children may hold its shared memory a moment longer. */
  async function restart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        cluster.start();
        return;
      } catch (error) {
        if (attempt >= 40) throw error;
        await sleep(250);
      }
    }
  }

  it('SIGKILL mid-stream: clear errors while it is down, every acknowledged write present after the restart', async () => {
    const store = await new PostgresBackend().openStore(`${url}&connect_timeout=3`);
    const stream = writeStream(store, 'kill');
    try {
      await stream.waitForMore(50);
      cluster.kill();
      // Down for a while: the stream keeps trying and every try fails with the clear message.
      await sleep(2000);
      const failedWhileDown = stream.failures.length;
      await restart();
      await stream.waitForMore(50);
      await stream.stop();
      console.log(`      ${stream.acknowledged.length} acknowledged, ${stream.failures.length} failed (${failedWhileDown} while down)`);
      assert.ok(failedWhileDown >= 2, `writes while the server is down fail (${failedWhileDown})`);
      for (const failure of stream.failures) {
        assert.match(failure, /^Cannot reach the server of postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\//);
        assert.ok(!failure.includes(cluster.superPassword));
      }
      await assertAllPresent(store, stream.acknowledged);
    } finally {
      await stream.stop();
      await store.close();
    }
  });

  it('the connection cut during an import (pg_terminate_backend): nothing of it stays; run again, all of it', async () => {
    const store = await new PostgresBackend().openStore(url);
    const entries = Array.from({ length: 60_000 }, (_, index) => ({
      project: 'imp',
      namespace: 'n',
      key: `key-${index}`,
      context: null,
      value: `value ${index}`,
      createdAt: 1_700_000_000,
      updatedAt: 1_700_000_000,
      expiresAt: null,
    }));
    try {
      let terminated: Promise<void> | undefined;
      const cutAfterFirstProgress = () => {
        // Every backend of this store's pool: the import's transaction is one of them.
        terminated ??= cluster.admin([`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'prontodb' AND pid <> pg_backend_pid()`]);
      };
      await assert.rejects(store.importEntries(entries, [], { onProgress: cutAfterFirstProgress }), (error: unknown) => {
        assert.ok(isProntoError(error, 'io'), String(error));
        assert.match(error.message, /^Cannot reach the server of postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres\?prontodb=faults: the connection was lost \(.*\); a change being saved at that moment may or may not have been saved$/);
        return true;
      });
      assert.ok(terminated, 'the import reported progress before it was cut');
      await terminated;
      assert.equal(await store.count({ project: 'imp', namespace: 'n' }), 0, 'all or nothing');
      assert.equal(await store.importEntries(entries, []), entries.length);
      assert.equal(await store.count({ project: 'imp', namespace: 'n' }), entries.length);
    } finally {
      await store.close();
    }
  });
});
