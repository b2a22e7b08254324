// Helpers to run VS Code's real workbench + Node extension host (code-server 4.100.3 = VS Code 1.100.3)
// offline, driven by Debian's headless Chromium through playwright-core.
// Installed by test/vscode/install.sh into .vscode-test/code-server/ (not project dependencies).
//
//   const server = await startCodeServer({ env: { FOO: '1' } });
//   const wb = await openWorkbench(server, { folder, extensionDevelopmentPath, extensionTestsPath,
//                                            onLog: line => ..., onExit: code => ... });
//   ... wb.page is a playwright Page ...
//   await wb.close(); await server.stop();
//
// Every process started here is killed on stop(), and also when this Node process exits for any
// reason (exit handler + SIGINT/SIGTERM/SIGHUP).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import util from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const TEST_DIR = process.env.VSCODE_TEST_DIR
  ? path.resolve(process.env.VSCODE_TEST_DIR)
  : path.join(REPO_ROOT, '.vscode-test');
export const RIG_DIR = path.join(TEST_DIR, 'code-server');
export const CODE_SERVER_BIN = path.join(RIG_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];
export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  // VS Code for the Web (code-server) defaults this to afterDelay, the desktop to off: tests that edit
  // documents need them to stay dirty until they save.
  'files.autoSave': 'off',
};

/** With workspace trust on: folders start untrusted, and no trust prompt or banner waits for a click. */
const WORKSPACE_TRUST_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
};

// ---- process bookkeeping: kill what we started, whatever happens ---------------------------------
const liveGroups = new Set(); // pgids of detached children (code-server runs as a group leader)
const cleanups = new Set(); // sync functions (rm temp dirs) run at exit
function killGroup(pgid, signal) {
  try { process.kill(-pgid, signal); return true; } catch { return false; }
}
process.on('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  for (const fn of cleanups) { try { fn(); } catch { /* best effort */ } }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`[vscode-test] ${sig}: stopping code-server`);
    process.exit(128 + (os.constants.signals[sig] || 1));
  });
}

export function ensureInstalled() {
  if (!fs.existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed (${CODE_SERVER_BIN} missing): run bash test/vscode/install.sh`);
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} missing: run bash test/vscode/install.sh`);
  }
}

/** playwright-core, loaded from the rig folder (it is not a project dependency). */
export function playwright() {
  const req = createRequire(path.join(RIG_DIR, 'package.json'));
  return req('playwright-core');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts code-server on a free loopback port with everything isolated under a fresh temp folder
 * (HOME, TMPDIR, --config, --user-data-dir, --extensions-dir).
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.env] extra environment, inherited by the extension host
 * @param {object} [opts.settings] user settings merged over DEFAULT_SETTINGS
 * @param {string[]} [opts.installExtensions] .vsix files (or gallery ids) installed before start
 * @param {boolean} [opts.keep] keep the temp folder (also VSCODE_TEST_KEEP=1)
 * @param {(line:string)=>void} [opts.onServerLog] code-server's stdout/stderr (default: to its log file only)
 * @param {number} [opts.readyTimeoutMs] default 60000
 * @param {boolean} [opts.workspaceTrust] run with workspace trust on (default off: every folder is
 *        trusted); a folder opened then is untrusted (Restricted Mode), with no prompt at start
 * @returns {Promise<{port:number, url:string, baseDir:string, userDataDir:string, extensionsDir:string,
 *   home:string, tmpDir:string, logFile:string, pid:number, remoteUri:(p:string)=>string,
 *   stop:()=>Promise<void>}>}
 */
