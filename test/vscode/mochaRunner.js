// Runs mocha INSIDE the VS Code extension host. A suite's extensionTestsPath module does:
//   exports.run = () => require('<repo>/test/vscode/mochaRunner.js').runMocha({ dir: __dirname });
// It prints mocha's spec output and the closing line CI reads ("N passed, N failed"), and rejects
// when a test failed, so the workbench reports a non-zero exit code (codeAutomationExit).
// Plain CommonJS: the extension host loads extensionTestsPath with require().
// Env (set on code-server, inherited by the extension host): MOCHA_GREP keeps the tests whose full
// title contains that text (or matches it, written /regex/flags);
// MOCHA_FILES=a,b keeps only the test files whose names contain one of the words (a file alone);
// MOCHA_SHUFFLE_SEED=N (or "random") loads the files in an order shuffled by that seed, printed
// before the first test and with the closing line, so an order that fails can be run again.
'use strict';
const fs = require('fs');
const path = require('path');
const { seededRandom } = require('../helpers/seededRandom.js');

function findTests(dir, pattern) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full, pattern));
    else if (pattern.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** `value` as a seed: a whole number from 0 to 2^32-1, or "random" for a new one; anything else is refused. */
function parseSeed(value) {
  if (value === undefined || value === '') return undefined;
  if (value === 'random') return Math.floor(Math.random() * 2 ** 32);
  if (!/^\d+$/.test(value) || Number(value) >= 2 ** 32) throw new Error(`MOCHA_SHUFFLE_SEED must be a whole number from 0 to 4294967295 or "random", not '${value}'`);
  return Number(value);
}

/** Fisher-Yates with the seeded generator; returns a new array. */
function shuffled(items, seed) {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Keeps the files whose base names contain one of the comma-separated words; none given keeps all. */
function selectFiles(files, wanted) {
  const words = (wanted || '').split(',').map((word) => word.trim()).filter(Boolean);
  if (words.length === 0) return files;
  return files.filter((file) => words.some((word) => path.basename(file).includes(word)));
}

/**
 * @param {object} opts
 * @param {string} [opts.dir] folder searched recursively for test files
 * @param {RegExp} [opts.pattern] default /\.test\.js$/
 * @param {string[]} [opts.files] explicit files (instead of dir)
 * @param {number} [opts.timeout] per-test timeout, default 30000
 * @param {string} [opts.grep] default process.env.MOCHA_GREP: text a full title contains, or /regex/flags
 * @param {string} [opts.only] default process.env.MOCHA_FILES (see selectFiles)
 * @param {string} [opts.shuffleSeed] default process.env.MOCHA_SHUFFLE_SEED (see parseSeed)
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
  // Plain text matches as written (a describe title with "(issue 6 item 14)" in it); /re/flags is a regex.
  if (grep) {
    if (/^\/.+\/[gimsuy]*$/.test(grep)) mocha.grep(grep);
    else mocha.fgrep(grep);
  }
  let seed;
  try {
    seed = parseSeed(opts.shuffleSeed ?? process.env.MOCHA_SHUFFLE_SEED);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    console.log(`${error.message}\n\n0 passed, 1 failed`);
    return Promise.reject(error);
  }
  const only = opts.only ?? process.env.MOCHA_FILES;
  let files = selectFiles(opts.files || findTests(opts.dir, opts.pattern || /\.test\.js$/), only);
  if (files.length === 0) return Promise.reject(new Error(`no test files found in ${opts.dir}${only ? ` matching ${only}` : ''}`));
  const order = () => files.map((file) => path.basename(file)).join(' ');
  if (seed !== undefined) {
    files = shuffled(files, seed);
    console.log(`[mocha] files shuffled with MOCHA_SHUFFLE_SEED=${seed}: ${order()}`);
  } else if (only) {
    console.log(`[mocha] files: ${order()}`);
  }
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    let runner;
    try {
      runner = mocha.run((failures) => {
        const { passes = 0, pending = 0 } = runner.stats || {};
        if (seed !== undefined && failures > 0) console.log(`[mocha] to run this order again: MOCHA_SHUFFLE_SEED=${seed}`);
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

module.exports = { runMocha, shuffled, parseSeed, selectFiles };
