#!/usr/bin/env node
// Runs ProntoDB's tests inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium):
//   1. the integration suite (out/test/integration, mocha) in the real extension host, against the
//      real extension (extensionDevelopmentPath = this repository: package.json main = dist/extension.js);
//   2. the untrusted-workspace suite (out/test/untrusted): the same host with workspace trust on, the
//      folder in Restricted Mode (what the language-model tools may do there);
//   3. the UI tests against the real workbench: the view (test/ui/prontodbView.mjs), the
//      confirmation before a language-model tool writes (test/ui/lmToolConfirmation.mjs), the
//      dashboard served by `prontodb ui` in Chromium (test/ui/dashboardBrowser.mjs) and in a webview
//      panel with the walkthrough (test/ui/dashboardWebview.mjs, walkthrough.mjs), and a .prontodb
//      in an untrusted workspace, then trusted (test/ui/trust.mjs);
//   4. the packaged-extension smoke test (test/ui/packagedExtension.mjs): a production .vsix built in a
//      temp folder, installed into code-server, its view and status bar checked in the workbench.
// Prints one closing line `N passed, N failed` summing all; exits 1 on any failure.
//
//   node esbuild.config.mjs && npx tsc -p . && node test/runVscodeTests.mjs [--only integration|untrusted|ui|packaged]
//        [--grep TEXT] [--file WORD[,WORD]] [--shuffle SEED|random] [--verbose] [--keep]
// --file keeps only the integration files whose names contain a word (`--file 04-cursors`: that file
// alone); --shuffle loads the integration files in an order shuffled by SEED (printed, so a failing
// order can be run again). Both also come from the environment: MOCHA_FILES, MOCHA_SHUFFLE_SEED.
// Needs the harness installed once: bash test/vscode/install.sh
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SUMMARY_LINE, runTestsInExtensionHost } from './vscode/codeServer.mjs';
import { runUiTest } from './ui/prontodbView.mjs';
import { runLmToolConfirmationTest } from './ui/lmToolConfirmation.mjs';
import { runPackagedTest } from './ui/packagedExtension.mjs';
import { runDashboardBrowserTest, runDashboardSpeedTest } from './ui/dashboardBrowser.mjs';
import { runDashboardWebviewTest } from './ui/dashboardWebview.mjs';
import { runTrustTest } from './ui/trust.mjs';

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const only = opt('--only');
const grep = opt('--grep');
const files = opt('--file') ?? process.env.MOCHA_FILES;
const shuffleSeed = opt('--shuffle') ?? process.env.MOCHA_SHUFFLE_SEED;
const verbose = args.includes('--verbose');
const keep = args.includes('--keep') || process.env.VSCODE_TEST_KEEP === '1';

const started = Date.now();
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line) => process.stdout.write(`${line}\n`);
// Last resort: whatever hangs, the process ends (its exit handler kills code-server's process group).
setTimeout(() => { say('[vscode-tests] hard timeout after 20 min'); say('0 passed, 1 failed'); process.exit(124); }, 1_200_000).unref();

for (const file of ['dist/extension.js', 'dist/cli.js', 'dist/sql-wasm.wasm', 'out/test/integration/index.js', 'out/test/untrusted/index.js']) {
  if (!fs.existsSync(path.join(REPO_ROOT, file))) {
    say(`[vscode-tests] ${file} is missing: run  node esbuild.config.mjs && npx tsc -p .  first`);
    say('0 passed, 1 failed');
    process.exit(1);
  }
}

const results = [];

if (only === undefined || only === 'integration') {
  // Short path: VS Code puts unix sockets under TMPDIR-derived paths (108-byte limit).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-it-'));
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'README.md'), '# ProntoDB integration test workspace\n');
  let summary;
  let code;
  try {
    say(`[vscode-tests] integration suite in the real extension host (workspace ${workspace})`);
    code = await runTestsInExtensionHost({
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(REPO_ROOT, 'out', 'test', 'integration'),
      folder: workspace,
      env: {
        PRONTODB_IT_ROOT: root,
        ...(grep ? { MOCHA_GREP: grep } : {}),
        ...(files ? { MOCHA_FILES: files } : {}),
        ...(shuffleSeed ? { MOCHA_SHUFFLE_SEED: shuffleSeed } : {}),
      },
      timeoutMs: 480_000, // 16-server starts a PostgreSQL cluster and waits out a restart: ~25 s more on a loaded machine
      verbose,
      keep,
      log: (text) => {
        const m = SUMMARY_LINE.exec(text);
        if (m) {
          summary = m[0].trim();
          const rest = text.replace(SUMMARY_LINE, '').trim();
          if (rest) say(rest);
          return;
        }
        say(text.endsWith('\n') ? text.slice(0, -1) : text);
      },
    });
  } catch (error) {
    say(`[vscode-tests] harness error: ${error && error.stack ? error.stack : error}`);
    code = 2;
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  const [passed, failed] = summary ? summary.match(/\d+/g).map(Number) : [0, 0];
  results.push({ name: 'integration', passed, failed: code !== 0 && failed === 0 ? 1 : failed });
  say(`[vscode-tests] integration: ${passed} passed, ${failed} failed (exit ${code}) at ${secs()}`);
}