export async function startCodeServer(opts = {}) {
  ensureInstalled();
  const keep = opts.keep || process.env.VSCODE_TEST_KEEP === '1';
  // Short path under os.tmpdir(): VS Code puts unix sockets in TMPDIR (108-byte limit on their path).
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsc-'));
  const dirs = {
    home: path.join(baseDir, 'home'),
    tmpDir: path.join(baseDir, 'tmp'),
    userDataDir: path.join(baseDir, 'user-data'),
    extensionsDir: path.join(baseDir, 'extensions'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.join(dirs.userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.workspaceTrust ? WORKSPACE_TRUST_SETTINGS : {}), ...(opts.settings || {}) }, null, 2));
  const configFile = path.join(baseDir, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const logFile = path.join(baseDir, 'code-server.log');
  const removeBase = () => { if (!keep) fs.rmSync(baseDir, { recursive: true, force: true }); };
  cleanups.add(removeBase);

  const env = {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmpDir,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
    // No extension gallery: otherwise the workbench queries open-vsx.org (fails offline, and slowly).
    EXTENSIONS_GALLERY: '{}',
    ...(opts.env || {}),
  };
  // Variables that would make code-server think it runs inside another VS Code.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') && k !== 'VSCODE_TEST_DIR') delete env[k];
  }
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;

  const common = ['--config', configFile, '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir];
  for (const ext of opts.installExtensions || []) {
    await runToEnd(CODE_SERVER_BIN, [...common, '--install-extension', ext], env, logFile);
  }

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry', '--disable-update-check', ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override', '--ignore-last-opened'];
    const out = fs.openSync(logFile, 'a');
    // detached => setsid(): code-server leads its own process group; stop() kills the whole group
    // (killing the main pid alone leaves a file watcher behind).
    const child = spawn(CODE_SERVER_BIN, args, { env, cwd: dirs.home, detached: true,
      stdio: ['ignore', opts.onServerLog ? 'pipe' : out, opts.onServerLog ? 'pipe' : out] });
    fs.closeSync(out);
    liveGroups.add(child.pid);
    if (opts.onServerLog) {
      for (const s of [child.stdout, child.stderr]) {
        let buf = '';
        s.on('data', (d) => {
          fs.appendFileSync(logFile, d);
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) { opts.onServerLog(buf.slice(0, i)); buf = buf.slice(i + 1); }
        });
      }
    }
    let exited = null;
    child.on('exit', (code, signal) => { exited = { code, signal }; });

    const stop = async () => {
      if (!liveGroups.has(child.pid)) return;
      killGroup(child.pid, 'SIGTERM');
      for (let i = 0; i < 50 && killGroup(child.pid, 0); i++) await sleep(100);
      killGroup(child.pid, 'SIGKILL');
      liveGroups.delete(child.pid);
      removeBase();
      cleanups.delete(removeBase);
    };

    const deadline = Date.now() + (opts.readyTimeoutMs || 60000);
    let ready = false;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) { ready = true; break; }
      } catch { /* not listening yet */ }
      await sleep(200);
    }
    if (ready) {
      const url = `http://127.0.0.1:${port}`;
      return {
        port, url, baseDir, logFile, pid: child.pid, ...dirs,
        /** vscode-remote URI of an absolute path on this machine (as the workbench payload wants). */
        remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${encodeURI(path.resolve(p))}`,
        stop,
      };
    }
    await stop();
    const tail = safeRead(logFile).split('\n').slice(-30).join('\n');
    lastErr = new Error(`code-server did not become ready on port ${port}` +
      (exited ? ` (exited ${JSON.stringify(exited)})` : ' (timeout)') + `\n${tail}`);
    if (!/EADDRINUSE/.test(tail)) break; // only a port race is worth another try
  }
  throw lastErr ?? new Error('code-server did not start');
}

function safeRead(f) { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } }

function runToEnd(cmd, args, env, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    liveGroups.add(child.pid);
    child.on('exit', (code) => {
      liveGroups.delete(child.pid);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}; see ${logFile}`));
    });
  });
}

/**
 * Workbench URL. `payload` is what VS Code's own browser integration tests use to pass
 * extensionDevelopmentPath / extensionTestsPath to a web workbench.
 */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath, payload = [] } = {}) {
  const entries = [];
  for (const dev of [].concat(extensionDevelopmentPath || [])) {
    entries.push(['extensionDevelopmentPath', server.remoteUri(dev)]);
  }
  if (extensionTestsPath) entries.push(['extensionTestsPath', server.remoteUri(extensionTestsPath)]);
  entries.push(['skipWelcome', 'true'], ...payload);
  const params = new URLSearchParams();
  if (folder) params.set('folder', path.resolve(folder));
  params.set('payload', JSON.stringify(entries));
  return `${server.url}/?${params}`;
}

/**
 * Opens the workbench in headless Chromium (fresh profile each time).
 * @param {object} server  what startCodeServer() returned
 * @param {object} [opts]
 * @param {string} [opts.folder] workspace folder to open
 * @param {string|string[]} [opts.extensionDevelopmentPath] extension(s) loaded as development extensions
 * @param {string} [opts.extensionTestsPath] module exporting run(): Promise<void>, run in the extension host
 * @param {(text:string, level:string)=>void} [opts.onLog] extension host console output and workbench log
 *        (window.codeAutomationLog); level is trace|debug|info|warn|error
 * @param {(code:number)=>void} [opts.onExit] the tests' exit code (window.codeAutomationExit)
 * @param {(msg:string)=>void} [opts.onConsole] browser console messages (noisy; for debugging)
 * @param {{width:number,height:number}} [opts.viewport] default 1400x900
 * @param {boolean} [opts.waitForWorkbench] wait for the workbench DOM (default true)
 * @returns {Promise<{context:any, page:any, url:string, close:()=>Promise<void>}>}
 */
