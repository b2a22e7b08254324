// In an untrusted workspace the language-model tools may read but not write, the workspace's
// .prontodb is ignored by them as by the sidebar, and no MCP server is offered.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeMcpServer } from '../../src/extension/mcpServerProvider';
import { cliGet, cliOk, dirs, ensureWorkAndPlay, getApi, REPO_ROOT, sleep, standalone } from '../integration/helpers';

function invoke(name: string, input: object): Thenable<vscode.LanguageModelToolResult> {
  return vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
}

function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

async function rejectionOf(action: Thenable<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the tool to fail');
}

describe('language-model tools in an untrusted workspace', () => {
  standalone('untrusted-lm-tools');
  before(async () => {
    await cliOk(['set', 'app.config.who', 'main']);
  });
  after(() => fs.rmSync(path.join(dirs.workspace, '.prontodb'), { force: true }));

  it('runs untrusted (the premise of this suite)', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opened the folder in Restricted Mode');
  });

  it('the reading tools work, and status says the tools are read-only here', async () => {
    assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.who' })), 'main');
    assert.match(textOf(await invoke('prontodb_keys', { path: 'app.config' })), /^who$/);
    assert.match(textOf(await invoke('prontodb_status', {})), /^read-only: /m);
  });

  it('set, delete and create_cache refuse with a message saying why, and change nothing', async () => {
    const set = await rejectionOf(invoke('prontodb_set', { address: 'app.config.who', value: 'agent' }));
    assert.match(set.message, /^prontodb_set is refused: this workspace is not trusted \(Restricted Mode\)/);
    const deleted = await rejectionOf(invoke('prontodb_delete', { address: 'app.config.who' }));
    assert.match(deleted.message, /^prontodb_delete is refused: this workspace is not trusted/);
    const cache = await rejectionOf(invoke('prontodb_create_cache', { namespace: 'jobs.leases', ttl: 60 }));
    assert.match(cache.message, /^prontodb_create_cache is refused: this workspace is not trusted/);
    assert.equal(await cliGet('app.config.who'), 'main');
    assert.equal(textOf(await invoke('prontodb_namespaces', { project: 'jobs' })), '(none)');
  });

  it('a .prontodb in the workspace does not steer them (as it does not steer the sidebar)', async () => {
    const { service } = await getApi();
    await ensureWorkAndPlay();
    fs.writeFileSync(path.join(dirs.workspace, '.prontodb'), JSON.stringify({ database: 'play' }));
    await sleep(1500); // a trusted window follows a new .prontodb well within this (05-workdir)
    assert.equal(service.target().databaseName, 'main');
    assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.who' })), 'main');
  });

  it('no MCP server is offered', async () => {
    const { service } = await getApi();
    assert.equal(describeMcpServer(service, REPO_ROOT, 'test'), undefined);
  });
});
