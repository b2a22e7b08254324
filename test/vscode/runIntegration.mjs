#!/usr/bin/env node
// Runs a mocha suite inside VS Code's real extension host (code-server + headless Chromium) and
// exits with the suite's code. Usage:
//   node test/vscode/runIntegration.mjs --extension <dir> --tests <module-or-dir>
//        [--workspace <dir>] [--timeout <seconds>] [--env KEY=VALUE]... [--grep <text>] [--verbose] [--keep]
// Paths may be relative to the current directory. Exit codes: the suite's (0 pass, 1 fail),
// 124 on timeout, 2 on bad usage or a harness error.
import fs from 'node:fs';
import path from 'node:path';
import { runTestsInExtensionHost } from './codeServer.mjs';

function usage(msg) {
  if (msg) console.error(`runIntegration: ${msg}`);
  console.error('usage: node test/vscode/runIntegration.mjs --extension <dir> --tests <path> ' +
    '[--workspace <dir>] [--timeout <s>] [--env K=V]... [--grep <text>] [--verbose] [--keep]');
  process.exit(2);
}

const opts = { env: {}, timeoutMs: 600000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
  switch (a) {
    case '--extension': (opts.extensionDevelopmentPath ||= []).push(path.resolve(val())); break;
    case '--tests': opts.extensionTestsPath = path.resolve(val()); break;
    case '--workspace': opts.folder = path.resolve(val()); break;
    case '--timeout': opts.timeoutMs = Number(val()) * 1000; break;
    case '--env': { const kv = val(); const j = kv.indexOf('='); if (j < 1) usage(`bad --env ${kv}`); opts.env[kv.slice(0, j)] = kv.slice(j + 1); break; }
    case '--grep': opts.env.MOCHA_GREP = val(); break;
    case '--verbose': opts.verbose = true; break;
    case '--keep': opts.keep = true; break;
    case '-h': case '--help': usage(); break;
    default: usage(`unknown argument ${a}`);
  }
}
if (!opts.extensionDevelopmentPath) usage('--extension is required');
if (!opts.extensionTestsPath) usage('--tests is required');
for (const p of [...opts.extensionDevelopmentPath, opts.extensionTestsPath, opts.folder].filter(Boolean)) {
  if (!fs.existsSync(p)) usage(`${p} does not exist`);
}
if (!(opts.timeoutMs > 0)) usage('bad --timeout');

// Last-resort guard: even if something hangs inside the harness, the process ends (and its exit
// handler kills code-server's process group).
const hardTimer = setTimeout(() => {
  console.error(`runIntegration: hard timeout after ${(opts.timeoutMs + 60000) / 1000} s`);
  process.exit(124);
}, opts.timeoutMs + 60000);
hardTimer.unref();

let code;
try {
  code = await runTestsInExtensionHost(opts);
} catch (err) {
  console.error(`runIntegration: ${err && err.stack ? err.stack : err}`);
  code = 2;
}
process.exit(Number.isInteger(code) ? code : 1);