export async function openWorkbench(server, opts = {}) {
  const { chromium } = playwright();
  const profile = path.join(server.baseDir, `chromium-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport || { width: 1400, height: 900 },
    env: { ...process.env, HOME: server.home, TMPDIR: server.tmpDir },
  });
  const page = context.pages()[0] || (await context.newPage());
  // The workbench calls codeAutomationLog(level, args) for its own log and for the extension host's
  // console output (console.log in the tests and the extension); args are console arguments.
  await page.exposeFunction('codeAutomationLog', (level, args) => {
    if (!opts.onLog) return;
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    opts.onLog(text, String(level));
  });
  await page.exposeFunction('codeAutomationExit', (code) => {
    if (opts.onExit) opts.onExit(Number(code));
  });
  if (opts.onConsole) page.on('console', (m) => opts.onConsole(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => { if (opts.onConsole) opts.onConsole(`[pageerror] ${e.message}`); });
  const url = workbenchUrl(server, opts);
  await page.goto(url);
  if (opts.waitForWorkbench !== false) {
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60000 });
  }
  return {
    context, page, url,
    close: async () => { try { await context.close(); } catch { /* already gone */ } },
  };
}

/**
 * Clicks an activity-bar entry by (the start of) its title and waits until the side bar shows that
 * container (its title). Does nothing to a container that is already open (a click would close it).
 */
export async function openViewContainer(page, title, { timeout = 30000 } = {}) {
  const deadline = Date.now() + timeout;
  const entry = page.locator(`.part.activitybar .action-item a[aria-label^="${title}"]`).first();
  await entry.waitFor({ timeout });
  const sidebarTitle = page.locator('.part.sidebar .composite.title', { hasText: title }).first();
  // A click while a (re)loading workbench is still restoring its layout can be lost: click again
  // until the side bar shows the container, each time giving it a while to appear.
  while (!(await sidebarTitle.isVisible())) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the side bar did not show '${title}' within ${timeout} ms`);
    await entry.click();
    await sidebarTitle.waitFor({ state: 'visible', timeout: Math.min(left, 10000) }).catch(() => undefined);
  }
}

/** Waits for a tree row (any view) whose text contains `text`; returns its locator. */
export async function waitForTreeItem(page, text, { timeout = 30000 } = {}) {
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout });
  return row;
}

/**
 * Right-clicks `row` and chooses `label` from its context menu, as a user would. The workbench's
 * menu ignores a mouse-up that comes too soon after it opened, so a click that left the menu open
 * is repeated (the menu still open is the evidence the choice was not taken).
 */
export async function chooseFromContextMenu(page, row, label, { timeout = 15000 } = {}) {
  const deadline = Date.now() + timeout;
  const menu = page.locator('.context-view .monaco-menu').first();
  const item = page.locator('.context-view .action-item', { hasText: label }).first();
  await row.click({ button: 'right' });
  await item.waitFor({ state: 'visible', timeout });
  for (;;) {
    await item.click();
    try {
      await menu.waitFor({ state: 'hidden', timeout: 2000 });
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw new Error(`the context menu stayed open after choosing '${label}' for ${timeout} ms`, { cause: error });
    }
  }
}

function exactText(text) {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** Runs a command from the command palette (F1) by its title, as a user would. */
export async function runCommandFromPalette(page, title, { timeout = 30000 } = {}) {
  const deadline = Date.now() + timeout;
  const input = page.locator('.quick-input-widget input').first();
  const row = page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: exactText(title) }) }).first();
  // The palette can close again right after it opened (a webview taking the focus, a layout being
  // restored): open it again until the command is typed and listed, within the timeout.
  for (let attempt = 1; ; attempt++) {
    const left = Math.max(deadline - Date.now(), 1000);
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: Math.min(left, 10000) });
      await input.fill(`>${title}`, { timeout: Math.min(left, 5000) });
      await row.waitFor({ state: 'visible', timeout: Math.min(left, 10000) });
      break;
    } catch (error) {
      if (Date.now() >= deadline || attempt >= 5) throw error;
      // Only a palette that is open gets Escape: elsewhere the key has meanings of its own (a
      // walkthrough goes back to the Welcome page on it).
      if (await input.isVisible()) await page.keyboard.press('Escape').catch(() => undefined);
    }
  }
  // The row with this title, not whichever the list put first (a recently used command can lead).
  await row.click();
}

/**
 * The extension host's own figure for an extension's activation, in ms, as "Developer: Show Running
 * Extensions" shows it: the time to load its main module plus the activate() call
 * (codeLoadingTime + activateCallTime). Waits until the extension has been activated.
 * @returns {Promise<{ ms: number, startup: boolean }>}
 */
