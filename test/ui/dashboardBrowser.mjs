#!/usr/bin/env node
// UI test: `prontodb ui` in headless Chromium (issue 10). A data directory made with the CLI (three
// databases, TTL namespaces, the audit log on with writes by the CLI and by `prontodb mcp`, a
// database with the Rust CLI's duplicate rows), served by `prontodb ui --no-open`; the printed URL
// opened in Chromium. Each page (Overview, Database, Keys, Health) must show the fixture's numbers
// (read from the DOM); an edit in the Keys page and a fix on the Health page must land in the files
// (read back with the CLI and sqlite3); a write by the CLI must appear in the open page within 1 s,
// without a reload; `--read-only` must hide the writing controls and refuse a write the page sends.
// Screenshots of each page go to test-output/dashboard-<page>.png; with --update-screenshots (or
// PRONTODB_UPDATE_SCREENSHOTS=1) also to media/dashboard-<page>.png, the README's pictures (not on
// every run: a test run must not leave the working tree changed).
//   node test/ui/dashboardBrowser.mjs [--update-screenshots] [--keep] [--verbose]
//   node test/ui/dashboardBrowser.mjs --speed      (the Keys page on 1,000,000 keys: runDashboardSpeedTest)
/* global document, window, location, MutationObserver -- in page.evaluate callbacks, which run in the browser */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, ensureInstalled, playwright } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const OUTPUT = path.join(REPO_ROOT, 'test-output');
export const SCREEN = { width: 1200, height: 760 };

/** Should the committed pictures (media/dashboard-*.png) be rewritten by this run? */
export const updateScreenshots = () => process.argv.includes('--update-screenshots') || process.env.PRONTODB_UPDATE_SCREENSHOTS === '1';

