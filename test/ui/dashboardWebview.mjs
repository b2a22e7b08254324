#!/usr/bin/env node
// UI test: the dashboard in VS Code (issue 10 item 2), in the real workbench (code-server 4.100.3,
// headless Chromium), on the same CLI-made data as dashboardBrowser.mjs. "ProntoDB: Open Dashboard"
// from the command palette opens a webview panel; inside its frame the Overview, Database and Keys
// pages show the fixture's numbers; an edit there lands in the file (the audit log names the
// extension as the writer); a write by the CLI shows without a reload; "Open Dashboard" on a
// database in the ProntoDB view opens that database. Screenshot: test-output/dashboard-vscode.png
// (and media/ with --update-screenshots). Then, in the same window, the walkthrough's checks
// (walkthrough.mjs), so one workbench serves both.
//   node test/ui/dashboardWebview.mjs [--update-screenshots]
/* global document, window, getComputedStyle -- in page.evaluate callbacks, which run in the browser */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, chooseFromContextMenu, openViewContainer, openWorkbench, runCommandFromPalette, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';
import { FIXTURE, MAIN_KEYS, makeFixture, renewLeases, savePicture } from './dashboardBrowser.mjs';
import { WALKTHROUGH_VIEWPORT, walkthroughChecks } from './walkthrough.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** The frame (inside the webview's own frame) that holds the dashboard app. */
async function dashboardFrame(page, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.locator('html.host-vscode #app header.top').count().catch(() => 0)) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no dashboard frame within ${timeout} ms (frames: ${page.frames().map((f) => f.url().slice(0, 80)).join(', ')})`);
    await page.waitForTimeout(250);
  }
}

export async function runDashboardWebviewTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-dashvs-'));
  let server; let wb;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await wb.page.screenshot({ path: path.join(REPO_ROOT, 'test-output', 'dashboard-vscode-failure.png') }).then(() => 'test-output/dashboard-vscode-failure.png').catch(() => '-')}`);
    },
  });
  try {
    const fixture = await makeFixture(root);
    const { cli } = fixture;
    log(`  fixture made with the CLI and prontodb mcp (${secs()})`);
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    server = await startCodeServer({
      env: { PRONTODB_DATA_DIR: fixture.dataDir, PRONTODB_BACKUP_DIR: fixture.env.PRONTODB_BACKUP_DIR },
      keep,
      onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined,
    });
    wb = await openWorkbench(server, { folder: workspace, extensionDevelopmentPath: REPO_ROOT, viewport: WALKTHROUGH_VIEWPORT, onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined });
    const { page } = wb;
    // Extensions' commands are in the palette once ProntoDB's activity-bar entry shows.
    await page.locator('.part.activitybar .action-item a[aria-label^="ProntoDB"]').first().waitFor({ timeout: 60_000 });
    log(`  workbench up (${secs()})`);
    renewLeases(cli);
    let frame;

    await check('"ProntoDB: Open Dashboard" from the command palette opens the dashboard in a webview panel: the Overview shows the fixture', async () => {
      await runCommandFromPalette(page, 'ProntoDB: Open Dashboard', { timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: 'ProntoDB Dashboard' }).first().waitFor({ timeout: 30_000 });
      frame = await dashboardFrame(page);
      await frame.locator('section.page.overview tbody tr[data-ref="main"]').waitFor({ timeout: 30_000 });
      const rows = Object.fromEntries(await frame.locator('section.page.overview tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.ref, [...tr.cells].map((cell) => cell.innerText.trim())])));
      log(`    overview: ${JSON.stringify(rows)}`);
      assert.deepEqual(Object.keys(rows).sort(), ['legacy', 'main', 'work']);
      assert.deepEqual([rows.main[2], rows.work[2], rows.legacy[2]], [String(MAIN_KEYS), String(FIXTURE.work), String(FIXTURE.legacy.keys)]);
      assert.equal(await frame.locator('tr[data-ref="main"] .badge-active').innerText(), 'active');
      assert.equal(rows.main[4], 'healthy');
      assert.match(rows.legacy[4], /^\d+ warnings$/);
      // Themed by VS Code: the webview's body carries the theme's class and the page reads its variables.
      assert.match(await frame.locator('body').getAttribute('class'), /vscode-(light|dark|high-contrast)/);
      assert.notEqual(await frame.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim()), '');
    });

    await check('Database and Keys pages in the webview: the counts, and the keys of a namespace', async () => {
      await frame.locator('section.page.overview button.link', { hasText: /^main$/ }).click();
      const keysTile = frame.locator('.tile', { has: frame.locator('.tile-label', { hasText: /^Keys$/ }) });
      await keysTile.waitFor({ timeout: 30_000 });
      assert.equal(await keysTile.locator('.tile-value').innerText(), String(MAIN_KEYS));
      const legend = await frame.locator('.u-legend .u-series .u-label').allInnerTexts();
      assert.ok(legend.includes('cli') && legend.includes('mcp'), `writes chart legend: ${legend}`);
      await savePicture(page, 'dashboard-vscode', { log, clipToPage: false });
      await frame.locator('.bars[aria-label="Live keys per namespace"] .bar-row', { hasText: 'app.config' }).click();
      const table = frame.locator('section.page.keys .keys-table');
      await table.locator('tbody td.key', { hasText: 'api_url' }).waitFor({ timeout: 30_000 });
      assert.deepEqual((await table.locator('tbody td.key').allInnerTexts()).sort(), [...FIXTURE.main.config].sort());
    });

    await check('an edit in the webview lands in the file, written by the extension', async () => {
      const table = frame.locator('section.page.keys .keys-table');
      await table.locator('tbody tr', { has: frame.locator('td.key', { hasText: /^page_size$/ }) }).click();
      const detail = frame.locator('aside.detail');
      await detail.locator('pre.value-full', { hasText: /^50$/ }).waitFor({ timeout: 15_000 });
      await detail.locator('button', { hasText: 'Edit' }).click();
      await detail.locator('textarea[aria-label="New value"]').fill('75');
      await detail.locator('button', { hasText: 'Save' }).click();
      await detail.locator('pre.value-full', { hasText: /^75$/ }).waitFor({ timeout: 15_000 });
      assert.equal(cli.ok('get', 'app.config.page_size'), '75\n');
      assert.equal(JSON.parse(cli.ok('audit', 'show', 'app.config.page_size', '--json'))[0].client, 'extension');
    });

    await check('a write by the CLI shows in the open panel without a reload', async () => {
      const table = frame.locator('section.page.keys .keys-table');
      await frame.evaluate(() => { window.__sameDocument = true; });
      const result = spawnSync(process.execPath, [CLI, '-q', 'set', 'app.config.zz_from_cli', 'hello'], { env: fixture.env, cwd: root, encoding: 'utf8' });
      const acknowledged = Date.now();
      assert.equal(result.status, 0, result.stderr);
      await table.locator('tbody td.key', { hasText: 'zz_from_cli' }).waitFor({ timeout: 10_000 });
      log(`    shown ${Date.now() - acknowledged} ms after the CLI exited (polled; the browser test times this exactly)`);
      assert.equal(await frame.evaluate(() => window.__sameDocument === true), true, 'the same document: no reload');
    });

    await check('"Open Dashboard" on a database in the ProntoDB view opens that database in the panel', async () => {
      await openViewContainer(page, 'ProntoDB', { timeout: 30_000 });
      const legacy = page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^legacy$/ }) }).first();
      await legacy.waitFor({ timeout: 30_000 });
      await chooseFromContextMenu(page, legacy, 'Open Dashboard');
      // Found again: if VS Code reloaded the webview on the way (a hidden panel's frame is rebuilt), the old frame is gone.
      const shown = await dashboardFrame(page);
      await shown.locator('section.page.database h1', { hasText: /^legacy$/ }).waitFor({ timeout: 15_000 });
      await shown.locator('.tile', { hasText: 'Duplicate rows' }).waitFor({ timeout: 15_000 });
    });

    await walkthroughChecks({ page, check, log });

    await check('"Open Dashboard" on a database while the panel is behind another editor brings it forward on that database', async () => {
      // A background webview is not live (no retainContextWhenHidden): revealing rebuilds its page,
      // which must still learn which database was chosen.
      // The walkthrough's checks just ran: its editor is in front of the panel.
      assert.equal(await page.locator('.tabs-container .tab.active', { hasText: 'ProntoDB Dashboard' }).count(), 0, 'the panel is behind another editor');
      await openViewContainer(page, 'ProntoDB', { timeout: 30_000 });
      const work = page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^work$/ }) }).first();
      await work.waitFor({ timeout: 30_000 });
      await chooseFromContextMenu(page, work, 'Open Dashboard');
      await page.locator('.tabs-container .tab.active', { hasText: 'ProntoDB Dashboard' }).first().waitFor({ timeout: 15_000 });
      const shown = await dashboardFrame(page);
      await shown.locator('section.page.database h1', { hasText: /^work$/ }).waitFor({ timeout: 15_000 });
    });
  } catch (error) {
    if (!counts.failed) { counts.failed++; log(`  ✖ ${error && error.stack || error}`); }
  } finally {
    if (wb) await wb.close();
    if (server) await server.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  return { ...counts };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('dashboard-webview', runDashboardWebviewTest);
