// The dashboard page's logic (media/dashboard), run in Node without a browser: formatting, the
// view state in the URL hash, request/response matching, keyset paging (also against the real
// DashboardService over a real database), the chart series, and the HTML both hosts serve.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  databaseLabel,
  formatAddress,
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatExpiry,
  formatPercent,
  formatTimestamp,
  fragmentation,
  parseIsoTime,
} from '../../media/dashboard/format';
import { recallNamespaces, rememberNamespaces } from '../../media/dashboard/namespaceCache';
import { KeyPager } from '../../media/dashboard/paging';
import { DashboardRequestError, LatestOnly, RequestTracker, type Timers, isNotice, isResponseEnvelope } from '../../media/dashboard/requests';
import { namespaceBars, projectBars, stack, ttlNamespaces, writesSeries } from '../../media/dashboard/series';
import { HOME, type ViewState, hashToState, normalizeState, stateToHash } from '../../media/dashboard/viewState';
import { dashboardCsp, dashboardHtml } from '../../src/core/dashboard/html';
import type { KeysResult, NamespaceSummary, RequestEnvelope } from '../../src/core/dashboard/protocol';
import { DashboardService } from '../../src/core/dashboard/service';
import type { Entry } from '../../src/core/types';
import { makeTempHome, type TempHome } from '../helpers/tempHome';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('dashboard page: formatting', () => {
  it('writes sizes in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(4096), '4.0 KiB');
    assert.equal(formatBytes(150 * 1024 * 1024), '150 MiB');
    assert.equal(formatBytes(3.25 * 1024 ** 3), '3.3 GiB');
    assert.equal(formatBytes(-1), '–');
    assert.equal(formatBytes(Number.NaN), '–');
  });

  it('groups digits the same on every locale', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1000), '1,000');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(-1000), '-1,000');
  });

  it('writes spans with at most two units', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(45), '45 s');
    assert.equal(formatDuration(60), '1 min');
    assert.equal(formatDuration(3600), '1 h');
    assert.equal(formatDuration(3660), '1 h 1 min');
    assert.equal(formatDuration(93_600), '1 d 2 h');
    assert.equal(formatDuration(90_061), '1 d 1 h');
    assert.equal(formatDuration(86_400 + 59), '1 d');
    assert.equal(formatDuration(-5), '–');
  });

  it('writes ages and expiries relative to now', () => {
    const now = Date.UTC(2025, 0, 2, 3, 4, 5);
    assert.equal(formatAge(now - 2000, now), 'just now');
    assert.equal(formatAge(now - 59_000, now), '59 s ago');
    assert.equal(formatAge(now - 125_000, now), '2 min ago');
    assert.equal(formatAge(now - 5 * 3_600_000, now), '5 h ago');
    assert.equal(formatAge(now - 3 * 86_400_000, now), '3 d ago');
    assert.equal(formatAge(now + 2 * 3_600_000, now), 'in 2 h');
    assert.equal(formatAge(null, now), '–');
    assert.equal(formatExpiry(null, now), 'never');
    assert.equal(formatExpiry(now / 1000 - 1, now), 'expired');
    assert.equal(formatExpiry(now / 1000, now), 'expired');
    assert.equal(formatExpiry(now / 1000 + 90, now), 'in 1 min');
    assert.equal(parseIsoTime('2025-01-02T03:04:05.000Z'), now);
    assert.equal(parseIsoTime(null), null);
    assert.equal(parseIsoTime('yesterday'), null);
    assert.equal(formatTimestamp(now), '2025-01-02 03:04:05');
  });

  it('writes addresses as prontodb get takes them', () => {
    assert.equal(formatAddress({ project: 'app', namespace: 'cache', key: 'user:1', context: null }), 'app.cache.user:1');
    assert.equal(formatAddress({ project: 'app', namespace: 'cache', key: 'user', context: 'eu' }), 'app.cache.user__eu');
    // The Rust CLI can leave an empty context: it is not the same row as no context.
    assert.equal(formatAddress({ project: 'p', namespace: 'n', key: 'k', context: '' }), 'p.n.k__');
  });

  it('computes fragmentation and percentages', () => {
    assert.deepEqual(fragmentation({ pages: 400, free_pages: 100, page_size: 4096 }), { freeBytes: 409_600, share: 0.25 });
    assert.deepEqual(fragmentation({ pages: 0, free_pages: 0, page_size: 0 }), { freeBytes: 0, share: 0 });
    assert.equal(formatPercent(0.25), '25%');
    assert.equal(formatPercent(0.004), '<1%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(databaseLabel({ database: null, location: '/tmp/x.db' }), '/tmp/x.db');
    assert.equal(databaseLabel({ database: 'work', location: '/tmp/work.db' }), 'work');
  });
});

