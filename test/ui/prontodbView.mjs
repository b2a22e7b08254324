#!/usr/bin/env node
// UI test: the ProntoDB view in VS Code's real workbench (code-server 4.100.3, headless Chromium).
// The workbench starts on an empty data directory (the welcome view must show, nothing may be
// created); then data is written with the CLI, as a user or an agent would, and the extension (this
// repository, as a development extension) must show it without a refresh. Opens the activity-bar
// container, expands database → project → namespace → key, checks labels, descriptions, the
// accessible names and the Delete/F2 keys in the DOM, opens a value, and saves
// test-output/prontodb-view.png, asserting the rows it must show as they are in the DOM at that moment
// (and listing them in test-output/prontodb-view.rows.json).
//   node test/ui/prontodbView.mjs          (or through test/runVscodeTests.mjs)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, openViewContainer, openWorkbench, screenshot, startCodeServer } from '../vscode/codeServer.mjs';
import { checkRunner, runStandalone } from './checks.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Data made by the CLI, as a user or an agent would have left it. */
function prepareData(root, dataDir) {
  const env = { PATH: process.env.PATH, HOME: path.join(root, 'home'), PRONTODB_DATA_DIR: dataDir };
  fs.mkdirSync(env.HOME, { recursive: true });
  const run = (...args) => {
    const result = spawnSync(process.execPath, [CLI, '-q', ...args], { env, cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`prontodb ${args.join(' ')} failed: ${result.stderr}`);
  };
  run('set', 'webapp.config.theme', 'dark');
  run('set', 'webapp.config.theme__staging', 'light');
  run('set', 'webapp.config.api_url', 'https://api.example.com/v2');
  run('set', 'webapp.config.feature_flags', '{"beta": true, "newNav": false}');
  run('create-cache', 'webapp.sessions', '3600');
  run('set', 'webapp.sessions.user42', 'eyJhbGciOiJIUzI1NiJ9.session');
  run('set', 'agent.memory.last_task', 'refactor the parser');
  run('db', 'create', 'scratch');
  run('--database', 'scratch', 'set', 'notes.todo.first', 'try ProntoDB');
  run('cursor', 'set', 'work', 'main');
  run('cursor', 'set', 'sandbox', 'scratch', '--meta', 'sbx');
  return env;
}

/** The side-bar tree row whose label is exactly `label`. */
function row(page, label) {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

/**
 * The side-bar rows as the screen shows them now: for each rendered row, its view, label,
 * description, selection and whether it can be seen whole: inside the side bar and the window, its
 * label not cut short, and not covered by anything (the element at the label's centre is in the row).
 */
function rowsOnScreen(page) {
  /* global document, window -- the function below runs in the browser */
  return page.evaluate(() => {
    const sidebar = document.querySelector('.part.sidebar')?.getBoundingClientRect();
    return [...document.querySelectorAll('.part.sidebar .monaco-list-row')].map((row) => {
      const box = row.getBoundingClientRect();
      const name = row.querySelector('.label-name');
      const nameBox = name?.getBoundingClientRect();
      const description = row.querySelector('.label-description');
      const atCentre = nameBox ? document.elementFromPoint(nameBox.x + nameBox.width / 2, nameBox.y + nameBox.height / 2) : null;
      const inside = (outer) => !!outer && box.width > 0 && box.height > 0 && box.left >= outer.left && box.right <= outer.right + 0.5 && box.top >= outer.top && box.bottom <= outer.bottom + 0.5;
      return {
        view: row.closest('.pane')?.querySelector('.pane-header .title')?.textContent?.trim() ?? '',
        label: name?.textContent ?? '',
        description: description?.textContent ?? '',
        selected: row.getAttribute('aria-selected') === 'true',
        expanded: row.getAttribute('aria-expanded'),
        inSidebar: inside(sidebar),
        inWindow: inside({ left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight }),
        labelWhole: !!name && name.scrollWidth <= name.clientWidth + 1,
        descriptionWhole: !description || description.scrollWidth <= description.clientWidth + 1,
        uncovered: !!atCentre && row.contains(atCentre),
      };
    });
  });
}

/**
 * What the screenshot must show: [view, label, description (string or RegExp; undefined: not
 * checked), expanded ('true'/'false'; undefined: not checked)]. Every row must be on screen whole.
 */
const PICTURE = [
  ['Databases', 'main', /^active · \d+(\.\d)? KB$/, 'true'],
  ['Databases', 'webapp', undefined, 'true'],
  ['Databases', 'config', '4 keys', 'true'],
  ['Databases', 'api_url', 'https://api.example.com/v2'],
  ['Databases', 'feature_flags', '{"beta": true, "newNav": false}'],
  ['Databases', 'theme', 'dark'],
  ['Databases', 'theme__staging', 'light'],
  ['Databases', 'sessions', '1 key · TTL 1h', 'true'],
  ['Databases', 'user42', /^expires in (1h|59m)$/],
  ['Databases', 'agent', undefined, 'false'],
  ['Databases', 'scratch', undefined, 'false'],
  ['Cursors', 'sandbox', 'scratch · meta sbx'],
  ['Cursors', 'work', 'main'],
];

/** Asserts PICTURE against rowsOnScreen(): each row present once, on screen whole; feature_flags selected. */
function assertPicture(rows) {
  const problems = [];
  for (const [view, label, description, expanded] of PICTURE) {
    const found = rows.filter((row) => row.label === label && row.view.toLowerCase() === view.toLowerCase());
    if (found.length !== 1) { problems.push(`${view} › ${label}: ${found.length} rows`); continue; }
    const [row] = found;
    for (const fact of ['inSidebar', 'inWindow', 'labelWhole', 'descriptionWhole', 'uncovered']) if (!row[fact]) problems.push(`${label}: not ${fact}`);
    if (typeof description === 'string' && row.description !== description) problems.push(`${label}: description '${row.description}', expected '${description}'`);
    if (description instanceof RegExp && !description.test(row.description)) problems.push(`${label}: description '${row.description}' does not match ${description}`);
    if (expanded !== undefined && row.expanded !== expanded) problems.push(`${label}: aria-expanded ${row.expanded}, expected ${expanded}`);
  }
  const selected = rows.filter((row) => row.selected && row.view.toLowerCase() === 'databases').map((row) => row.label);
  if (selected.join() !== 'feature_flags') problems.push(`selected in Databases: [${selected.join(', ')}], expected [feature_flags]`);
  assert.deepEqual(problems, [], `the view as shown:\n${rows.map((row) => `  ${row.view} › ${row.label} · ${row.description}${row.selected ? ' (selected)' : ''}`).join('\n')}`);
}

export async function runUiTest({ log = console.log, keep = false, verbose = false } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-ui-'));
  let server; let wb;
  const { check, counts, secs } = checkRunner({
    log,
    onFailure: async () => {
      if (wb) log(`    screenshot: ${await screenshot(wb.page, 'prontodb-view-failure').catch(() => '-')}`);
    },
  });
  try {
    const dataDir = path.join(root, 'data');
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, 'README.md'), '# a project using ProntoDB\n');
    server = await startCodeServer({
      env: { PRONTODB_DATA_DIR: dataDir },
      settings: { 'window.commandCenter': false },
      keep,
      onServerLog: verbose ? (line) => log(`[code-server] ${line}`) : undefined,
    });
    wb = await openWorkbench(server, {
      folder: workspace,
      extensionDevelopmentPath: REPO_ROOT,
      viewport: { width: 1280, height: 760 },
      onConsole: verbose ? (m) => log(`[browser] ${m}`) : undefined,
    });
    const { page } = wb;
    log(`  workbench up (${secs()})`);

    await check('the activity bar has a "ProntoDB" entry that opens the container', async () => {
      await openViewContainer(page, 'ProntoDB', { timeout: 60000 });
      await page.locator('.part.sidebar .pane-header', { hasText: 'Databases' }).first().waitFor({ timeout: 30000 });
      await page.locator('.part.sidebar .pane-header', { hasText: 'Cursors' }).first().waitFor({ timeout: 30000 });
    });

    await check('with nothing on disk, the Databases view shows its welcome content, and nothing is created', async () => {
      const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'No ProntoDB database yet' }).first();
      await welcome.waitFor({ timeout: 30000 });
      await welcome.locator('a, .monaco-button', { hasText: 'Create Database' }).first().waitFor({ timeout: 5000 });
      await page.waitForTimeout(1000);
      assert.equal(fs.existsSync(dataDir), false, 'the data directory was not created');
    });

    // A user (or an agent) now writes with the command line: the view follows without a refresh.
    const env = prepareData(root, dataDir);
    // The extension reads selections under HOME (the CLI's layout): give it the prepared ones.
    if (fs.existsSync(path.join(env.HOME, '.local'))) fs.cpSync(path.join(env.HOME, '.local'), path.join(server.home, '.local'), { recursive: true, force: true });

    await check('the Databases view lists the databases, the active one expanded to its projects', async () => {
      const main = row(page, 'main');
      await main.waitFor({ timeout: 30000 });
      assert.match(await main.locator('.label-description').innerText(), /^active · \d+(\.\d)? KB$/);
      // Screen readers hear the name and facts, not the file path of the tooltip.
      assert.match(await main.getAttribute('aria-label'), /^main, active, \d+(\.\d)? KB$/);
      await row(page, 'scratch').waitFor();
      await row(page, 'webapp').waitFor({ timeout: 15000 });
      await row(page, 'agent').waitFor();
      assert.equal(await main.getAttribute('aria-expanded'), 'true');
    });

    await check('expanding project → namespace shows namespaces (TTL marked) and keys with contexts', async () => {
      await row(page, 'webapp').click();
      await row(page, 'config').waitFor({ timeout: 15000 });
      const sessions = row(page, 'sessions');
      await sessions.waitFor();
      assert.equal(await sessions.locator('.label-description').innerText(), '1 key · TTL 1h');
      await row(page, 'config').click();
      for (const key of ['api_url', 'feature_flags', 'theme', 'theme__staging']) await row(page, key).waitFor({ timeout: 15000 });
      assert.equal(await row(page, 'theme__staging').locator('.label-description').innerText(), 'light');
      assert.equal(await row(page, 'theme').locator('.label-description').innerText(), 'dark');
      assert.equal(await row(page, 'api_url').locator('.label-description').innerText(), 'https://api.example.com/v2');
      await sessions.click();
      const user42 = row(page, 'user42');
      await user42.waitFor({ timeout: 15000 });
      assert.match(await user42.locator('.label-description').innerText(), /^expires in (1h|59m)$/);
    });

    await check('the Cursors view lists the cursors with their databases', async () => {
      const work = row(page, 'work');
      await work.waitFor({ timeout: 15000 });
      assert.equal(await work.locator('.label-description').innerText(), 'main');
      assert.equal(await row(page, 'sandbox').locator('.label-description').innerText(), 'scratch · meta sbx');
    });

    await check('Delete on a selected namespace asks to delete it with its count; F2 on a selected key asks for its new address', async () => {
      const sessions = row(page, 'sessions');
      await sessions.click(); // selects it (and collapses it); the tree keeps the focus
      await page.keyboard.press('Delete');
      const dialog = page.locator('.monaco-dialog-box', { hasText: "Delete namespace webapp.sessions from database 'main': 1 value and its TTL setting?" }).first();
      await dialog.waitFor({ timeout: 15000 });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached', timeout: 5000 });
      await row(page, 'sessions').waitFor();
      await row(page, 'sessions').click(); // expanded again, for the screenshot
      await row(page, 'theme__staging').click(); // previews the value; the focus stays in the tree
      await page.locator('.tabs-container .tab', { hasText: 'theme__staging' }).first().waitFor({ timeout: 15000 });
      await page.keyboard.press('F2');
      const input = page.locator('.quick-input-widget', { hasText: "New address for webapp.config.theme__staging in database 'main'" }).first();
      await input.waitFor({ timeout: 15000 });
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 5000 });
    });

    await check('clicking a key opens its value in an editor (prontodb: document)', async () => {
      await row(page, 'feature_flags').click();
      const tab = page.locator('.tabs-container .tab', { hasText: 'feature_flags' }).first();
      await tab.waitFor({ timeout: 15000 });
      await page.locator('.editor-instance .view-lines', { hasText: '"beta": true' }).first().waitFor({ timeout: 15000 });
    });

    await check('the status bar shows the active database', async () => {
      const item = page.locator('.part.statusbar .statusbar-item', { hasText: 'main' }).first();
      await item.waitFor({ timeout: 15000 });
      assert.match(await item.getAttribute('aria-label') ?? await item.innerText(), /main/);
    });

    await check('the screenshot shows the databases, projects, namespaces, keys and cursors (checked in the DOM as it was taken)', async () => {
      // Widen the side bar (drag its sash) so descriptions show in full.
      const box = await page.locator('.part.sidebar').boundingBox();
      if (box) {
        await page.mouse.move(box.x + box.width - 1, box.y + 300);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width + 120, box.y + 300, { steps: 5 });
        await page.mouse.up();
      }
      await page.mouse.move(900, 500); // away from the activity bar, whose hover would cover the tree
      await row(page, 'feature_flags').click(); // the selected key stays highlighted
      await page.waitForTimeout(500);
      // The rows are read just before and just after the picture is taken, and must be the same.
      const before = await rowsOnScreen(page);
      const file = await screenshot(page, 'prontodb-view');
      const after = await rowsOnScreen(page);
      assert.deepEqual(after, before, 'the view changed while the screenshot was taken');
      fs.writeFileSync(file.replace(/\.png$/, '.rows.json'), `${JSON.stringify(before, null, 2)}\n`);
      assertPicture(before);
      assert.ok(fs.statSync(file).size > 10_000);
      log(`  screenshot: ${path.relative(process.cwd(), file)} (${before.length} rows, listed in prontodb-view.rows.json)`);
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStandalone('ui', runUiTest);
