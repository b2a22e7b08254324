/**
 * The KvStore contract: every behaviour the CLI, the extension and agents rely on, written once and
 * run against every store (the sql.js file store now; a server store must pass the same suite).
 * Only the KvStore interface is used here; what a store does on disk is its own test file's
 * business.
 */
import * as assert from 'node:assert/strict';
import { withActor } from '../../../src/core/audit';
import { type ConditionFailedError, isProntoError } from '../../../src/core/errors';
import type { ChangeEvent, KvStore } from '../../../src/core/store';
import type { Address, Entry } from '../../../src/core/types';

export interface ContractSubject {
  /** A store on this subject's data (fresh and empty for each test). */
  open(): KvStore;
  /** Another store on the same data, as another process would open it. */
  openAnother(): KvStore;
  /**
   * A store on the same data that may not write it (a read-only file and folder; a server role with
   * SELECT only), as another user would open it. Called after the data has values.
   */
  openReadOnly(): Promise<KvStore>;
  cleanup(): Promise<void>;
}

/** `now` is the clock every store of the subject must use (milliseconds), so TTL tests need not sleep. */
export type SubjectFactory = (now: () => number) => Promise<ContractSubject>;

export const at = (project: string, namespace: string, key: string, context: string | null = null): Address => ({ project, namespace, key, context });

const entry = (address: Address, value: string, expiresAt: number | null = null): Entry => ({ ...address, value, createdAt: 1, updatedAt: 1, expiresAt });

const label = (e: Pick<Entry, 'key' | 'context'>): string => (e.context === null ? e.key : `${e.key}__${e.context}`);