describe('dashboard page: view state in the URL hash', () => {
  const states: ViewState[] = [
    { page: 'overview' },
    { page: 'database', database: 'work' },
    { page: 'health', database: '@active' },
    { page: 'keys', database: 'work' },
    { page: 'keys', database: 'work', project: 'app', namespace: 'cache' },
    { page: 'keys', database: 'a/b?c#d', project: 'p q', namespace: 'ns%20', prefix: 'user:1/&x=2+3 ü' },
  ];

  for (const state of states) {
    it(`round-trips ${JSON.stringify(state)}`, () => {
      const hash = stateToHash(state);
      assert.match(hash, /^#\/[^#\s]*$/);
      assert.deepEqual(hashToState(hash), state);
    });
  }

  it('keeps every part separate however it is spelled', () => {
    assert.equal(stateToHash({ page: 'keys', database: 'a/b', project: 'p', namespace: 'n', prefix: 'x?y' }), '#/keys/a%2Fb/p/n?prefix=x%3Fy');
  });

  it('goes home on anything malformed', () => {
    assert.deepEqual(hashToState(''), HOME);
    assert.deepEqual(hashToState('#/'), HOME);
    assert.deepEqual(hashToState('#/nowhere/work'), HOME);
    assert.deepEqual(hashToState('#/database'), HOME);
    assert.deepEqual(hashToState('#/keys/work/app'), HOME);
    assert.deepEqual(hashToState('#/keys/work/a/b/c'), HOME);
    assert.deepEqual(hashToState('#/database/%E0%A4%A'), HOME);
  });

  it('normalizes saved states (drops what does not belong to the page)', () => {
    assert.deepEqual(normalizeState(null), HOME);
    assert.deepEqual(normalizeState({ page: 'database', database: 'work', project: 'app', namespace: 'x', prefix: 'p' }), { page: 'database', database: 'work' });
    assert.deepEqual(normalizeState({ page: 'keys', database: 'work', prefix: 'p' }), { page: 'keys', database: 'work' });
    assert.deepEqual(normalizeState({ page: 'keys', database: 'work', project: 'a', namespace: 'b', prefix: '' }), { page: 'keys', database: 'work', project: 'a', namespace: 'b' });
    assert.deepEqual(normalizeState({ page: 'keys', database: 7 }), HOME);
  });
});

/** Timers the test fires by hand. */
function manualTimers(): Timers & { fire(): void; count(): number } {
  const live = new Map<number, () => void>();
  let next = 1;
  return {
    set: (callback) => {
      live.set(next, callback);
      return next++;
    },
    clear: (handle) => live.delete(handle as number),
    fire: () => {
      for (const [handle, callback] of [...live]) {
        live.delete(handle);
        callback();
      }
    },
    count: () => live.size,
  };
}

describe('dashboard page: requests and responses', () => {
  it('matches responses to requests by id, in any order', async () => {
    const sent: RequestEnvelope[] = [];
    const tracker = new RequestTracker((envelope) => void sent.push(envelope));
    const first = tracker.request({ type: 'overview' });
    const second = tracker.request({ type: 'hello' });
    assert.equal(sent.length, 2);
    assert.notEqual(sent[0].id, sent[1].id);
    assert.deepEqual(sent[0].request, { type: 'overview' });
    tracker.receive({ id: sent[1].id, ok: true, result: { host: 'browser', version: '1', readOnly: false } });
    tracker.receive({ id: sent[0].id, ok: true, result: { databases: [] } });
    assert.deepEqual(await second, { host: 'browser', version: '1', readOnly: false });
    assert.deepEqual(await first, { databases: [] });
    assert.equal(tracker.pendingCount, 0);
  });

  it("rejects with the host's error code and message", async () => {
    const sent: RequestEnvelope[] = [];
    const tracker = new RequestTracker((envelope) => void sent.push(envelope));
    const saving = tracker.request({ type: 'set', database: 'work', address: { project: 'p', namespace: 'n', key: 'k', context: null }, value: 'v', expected: { value: 'old' } });
    tracker.receive({ id: sent[0].id, ok: false, error: { code: 'condition-failed', message: 'p.n.k holds another value' } });
    await assert.rejects(saving, (error: unknown) => error instanceof DashboardRequestError && error.code === 'condition-failed' && error.message === 'p.n.k holds another value');
  });

  it('times out a request nobody answers, and ignores the late answer', async () => {
    const timers = manualTimers();
    const sent: RequestEnvelope[] = [];
    const tracker = new RequestTracker((envelope) => void sent.push(envelope), { timers, timeoutMs: () => 1000 });
    const waiting = tracker.request({ type: 'database', database: 'work' });
    assert.equal(timers.count(), 1);
    timers.fire();
    await assert.rejects(waiting, (error: unknown) => error instanceof DashboardRequestError && error.code === 'timeout' && /'database'/.test(error.message));
    assert.equal(tracker.pendingCount, 0);
    tracker.receive({ id: sent[0].id, ok: true, result: {} });
    assert.equal(tracker.pendingCount, 0);
  });

  it('clears the timer of an answered request', async () => {
    const timers = manualTimers();
    const sent: RequestEnvelope[] = [];
    const tracker = new RequestTracker((envelope) => void sent.push(envelope), { timers });
    const answered = tracker.request({ type: 'overview' });
    tracker.receive({ id: sent[0].id, ok: true, result: { databases: [] } });
    await answered;
    assert.equal(timers.count(), 0);
  });

  it('fails a request that cannot be sent', async () => {
    const throwing = new RequestTracker(() => {
      throw new Error('port closed');
    });
    await assert.rejects(throwing.request({ type: 'overview' }), (error: unknown) => error instanceof DashboardRequestError && error.code === 'network' && /port closed/.test(error.message));
    const refused = new RequestTracker(() => Promise.reject(new DashboardRequestError('http-401', 'The server answered 401')));
    await assert.rejects(refused.request({ type: 'overview' }), (error: unknown) => error instanceof DashboardRequestError && error.code === 'http-401');
    assert.equal(refused.pendingCount, 0);
  });

  it('hands notices to listeners and ignores what is not ours', () => {
    const tracker = new RequestTracker(() => undefined);
    const seen: string[] = [];
    const stop = tracker.onNotice((notice) => seen.push(`${notice.type} ${notice.database}`));
    tracker.receive({ type: 'changed', database: 'work' });
    tracker.receive({ type: 'show', database: 'notes' });
    for (const junk of [null, 'changed', { type: 'changed' }, { type: 'gone', database: 'x' }, { id: 'x', ok: true, result: 1 }, { id: 99, ok: true, result: 1 }, { id: 1, ok: false }]) tracker.receive(junk);
    stop();
    tracker.receive({ type: 'changed', database: 'other' });
    assert.deepEqual(seen, ['changed work', 'show notes']);
    assert.ok(isNotice({ type: 'changed', database: 'w' }));
    assert.ok(!isResponseEnvelope({ id: 1, ok: false, error: { code: 1 } }));
    assert.ok(isResponseEnvelope({ id: 1, ok: true, result: null }));
  });

  it('rejects what is pending when closed, and refuses new requests', async () => {
    const tracker = new RequestTracker(() => undefined);
    const waiting = tracker.request({ type: 'overview' });
    tracker.close('gone');
    await assert.rejects(waiting, (error: unknown) => error instanceof DashboardRequestError && error.code === 'closed' && error.message === 'gone');
    await assert.rejects(tracker.request({ type: 'hello' }), (error: unknown) => error instanceof DashboardRequestError && error.code === 'closed');
  });

  it('keeps only the newest of overlapping loads', () => {
    const latest = new LatestOnly();
    const older = latest.begin();
    const newer = latest.begin();
    assert.ok(!latest.isCurrent(older));
    assert.ok(latest.isCurrent(newer));
  });
});

/** A keyset source like the host's: sorted keys, `after` exclusive, `next` when more follow. */
function fakeKeys(keys: string[], after: { key: string; context: string | null } | undefined, limit: number): KeysResult {
  const start = after ? keys.findIndex((key) => key > after.key) : 0;
  const slice = start < 0 ? [] : keys.slice(start, start + limit);
  const more = start >= 0 && start + limit < keys.length;
  return {
    entries: slice.map((key) => ({ key, context: null, value: key, valueLength: key.length, updatedAt: 0, expiresAt: null })),
    next: more ? { key: slice[slice.length - 1], context: null } : undefined,
  };
}

describe('dashboard page: keyset paging', () => {
  const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(3, '0')}`);

  it('walks forward through every key once, and back to the same pages', () => {
    const pager = new KeyPager();
    const pages: string[][] = [];
    for (;;) {
      const page = fakeKeys(keys, pager.after, 10);
      pager.loaded(page);
      pages.push(page.entries.map((e) => e.key));
      if (!pager.next()) break;
    }
    assert.deepEqual(pages.flat(), keys);
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    assert.equal(pager.pageNumber, 3);
    assert.ok(!pager.hasNext);
    assert.ok(pager.previous());
    assert.equal(pager.pageNumber, 2);
    assert.deepEqual(fakeKeys(keys, pager.after, 10).entries.map((e) => e.key), pages[1]);
    assert.ok(pager.previous());
    assert.equal(pager.after, undefined);
    assert.ok(!pager.previous());
    assert.ok(!pager.hasPrevious);
  });

  it('cannot go past the last page, and forgets the pages ahead after going back', () => {
    const pager = new KeyPager();
    assert.ok(!pager.next(), 'no next before a page arrived');
    pager.loaded(fakeKeys(keys, pager.after, 10));
    assert.ok(pager.next());
    pager.loaded(fakeKeys(keys, pager.after, 10));
    assert.ok(pager.previous());
    assert.ok(!pager.hasNext, 'the next start is known only once this page is loaded again');
    pager.loaded(fakeKeys(keys, pager.after, 10));
    assert.ok(pager.next());
    assert.deepEqual(pager.after, { key: 'k009', context: null });
    // Keys changed while the user was back on page 1: the next page starts where the host says now.
    assert.ok(pager.previous());
    pager.loaded(fakeKeys(keys.filter((key) => key !== 'k003'), pager.after, 10));
    assert.ok(pager.next());
    assert.deepEqual(pager.after, { key: 'k010', context: null });
    pager.reset();
    assert.equal(pager.pageNumber, 1);
    assert.equal(pager.after, undefined);
    assert.ok(!pager.hasNext);
  });

  describe('against the real DashboardService', function () {
    this.timeout(60_000);
    let home: TempHome;

    beforeEach(() => {
      home = makeTempHome();
    });
    afterEach(async () => {
      await home.cleanup();
    });

    it('pages through a namespace with contexts and a prefix, each key once, in order', async () => {
      const pronto = home.pronto();
      await pronto.createDatabase('work');
      const target = pronto.resolve({ database: 'work' });
      const session = await pronto.open(target);
      const entry = (namespace: string, key: string, context: string | null): Entry => ({ project: 'app', namespace, key, context, value: `v-${key}-${context}`, createdAt: 1, updatedAt: 1, expiresAt: null });
      const entries: Entry[] = [];
      for (let i = 0; i < 230; i++) entries.push(entry('cache', `user:${String(i).padStart(4, '0')}`, null));
      for (const context of ['eu', 'us']) entries.push(entry('cache', 'user:0100', context));
      entries.push(entry('other', 'user:0001', null));
      await session.importEntries(entries, []);

      const service = new DashboardService(pronto, { host: 'browser', version: 'test', activeTarget: () => target });
      const tracker = new RequestTracker((envelope) => service.handle(envelope).then((response) => tracker.receive(response)));
      const walk = async (prefix: string | undefined): Promise<string[]> => {
        const pager = new KeyPager();
        const seen: string[] = [];
        do {
          const page = await tracker.request({ type: 'keys', database: 'work', project: 'app', namespace: 'cache', prefix, after: pager.after, limit: 100 });
          pager.loaded(page);
          seen.push(...page.entries.map((e) => (e.context === null ? e.key : `${e.key}__${e.context}`)));
        } while (pager.next());
        return seen;
      };
      const all = await walk(undefined);
      assert.equal(all.length, 232);
      assert.equal(new Set(all).size, 232);
      assert.deepEqual(all.slice(100, 103), ['user:0100', 'user:0100__eu', 'user:0100__us']);
      assert.deepEqual(await walk('user:01'), [...Array.from({ length: 100 }, (_, i) => `user:01${String(i).padStart(2, '0')}`)].flatMap((key) => (key === 'user:0100' ? [key, `${key}__eu`, `${key}__us`] : [key])));
    });
  });
});

describe('dashboard page: namespaces remembered between pages', () => {
  it('recalls what a database showed, only while it is fresh, per database', () => {
    const namespaces: NamespaceSummary[] = [{ project: 'app', namespace: 'users', keys: 3, ttlSeconds: null, expiring: { minute: 0, hour: 0, day: 0 } }];
    rememberNamespaces('cache-test', namespaces, 1_000);
    assert.deepEqual(recallNamespaces('cache-test', 30_000, 31_000), namespaces);
    assert.equal(recallNamespaces('cache-test', 30_000, 31_001), undefined);
    assert.equal(recallNamespaces('cache-test-other', 30_000, 1_000), undefined);
  });
});

describe('dashboard page: chart series', () => {
  const ns = (project: string, namespace: string, keys: number, ttlSeconds: number | null = null, minute = 0): NamespaceSummary => ({ project, namespace, keys, ttlSeconds, expiring: { minute, hour: minute, day: minute } });

  it('orders namespaces by keys, shares of the largest, the rest summed', () => {
    const bars = namespaceBars([ns('a', 'x', 10), ns('a', 'y', 40), ns('b', 'z', 20), ns('b', 'w', 5), ns('c', 'v', 1)], 3);
    assert.deepEqual(
      bars.map((b) => [b.label, b.value, b.share]),
      [
        ['a.y', 40, 1],
        ['b.z', 20, 0.5],
        ['a.x', 10, 0.25],
        ['2 more namespaces', 6, 0.15],
      ],
    );
    assert.deepEqual([bars[0].project, bars[0].namespace], ['a', 'y']);
    assert.equal(bars[3].namespace, undefined);
    assert.deepEqual(namespaceBars([]), []);
    assert.deepEqual(namespaceBars([ns('a', 'x', 0)]).map((b) => b.share), [0]);
  });

  it('sums keys per project', () => {
    assert.deepEqual(
      projectBars([ns('a', 'x', 10), ns('b', 'y', 40), ns('a', 'z', 35)]).map((b) => [b.label, b.value]),
      [
        ['a', 45],
        ['b', 40],
      ],
    );
  });

  it('lists only TTL namespaces, soonest-expiring first', () => {
    const listed = ttlNamespaces([ns('a', 'plain', 9), ns('a', 'slow', 5, 3600, 0), ns('a', 'busy', 5, 60, 4)]);
    assert.deepEqual(listed.map((n) => n.namespace), ['busy', 'slow']);
  });

  it('puts writes in hourly buckets per client over the last day, zero-filled', () => {
    const hour = 3_600_000;
    const now = Date.UTC(2025, 0, 2, 12, 30);
    const thisHour = Date.UTC(2025, 0, 2, 12);
    const series = writesSeries(
      [
        { hourStart: thisHour - 23 * hour, client: 'cli', writes: 2 },
        { hourStart: thisHour - 24 * hour, client: 'cli', writes: 100 },
        { hourStart: thisHour, client: 'mcp', writes: 3 },
        { hourStart: thisHour, client: 'zeta-bot', writes: 1 },
        { hourStart: thisHour - hour, client: 'unknown', writes: 4 },
      ],
      now,
    );
    assert.equal(series.hours.length, 24);
    assert.equal(series.hours[23], thisHour / 1000);
    assert.equal(series.hours[0], (thisHour - 23 * hour) / 1000);
    assert.deepEqual(series.clients, ['cli', 'extension', 'mcp', 'ui', 'unknown', 'zeta-bot']);
    assert.equal(series.writes[0][0], 2);
    assert.equal(series.writes[0].reduce((a, b) => a + b), 2, 'the bucket before the window is left out');
    assert.equal(series.writes[2][23], 3);
    assert.equal(series.writes[4][22], 4);
    assert.equal(series.writes[5][23], 1);
    assert.deepEqual(series.writes[1], new Array(24).fill(0));
    assert.equal(series.total, 10);
  });

  it('stacks series for stacked bars', () => {
    assert.deepEqual(
      stack([
        [1, 0, 2],
        [3, 1, 0],
        [0, 5, 1],
      ]),
      [
        [1, 0, 2],
        [4, 1, 2],
        [4, 6, 3],
      ],
    );
  });
});

describe('dashboard page: the HTML both hosts serve', () => {
  const options = {
    scriptUri: '/dashboard.js?token=a&b',
    styleUri: '/dashboard.css?token=a',
    codiconsUri: '/codicon.css?token=a',
    nonce: 'c2VjcmV0LW5vbmNlLXZhbHVl',
    cspSource: "'self'",
    connectSource: "'self'",
    title: 'ProntoDB <work> & "co"',
  };

  function cspOf(html: string): string {
    const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    assert.ok(match, 'a Content-Security-Policy meta element');
    return match[1].replace(/&#39;/g, "'");
  }

  it('has a strict Content-Security-Policy', () => {
    const csp = cspOf(dashboardHtml(options));
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), `'nonce-${options.nonce}'`);
    assert.equal(directives.get('style-src'), `'self' 'nonce-${options.nonce}'`);
    assert.equal(directives.get('font-src'), "'self'");
    assert.equal(directives.get('img-src'), "'self' data:");
    assert.equal(directives.get('connect-src'), "'self'");
    assert.ok(!/unsafe-(inline|eval)/.test(csp));
    assert.equal(csp, dashboardCsp(options));
  });

  it("lets a webview connect nowhere and load from its cspSource", () => {
    const csp = cspOf(dashboardHtml({ ...options, cspSource: 'https://*.vscode-cdn.net', connectSource: undefined }));
    assert.match(csp, /connect-src 'none'/);
    assert.match(csp, /font-src https:\/\/\*\.vscode-cdn\.net(;|$)/);
  });

  it('runs only the nonced bundle: no inline script, no inline handlers', () => {
    const html = dashboardHtml(options);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${options.nonce}"`));
    assert.match(scripts[0][1], /src="\/dashboard\.js\?token=a&amp;b"/);
    assert.equal(scripts[0][2].trim(), '', 'no inline code');
    assert.ok(!/\son[a-z]+\s*=/i.test(html), 'no inline event handlers');
    assert.ok(!/\sstyle\s*=/i.test(html), 'no inline styles');
    assert.ok(!/<style/i.test(html));
    assert.match(html, /<link rel="stylesheet" nonce="[^"]+" href="\/codicon\.css\?token=a">/);
    assert.match(html, /<title>ProntoDB &lt;work&gt; &amp; &quot;co&quot;<\/title>/);
  });

  it('refuses a nonce or source that could break out of the policy', () => {
    assert.throws(() => dashboardHtml({ ...options, nonce: 'short' }), /nonce/);
    assert.throws(() => dashboardHtml({ ...options, nonce: 'abcdefghijklmnop" onload="x' }), /nonce/);
    assert.throws(() => dashboardHtml({ ...options, cspSource: "'self'; script-src *" }), /cspSource/);
    assert.throws(() => dashboardHtml({ ...options, connectSource: 'https://a.example, *' }), /connectSource/);
  });
});

describe('dashboard page: sources', function () {
  this.timeout(120_000);
  it('type-check against the DOM (media/dashboard/tsconfig.json)', () => {
    // The pages use DOM types the Node project (tsconfig.json) does not have: checked here so `npm test` catches them.
    execFileSync(process.execPath, [path.join(REPO, 'node_modules', '@typescript', 'native', 'bin', 'tsc'), '-p', path.join(REPO, 'media', 'dashboard')], { cwd: REPO, stdio: 'pipe' });
  });
});