/** The CLI on one data directory, as a user would run it; throws with its stderr when it fails. */
export function cliFor(env, cwd) {
  const run = (...args) => spawnSync(process.execPath, [CLI, '-q', ...args], { env, cwd, encoding: 'utf8' });
  run.ok = (...args) => {
    const result = run(...args);
    if (result.status !== 0) throw new Error(`prontodb ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  };
  return run;
}

function sqlite3(file, sql) {
  const result = spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sqlite3 ${file}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Writes through `prontodb mcp` with the MCP SDK's own client, as an agent would (audit client: mcp). */
async function writeAsAgent(env, cwd, writes) {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const client = new Client({ name: 'dashboard-ui-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, cwd, stderr: 'pipe' }));
  try {
    for (const [address, value] of writes) {
      const result = await client.callTool({ name: 'set', arguments: { address, value } });
      if (result.isError) throw new Error(`mcp set ${address}: ${JSON.stringify(result.content)}`);
    }
  } finally {
    await client.close();
  }
}

/** What the fixture holds: every number the pages must show comes from here. */
export const FIXTURE = {
  main: {
    config: ['theme', 'theme__staging', 'api_url', 'feature_flags', 'page_size'], // app.config: 5 rows
    sessions: ['user1', 'user2', 'user3'], // app.sessions, TTL 1 h
    leases: ['lease-a', 'lease-b'], // jobs.leases, TTL 45 s
    agent: ['last_task', 'plan'], // agent.memory, written over MCP
    users: 250, // app.users, imported from CSV (paging: 100 a page)
  },
  work: 2,
  legacy: { keys: 2, duplicateRows: 2 },
};
export const MAIN_KEYS = FIXTURE.main.config.length + FIXTURE.main.sessions.length + FIXTURE.main.leases.length + FIXTURE.main.agent.length + FIXTURE.main.users;

/**
 * The data directory: `main` (audit on; app.config, two TTL namespaces, agent.memory by MCP, 250
 * imported users; one backup), `work` (2 keys), and `legacy`, a file as the Rust CLI leaves it
 * (schema version 0, no unique index, three rows of one context-less key: two duplicates).
 */
export async function makeFixture(root) {
  const dataDir = path.join(root, 'data');
  const env = { PATH: process.env.PATH, HOME: path.join(root, 'home'), PRONTODB_DATA_DIR: dataDir, PRONTODB_BACKUP_DIR: path.join(root, 'backups') };
  fs.mkdirSync(env.HOME, { recursive: true });
  const cli = cliFor(env, root);
  cli.ok('set', 'app.config.theme', 'dark');
  cli.ok('audit', 'on');
  cli.ok('set', 'app.config.theme__staging', 'light');
  cli.ok('set', 'app.config.api_url', 'https://api.example.com/v2');
  cli.ok('set', 'app.config.feature_flags', '{"beta": true, "newNav": false}');
  cli.ok('set', 'app.config.page_size', '50');
  cli.ok('create-cache', 'app.sessions', '3600');
  for (const user of FIXTURE.main.sessions) cli.ok('set', `app.sessions.${user}`, `session of ${user}`);
  cli.ok('create-cache', 'jobs.leases', '45');
  renewLeases(cli);
  const csv = path.join(root, 'users.csv');
  const now = Math.floor(Date.now() / 1000);
  const lines = ['project,namespace,key,context,value,created_at,updated_at,expires_at'];
  for (let i = 0; i < FIXTURE.main.users; i++) lines.push(`app,users,user${String(i).padStart(4, '0')},,"{""name"": ""User ${i}""}",${now},${now},`);
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);
  cli.ok('import', csv, '--format', 'csv');
  await writeAsAgent(env, root, FIXTURE.main.agent.map((key) => [`agent.memory.${key}`, `noted by the agent: ${key}`]));
  cli.ok('backup');
  cli.ok('db', 'create', 'work');
  cli.ok('--database', 'work', 'set', 'notes.todo.first', 'try ProntoDB');
  cli.ok('--database', 'work', 'set', 'notes.todo.second', 'open the dashboard');
  // The Rust CLI's file: its DDL (ours without the unique index), user_version 0, and its
  // `INSERT OR REPLACE`, which adds a row per write of a context-less key.
  cli.ok('db', 'create', 'legacy');
  cli.ok('--database', 'legacy', 'set', 'app.cfg.other', 'x');
  const legacy = JSON.parse(cli.ok('--database', 'legacy', 'status', '--json')).location;
  sqlite3(legacy, 'DROP INDEX kv_unique_address; PRAGMA user_version = 0;');
  for (const [value, at] of [['v1', now - 300], ['v2', now - 200], ['v3', now - 100]]) {
    sqlite3(legacy, `INSERT OR REPLACE INTO kv (project, namespace, key, context, value, created_at, updated_at, expires_at) VALUES ('app','cfg','mode',NULL,'${value}',${at},${at},NULL);`);
  }
  return { env, dataDir, cli, legacy, mainFile: JSON.parse(cli.ok('status', '--json')).location };
}

/**
 * (Re)sets the leases with their namespace's 45 s TTL. The checks count them as live and expiring
 * within the minute, so a test calls this again just before it reads them: on a loaded machine the
 * fixture, Chromium and a workbench can take longer than 45 s to get there.
 */
export function renewLeases(cli) {
  for (const lease of FIXTURE.main.leases) cli.ok('set', `jobs.leases.${lease}`, 'worker-1');
}

/** `prontodb ui --no-open [args]` on `env`'s data; resolves when it printed its URL. */
export async function startDashboardServer(env, cwd, args = []) {
  const child = spawn(process.execPath, [CLI, 'ui', '--no-open', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prontodb ui printed no URL in 30 s: ${stdout}${stderr}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /^ProntoDB dashboard(?: \(read-only\))?: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prontodb ui exited ${code}: ${stdout}${stderr}`));
    });
  });
  const stopOnExit = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', stopOnExit);
  return {
    url,
    stderr: () => stderr,
    stop: () => new Promise((resolve) => {
      process.off('exit', stopOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export async function launchChromium() {
  ensureInstalled();
  return playwright().chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A screenshot to test-output/<name>.png, and to media/<name>.png when the pictures are updated. */
export async function savePicture(page, name, { log, commit = updateScreenshots(), clipToPage = true } = {}) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `${name}.png`);
  if (clipToPage) {
    // The window's width; its height, or less when the page is shorter (no empty band in the README).
    await page.evaluate(() => window.scrollTo(0, 0));
    const viewport = page.viewportSize();
    const contentBottom = await page.evaluate(() => Math.max(...[...document.querySelectorAll('#app > *, main > *')].map((element) => element.getBoundingClientRect().bottom)));
    const height = Math.min(viewport.height, Math.max(240, Math.ceil(contentBottom) + 24));
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width: viewport.width, height } });
  } else await page.screenshot({ path: file });
  assert.ok(fs.statSync(file).size > 10_000, `${file} holds a picture`);
  if (commit) fs.copyFileSync(file, path.join(REPO_ROOT, 'media', `${name}.png`));
  log?.(`    screenshot: ${path.relative(REPO_ROOT, file)}${commit ? ` and media/${name}.png` : ''}`);
  return file;
}

