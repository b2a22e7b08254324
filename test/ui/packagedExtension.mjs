#!/usr/bin/env node
// Smoke test of the PACKAGED extension: what a user installs, not this development folder.
//   1. Builds the production bundles (`esbuild.config.mjs --production`) into a temp copy of the
//      package's inputs and runs `vsce package` there (the repository's dist/, which the other
//      stages use, is left alone); checks the .vsix's size and file list.
//   2. code-server 4.100.3 (VS Code 1.100.3) installs the .vsix (`--install-extension`); no
//      extensionDevelopmentPath anywhere.
//   3. The CLI shipped in the installed package writes a data directory; the workbench in headless
//      Chromium opens a workspace whose `.prontodb` selects that database; the ProntoDB view shows
//      database → project → namespace → key, and the status bar shows the database. That proves the
//      installed bundle activated, found its wasm beside itself and read the CLI's file.
//   node test/ui/packagedExtension.mjs [--keep] [--verbose]     (or through test/runVscodeTests.mjs)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, WORKBENCH_NOISE, openViewContainer, openWorkbench, screenshot, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';

const VSCE = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
const MAX_VSIX_BYTES = 2 * 1024 * 1024;
// What `.vscodeignore` lets through, and what the package needs at run time.
const PACKAGE_INPUTS = ['package.json', 'README.md', 'LICENSE', '.vscodeignore', 'media', 'src', 'tsconfig.json', 'esbuild.config.mjs'];
const REQUIRED_IN_VSIX = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/mcp-sdk.js', 'extension/dist/postgres.js',
  'extension/dist/sql-wasm.wasm', 'extension/dist/bin/prontodb', 'extension/media/prontodb.svg'];
const DATABASE = 'vsixsmoke';

function run(cmd, args, opts) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Builds the production bundles into a copy of the package inputs and packages them: the .vsix path. */
function packageVsix(root) {
  const work = path.join(root, 'package');
  fs.mkdirSync(work);
  for (const name of PACKAGE_INPUTS) {
    const from = path.join(REPO_ROOT, name);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(work, name), { recursive: true });
  }
  // The bundler resolves the sources' imports through node_modules: lend it the repository's for the
  // build, and take it away before vsce looks at the folder.
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  try {
    run(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: work });
  } finally {
    fs.unlinkSync(path.join(work, 'node_modules'));
  }
  const vsix = path.join(root, 'prontodb.vsix');
  run(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links',
    '-o', vsix], { cwd: work });
  return vsix;
}

/** Names and unix modes of a zip's entries, from its central directory. */
function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'bad zip central directory');
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const mode = buf.readUInt32LE(at + 38) >>> 16;
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), mode, size: buf.readUInt32LE(at + 24) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Data written by the CLI shipped in the installed package. */
function prepareData(cli, root) {
  const env = { PATH: process.env.PATH, HOME: path.join(root, 'home'), PRONTODB_DATA_DIR: path.join(root, 'data') };
  fs.mkdirSync(env.HOME, { recursive: true });
  const prontodb = (...args) => run(process.execPath, [cli, '-q', ...args], { env, cwd: root, timeout: 30_000 });
  prontodb('set', 'agent.memory.note', 'in the default database');
  prontodb('db', 'create', DATABASE);
  prontodb('--database', DATABASE, 'set', 'shop.cart.items', '3 apples');
  prontodb('--database', DATABASE, 'set', 'shop.cart.owner', 'ada');
  assert.equal(prontodb('--database', DATABASE, 'get', 'shop.cart.items').stdout.trim(), '3 apples');
  return env;
}

/** The side-bar tree row whose label is exactly `label`. */
function row(page, label) {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

/** The extension's own log files (its LogOutputChannel), for a failure report. */
function extensionLogs(dir) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/prontodb/i.test(p) && e.name.endsWith('.log')) found.push(p);
    }
  };
  try { walk(dir); } catch { /* no logs yet */ }
  return found;
}

