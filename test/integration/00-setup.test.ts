// Root hooks: point the extension at the runner's fresh folders through its settings (user scope),
// then activate it. Runs before every other file (names sort after "00-").
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { dirs, getApi } from './helpers';

before(async function () {
  this.timeout(20000);
  for (const dir of [dirs.data, dirs.backups, dirs.scratch]) fs.mkdirSync(dir, { recursive: true });
  const config = vscode.workspace.getConfiguration('prontodb');
  await config.update('dataDirectory', dirs.data, vscode.ConfigurationTarget.Global);
  await config.update('backupDirectory', dirs.backups, vscode.ConfigurationTarget.Global);
  assert.equal(vscode.workspace.getConfiguration('prontodb').get('dataDirectory'), dirs.data);
  await getApi();
});