/** The text of each cell of each body row of the first table under `scope`. */
function tableRows(scope) {
  return scope.locator('table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.innerText.trim())));
}

const tile = (page, label) => page.locator('.tile', { has: page.locator('.tile-label', { hasText: new RegExp(`^${label}$`) }) });

export async function runDashboardBrowserTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-dash-'));
  let server; let readOnly; let browser; let page;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (page) log(`    screenshot: ${await page.screenshot({ path: path.join(OUTPUT, 'dashboard-failure.png') }).then(() => 'test-output/dashboard-failure.png').catch(() => '-')}`);
      if (server) log(`    prontodb ui stderr: ${server.stderr().trim() || '(none)'}`);
    },
  });
  try {
    const fixture = await makeFixture(root);
    const { cli } = fixture;
    log(`  fixture made with the CLI and prontodb mcp (${secs()})`);
    server = await startDashboardServer(fixture.env, root);
    browser = await launchChromium();
    renewLeases(cli);
    const context = await browser.newContext({ viewport: SCREEN });
    page = await context.newPage();
    const pageErrors = [];
    const failedRequests = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => { if (response.status() >= 400) failedRequests.push(`${response.status()} ${new URL(response.url()).pathname}`); });
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
      if (verbose) log(`    [browser] ${message.type()} ${message.text()}`);
    });

    await check('Overview: every database with its keys, health and backups, main marked active', async () => {
      await page.goto(server.url);
      const table = page.locator('section.page.overview table');
      await table.waitFor({ timeout: 30_000 });
      const rows = Object.fromEntries(await page.locator('section.page.overview tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.ref, [...tr.cells].map((cell) => cell.innerText.trim())])));
      log(`    overview: ${JSON.stringify(rows)}`);
      const { main, work, legacy } = rows;
      assert.deepEqual(Object.keys(rows).sort(), ['legacy', 'main', 'work']);
      assert.equal(await page.locator('tr[data-ref="main"] .badge-active').innerText(), 'active');
      assert.equal(await page.locator('tr .badge-active').count(), 1, 'one active database');
      assert.equal(main[2], String(MAIN_KEYS));
      assert.equal(work[2], String(FIXTURE.work));
      assert.equal(legacy[2], String(FIXTURE.legacy.keys));
      // The sizes are the files' sizes (the CLI's status), as formatted for people.
      const status = JSON.parse(cli.ok('status', '--all', '--json'));
      for (const [cells, name] of [[main, 'main'], [work, 'work'], [legacy, 'legacy']]) {
        const kib = status.find((db) => db.database === name).size_bytes / 1024;
        assert.equal(cells[1], `${kib >= 100 ? Math.round(kib) : kib.toFixed(1)} KiB`, `${name}'s size`);
        // Health: doctor's verdict, as the CLI gives it.
        const doctor = JSON.parse(cli('--database', name, 'doctor', '--json').stdout);
        const warnings = doctor.checks.filter((c) => c.status === 'warn').length;
        assert.equal(cells[4], warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : 'healthy', `${name}'s health`);
      }
      assert.equal(main[4], 'healthy');
      assert.ok(Number(legacy[4].split(' ')[0]) >= 2, 'legacy: at least the duplicates and the migration');
      assert.match(main[3], /^(just now|\d+ s ago)$/);
      assert.match(main[5], /^1, newest (just now|\d+ s ago)$/);
      assert.equal(work[5], 'none');
      await savePicture(page, 'dashboard-overview', { log });
    });

    await check('Database (main): key counts, namespaces chart, TTL namespaces with what expires, audit writes by cli and mcp', async () => {
      await page.locator('section.page.overview button.link', { hasText: /^main$/ }).click();
      await page.locator('section.page.database .tiles').waitFor({ timeout: 30_000 });
      assert.equal(await tile(page, 'Keys').locator('.tile-value').innerText(), String(MAIN_KEYS));
      assert.equal(await tile(page, 'Keys').locator('.tile-detail').innerText(), '3 projects, 5 namespaces');
      assert.equal(await tile(page, 'Backups').locator('.tile-value').innerText(), '1');
      assert.equal(await tile(page, 'Schema').locator('.tile-detail').innerText(), 'the latest');
      const bars = await page.locator('.bars[aria-label="Live keys per namespace"] .bar-row').evaluateAll((rows) => rows.map((row) => `${row.querySelector('.bar-label').textContent}=${row.querySelector('.bar-value').textContent}`));
      assert.deepEqual(bars.sort(), [`agent.memory=${FIXTURE.main.agent.length}`, `app.config=${FIXTURE.main.config.length}`, `app.sessions=${FIXTURE.main.sessions.length}`, `app.users=${FIXTURE.main.users}`, `jobs.leases=${FIXTURE.main.leases.length}`]);
      const ttl = await tableRows(page.locator('section.card', { has: page.locator('h2', { hasText: 'TTL namespaces' }) }));
      // Namespace, default TTL, keys, expiring within a minute / an hour / a day.
      assert.deepEqual(ttl.map((cells) => cells.join(' | ')).sort(), ['app.sessions | 1 h | 3 | 0 | 3 | 3', 'jobs.leases | 45 s | 2 | 2 | 2 | 2']);
      const writes = page.locator('section.card', { has: page.locator('h2', { hasText: 'Writes per hour by client' }) });
      await writes.locator('.u-legend').waitFor();
      // set x5 (one before 'audit on'), 3 + 2 TTL sets, create-cache x2, import, mcp set x2, backup? The count is the audit log's own.
      const recorded = JSON.parse(cli.ok('audit', 'show', '--json', '--limit', '1000')).length;
      assert.equal(await writes.locator('p.sub').innerText(), `${recorded} writes recorded`);
      const legend = await writes.locator('.u-legend .u-series .u-label').allInnerTexts();
      assert.ok(legend.includes('cli') && legend.includes('mcp'), `chart legend: ${legend}`);
      const latest = await tableRows(page.locator('section.card', { has: page.locator('h2', { hasText: 'Latest writes' }) }));
      const latestAddresses = latest.map((cells) => `${cells[1]} ${cells[3]} ${cells[4]}`);
      assert.ok(latestAddresses.includes('mcp set agent.memory.plan'), `latest writes: ${latestAddresses.join('; ')}`);
      assert.ok(latestAddresses.some((text) => /^cli import/.test(text)), `latest writes: ${latestAddresses.join('; ')}`);
      await savePicture(page, 'dashboard-database', { log });
    });

    await check('Keys: a namespace a page at a time (100 of 250 users, then the next), prefix search', async () => {
      await page.locator('.bars[aria-label="Live keys per namespace"] .bar-row', { hasText: 'app.users' }).click();
      const table = page.locator('section.page.keys .keys-table');
      await table.waitFor({ timeout: 30_000 });
      const keys = () => table.locator('tbody td.key').allInnerTexts();
      let shown = await keys();
      assert.equal(shown.length, 100);
      assert.deepEqual([shown[0], shown[99]], ['user0000', 'user0099']);
      assert.equal(await page.locator('.toolbar .page-number').innerText(), 'Page 1');
      await page.locator('.toolbar button[aria-label="Next page"]').click();
      await page.locator('.toolbar .page-number', { hasText: 'Page 2' }).waitFor();
      await table.locator('tbody td.key', { hasText: 'user0100' }).waitFor();
      shown = await keys();
      assert.deepEqual([shown.length, shown[0], shown[99]], [100, 'user0100', 'user0199']);
      await page.locator('.toolbar button[aria-label="Next page"]').click();
      await table.locator('tbody td.key', { hasText: 'user0200' }).waitFor();
      assert.equal((await keys()).length, 50);
      assert.equal(await page.locator('.toolbar button[aria-label="Next page"]').isDisabled(), true, 'no page after the last');
      await page.locator('input[aria-label="Key prefix"]').fill('user012');
      await table.locator('tbody td.key', { hasText: 'user0129' }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.keys-table tbody tr').length === 10);
      assert.deepEqual(await keys(), Array.from({ length: 10 }, (_, i) => `user012${i}`));
      assert.match(page.url(), /#\/keys\/main\/app\/users\?prefix=user012$/, 'the place is in the URL');
    });

    await check('Keys: an edit (compare-and-set over the value shown) lands in the file; the CLI and sqlite3 read it', async () => {
      // The prefix stays when the namespace changes: clear it first.
      await page.locator('input[aria-label="Key prefix"]').fill('');
      await page.locator('select[aria-label="Namespace"]').selectOption({ value: 'app\u0000config' });
      const table = page.locator('section.page.keys .keys-table');
      await table.locator('tbody td.key', { hasText: 'api_url' }).waitFor({ timeout: 30_000 });
      assert.deepEqual((await table.locator('tbody td.key').allInnerTexts()).sort(), ['api_url', 'feature_flags', 'page_size', 'theme', 'theme__staging']);
      await table.locator('tbody tr', { has: page.locator('td.key', { hasText: /^theme$/ }) }).click();
      const detail = page.locator('aside.detail');
      await detail.locator('h2', { hasText: 'app.config.theme' }).waitFor();
      assert.equal(await detail.locator('pre.value-full').innerText(), 'dark');
      await savePicture(page, 'dashboard-keys', { log });
      await detail.locator('button', { hasText: 'Edit' }).click();
      await detail.locator('textarea[aria-label="New value"]').fill('solarized');
      await detail.locator('button', { hasText: 'Save' }).click();
      await detail.locator('pre.value-full', { hasText: /^solarized$/ }).waitFor({ timeout: 15_000 });
      assert.equal(cli.ok('get', 'app.config.theme'), 'solarized\n');
      assert.equal(sqlite3(fixture.mainFile, "SELECT value FROM kv WHERE project='app' AND namespace='config' AND key='theme' AND context IS NULL;"), 'solarized');
      const record = JSON.parse(cli.ok('audit', 'show', 'app.config.theme', '--json'))[0];
      assert.equal(record.client, 'ui', 'the audit log names the dashboard as the writer');
    });

    await check('Keys: an edit over a value someone changed meanwhile is refused and says so; nothing is overwritten', async () => {
      const detail = page.locator('aside.detail');
      await detail.locator('button', { hasText: 'Edit' }).click();
      await detail.locator('textarea[aria-label="New value"]').fill('from the page');
      cli.ok('set', 'app.config.theme', 'changed by the CLI');
      await detail.locator('p.warning-note').waitFor({ state: 'visible', timeout: 15_000 });
      await detail.locator('button', { hasText: 'Save' }).click();
      await page.waitForTimeout(500);
      assert.equal(cli.ok('get', 'app.config.theme'), 'changed by the CLI\n');
      await detail.locator('button', { hasText: 'Cancel' }).click();
      await detail.locator('pre.value-full', { hasText: /^changed by the CLI$/ }).waitFor({ timeout: 15_000 });
    });

    await check('live: a write by the CLI appears in the open page within 1 s, without a reload', async () => {
      const table = page.locator('section.page.keys .keys-table');
      const navigations = [];
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
      // The page notes when the new row shows (MutationObserver: no polling delay); the CLI's exit is the write's acknowledgement.
      await page.evaluate(() => {
        window.__liveSeen = new Promise((resolve) => {
          const observer = new MutationObserver(() => {
            if ([...document.querySelectorAll('.keys-table td.key')].some((cell) => cell.textContent === 'zz_live')) {
              observer.disconnect();
              resolve(Date.now());
            }
          });
          observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        });
      });
      const delays = [];
      const result = spawnSync(process.execPath, [CLI, '-q', 'set', 'app.config.zz_live', 'written by the CLI'], { env: fixture.env, cwd: root, encoding: 'utf8' });
      const acknowledged = Date.now();
      assert.equal(result.status, 0, result.stderr);
      const seen = await page.evaluate(() => window.__liveSeen);
      delays.push(seen - acknowledged);
      assert.equal(await table.locator('tbody td.key', { hasText: 'zz_live' }).count(), 1);
      log(`    the CLI's write showed ${delays[0]} ms after the CLI exited`);
      assert.ok(delays[0] <= 1000, `shown ${delays[0]} ms after the write, more than 1 s`);
      assert.deepEqual(navigations, [], 'no reload');
    });

    await check('Health (legacy): doctor finds the Rust duplicates and the migration; the confirmed fix lands in the file', async () => {
      await page.goto(`${server.url}#/health/legacy`);
      const checks = page.locator('section.page.health ul.checks');
      await checks.waitFor({ timeout: 30_000 });
      const duplicates = checks.locator('li[data-check="duplicates"]');
      assert.match(await duplicates.innerText(), new RegExp(`${FIXTURE.legacy.duplicateRows} extra rows for context-less addresses`));
      assert.match(await duplicates.innerText(), /Fix: keep the newest row of each address/);
      assert.match(await checks.locator('li[data-check="migration"]').innerText(), /migrat/i);
      await savePicture(page, 'dashboard-health', { log });
      const migration = page.locator('section.card', { has: page.locator('h2', { hasText: 'Migration' }) });
      await migration.locator('button', { hasText: 'Preview (dry run)' }).click();
      await migration.locator('.migration-result', { hasText: 'dry run: nothing changed' }).waitFor({ timeout: 15_000 });
      assert.match(await migration.innerText(), /collapse-duplicates: .*\(2 rows to change\)/);
      assert.equal(sqlite3(fixture.legacy, "SELECT count(*) FROM kv WHERE key='mode';"), '3', 'the dry run changed nothing');
      await duplicates.locator('button', { hasText: 'Fix…' }).click();
      const dialog = page.locator('dialog.confirm');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /duplicates: keep the newest row of each address/);
      await dialog.locator('.confirm-buttons button.btn-primary').click();
      await checks.locator('li[data-check="duplicates"]', { hasText: 'Fixed: keep the newest row of each address' }).waitFor({ timeout: 30_000 });
      assert.deepEqual([sqlite3(fixture.legacy, "SELECT count(*) FROM kv WHERE key='mode';"), sqlite3(fixture.legacy, "SELECT value FROM kv WHERE key='mode';")], ['1', 'v3'], 'the newest row is kept');
      assert.equal(cli.ok('--database', 'legacy', 'get', 'app.cfg.mode'), 'v3\n');
    });

    await check('read-only (prontodb ui --read-only): the page shows no writing control, and the server refuses a write the page sends', async () => {
      readOnly = await startDashboardServer(fixture.env, root, ['--read-only']);
      await page.goto(`${readOnly.url}#/keys/main/app/config`);
      await page.locator('.badge-readonly', { hasText: 'read-only' }).waitFor({ timeout: 30_000 });
      const table = page.locator('section.page.keys .keys-table');
      await table.locator('tbody td.key', { hasText: 'theme' }).first().waitFor({ timeout: 30_000 });
      assert.equal(await table.locator('button[aria-label="Delete…"]').count(), 0, 'no delete buttons in the table');
      await table.locator('tbody tr', { has: page.locator('td.key', { hasText: /^theme$/ }) }).click();
      const detail = page.locator('aside.detail');
      await detail.locator('button', { hasText: 'Copy address' }).waitFor();
      assert.deepEqual(await detail.locator('.detail-buttons button').allInnerTexts(), ['Copy address'], 'no Edit or Delete');
      // The page's own transport, with its token, asks for a write anyway: the server refuses it.
      const refused = await page.evaluate(async () => {
        const token = new URLSearchParams(location.search).get('token');
        const response = await fetch('/api', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ id: 9, request: { type: 'set', database: 'main', address: { project: 'app', namespace: 'config', key: 'theme', context: null }, value: 'read-only?' } }) });
        return { status: response.status, body: await response.json() };
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'read-only');
      assert.equal(cli.ok('get', 'app.config.theme'), 'changed by the CLI\n', 'nothing changed');
      await page.goto(`${readOnly.url}#/health/main`);
      await page.locator('section.page.health ul.checks').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('section.page.health button', { hasText: /Fix…|Migrate…|Preview/ }).count(), 0, 'no fix or migrate buttons');
    });

    await check('the pages logged no script error', async () => {
      // The read-only refusal above is a 403 the page asked for on purpose: the browser logs its status.
      const unexpected = pageErrors.filter((text) => !/status of (403|404)/.test(text));
      assert.deepEqual(unexpected, []);
      // Failed requests: only the refused write and the icon the browser asks for by itself.
      assert.deepEqual(failedRequests.filter((line) => line !== '403 /api' && line !== '404 /favicon.ico'), []);
    });
  } catch (error) {
    if (!counts.failed) { counts.failed++; log(`  ✖ ${error && error.stack || error}`); }
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    if (server) await server.stop();
    if (readOnly) await readOnly.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  return { ...counts };
}

