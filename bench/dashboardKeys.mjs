#!/usr/bin/env node
// Bench case (issue 10, "Speed"): the dashboard's Keys page on a namespace of 1,000,000 keys, in
// headless Chromium against `prontodb ui`. Measured in the page, from the user's action to the rows
// being in the DOM (a MutationObserver sees the expected first key):
//   - first page: the namespace chosen in the page's namespace list (its `change` event);
//   - next page: the "Next page" button, page after page;
// each the median of several runs, and the page's own figure (request to table) beside it.
// Also reported: opening the Keys page cold (a new page load: the file read by the server, and the
// namespace list with its counts, which the page asks for too).
// Needs the test harness's Chromium and playwright-core (bash test/vscode/install.sh) and sqlite3.
//   node bench/dashboardKeys.mjs [--keys N] [--runs N]     prints `RESULT {json}` as its last line
/* global document, MutationObserver -- in page.evaluate callbacks, which run in the browser */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const KEYS = option('--keys', 1_000_000);
const RUNS = option('--runs', 9);
const started = Date.now();
const log = (text) => process.stderr.write(`[dashboard-keys ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${text}\n`);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const { CHROMIUM, RIG_DIR } = await import('../test/vscode/codeServer.mjs');
if (!fs.existsSync(path.join(RIG_DIR, 'node_modules', 'playwright-core')) || !fs.existsSync(CHROMIUM)) {
  console.log(`RESULT ${JSON.stringify({ unavailable: 'Chromium or playwright-core missing (bash test/vscode/install.sh)' })}`);
  process.exit(0);
}
const { cliFor, launchChromium, startDashboardServer } = await import('../test/ui/dashboardBrowser.mjs');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-dashkeys-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
const env = { PATH: process.env.PATH, HOME: path.join(root, 'home'), PRONTODB_DATA_DIR: path.join(root, 'data') };
fs.mkdirSync(env.HOME);
const cli = cliFor(env, root);

// The data: the CLI makes the file (its schema, latest version), native SQLite adds the keys in one
// statement (seconds, where a million CLI writes would take hours), and a small second namespace.
cli.ok('set', 'small.tiny.key0', 'v0');
const file = JSON.parse(cli.ok('status', '--json')).location;
let t = Date.now();
const fill = spawnSync('sqlite3', [file, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${KEYS - 1})
  INSERT INTO kv SELECT 'big', 'huge', printf('key%07d', i), NULL, 'value ' || i, unixepoch(), unixepoch(), NULL FROM n;`], { encoding: 'utf8' });
if (fill.status !== 0) throw new Error(`sqlite3: ${fill.stderr}`);
const fixtureMs = Date.now() - t;
const size = fs.statSync(file).size;
log(`fixture: ${KEYS} keys in big.huge, ${(size / 2 ** 20).toFixed(1)} MiB (${fixtureMs} ms)`);

const server = await startDashboardServer(env, root);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  // The page's requests (type), and how many are in flight.
  const sent = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  page.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/api') return;
    sent.push({ at: Date.now(), type: JSON.parse(request.postData()).request.type });
    inFlight++;
    lastActivity = Date.now();
  });
  for (const event of ['requestfinished', 'requestfailed']) {
    page.on(event, (request) => {
      if (new URL(request.url()).pathname !== '/api') return;
      inFlight--;
      lastActivity = Date.now();
    });
  }
  /** Until no request was in flight for 2 s (the page spaces its reloads 750 ms apart). */
  const untilIdle = async () => {
    while (inFlight > 0 || Date.now() - lastActivity < 2000) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  const firstKey = (n) => `key${String(n).padStart(7, '0')}`;

  // Cold: a new page load on the big namespace, to its first row (and to the namespace list).
  t = Date.now();
  await page.goto(`${server.url}#/keys/main/big/huge`);
  await page.locator('.keys-table td.key', { hasText: firstKey(0) }).first().waitFor({ timeout: 600_000 });
  const coldRowsMs = Date.now() - t;
  await page.waitForFunction(() => document.querySelectorAll('select[aria-label="Namespace"] option').length >= 2, null, { timeout: 600_000 });
  const coldNamespacesMs = Date.now() - t;
  // Let the page settle: it reloads once more when its live-update channel opens (see the report).
  await untilIdle();
  const settledMs = Date.now() - t;
  const coldRequests = sent.splice(0).map((request) => request.type);
  log(`settled after ${settledMs} ms; requests so far: ${coldRequests.join(', ')}`);

  /** In the page: do `action`, then resolve with the ms until the table's first key is `expected`. */
  const timed = (action, expected) =>
    page.evaluate(
      ({ action, expected }) =>
        new Promise((resolve, reject) => {
          const holder = document.querySelector('.table-holder');
          const first = () => holder.querySelector('.keys-table tbody td.key')?.firstChild?.textContent;
          const start = performance.now();
          const observer = new MutationObserver(() => {
            if (first() === expected) {
              observer.disconnect();
              clearTimeout(timer);
              resolve({ ms: performance.now() - start, pageMs: Number(holder.dataset.loadMs), rows: holder.querySelectorAll('.keys-table tbody tr').length });
            }
          });
          const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`no ${expected} within 60 s`)); }, 60_000);
          observer.observe(holder, { childList: true, subtree: true });
          if (action === 'next') document.querySelector('.toolbar button[aria-label="Next page"]').click();
          else {
            const select = document.querySelector('select[aria-label="Namespace"]');
            select.value = action === 'big' ? 'big\u0000huge' : 'small\u0000tiny';
            select.dispatchEvent(new Event('change'));
          }
        }),
      { action, expected },
    );

  const first = [];
  const next = [];
  for (let run = 0; run < RUNS; run++) {
    await timed('small', 'key0');
    const page1 = await timed('big', firstKey(0));
    if (page1.rows !== 100) throw new Error(`first page: ${page1.rows} rows`);
    first.push(page1);
    // Pages 2 and 3 of this run: each a "next page".
    for (const n of [1, 2]) next.push(await timed('next', firstKey(n * 100)));
  }
  // Anything but the measured requests while measuring (a reload would share the server with them).
  const others = sent.filter((request) => request.type !== 'keys').map((request) => request.type);
  const result = {
    keys: KEYS,
    coldRequests,
    otherRequests: others,
    settledMs,
    sizeBytes: size,
    fixtureMs,
    coldRowsMs,
    coldNamespacesMs,
    firstPageMs: first.map((r) => Math.round(r.ms * 10) / 10),
    nextPageMs: next.map((r) => Math.round(r.ms * 10) / 10),
    firstPageMedianMs: median(first.map((r) => r.ms)),
    nextPageMedianMs: median(next.map((r) => r.ms)),
    firstPageRequestMedianMs: median(first.map((r) => r.pageMs)),
    nextPageRequestMedianMs: median(next.map((r) => r.pageMs)),
  };
  log(`first page: median ${result.firstPageMedianMs.toFixed(1)} ms [${result.firstPageMs.join(', ')}]; next page: median ${result.nextPageMedianMs.toFixed(1)} ms [${result.nextPageMs.join(', ')}]`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await browser.close();
  await server.stop();
}