export async function extensionActivationTime(page, extensionId, { timeout = 60000 } = {}) {
  await runCommandFromPalette(page, 'Developer: Show Running Extensions', { timeout });
  const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: extensionId }).first();
  const time = row.locator('.activation-time', { hasText: /Activation: \d+ms/ }).first();
  await time.waitFor({ state: 'visible', timeout });
  const text = await time.innerText();
  const m = /(Startup )?Activation: (\d+)ms/.exec(text);
  if (!m) throw new Error(`unexpected activation text for ${extensionId}: ${text}`);
  return { ms: Number(m[2]), startup: Boolean(m[1]) };
}

/** Screenshot into test-output/ (created), returns the file path. */
export async function screenshot(page, name) {
  const dir = path.join(REPO_ROOT, 'test-output');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// Workbench log lines that say nothing about the extension under test (shown with verbose).
export const WORKBENCH_NOISE = new RegExp([
  '^Creation of workbench contribution', 'connection token', '^Creating a socket', '^\\[Service Worker\\]',
  '^Updating additional builtin extensions cache', '^ChatSessionStore', 'open-vsx\\.org',
  '^Ignoring the error while validating workspace folder', '^\\[perf\\]', '^Ignoring fetching additional builtin extensions',
].join('|'));

/**
 * Runs a mocha suite inside the real extension host and resolves with its exit code.
 * Extension host output goes to `log` (default: stdout) as it arrives.
 * @param {object} opts
 * @param {string|string[]} opts.extensionDevelopmentPath
 * @param {string} opts.extensionTestsPath
 * @param {string} [opts.folder] workspace folder (default: a fresh empty temp folder)
 * @param {Record<string,string>} [opts.env] environment for code-server and so the extension host
 * @param {object} [opts.settings] user settings
 * @param {boolean} [opts.workspaceTrust] see startCodeServer (the folder then opens untrusted)
 * @param {number} [opts.timeoutMs] whole-run guard (default 600000); on timeout resolves 124
 * @param {(line:string)=>void} [opts.log]
 * @param {boolean} [opts.verbose] also print browser console and code-server output
 */
export async function runTestsInExtensionHost(opts) {
  const log = opts.log || ((s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`));
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs || 600000;
  let server; let wb; let timer; let summary; let code;
  try {
    server = await startCodeServer({
      env: opts.env, settings: opts.settings, keep: opts.keep, workspaceTrust: opts.workspaceTrust,
      onServerLog: opts.verbose ? (l) => log(`[code-server] ${l}`) : undefined,
    });
    log(`[vscode-test] code-server ${server.url} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let folder = opts.folder;
    if (!folder) { folder = path.join(server.baseDir, 'workspace'); fs.mkdirSync(folder, { recursive: true }); }
    let resolveExit;
    const exited = new Promise((r) => { resolveExit = r; });
    const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
    wb = await openWorkbench(server, {
      folder,
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
      onLog: (text, level) => {
        if (!opts.verbose && WORKBENCH_NOISE.test(text)) return;
        // The suite's closing line is held back and printed last, after the harness's own lines.
        const m = SUMMARY_LINE.exec(text);
        if (m) { summary = m[0].trim(); return; }
        log(level === 'error' || level === 'warn' ? `[${level}] ${text}` : text);
      },
      onExit: (code) => resolveExit(code),
      onConsole: opts.verbose ? (m) => log(`[browser] ${m}`) : undefined,
      waitForWorkbench: false,
    });
    log(`[vscode-test] workbench opened; running ${opts.extensionTestsPath}`);
    const result = await Promise.race([exited, timedOut]);
    if (result === 'timeout') {
      log(`[vscode-test] TIMEOUT: the suite did not finish within ${timeoutMs / 1000} s`);
      log(`[vscode-test] last code-server output:\n${safeRead(server.logFile).split('\n').slice(-20).join('\n')}`);
      code = 124;
      return code;
    }
    await sleep(300); // let the last forwarded log lines arrive
    log(`[vscode-test] suite exited with code ${result} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    code = result;
    return code;
  } finally {
    clearTimeout(timer);
    if (wb) await wb.close();
    if (server) await server.stop();
    if (summary) log(summary);
    else if (code !== 0) log('[vscode-test] the suite printed no result line\n0 passed, 1 failed');
  }
}

/** The closing line CI reads, as printed by mochaRunner.js inside the extension host. */
export const SUMMARY_LINE = /^\s*\d+ passed, \d+ failed(, \d+ skipped)?\s*$/m;