/**
 * Issue 10 "Speed": the Keys page's first and next page on a 1,000,000-key namespace, measured in
 * Chromium by bench/dashboardKeys.mjs (which `npm run bench` reports too). The target is 100 ms; on
 * this shared machine the check holds the medians under a generous 1 s and prints them.
 */
export async function runDashboardSpeedTest({ log = console.log } = {}) {
  const { check, counts } = checkRunner({ log });
  try {
    await check('Keys page on a namespace of 1,000,000 keys: first page and next page, medians under 1 s (target 100 ms)', async () => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench', 'dashboardKeys.mjs'), '--runs', '5'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? signal)));
      const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
      assert.ok(code === 0 && line, `bench/dashboardKeys.mjs exited ${code}:\n${stdout}${stderr}`);
      const result = JSON.parse(line.slice('RESULT '.length));
      assert.equal(result.unavailable, undefined, result.unavailable);
      log(`    first page: median ${result.firstPageMedianMs.toFixed(1)} ms [${result.firstPageMs.join(', ')}]; next page: median ${result.nextPageMedianMs.toFixed(1)} ms [${result.nextPageMs.join(', ')}]`);
      log(`    opening the Keys page cold: rows after ${result.coldRowsMs} ms, the namespace list after ${result.coldNamespacesMs} ms (file ${(result.sizeBytes / 2 ** 20).toFixed(0)} MiB)`);
      assert.ok(result.firstPageMedianMs < 1000, `first page: median ${result.firstPageMedianMs} ms`);
      assert.ok(result.nextPageMedianMs < 1000, `next page: median ${result.nextPageMedianMs} ms`);
    });
  } catch {
    // counted and printed by the check
  }
  return { ...counts };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runStandalone('dashboard-browser', process.argv.includes('--speed') ? runDashboardSpeedTest : runDashboardBrowserTest);
}
