// extensionTestsPath module: the extension host require()s this and awaits run() (the same contract
// as @vscode/test-electron). No file depends on another: each top-level describe makes its own
// folders and state (helpers.ts: standalone), so they run alone (MOCHA_FILES, MOCHA_GREP) and in any
// order (MOCHA_SHUFFLE_SEED; see test/vscode/mochaRunner.js).
import * as path from 'node:path';
import { timeActivation } from './helpers';

// mochaRunner.js is plain CommonJS in test/vscode/ (not compiled): reach it from out/test/integration/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runMocha } = require(path.resolve(__dirname, '..', '..', '..', 'test', 'vscode', 'mochaRunner.js')) as {
  runMocha(options: { dir?: string; files?: string[]; timeout?: number; grep?: string }): Promise<void>;
};

export async function run(): Promise<void> {
  // Before any test file loads: the first activation, timed from the host's side (01-activation checks it).
  await timeActivation();
  return runMocha({ dir: __dirname, timeout: 30000 });
}
