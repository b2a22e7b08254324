// Runs mocha INSIDE the VS Code extension host. A suite's extensionTestsPath module does:
//   exports.run = () => require('<repo>/test/vscode/mochaRunner.js').runMocha({ dir: __dirname });
// It prints mocha's spec output and the closing line CI reads ("N passed, N failed"), and rejects
// when a test failed, so the workbench reports a non-zero exit code (codeAutomationExit).
// Plain CommonJS: the extension host loads extensionTestsPath with require().
// Env (set on code-server, inherited by the extension host): MOCHA_GREP filters tests by title.
'use strict';
const fs = require('fs');
const path = require('path');

function findTests(dir, pattern) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full, pattern));
    else if (pattern.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/**
 * @param {object} opts
 * @param {string} [opts.dir] folder searched recursively for test files
 * @param {RegExp} [opts.pattern] default /\.test\.js$/
 * @param {string[]} [opts.files] explicit files (instead of dir)
 * @param {number} [opts.timeout] per-test timeout, default 30000
 * @param {string} [opts.grep] default process.env.MOCHA_GREP
 * @param {string} [opts.mochaPath] where to require mocha from (default: the repo's node_modules)
 * @returns {Promise<void>} rejects with the failure count
 */
function runMocha(opts = {}) {
  // Resolve mocha from the repository (this file lives in <repo>/test/vscode/).
  const mochaPath = opts.mochaPath || require.resolve('mocha', { paths: [path.resolve(__dirname, '..', '..')] });
  let Mocha = require(mochaPath);
  if (Mocha.default) Mocha = Mocha.default; // mocha 12 is ESM: require() gives the namespace
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: opts.timeout || 30000,
    reporter: 'spec',
  });
  const grep = opts.grep || process.env.MOCHA_GREP;
  if (grep) mocha.grep(grep);
  const files = opts.files || findTests(opts.dir, opts.pattern || /\.test\.js$/);
  if (files.length === 0) return Promise.reject(new Error(`no test files found in ${opts.dir}`));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    let runner;
    try {
      runner = mocha.run((failures) => {
        const { passes = 0, pending = 0 } = runner.stats || {};
        console.log(`\n${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else if (passes === 0) reject(new Error('no test ran'));
        else resolve();
      });
    } catch (err) {
      console.error(err && err.stack ? err.stack : err);
      console.log('\n0 passed, 1 failed');
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

module.exports = { runMocha };