export async function runPackagedTest({ log = console.log, keep = false, verbose = false } = {}) {
  // Short path: VS Code puts unix sockets under TMPDIR-derived paths (108-byte limit).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-pkg-'));
  const workbenchLog = [];
  let server; let wb; let vsix; let installed;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await screenshot(wb.page, 'packaged-extension-failure').catch(() => '-')}`);
      if (workbenchLog.length) log(`    workbench warnings/errors:\n      ${workbenchLog.slice(-20).join('\n      ')}`);
      if (server) {
        for (const file of extensionLogs(path.join(server.userDataDir, 'logs'))) {
          log(`    ${path.relative(server.baseDir, file)}:\n      ${fs.readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n      ')}`);
        }
      }
    },
  });
  try {
    await check('vsce packages the production build into a .vsix under 2 MB', async () => {
      vsix = packageVsix(root);
      const size = fs.statSync(vsix).size;
      const entries = zipEntries(vsix);
      log(`  .vsix: ${(size / 1024).toFixed(1)} KB (${size} bytes), ${entries.length} files (${secs()})`);
      assert.ok(size < MAX_VSIX_BYTES, `the .vsix is ${size} bytes, over ${MAX_VSIX_BYTES}`);
      const names = entries.map((e) => e.name);
      for (const name of REQUIRED_IN_VSIX) assert.ok(names.includes(name), `${name} missing from the .vsix: ${names.join(', ')}`);
      const stray = names.filter((n) => /\.map$|\.ts$|\/src\/|node_modules|\/out\//.test(n));
      assert.deepEqual(stray, [], 'source maps, sources or node_modules in the .vsix');
      const shim = entries.find((e) => e.name === 'extension/dist/bin/prontodb');
      assert.ok(shim.mode & 0o100, `dist/bin/prontodb is not executable in the .vsix (mode ${shim.mode.toString(8)})`);
    });

    await check('code-server (VS Code 1.100.3) installs the .vsix', async () => {
      server = await startCodeServer({
        installExtensions: [vsix],
        env: { PRONTODB_DATA_DIR: path.join(root, 'data') },
        settings: { 'window.commandCenter': false },
        keep,
        onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined,
      }).catch((error) => {
        // The install log is in the server's temp folder: show it before the exit handler removes it.
        const logFile = /see (\S+\.log)/.exec(String(error && error.message))?.[1];
        if (logFile && fs.existsSync(logFile)) log(`    ${fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n    ')}`);
        throw error;
      });
      const dirs = fs.readdirSync(server.extensionsDir).filter((d) => d.startsWith('prontodb.prontodb-'));
      const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
      assert.deepEqual(dirs, [`prontodb.prontodb-${version}`], `installed: ${fs.readdirSync(server.extensionsDir).join(', ')}`);
      installed = path.join(server.extensionsDir, dirs[0]);
      for (const file of ['dist/extension.js', 'dist/sql-wasm.wasm', 'dist/cli.js']) {
        assert.ok(fs.existsSync(path.join(installed, file)), `${file} missing from the installed extension`);
      }
      assert.ok(!fs.existsSync(path.join(installed, 'dist', 'extension.js.map')), 'a development build was installed');
    });

    await check('the CLI shipped in the package writes the data directory', async () => {
      prepareData(path.join(installed, 'dist', 'cli.js'), root);
      assert.ok(fs.existsSync(path.join(root, 'data', DATABASE, `pronto.${DATABASE}.prdb`)));
    });

    await check('the CLI shipped in the package serves MCP (its SDK bundle is in the package)', async () => {
      const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'vsix-check', version: '1' } } };
      const result = run(process.execPath, [path.join(installed, 'dist', 'cli.js'), 'mcp'], { input: `${JSON.stringify(initialize)}\n`, env: { ...process.env, PRONTODB_DATA_DIR: path.join(root, 'data') } });
      const reply = JSON.parse(result.stdout.split('\n')[0]);
      assert.equal(reply.result?.serverInfo?.name, 'prontodb', result.stdout + result.stderr);
    });

    await check('the installed extension shows the CLI-made database → project → namespace → key', async () => {
      const workspace = path.join(root, 'workspace');
      fs.mkdirSync(workspace);
      // Selects the database for this folder (and activates the extension: workspaceContains:.prontodb).
      fs.writeFileSync(path.join(workspace, '.prontodb'), `${JSON.stringify({ database: DATABASE })}\n`);
      wb = await openWorkbench(server, {
        folder: workspace, // no extensionDevelopmentPath: only the installed package can answer
        viewport: { width: 1280, height: 760 },
        onLog: (text, level) => {
          if ((level === 'error' || level === 'warn') && !WORKBENCH_NOISE.test(text)) workbenchLog.push(`[${level}] ${text}`);
          if (verbose) log(`[workbench] ${text}`);
        },
        onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined,
      });
      const { page } = wb;
      log(`  workbench up (${secs()})`);
      await openViewContainer(page, 'ProntoDB', { timeout: 60000 });
      const db = row(page, DATABASE);
      await db.waitFor({ timeout: 30000 });
      assert.match(await db.locator('.label-description').innerText(), /^active · \d+(\.\d)? KB$/);
      await row(page, 'main').waitFor({ timeout: 15000 });
      await row(page, 'shop').waitFor({ timeout: 15000 });
      await row(page, 'shop').click();
      await row(page, 'cart').waitFor({ timeout: 15000 });
      await row(page, 'cart').click();
      const items = row(page, 'items');
      await items.waitFor({ timeout: 15000 });
      assert.equal(await items.locator('.label-description').innerText(), '3 apples');
      assert.equal(await row(page, 'owner').locator('.label-description').innerText(), 'ada');
    });

    await check('the status bar item names the database', async () => {
      const item = wb.page.locator('.part.statusbar .statusbar-item', { hasText: DATABASE }).first();
      await item.waitFor({ timeout: 15000 });
      const text = await item.innerText();
      log(`  status bar: "${text.trim()}"`);
      assert.match(text, new RegExp(`\\b${DATABASE}\\b`));
    });
  } catch (error) {
    if (!counts.failed) { counts.failed++; log(`  ✖ ${error && error.stack || error}`); }
  } finally {
    if (wb) await wb.close();
    if (server) await server.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else log(`  kept ${root}`);
  }
  return { ...counts };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('packaged', runPackagedTest);
