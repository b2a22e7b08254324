#!/usr/bin/env node
// `npm test`: installs what the tests need when missing (test/setup.sh), builds, type-checks, then runs every suite — the engine and CLI tests (mocha in Node)
// and the tests inside a real VS Code — and closes with one line CI reads: `N passed, N failed`.
// `npm run test:unit` runs only the first part (no VS Code needed).
import { spawn } from 'node:child_process';

const SUMMARY = /^(?:\S+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
const unitOnly = process.argv.includes('--unit');

/** Runs a command with its output passed through, and reads its own closing summary line. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let tail = '';
    let summary;
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail += chunk.toString();
      const lines = tail.split('\n');
      tail = lines.pop();
      for (const line of lines) {
        const match = SUMMARY.exec(line.trim());
        if (match) summary = { passed: Number(match[1]), failed: Number(match[2]) };
      }
    });
    child.on('close', (code) => {
      const match = SUMMARY.exec(tail.trim());
      if (match) summary = { passed: Number(match[1]), failed: Number(match[2]) };
      resolve({ code: code ?? 1, summary });
    });
  });
}

const suites = [
  // What the tests need (Debian packages, code-server, Chromium), installed when missing.
  ['setup', 'bash', ['test/setup.sh', ...(unitOnly ? ['--unit'] : [])]],
  ['build', 'node', ['esbuild.config.mjs']],
  ['type-check', 'npx', ['tsc', '-p', '.']],
  ['engine and CLI', 'npx', ['mocha']],
  ...(unitOnly ? [] : [['VS Code', 'node', ['test/runVscodeTests.mjs']]]),
];
let passed = 0;
let failed = 0;
for (const [name, command, args] of suites) {
  process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
  const { code, summary } = await run(command, args);
  if (summary) {
    passed += summary.passed;
    failed += summary.failed;
  }
  if (code !== 0) {
    // A step that failed without counting its failures (build, type-check, crash) still fails the run.
    if (!summary || summary.failed === 0) failed += 1;
    process.stdout.write(`=== ${name} failed (exit ${code})\n`);
    if (!summary) break;
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
