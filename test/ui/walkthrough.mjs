#!/usr/bin/env node
// UI test: the "Get Started with ProntoDB" walkthrough (issue 13 item 2) in VS Code's real workbench
// (code-server 4.100.3, headless Chromium). "ProntoDB: Get Started" from the command palette opens
// it; its six steps show with their titles, in order; a step shows its media (markdown from media/);
// a step's button runs its command and the step's completion event ticks it off. Screenshot:
// test-output/walkthrough.png, and media/walkthrough.png (the README's picture) with
// --update-screenshots or PRONTODB_UPDATE_SCREENSHOTS=1.
// dashboardWebview.mjs runs these checks in its own window (one workbench for both); alone:
//   node test/ui/walkthrough.mjs
/* global document, window -- in page.evaluate callbacks, which run in the browser */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, openWorkbench, runCommandFromPalette, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';
import { savePicture } from './dashboardBrowser.mjs';

/** Issue 13: create or open a database, set and open a value, switch cursor, back up, connect an agent over MCP, open the dashboard. */
export const STEP_TITLES = ['Create or open a database', 'Set and open a value', 'Switch cursor', 'Back up', 'Connect an agent over MCP', 'Open the dashboard'];

/** The walkthrough's checks, in a workbench window where ProntoDB is loaded. */
export async function walkthroughChecks({ page, check, log }) {
  const steps = page.locator('.gettingStartedSlideDetails .getting-started-step');
  // Markdown media render in a webview of their own.
  const media = page.frameLocator('.getting-started-media iframe.webview.ready').frameLocator('iframe#active-frame');
  const step = (title) => steps.filter({ has: page.locator('.step-title', { hasText: new RegExp(`^${title}$`) }) });

  await check('"ProntoDB: Get Started" opens the walkthrough with its six steps, titled, in order', async () => {
    await runCommandFromPalette(page, 'ProntoDB: Get Started', { timeout: 60_000 });
    await page.locator('.gettingStartedSlideDetails h2', { hasText: 'Get Started with ProntoDB' }).first().waitFor({ timeout: 30_000 });
    await steps.first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await steps.locator('.step-title').allInnerTexts(), STEP_TITLES);
    assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Walkthrough: ProntoDB' }).count(), 1, 'its editor tab');
  });

  await check("each step opens with its media from media/walkthrough (the first: 'Your first database')", async () => {
    await step(STEP_TITLES[0]).click();
    await media.locator('h1, h2, h3', { hasText: 'Your first database' }).first().waitFor({ timeout: 30_000 });
    await step(STEP_TITLES[5]).click();
    assert.equal(await step(STEP_TITLES[5]).getAttribute('aria-expanded'), 'true');
    await media.locator('body', { hasText: /dashboard/i }).first().waitFor({ timeout: 30_000 });
    await step(STEP_TITLES[0]).click();
    await media.locator('h1, h2, h3', { hasText: 'Your first database' }).first().waitFor({ timeout: 30_000 });
  });

  await check('the screenshot shows all six steps and the first step\'s media (checked in the DOM as it was taken)', async () => {
    // The editor gets the window's width (no side bar): the walkthrough then lays out steps and media side by side.
    // Keys pressed while a webview (the step's media) has the focus go to its frame: focus the walkthrough first.
    await page.locator('.gettingStartedSlideDetails h2', { hasText: 'Get Started with ProntoDB' }).first().click();
    // The title bar's layout control, not the palette: F1 would go to the media's webview if it had the focus.
    await page.locator('.part.titlebar .action-item a[aria-label^="Toggle Primary Side Bar"]').first().click();
    await page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 10_000 });
    await step(STEP_TITLES[0]).click();
    await media.locator('h1, h2, h3', { hasText: 'Your first database' }).first().waitFor({ timeout: 30_000 });
    await page.mouse.move(5, 400);
    await page.waitForTimeout(1000);
    const shown = () => steps.evaluateAll((elements) => elements.map((element) => {
      // Seen: the point at the step title's centre belongs to the step (not clipped by its scrolling list, not covered).
      const title = element.querySelector('.step-title');
      const box = title.getBoundingClientRect();
      const atCentre = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
      return { title: title.textContent, seen: box.height > 0 && box.bottom <= window.innerHeight && !!atCentre && element.contains(atCentre) };
    }));
    const before = await shown();
    await savePicture(page, 'walkthrough', { log, clipToPage: false });
    assert.deepEqual(await shown(), before, 'the walkthrough changed while the picture was taken');
    assert.deepEqual(before.filter((entry) => !entry.seen).map((entry) => entry.title), [], 'steps not on screen');
    const mediaBox = await page.locator('.getting-started-media').first().boundingBox();
    const stepsBox = await steps.first().boundingBox();
    assert.ok(mediaBox && stepsBox && mediaBox.x >= stepsBox.x + stepsBox.width - 1, 'the media beside the steps, not below them');
  });

  await check("a step's button runs its command, and its completion event ticks the step off", async () => {
    // "Connect an agent over MCP": Copy MCP Configuration (no prompt; nothing ran it before in this window).
    const agents = step(STEP_TITLES[4]);
    await agents.click();
    assert.equal(await agents.getAttribute('aria-checked'), 'false');
    await agents.locator('.monaco-button, a', { hasText: 'Copy MCP Configuration' }).first().click();
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'the MCP server entry for .vscode/mcp.json is on the clipboard' }).first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector('.gettingStartedSlideDetails .getting-started-step[data-step-id$="#agents"]')?.getAttribute('aria-checked') === 'true',
      null,
      { timeout: 15_000 },
    );
  });
}

export async function runWalkthroughTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-walk-'));
  let server; let wb;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await wb.page.screenshot({ path: path.join(REPO_ROOT, 'test-output', 'walkthrough-failure.png') }).then(() => 'test-output/walkthrough-failure.png').catch(() => '-')}`);
    },
  });
  try {
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    server = await startCodeServer({ env: { PRONTODB_DATA_DIR: path.join(root, 'data') }, keep, onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined });
    wb = await openWorkbench(server, { folder: workspace, extensionDevelopmentPath: REPO_ROOT, viewport: WALKTHROUGH_VIEWPORT, onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined });
    await wb.page.locator('.part.activitybar .action-item a[aria-label^="ProntoDB"]').first().waitFor({ timeout: 60_000 });
    log(`  workbench up (${secs()})`);
    await walkthroughChecks({ page: wb.page, check, log });
  } catch (error) {
    if (!counts.failed) { counts.failed++; log(`  ✖ ${error && error.stack || error}`); }
  } finally {
    if (wb) await wb.close();
    if (server) await server.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  return { ...counts };
}

/** Wide enough for the walkthrough's two columns (steps, media) beside the side bar; tall enough for six steps. */
export const WALKTHROUGH_VIEWPORT = { width: 1280, height: 860 };

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('walkthrough', runWalkthroughTest);