if (only === undefined || only === 'untrusted') {
  // The few tests that need Restricted Mode: code-server with workspace trust on, so its folder is untrusted.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-ut-'));
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace);
  let summary;
  let code;
  try {
    say(`[vscode-tests] untrusted-workspace suite in the real extension host (workspace ${workspace}, not trusted)`);
    code = await runTestsInExtensionHost({
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(REPO_ROOT, 'out', 'test', 'untrusted'),
      folder: workspace,
      workspaceTrust: true,
      env: { PRONTODB_IT_ROOT: root, ...(grep ? { MOCHA_GREP: grep } : {}) },
      timeoutMs: 180_000,
      verbose,
      keep,
      log: (text) => {
        const m = SUMMARY_LINE.exec(text);
        if (m) { summary = m[0].trim(); return; }
        say(text.endsWith('\n') ? text.slice(0, -1) : text);
      },
    });
  } catch (error) {
    say(`[vscode-tests] harness error: ${error && error.stack ? error.stack : error}`);
    code = 2;
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  const [passed, failed] = summary ? summary.match(/\d+/g).map(Number) : [0, 0];
  results.push({ name: 'untrusted', passed, failed: code !== 0 && failed === 0 ? 1 : failed });
  say(`[vscode-tests] untrusted: ${passed} passed, ${failed} failed (exit ${code}) at ${secs()}`);
}

if (only === undefined || only === 'ui') {
  say('[vscode-tests] UI test in headless Chromium against the real workbench');
  let outcome;
  try {
    outcome = await runUiTest({ log: say, keep, verbose });
  } catch (error) {
    say(`[vscode-tests] UI harness error: ${error && error.stack ? error.stack : error}`);
    outcome = { passed: 0, failed: 1 };
  }
  results.push({ name: 'ui', ...outcome });
  say(`[vscode-tests] ui: ${outcome.passed} passed, ${outcome.failed} failed at ${secs()}`);

  say('[vscode-tests] UI test: the confirmation of a language-model tool write, in the real workbench');
  let confirmation;
  try {
    confirmation = await runLmToolConfirmationTest({ log: say, keep, verbose });
  } catch (error) {
    say(`[vscode-tests] UI harness error: ${error && error.stack ? error.stack : error}`);
    confirmation = { passed: 0, failed: 1 };
  }
  results.push({ name: 'ui-lm-tools', ...confirmation });
  say(`[vscode-tests] ui (LM tool confirmation): ${confirmation.passed} passed, ${confirmation.failed} failed at ${secs()}`);

  // The dashboard (issue 10) in a browser and in VS Code with the walkthrough (issue 13), and a .prontodb in an untrusted workspace (issue 13).
  for (const [name, title, run] of [
    ['ui-dashboard-browser', 'prontodb ui in headless Chromium: the pages, an edit, a live update, read-only', runDashboardBrowserTest],
    ['ui-dashboard-speed', 'prontodb ui in headless Chromium: the Keys page on 1,000,000 keys', runDashboardSpeedTest],
    ['ui-dashboard-webview', 'the dashboard in a VS Code webview panel, and the walkthrough', runDashboardWebviewTest],
    ['ui-trust', 'a .prontodb in an untrusted workspace, then trusted', runTrustTest],
  ]) {
    say(`[vscode-tests] UI test: ${title}`);
    let outcome;
    try {
      outcome = await run({ log: say, keep, verbose });
    } catch (error) {
      say(`[vscode-tests] UI harness error: ${error && error.stack ? error.stack : error}`);
      outcome = { passed: 0, failed: 1 };
    }
    results.push({ name, ...outcome });
    say(`[vscode-tests] ${name}: ${outcome.passed} passed, ${outcome.failed} failed at ${secs()}`);
  }
}

if (only === undefined || only === 'packaged') {
  say('[vscode-tests] packaged extension: .vsix built in a temp folder, installed into code-server, checked in the workbench');
  let outcome;
  try {
    outcome = await runPackagedTest({ log: say, keep, verbose });
  } catch (error) {
    say(`[vscode-tests] packaged-extension harness error: ${error && error.stack ? error.stack : error}`);
    outcome = { passed: 0, failed: 1 };
  }
  results.push({ name: 'packaged', ...outcome });
  say(`[vscode-tests] packaged: ${outcome.passed} passed, ${outcome.failed} failed at ${secs()}`);
}

const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
say(`[vscode-tests] done in ${secs()}`);
say(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
