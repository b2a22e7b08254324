#!/usr/bin/env node
// UI test: the confirmation VS Code shows before a ProntoDB language-model tool writes. Outside a
// chat (another extension calling vscode.lm.invokeTool), VS Code 1.100 asks in a modal dialog with
// the title and the text of the tool's prepareInvocation; in a host running extension tests its
// dialog service says "yes" without showing anything, so this runs in a plain workbench instead:
// the fixture extension test/ui/fixtures/lm-tool-caller (installed from a .vsix: code-server loads
// only one development extension, ProntoDB) invokes the tool from a command, and this script reads
// the dialog, answers it, and checks the database with the CLI.
// (In a chat the same messages show inline in the chat view; no chat model runs here.)
//   node test/ui/lmToolConfirmation.mjs          (or through test/runVscodeTests.mjs)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, openWorkbench, runCommandFromPalette, screenshot, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const CALLER = path.join(REPO_ROOT, 'test', 'ui', 'fixtures', 'lm-tool-caller');
const VSCE = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');

/** The fixture packaged into a .vsix in `root` (a copy: vsce writes nothing into the repository). */
function packageCaller(root) {
  const work = path.join(root, 'caller');
  fs.cpSync(CALLER, work, { recursive: true });
  const vsix = path.join(root, 'lm-tool-caller.vsix');
  const result = spawnSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`vsce package (fixture) exited ${result.status ?? result.signal}: ${result.stdout}${result.stderr}`);
  return vsix;
}

export async function runLmToolConfirmationTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-lmui-'));
  let server; let wb;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await screenshot(wb.page, 'lm-tool-confirmation-failure').catch(() => '-')}`);
    },
  });
  try {
    const dataDir = path.join(root, 'data');
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    server = await startCodeServer({ installExtensions: [packageCaller(root)], env: { PRONTODB_DATA_DIR: dataDir }, keep, onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined });
    // The CLI as the extension sees it: the same data directory and HOME (selections live there).
    const prontodb = (...args) => spawnSync(process.execPath, [CLI, '-q', ...args], { env: { PATH: process.env.PATH, HOME: server.home, PRONTODB_DATA_DIR: dataDir }, cwd: root, encoding: 'utf8' });
    assert.equal(prontodb('set', 'app.config.who', 'main').status, 0);
    wb = await openWorkbench(server, {
      folder: workspace,
      extensionDevelopmentPath: REPO_ROOT,
      onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined,
    });
    const { page } = wb;
    // Extensions are registered once ProntoDB's activity-bar entry shows: a palette opened before lists none of theirs.
    await page.locator('.part.activitybar .action-item a[aria-label^="ProntoDB"]').first().waitFor({ timeout: 60000 });
    log(`  workbench up (${secs()})`);

    const dialog = page.locator('.monaco-dialog-box').first();
    const toasts = page.locator('.notifications-toasts .notification-toast');
    /** Runs a tool call through the fixture's command, as another extension would. */
    const callTool = async (name, input) => {
      await runCommandFromPalette(page, 'LM Tool Caller: Invoke Language-Model Tool', { timeout: 60000 });
      const box = page.locator('.quick-input-widget input').first();
      await box.waitFor({ state: 'visible' });
      await box.fill(JSON.stringify({ name, input }));
      await page.keyboard.press('Enter');
    };
    /** The notification the fixture shows with the outcome; closes it. */
    const outcome = async () => {
      const toast = toasts.filter({ hasText: /Tool (result|failed): / }).first();
      await toast.waitFor({ state: 'visible', timeout: 30000 });
      const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
      await page.keyboard.press('Escape');
      await page.locator('.notifications-toasts').evaluate((element) => element.querySelectorAll('.codicon-notifications-clear, .codicon-close').forEach((button) => button.click()));
      await toasts.filter({ hasText: text }).first().waitFor({ state: 'hidden', timeout: 10000 }).catch(() => undefined);
      return text;
    };
    const readDialog = async () => {
      await dialog.waitFor({ state: 'visible', timeout: 30000 });
      return {
        message: (await dialog.locator('.dialog-message-text').innerText()).trim(),
        detail: (await dialog.locator('.dialog-message-detail').innerText()).trim(),
        buttons: (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((label) => label.trim()),
      };
    };
    const click = async (label) => {
      await dialog.locator('.dialog-buttons .monaco-button', { hasText: label }).first().click();
      await dialog.waitFor({ state: 'hidden', timeout: 10000 });
    };

    await check('a reading tool runs without asking', async () => {
      await callTool('prontodb_get', { address: 'app.config.who' });
      assert.equal(await outcome(), 'Tool result: main');
      assert.equal(await dialog.count(), 0, 'no dialog');
    });

    await check('prontodb_set asks first, showing the database, the address, the condition and the value; Cancel writes nothing', async () => {
      await callTool('prontodb_set', { address: 'app.config.mode', value: 'blue\nsecond line', if_absent: true });
      const shown = await readDialog();
      log(`    dialog: ${JSON.stringify(shown)}`);
      assert.equal(shown.message, 'ProntoDB: Set a value?');
      assert.match(shown.detail, /^Database: main$/m);
      assert.match(shown.detail, /Address: app\.config\.mode/);
      assert.match(shown.detail, /Condition: only if nothing is stored there/);
      assert.match(shown.detail, /blue\s*\n\s*second line/);
      assert.ok(shown.buttons.includes('Cancel'), `buttons: ${shown.buttons}`);
      log(`    screenshot: ${path.relative(process.cwd(), await screenshot(page, 'lm-tool-confirmation'))}`);
      await click('Cancel');
      assert.match(await outcome(), /^Tool failed: /);
      assert.equal(prontodb('get', 'app.config.mode').status, 2, 'nothing was written');
    });

    await check('confirmed, prontodb_set writes what it showed', async () => {
      await callTool('prontodb_set', { address: 'app.config.mode', value: 'blue\nsecond line', if_absent: true });
      const { buttons } = await readDialog();
      const accept = buttons.find((label) => label !== 'Cancel');
      assert.ok(accept, `an accepting button: ${buttons}`);
      await click(accept);
      assert.equal(await outcome(), 'Tool result: Stored at app.config.mode');
      assert.equal(prontodb('get', 'app.config.mode').stdout, 'blue\nsecond line\n');
    });

    await check('prontodb_delete with expect shows the condition; create_cache shows the namespace and TTL', async () => {
      await callTool('prontodb_delete', { address: 'app.config.mode', expect: 'blue' });
      const shown = await readDialog();
      assert.equal(shown.message, 'ProntoDB: Delete a value?');
      assert.match(shown.detail, /Address: app\.config\.mode/);
      assert.match(shown.detail, /Condition: only if the current value is "blue"/);
      await click(shown.buttons.find((label) => label !== 'Cancel'));
      assert.match(await outcome(), /^Tool failed: The value at app\.config\.mode is not the expected one \(it is now "blue\\nsecond line"\)/);
      assert.equal(prontodb('get', 'app.config.mode').status, 0, 'still there');

      await callTool('prontodb_create_cache', { namespace: 'jobs.leases', ttl: 600 });
      const cache = await readDialog();
      assert.equal(cache.message, 'ProntoDB: Create a TTL namespace?');
      assert.match(cache.detail, /Namespace: jobs\.leases/);
      assert.match(cache.detail, /Values expire after: 600 s/);
      await click('Cancel');
      assert.match(await outcome(), /^Tool failed: /);
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('lm-tool-confirmation', runLmToolConfirmationTest);
