#!/usr/bin/env node
// UI test: a `.prontodb` in a workspace the user does not trust (issue 13 item 4), in VS Code's real
// workbench (code-server 4.100.3, headless Chromium) with workspace trust on. The folder carries a
// `.prontodb` choosing the database `play`; the user answers "No" to the trust prompt, as for a
// repository just cloned. Then: the ProntoDB view says the `.prontodb` is ignored because the
// workspace is not trusted, `main` stays active, a writing language-model tool refuses and a reading
// one answers from `main`. The user then trusts the folder the way VS Code offers (that row opens
// the Workspace Trust editor; its "Trust" button): the `.prontodb` is obeyed (`play` active, the
// message gone) and the writing tool works again, after its confirmation, into `play`.
// The tools are called through test/ui/fixtures/lm-tool-caller (another extension calling
// vscode.lm.invokeTool), packaged here from a copy that declares it runs in untrusted workspaces.
//   node test/ui/trust.mjs          (or through test/runVscodeTests.mjs)
/* global document -- in page.evaluate callbacks, which run in the browser */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, openViewContainer, openWorkbench, runCommandFromPalette, screenshot, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const CALLER = path.join(REPO_ROOT, 'test', 'ui', 'fixtures', 'lm-tool-caller');
const VSCE = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
const IGNORED_ROW = '.prontodb ignored (Restricted Mode)';

/** The caller fixture as a .vsix, from a copy that runs in Restricted Mode too (else VS Code disables it there). */
function packageCaller(root) {
  const work = path.join(root, 'caller');
  fs.cpSync(CALLER, work, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(work, 'package.json'), 'utf8'));
  manifest.capabilities = { untrustedWorkspaces: { supported: true } };
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify(manifest, null, 2));
  const vsix = path.join(root, 'lm-tool-caller.vsix');
  const result = spawnSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`vsce package (fixture) exited ${result.status ?? result.signal}: ${result.stdout}${result.stderr}`);
  return vsix;
}

