#!/usr/bin/env node
// UI check of the sample extension in the real workbench: open its activity-bar container, expand a
// tree item, check the rows shown, and keep a screenshot in test-output/.
//   node test/vscode/sample/ui.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCodeServer, openWorkbench, openViewContainer, waitForTreeItem, screenshot } from '../codeServer.mjs';

const sampleDir = path.dirname(fileURLToPath(import.meta.url));
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const guard = setTimeout(() => { console.error('ui: timeout after 180 s'); process.exit(124); }, 180000);
guard.unref();

let server; let wb; let failed = 0; let passed = 0;
async function check(name, fn) {
  try { await fn(); passed++; console.log(`  ✔ ${name} (${secs()})`); } catch (err) {
    failed++; console.log(`  ✖ ${name}\n    ${String(err && err.stack || err).split('\n').join('\n    ')}`);
    if (wb) console.log(`    screenshot: ${await screenshot(wb.page, 'sample-ui-failure').catch(() => '-')}`);
    throw err;
  }
}
try {
  server = await startCodeServer();
  const folder = path.join(server.baseDir, 'workspace');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'README.md'), '# sample workspace\n');
  // The extension is loaded as a development extension (payload), no .vsix install.
  wb = await openWorkbench(server, { folder, extensionDevelopmentPath: sampleDir });
  const { page } = wb;
  console.log(`ui: workbench up (${secs()})`);

  await check('the activity bar shows the sample container and it opens', async () => {
    await openViewContainer(page, 'Harness Sample');
  });
  await check('the tree shows the root items', async () => {
    for (const label of ['alpha', 'beta', 'gamma']) await waitForTreeItem(page, label);
  });
  await check('expanding an item shows its children with descriptions', async () => {
    await (await waitForTreeItem(page, 'beta')).click();
    const row = await waitForTreeItem(page, 'beta.key2');
    assert.match(await row.innerText(), /value of beta\.key2/);
  });
  await page.mouse.move(900, 600); // away from the activity bar, whose hover would cover the tree
  await page.waitForTimeout(300);
  const file = await screenshot(page, 'sample-view');
  console.log(`ui: screenshot ${path.relative(process.cwd(), file)} (${secs()})`);
} catch (err) {
  if (!failed) { failed++; console.log(`ui: ${err && err.stack || err}`); }
} finally {
  if (wb) await wb.close();
  if (server) await server.stop();
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