function nextEvent(store: KvStore, origin: ChangeEvent['origin'], timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no '${origin}' change event within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = store.onDidChange((event) => {
      if (event.origin !== origin) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}

export function kvStoreContract(name: string, factory: SubjectFactory): void {
  describe(`KvStore contract: ${name}`, function () {
    this.timeout(30_000);
    let clock: number;
    let subject: ContractSubject;
    let store: KvStore;
    const opened: KvStore[] = [];
    const open = (): KvStore => {
      const next = opened.length === 0 ? subject.open() : subject.openAnother();
      opened.push(next);
      return next;
    };

    beforeEach(async () => {
      clock = 1_800_000_000_000;
      subject = await factory(() => clock);
      store = open();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((each) => each.close().catch(() => undefined)));
      await subject.cleanup();
    });

    describe('addresses and values', () => {
      it('reads nothing from empty data', async () => {
        assert.equal(await store.get(at('p', 'n', 'k')), undefined);
        assert.deepEqual(await store.projects(), []);
        assert.deepEqual(await store.list({ project: 'p', namespace: 'n' }), []);
      });

      it('keeps one value per address; a context is another address; created_at survives overwrites', async () => {
        await store.set(at('p', 'n', 'k'), 'v1');
        clock += 5000;
        await store.set(at('p', 'n', 'k'), 'v2');
        await store.set(at('p', 'n', 'k', 'prod'), 'c1');
        await store.set(at('p', 'n', 'k', 'prod'), 'c2');
        assert.deepEqual((await store.list({ project: 'p', namespace: 'n' })).map((e) => `${label(e)}=${e.value}`), ['k=v2', 'k__prod=c2']);
        const found = (await store.get(at('p', 'n', 'k')))!;
        assert.equal(found.updatedAt, found.createdAt + 5);
        assert.equal((await store.get(at('p', 'n', 'k', 'other'))), undefined);
      });

      it('stores any text exactly: empty, multi-line, unicode, a BOM, NUL, 1 MB', async () => {
        const values = ['', 'line 1\r\nline 2\n', 'ünïcødé 🚀 \u0000 tab\t', '\ufeffwith BOM', 'x'.repeat(1024 * 1024)];
        await Promise.all(values.map((value, index) => store.set(at('p', 'n', `k${index}`), value)));
        const other = open();
        for (const [index, value] of values.entries()) assert.equal((await other.get(at('p', 'n', `k${index}`)))?.value, value);
      });

      it('deletes, and says whether a live value was there', async () => {
        await store.set(at('p', 'n', 'k'), 'v');
        assert.equal(await store.delete(at('p', 'n', 'k')), true);
        assert.equal(await store.delete(at('p', 'n', 'k')), false);
        assert.equal(await store.get(at('p', 'n', 'k')), undefined);
      });

      it('lists projects and namespaces that hold live values, in order', async () => {
        await store.set(at('b', 'y', 'k'), 'v');
        await store.set(at('a', 'z', 'k'), 'v');
        await store.set(at('a', 'x', 'k'), 'v');
        assert.deepEqual(await store.projects(), ['a', 'b']);
        assert.deepEqual(await store.namespaces('a'), ['x', 'z']);
        await store.delete(at('b', 'y', 'k'));
        assert.deepEqual(await store.projects(), ['a']);
      });
    });

    describe('TTL namespaces', () => {
      it('applies the default TTL, lets a per-write TTL override it, and hides expired values everywhere', async () => {
        await store.createCache('p', 'cache', 60);
        await store.set(at('p', 'cache', 'short'), 's', { ttlSeconds: 10 });
        await store.set(at('p', 'cache', 'long'), 'l');
        await store.set(at('q', 'n', 'plain'), 'x');
        assert.equal((await store.get(at('p', 'cache', 'long')))?.expiresAt, clock / 1000 + 60);
        clock += 10_000;
        assert.equal(await store.get(at('p', 'cache', 'short')), undefined, 'expired at exactly expires_at');
        assert.deepEqual((await store.list({ project: 'p', namespace: 'cache' })).map((e) => e.key), ['long']);
        assert.equal(await store.count({ project: 'p', namespace: 'cache' }), 1);
        assert.deepEqual((await store.exportEntries({ project: 'p' })).entries.map((e) => e.key), ['long']);
        clock += 60_000;
        assert.deepEqual(await store.list({ project: 'p', namespace: 'cache' }), []);
        assert.deepEqual(await store.projects(), ['p', 'q'], 'an empty TTL namespace still shows');
        assert.deepEqual(await store.namespaces('p'), ['cache']);
        assert.equal(await store.purgeExpired(), 2);
        assert.equal(await store.purgeExpired(), 0);
      });

      it('refuses a per-write TTL outside a TTL namespace, and a non-positive default', async () => {
        await assert.rejects(store.set(at('p', 'n', 'k'), 'v', { ttlSeconds: 5 }), (error) => isProntoError(error, 'usage') && /not TTL-enabled/.test(error.message));
        assert.equal(await store.get(at('p', 'n', 'k')), undefined);
        await assert.rejects(store.createCache('p', 'n', 0), (error) => isProntoError(error, 'usage'));
        assert.deepEqual(await store.ttlNamespaces(), []);
      });

      it('removes a TTL namespace; later writes do not expire', async () => {
        await store.createCache('p', 'n', 5);
        assert.deepEqual((await store.ttlNamespaces()).map((ns) => [ns.project, ns.namespace, ns.defaultTtl]), [['p', 'n', 5]]);
        assert.equal(await store.removeCache('p', 'n'), true);
        assert.equal(await store.removeCache('p', 'n'), false);
        await store.set(at('p', 'n', 'k'), 'v');
        assert.equal((await store.get(at('p', 'n', 'k')))?.expiresAt, null);
      });

      it('keepExpiry keeps a custom expiry on rewrite; a plain set takes the namespace default', async () => {
        await store.createCache('p', 'cache', 3600);
        await store.set(at('p', 'cache', 'k'), 'one', { ttlSeconds: 60 });
        const expiresAt = (await store.get(at('p', 'cache', 'k')))!.expiresAt;
        clock += 10_000;
        await store.set(at('p', 'cache', 'k'), 'two', { keepExpiry: true });
        assert.equal((await store.get(at('p', 'cache', 'k')))!.expiresAt, expiresAt);
        await store.set(at('p', 'cache', 'k'), 'three');
        assert.equal((await store.get(at('p', 'cache', 'k')))!.expiresAt, clock / 1000 + 3600);
      });
    });

    describe('listing and paging', () => {
      it('matches key prefixes exactly and case-sensitively; _ and % are not wildcards', async () => {
        for (const key of ['a_b', 'axb', 'A_b', 'a%', 'ab', 'b']) await store.set(at('p', 'n', key), key);
        const keys = async (keyPrefix: string) => (await store.list({ project: 'p', namespace: 'n', keyPrefix })).map((e) => e.key);
        assert.deepEqual(await keys('a_'), ['a_b']);
        assert.deepEqual(await keys('a%'), ['a%']);
        assert.deepEqual(await keys('a'), ['a%', 'a_b', 'ab', 'axb']);
        assert.deepEqual(await keys('A'), ['A_b']);
      });

      it('pages through keys and contexts in order without skipping or repeating', async () => {
        const expected: string[] = [];
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 30; i++) {
          const key = `k${String(i).padStart(2, '0')}`;
          writes.push(store.set(at('p', 'n', key), 'v'));
          expected.push(key);
          if (i % 3 === 0) {
            writes.push(store.set(at('p', 'n', key, 'ctx'), 'c'));
            expected.push(`${key}__ctx`);
          }
        }
        await Promise.all(writes);
        const seen: string[] = [];
        let after: { key: string; context: string | null } | undefined;
        for (;;) {
          const page = await store.list({ project: 'p', namespace: 'n', after, limit: 7 });
          if (page.length === 0) break;
          seen.push(...page.map(label));
          const last = page[page.length - 1]!;
          after = { key: last.key, context: last.context };
        }
        assert.deepEqual(seen, expected);
      });

      it('counts, up to a limit and after a paging position', async () => {
        await store.importEntries(Array.from({ length: 50 }, (_, i) => entry(at('p', 'n', `k${String(i).padStart(2, '0')}`), 'v')), []);
        assert.equal(await store.count({ project: 'p', namespace: 'n' }), 50);
        assert.equal(await store.count({ project: 'p', namespace: 'n' }, { limit: 10 }), 10);
        assert.equal(await store.count({ project: 'p', namespace: 'n', after: { key: 'k39', context: null } }), 10);
        assert.equal(await store.count({ project: 'p', namespace: 'n', keyPrefix: 'k4' }), 10);
      });
    });

    describe('writes that must not be lost or half-done', () => {
      it('compare-and-set writes only over the expected value (undefined: only where nothing is)', async () => {
        const failed = (current: string | undefined) => (error: unknown) =>
          isProntoError(error, 'condition-failed') && (error as ConditionFailedError).current === current;
        await store.set(at('p', 'n', 'k'), 'v1');
        await store.set(at('p', 'n', 'k'), 'v2', { expected: { value: 'v1' } });
        await assert.rejects(store.set(at('p', 'n', 'k'), 'v3', { expected: { value: 'v1' } }), failed('v2'));
        await assert.rejects(store.set(at('p', 'n', 'new'), 'x', { expected: { value: 'something' } }), failed(undefined));
        await store.set(at('p', 'n', 'new'), 'x', { expected: { value: undefined } });
        await assert.rejects(store.set(at('p', 'n', 'new'), 'y', { expected: { value: undefined } }), failed('x'));
        assert.deepEqual((await store.list({ project: 'p', namespace: 'n' })).map((e) => e.value), ['v2', 'x']);
      });

      it('a lease: set if absent with a TTL is taken once, renewed by its owner, and free again once expired', async () => {
        await store.createCache('p', 'leases', 60);
        const lease = at('p', 'leases', 'task1');
        await store.set(lease, 'agent-a', { expected: { value: undefined }, ttlSeconds: 10 });
        await assert.rejects(store.set(lease, 'agent-b', { expected: { value: undefined }, ttlSeconds: 10 }), (error) => isProntoError(error, 'condition-failed'));
        clock += 8000;
        await store.set(lease, 'agent-a', { expected: { value: 'agent-a' }, ttlSeconds: 10 }); // renewed: now expires 10 s from here
        clock += 8000;
        await assert.rejects(store.set(lease, 'agent-b', { expected: { value: undefined }, ttlSeconds: 10 }), (error) => isProntoError(error, 'condition-failed'));
        clock += 3000; // the owner stopped renewing
        await store.set(lease, 'agent-b', { expected: { value: undefined }, ttlSeconds: 10 });
        await assert.rejects(store.set(lease, 'agent-a', { expected: { value: 'agent-a' }, ttlSeconds: 10 }), (error) => isProntoError(error, 'condition-failed'));
        assert.equal((await open().get(lease))?.value, 'agent-b');
      });

      it('a conditional delete removes only the expected value (releasing a lease one still owns)', async () => {
        await store.set(at('p', 'n', 'k'), 'mine');
        await assert.rejects(store.delete(at('p', 'n', 'k'), { expected: { value: 'theirs' } }), (error) => isProntoError(error, 'condition-failed'));
        await assert.rejects(store.delete(at('p', 'n', 'gone'), { expected: { value: 'x' } }), (error) => isProntoError(error, 'condition-failed'));
        assert.equal((await open().get(at('p', 'n', 'k')))?.value, 'mine');
        assert.equal(await store.delete(at('p', 'n', 'k'), { expected: { value: 'mine' } }), true);
        assert.equal(await open().get(at('p', 'n', 'k')), undefined);
      });

      it('a failing write fails alone; writes issued with it land', async () => {
        const results = await Promise.allSettled([
          store.set(at('p', 'n', 'a'), '1'),
          store.set(at('p', 'n', 'b'), '2', { ttlSeconds: 3 }),
          store.set(at('p', 'n', 'c'), '3'),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.deepEqual((await open().list({ project: 'p', namespace: 'n' })).map((e) => e.key), ['a', 'c']);
      });

      it('1,000 concurrent writes all land and are visible to another store once they resolve', async () => {
        await Promise.all(Array.from({ length: 1000 }, (_, i) => store.set(at('p', 'n', `k${i}`), `v${i}`)));
        assert.equal(await open().count({ project: 'p', namespace: 'n' }), 1000);
      });

      it("two stores on the same data see each other's writes and lose none", async () => {
        const other = open();
        await store.set(at('p', 'n', 'a'), '1');
        assert.equal((await other.get(at('p', 'n', 'a')))?.value, '1');
        await Promise.all([store.set(at('p', 'n', 'b'), '2'), other.set(at('p', 'n', 'c'), '3')]);
        for (const each of [store, other]) assert.deepEqual((await each.list({ project: 'p', namespace: 'n' })).map((e) => e.key), ['a', 'b', 'c']);
      });

      it('imports repeated addresses as one value each, the last one winning', async () => {
        await store.set(at('p', 'used', 'k'), 'old');
        const entries = ['fresh', 'used'].flatMap((namespace) => [
          entry(at('p', namespace, 'k'), 'first'),
          entry(at('p', namespace, 'k', 'ctx'), 'first'),
          entry(at('p', namespace, 'other'), 'x'),
          entry(at('p', namespace, 'k'), 'last'),
          entry(at('p', namespace, 'k', 'ctx'), 'last'),
        ]);
        assert.equal(await store.importEntries(entries, []), entries.length);
        for (const namespace of ['fresh', 'used']) {
          assert.deepEqual((await store.list({ project: 'p', namespace })).map((e) => `${label(e)}=${e.value}`), ['k=last', 'k__ctx=last', 'other=x']);
        }
      });

      it('imports all or nothing: a cancelled import leaves nothing behind', async () => {
        await store.set(at('p', 'n', 'k'), 'before');
        const entries = Array.from({ length: 20_000 }, (_, i) => entry(at('p', 'n', `i${i}`), 'v'));
        const controller = new AbortController();
        const importing = store.importEntries(entries, [], {
          signal: controller.signal,
          onProgress: (fraction) => {
            if (fraction > 0.2) controller.abort();
          },
        });
        await assert.rejects(importing, (error) => isProntoError(error, 'cancelled'));
        assert.equal(await open().count({ project: 'p', namespace: 'n' }), 1);
        assert.equal(await store.importEntries(entries, [], { preserveTimestamps: true }), 20_000);
        assert.equal(await store.count({ project: 'p', namespace: 'n' }), 20_001);
      });

      it('exports what it imports, timestamps and TTL namespaces included', async () => {
        const entries = [entry(at('p', 'n', 'a'), '1'), { ...entry(at('p', 'cache', 'b', 'ctx'), '2', 4_102_444_800), createdAt: 5, updatedAt: 6 }];
        const ttl = [{ project: 'p', namespace: 'cache', defaultTtl: 30, createdAt: 7 }];
        await store.importEntries(entries, ttl, { preserveTimestamps: true });
        const exported = await open().exportEntries({});
        assert.deepEqual(exported.entries, [entries[1], entries[0]]);
        assert.deepEqual(exported.ttlNamespaces, ttl);
      });
    });

    describe('editing operations', () => {
      it('rename moves a value in one step, keeping its creation time and expiry', async () => {
        await store.createCache('p', 'cache', 3600);
        await store.set(at('p', 'cache', 'old'), 'v', { ttlSeconds: 90 });
        const before = (await store.get(at('p', 'cache', 'old')))!;
        clock += 5000;
        await store.rename(at('p', 'cache', 'old'), at('p', 'cache', 'new', 'ctx'));
        assert.equal(await store.get(at('p', 'cache', 'old')), undefined);
        const after = (await open().get(at('p', 'cache', 'new', 'ctx')))!;
        assert.deepEqual([after.value, after.createdAt, after.expiresAt], ['v', before.createdAt, before.expiresAt]);
      });

      it('rename refuses an occupied target, a changed or missing source; nothing changes', async () => {
        await store.set(at('p', 'n', 'a'), 'A');
        await store.set(at('p', 'n', 'b'), 'B');
        await assert.rejects(store.rename(at('p', 'n', 'a'), at('p', 'n', 'b')), (error) => isProntoError(error, 'conflict'));
        await assert.rejects(store.rename(at('p', 'n', 'a'), at('p', 'n', 'c'), { expected: { value: 'stale' } }), (error) => isProntoError(error, 'condition-failed'));
        await assert.rejects(store.rename(at('p', 'n', 'zz'), at('p', 'n', 'c')), (error) => isProntoError(error, 'not-found'));
        assert.deepEqual((await store.list({ project: 'p', namespace: 'n' })).map((e) => `${e.key}=${e.value}`), ['a=A', 'b=B']);
      });

      it('deleteScope removes a namespace or a project with its TTL settings and counts what went', async () => {
        await store.createCache('p', 'cache', 60);
        await store.set(at('p', 'cache', 'c1'), '1');
        for (const key of ['a', 'b', 'c']) await store.set(at('p', 'n', key), key);
        await store.set(at('q', 'n', 'keep'), 'kept');
        assert.equal(await store.deleteScope({ project: 'p', namespace: 'n' }), 3);
        assert.deepEqual(await store.namespaces('p'), ['cache']);
        assert.equal(await store.deleteScope({ project: 'p' }), 1);
        assert.deepEqual(await store.projects(), ['q']);
        assert.deepEqual(await store.ttlNamespaces(), []);
        assert.equal(await store.deleteScope({ project: 'nothing' }), 0);
      });
    });

    describe('health and maintenance', () => {
      it('stats count live and expired values, projects, namespaces, TTL namespaces and writes', async () => {
        const empty = await store.stats();
        assert.deepEqual([empty.entries, empty.projects, empty.oldestWrite], [0, 0, null]);
        assert.equal(empty.schemaVersion, empty.latestSchemaVersion, 'a new database starts at the latest schema');
        await store.createCache('p', 'cache', 60);
        await store.set(at('p', 'cache', 'soon'), 'x', { ttlSeconds: 5 });
        const firstWrite = Math.floor(clock / 1000);
        clock += 10_000;
        // Stored before the clock moved, expired now; the reading store has no commit of its own to purge it.
        const reader = open();
        let stats = await reader.stats();
        assert.deepEqual([stats.entries, stats.expiredEntries], [0, 1]);
        await store.set(at('p', 'n', 'a'), '1');
        await store.set(at('p', 'n', 'b', 'ctx'), '2');
        await store.set(at('q', 'm', 'c'), '3');
        stats = await reader.stats();
        assert.deepEqual(
          [stats.entries, stats.expiredEntries, stats.projects, stats.namespaces, stats.ttlNamespaces, stats.duplicateRows],
          [3, 0, 2, 2, 1, 0],
          'every commit purges expired values',
        );
        assert.equal(stats.newestWrite, Math.floor(clock / 1000));
        assert.ok(stats.oldestWrite! >= firstWrite);
        assert.ok(stats.sizeBytes > 0 && stats.sizeBytes === stats.pageSize * stats.pageCount);
      });

      it('namespace stats count live rows and what expires within a minute, an hour and a day', async () => {
        await store.createCache('p', 'cache', 86_400);
        await store.set(at('p', 'cache', 'a'), '1', { ttlSeconds: 30 });
        await store.set(at('p', 'cache', 'b'), '2', { ttlSeconds: 1800 });
        await store.set(at('p', 'cache', 'c'), '3', { ttlSeconds: 40_000 });
        await store.set(at('p', 'cache', 'd'), '4');
        await store.set(at('p', 'cache', 'gone'), '5', { ttlSeconds: 1 });
        await store.set(at('q', 'n', 'k'), 'v');
        clock += 2000;
        assert.deepEqual(await open().namespaceStats(), [
          { project: 'p', namespace: 'cache', entries: 4, expiring: { minute: 1, hour: 2, day: 4 } },
          { project: 'q', namespace: 'n', entries: 1, expiring: { minute: 0, hour: 0, day: 0 } },
        ]);
      });

      it('checks integrity, has nothing to migrate when new, and compacts without losing a value', async () => {
        assert.deepEqual(await store.integrityCheck(), ['ok']);
        const report = await store.migrate({ dryRun: true });
        assert.deepEqual([report.steps.length, report.from, report.to], [0, report.to, report.to]);
        assert.deepEqual((await store.migrate()).steps, []);
        await store.importEntries(Array.from({ length: 3000 }, (_, i) => entry(at('p', 'n', `k${i}`), 'v'.repeat(200))), []);
        await store.deleteScope({ project: 'p', namespace: 'n' });
        await store.set(at('p', 'kept', 'k'), 'still here');
        const fragmented = await store.stats();
        assert.ok(fragmented.freePages > 0, 'deleting frees pages');
        const { before, after } = await store.compact();
        assert.ok(after < before, `compacting shrinks the database (${before} -> ${after})`);
        const compacted = await open().stats();
        assert.equal(compacted.freePages, 0);
        assert.equal((await open().get(at('p', 'kept', 'k')))?.value, 'still here');
        assert.equal(await store.collapseDuplicates(), 0);
      });
    });

    describe('write access', () => {
      it('a store that may write says so; one that may not says why, still reads, and refuses writes without changing anything', async () => {
        assert.deepEqual(await store.writeAccess(), { writable: true }, 'before anything exists: it may be created');
        await store.set(at('p', 'n', 'k'), 'v');
        await store.createCache('p', 'cache', 60);
        assert.deepEqual(await store.writeAccess(), { writable: true });
        const reader = await subject.openReadOnly();
        opened.push(reader);
        const access = await reader.writeAccess();
        assert.equal(access.writable, false);
        assert.ok(!access.writable && access.reason.length > 0, 'a reason');
        assert.equal((await reader.get(at('p', 'n', 'k')))?.value, 'v');
        assert.deepEqual(await reader.projects(), ['p']);
        assert.equal((await reader.stats()).entries, 1);
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['set', () => reader.set(at('p', 'n', 'k'), 'w')],
          ['set of a new address', () => reader.set(at('p', 'n', 'new'), 'w')],
          ['delete', () => reader.delete(at('p', 'n', 'k'))],
          ['createCache', () => reader.createCache('p', 'other', 5)],
          ['removeCache', () => reader.removeCache('p', 'cache')],
          ['importEntries', () => reader.importEntries([entry(at('p', 'n', 'imported'), 'x')], [])],
          ['configureAudit', () => reader.configureAudit({ enabled: true })],
          ['rename', () => reader.rename(at('p', 'n', 'k'), at('p', 'n', 'moved'))],
          ['deleteScope', () => reader.deleteScope({ project: 'p', namespace: 'n' })],
          ['purgeExpired', () => reader.purgeExpired()],
          ['compact', () => reader.compact()],
        ];
        // Each refusal says so in words a person reads: `read-only: <why>`, whatever refused it (a server's role, the file system).
        for (const [name, write] of writes) await assert.rejects(write(), (error: unknown) => isProntoError(error) && /^read-only: /.test(error.message), name);
        assert.deepEqual(
          (await store.list({ project: 'p', namespace: 'n' })).map((e) => [e.key, e.value]),
          [['k', 'v']],
          'nothing was written',
        );
        assert.deepEqual((await store.ttlNamespaces()).map((ns) => ns.namespace), ['cache']);
        assert.equal((await store.auditSettings()).enabled, false);
      });
    });

    describe('audit log', () => {
      it('is off by default; once on, records every kind of write with who, the digests and (optionally) old values', async () => {
        await store.set(at('p', 'n', 'before'), 'not recorded');
        assert.deepEqual(await store.auditRecords(), []);
        assert.equal((await store.auditSettings()).enabled, false);
        await withActor({ user: 'alice', cursor: 'work', client: 'test' }, () => store.configureAudit({ enabled: true, keepValueBytes: 8 }));
        await withActor({ user: 'alice', client: 'test' }, async () => {
          await store.set(at('p', 'n', 'k'), 'v1');
          await store.set(at('p', 'n', 'k'), 'v2');
          await store.set(at('p', 'n', 'k'), 'a value longer than eight bytes');
          await store.delete(at('p', 'n', 'k'));
          await store.rename(at('p', 'n', 'before'), at('p', 'n', 'after'));
          await store.createCache('p', 'cache', 60);
          await store.importEntries([entry(at('p', 'n', 'i'), 'x')], []);
          await store.deleteScope({ project: 'p', namespace: 'cache' });
        });
        const records = await open().auditRecords();
        assert.deepEqual(
          records.map((r) => `${r.operation} ${r.key ?? r.namespace ?? '-'}`).reverse(),
          ['audit-on -', 'set k', 'set k', 'set k', 'delete k', 'rename before', 'rename after', 'create-cache cache', 'import -', 'delete-scope cache'],
        );
        const [deleted] = await store.auditRecords({ address: at('p', 'n', 'k'), limit: 1 });
        assert.deepEqual([deleted!.operation, deleted!.user, deleted!.client, deleted!.oldValue, deleted!.newDigest], ['delete', 'alice', 'test', null, null], 'a value over the cap keeps its digest only');
        const sets = (await store.auditRecords({ address: at('p', 'n', 'k') })).filter((r) => r.operation === 'set').reverse();
        assert.deepEqual(sets.map((r) => r.oldValue), [null, 'v1', 'v2']);
        assert.equal(sets[1]!.oldDigest, sets[0]!.newDigest, 'digests chain: the old value of one write is the new value of the one before');
        assert.match(sets[0]!.newDigest!, /^[0-9a-f]{64}$/);
        assert.equal(records.find((r) => r.operation === 'audit-on')!.cursor, 'work');
        await store.configureAudit({ enabled: false });
        await store.set(at('p', 'n', 'quiet'), 'x');
        const after = await store.auditRecords();
        assert.equal(after[0]!.operation, 'audit-off', 'turning it off is the last record');
      });

      it('retention keeps the newest records and drops old ones, within the same commits', async () => {
        await store.configureAudit({ enabled: true, keepRows: 5, keepDays: 1 });
        for (let i = 0; i < 8; i++) await store.set(at('p', 'n', `k${i}`), 'v');
        let records = await store.auditRecords();
        assert.deepEqual(records.map((r) => r.key), ['k7', 'k6', 'k5', 'k4', 'k3']);
        clock += 2 * 86_400_000;
        await store.set(at('p', 'n', 'late'), 'v');
        records = await store.auditRecords();
        assert.deepEqual(records.map((r) => r.key), ['late'], 'records older than keepDays went');
        await assert.rejects(store.configureAudit({ keepRows: -1 }), (error) => isProntoError(error, 'usage'));
      });
    });

    describe('change events', () => {
      it("reports its own commits as local and another store's as external", async () => {
        await store.set(at('p', 'n', 'seed'), 'x');
        const local = nextEvent(store, 'local');
        await store.set(at('p', 'n', 'k'), 'mine');
        await local;
        const other = open();
        const external = nextEvent(store, 'external');
        await other.set(at('p', 'n', 'k'), 'theirs');
        await external;
        assert.equal((await store.get(at('p', 'n', 'k')))?.value, 'theirs');
      });

      it('stops reporting once the listener is disposed', async () => {
        const events: string[] = [];
        const subscription = store.onDidChange((event) => events.push(event.origin));
        await store.set(at('p', 'n', 'k'), '1');
        subscription.dispose();
        await store.set(at('p', 'n', 'k'), '2');
        // The second commit has resolved, and local events are emitted before a commit resolves.
        assert.deepEqual(events, ['local']);
      });
    });
  });
}
