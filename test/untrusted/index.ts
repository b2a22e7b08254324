// extensionTestsPath module of the suite that runs in an untrusted workspace (Restricted Mode):
// test/runVscodeTests.mjs starts code-server with workspace trust on for it (codeServer.mjs:
// workspaceTrust), so the folder it opens is not trusted. Same contract as ../integration/index.ts.
import * as path from 'node:path';
import { getApi } from '../integration/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runMocha } = require(path.resolve(__dirname, '..', '..', '..', 'test', 'vscode', 'mochaRunner.js')) as {
  runMocha(options: { dir?: string; timeout?: number }): Promise<void>;
};

export async function run(): Promise<void> {
  await getApi();
  return runMocha({ dir: __dirname, timeout: 30000 });
}
