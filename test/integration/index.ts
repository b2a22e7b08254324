// extensionTestsPath module: the extension host require()s this and awaits run() (the same contract
// as @vscode/test-electron). Files run in name order: 00-setup first (settings, activation).
import * as path from 'node:path';

// mochaRunner.js is plain CommonJS in test/vscode/ (not compiled): reach it from out/test/integration/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runMocha } = require(path.resolve(__dirname, '..', '..', '..', 'test', 'vscode', 'mochaRunner.js')) as {
  runMocha(options: { dir?: string; files?: string[]; timeout?: number; grep?: string }): Promise<void>;
};

export function run(): Promise<void> {
  return runMocha({ dir: __dirname, timeout: 30000 });
}