export async function runTrustTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-trust-'));
  let server; let wb;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await screenshot(wb.page, 'trust-failure').catch(() => '-')}`);
    },
  });
  try {
    const dataDir = path.join(root, 'data');
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    // A repository someone cloned: its .prontodb picks a database for whoever works in it.
    fs.writeFileSync(path.join(workspace, '.prontodb'), `${JSON.stringify({ database: 'play' })}\n`);
    fs.writeFileSync(path.join(workspace, 'README.md'), '# a cloned repository\n');
    const vsix = packageCaller(root);
    server = await startCodeServer({
      installExtensions: [vsix],
      env: { PRONTODB_DATA_DIR: dataDir },
      workspaceTrust: true,
      // As a user meets it: the trust prompt when the folder opens.
      settings: { 'security.workspace.trust.startupPrompt': 'always' },
      keep,
      onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined,
    });
    // The CLI as the extension sees it (same data directory and HOME); outside the workspace, so no .prontodb applies to it.
    const prontodb = (...args) => spawnSync(process.execPath, [CLI, '-q', ...args], { env: { PATH: process.env.PATH, HOME: server.home, PRONTODB_DATA_DIR: dataDir }, cwd: root, encoding: 'utf8' });
    for (const args of [['set', 'app.config.who', 'main'], ['db', 'create', 'play'], ['--database', 'play', 'set', 'app.config.who', 'play']]) {
      const result = prontodb(...args);
      assert.equal(result.status, 0, result.stderr);
    }
    wb = await openWorkbench(server, { folder: workspace, extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1280, height: 800 }, onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined });
    const { page } = wb;
    log(`  workbench up (${secs()})`);

    const dialog = page.locator('.monaco-dialog-box').first();
    const toasts = page.locator('.notifications-toasts .notification-toast');
    const treeRow = (label) => page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
    /** A tool call through the fixture's command; resolves with the notification's text. */
    const callTool = async (name, input, answer) => {
      await runCommandFromPalette(page, 'LM Tool Caller: Invoke Language-Model Tool', { timeout: 60_000 });
      const box = page.locator('.quick-input-widget input').first();
      await box.waitFor({ state: 'visible' });
      await box.fill(JSON.stringify({ name, input }));
      await page.keyboard.press('Enter');
      if (answer) {
        await dialog.waitFor({ state: 'visible', timeout: 30_000 });
        const accept = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((label) => label.trim()).find((label) => label !== 'Cancel');
        await dialog.locator('.dialog-buttons .monaco-button', { hasText: accept }).first().click();
        await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      }
      const toast = toasts.filter({ hasText: /Tool (result|failed): / }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
      await page.locator('.notifications-toasts').evaluate((element) => element.querySelectorAll('.codicon-notifications-clear, .codicon-close').forEach((button) => button.click()));
      await toasts.filter({ hasText: text }).first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
      return text;
    };
    /** The status bar's ProntoDB item (a database icon, then the active database's name). */
    const statusBarDatabase = () => page.locator('.part.statusbar .statusbar-item', { has: page.locator('.codicon-database') }).first().innerText();

    await check('the folder opens untrusted: the user answers "No" to the trust prompt; VS Code shows Restricted Mode', async () => {
      await dialog.waitFor({ state: 'visible', timeout: 60_000 });
      const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((label) => label.trim());
      log(`    trust prompt: ${JSON.stringify(await dialog.locator('.dialog-message-text').innerText())}, buttons ${JSON.stringify(buttons)}`);
      const no = buttons.find((label) => /^No\b/.test(label));
      assert.ok(no, `a "No" button: ${buttons}`);
      await dialog.locator('.dialog-buttons .monaco-button', { hasText: no }).first().click();
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      await page.locator('.part.statusbar .statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    });

    await check('the ProntoDB view says the .prontodb is ignored because the workspace is not trusted; main stays active', async () => {
      await openViewContainer(page, 'ProntoDB', { timeout: 60_000 });
      const ignored = treeRow(IGNORED_ROW);
      await ignored.waitFor({ timeout: 30_000 });
      // Read whole in a side bar of the default width.
      assert.equal(await ignored.locator('.label-name').evaluate((name) => name.scrollWidth <= name.clientWidth + 1), true, 'the row\'s label is not cut short');
      await treeRow('main').waitFor({ timeout: 30_000 });
      assert.match(await treeRow('main').locator('.label-description').innerText(), /^active\b/);
      assert.doesNotMatch(await treeRow('play').locator('.label-description').innerText(), /active/);
      assert.match(await statusBarDatabase(), /\bmain\b/);
      // The tooltip names the file and says why.
      await ignored.hover();
      const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Restricted Mode' }).first();
      await hover.waitFor({ timeout: 15_000 });
      assert.match(await hover.innerText(), new RegExp(`${path.join(workspace, '.prontodb').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is ignored because this workspace is in Restricted Mode`));
      await page.mouse.move(900, 500);
      log(`    screenshot: ${path.relative(REPO_ROOT, await screenshot(page, 'trust-restricted'))}`);
    });

    await check('untrusted: a writing language-model tool refuses and says why; a reading one answers from main', async () => {
      assert.match(await callTool('prontodb_set', { address: 'app.config.mode', value: 'from the agent' }), /^Tool failed: prontodb_set is refused: this workspace is not trusted \(Restricted Mode\)/);
      assert.equal(await callTool('prontodb_get', { address: 'app.config.who' }), 'Tool result: main');
      assert.equal(prontodb('--database', 'play', 'get', 'app.config.mode').status, 2, 'nothing written in play');
      assert.equal(prontodb('get', 'app.config.mode').status, 2, 'nothing written in main');
    });

    await check('the user trusts the folder: that row opens the Workspace Trust editor, whose "Trust" button trusts it', async () => {
      await openViewContainer(page, 'ProntoDB');
      await treeRow(IGNORED_ROW).click();
      const editor = page.locator('.workspace-trust-editor').first();
      await editor.waitFor({ timeout: 30_000 });
      const trust = editor.locator('.workspace-trust-buttons-row .monaco-button, .monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
      await trust.click();
      await page.locator('.part.statusbar .statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'detached', timeout: 30_000 });
    });

    await check('trusted: the .prontodb is obeyed (play active), the message is gone', async () => {
      await openViewContainer(page, 'ProntoDB');
      await page.waitForFunction(
        () => [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some((row) => row.querySelector('.label-name')?.textContent === 'play' && /^active\b/.test(row.querySelector('.label-description')?.textContent ?? '')),
        null,
        { timeout: 30_000 },
      );
      assert.equal(await treeRow(IGNORED_ROW).count(), 0);
      assert.doesNotMatch(await treeRow('main').locator('.label-description').innerText(), /active/);
      assert.match(await statusBarDatabase(), /\bplay\b/);
    });

    await check('trusted: the writing tool works again (after its confirmation), into the database the .prontodb names', async () => {
      assert.equal(await callTool('prontodb_set', { address: 'app.config.mode', value: 'from the agent' }, 'accept'), 'Tool result: Stored at app.config.mode');
      assert.equal(prontodb('--database', 'play', 'get', 'app.config.mode').stdout, 'from the agent\n');
      assert.equal(prontodb('get', 'app.config.mode').status, 2, 'main untouched');
      assert.equal(await callTool('prontodb_get', { address: 'app.config.who' }), 'Tool result: play');
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('trust', runTrustTest);
