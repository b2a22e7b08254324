// The language-model tools (prontodb_get, …) as agent mode calls them: vscode.lm.invokeTool in the
// real extension host, against the database the sidebar shows, with the CLI as another process.
// And the MCP server the extension offers to VS Code 1.101+ (not in this 1.100 host): its
// definition, started the way the editor would start it, must reach the sidebar's database.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as vscode from 'vscode';
import { AGENT_TOOLS } from '../../src/core/agentTools';
import { describeMcpServer, MCP_PROVIDER_ID } from '../../src/extension/mcpServerProvider';
import { clearSelections, cliGet, cliOk, dirs, ensureWorkAndPlay, getApi, labelsUnder, nodeAt, poll, REPO_ROOT, sleep, standalone } from './helpers';

function invoke(name: string, input: object, token?: vscode.CancellationToken): Thenable<vscode.LanguageModelToolResult> {
  return vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, token);
}

/** The text a model reads from a tool result. */
function textOf(result: vscode.LanguageModelToolResult | undefined): string {
  assert.ok(result, 'the tool returned a result');
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : `<${String(part)}>`)).join('');
}

async function rejectionOf(action: Thenable<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the tool to fail');
}

describe('language-model tools (vscode.lm)', () => {
  standalone('13-lm-tools');
  before(async () => {
    await cliOk(['set', 'app.config.who', 'main']);
  });
  afterEach(() => clearSelections());

  it('lists every agent tool as prontodb_<name> with the schema and description of the table', () => {
    const ours = vscode.lm.tools.filter((tool) => tool.name.startsWith('prontodb_'));
    assert.deepEqual(ours.map((tool) => tool.name).sort(), AGENT_TOOLS.map((tool) => `prontodb_${tool.name}`).sort());
    for (const tool of AGENT_TOOLS) {
      const listed = ours.find((each) => each.name === `prontodb_${tool.name}`)!;
      assert.deepEqual(listed.inputSchema, tool.inputSchema, `${listed.name}: inputSchema`);
      assert.equal(listed.description, tool.description, `${listed.name}: description`);
      assert.ok(listed.tags.includes('prontodb'), `${listed.name}: tags ${JSON.stringify(listed.tags)}`);
    }
  });

  it('prontodb_get reads what the CLI wrote, without asking; a miss is an error the model can read', async () => {
    await cliOk(['set', 'app.config.colour', 'teal, from the CLI']);
    assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.colour' })), 'teal, from the CLI');
    const miss = await rejectionOf(invoke('prontodb_get', { address: 'app.config.nothing' }));
    assert.equal(miss.message, 'Nothing is stored at app.config.nothing');
    const bad = await rejectionOf(invoke('prontodb_get', { address: 'app..x' }));
    assert.match(bad.message, /empty/, `a bad address says what is wrong: ${bad.message}`);
  });

  it('the reading tools list keys, values, projects and namespaces, and status names the database and the client', async () => {
    await cliOk(['set', 'app.config.size', '3']);
    const keys = textOf(await invoke('prontodb_keys', { path: 'app.config' })).split('\n');
    assert.ok(keys.includes('size') && keys.includes('who'), `keys: ${keys.join(', ')}`);
    assert.match(textOf(await invoke('prontodb_scan', { path: 'app.config' })), /(^|\n)size="3"(\n|$)/);
    assert.match(textOf(await invoke('prontodb_projects', {})), /(^|\n)app(\n|$)/);
    assert.match(textOf(await invoke('prontodb_namespaces', { project: 'app' })), /(^|\n)config(\n|$)/);
    const status = textOf(await invoke('prontodb_status', {}));
    assert.match(status, /^database: main at /m);
    assert.match(status, /^user: default$/m);
  });

  it('they act on the database the sidebar shows: a cursor or a workspace-only choice made there applies to the next call', async () => {
    const { service } = await getApi();
    await ensureWorkAndPlay();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.who' })), 'work');
    assert.match(textOf(await invoke('prontodb_status', {})), /^cursor: wk$/m);
    await service.select({ kind: 'database', name: 'play' }, 'workspace');
    assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.who' })), 'play');
  });

  // Outside a chat VS Code asks for the confirmation of a write in a modal dialog, but in a host
  // running extension tests its dialog service answers "yes" without showing one (1.100:
  // "refused to show confirmation dialog in tests"). The dialog itself is checked by the UI test
  // test/ui/lmToolConfirmation.mjs; here the writes run as if confirmed.
  it('prontodb_set writes: the CLI reads it and the sidebar refreshes and lists it', async () => {
    const { databases } = await getApi();
    const config = await nodeAt('main', 'app', 'config');
    await sleep(300); // let refreshes of earlier writes settle
    let refreshed = false;
    const subscription = databases.onDidChangeTreeData(() => (refreshed = true));
    try {
      assert.equal(textOf(await invoke('prontodb_set', { address: 'app.config.mode', value: 'blue' })), 'Stored at app.config.mode');
      assert.equal(await cliGet('app.config.mode'), 'blue');
      await poll('the sidebar to refresh after the tool wrote', () => refreshed);
    } finally {
      subscription.dispose();
    }
    assert.ok((await labelsUnder(config)).includes('mode'));
  });

  it('an if_absent set on a key that holds a value fails with the message and the value that is there; nothing changes', async () => {
    await cliOk(['set', 'work.claims.task1', 'agent-a']);
    const error = await rejectionOf(invoke('prontodb_set', { address: 'work.claims.task1', value: 'agent-b', if_absent: true }));
    assert.equal(error.message, 'work.claims.task1 already holds a value (it is now "agent-a")');
    assert.equal(await cliGet('work.claims.task1'), 'agent-a');
  });

  it('a lease: create_cache, claim with if_absent and ttl, renew with expect, release with delete expect', async () => {
    assert.equal(textOf(await invoke('prontodb_create_cache', { namespace: 'jobs.leases', ttl: 600 })), 'jobs.leases is a TTL namespace (600 s)');
    assert.match(textOf(await invoke('prontodb_set', { address: 'jobs.leases.build', value: 'agent-a', if_absent: true, ttl: 60 })), /^Stored at jobs\.leases\.build until \d{4}-\d\d-\d\dT/);
    assert.equal(await cliGet('jobs.leases.build'), 'agent-a');
    const taken = await rejectionOf(invoke('prontodb_set', { address: 'jobs.leases.build', value: 'agent-b', if_absent: true, ttl: 60 }));
    assert.match(taken.message, /already holds a value \(it is now "agent-a"\)/);
    assert.match(textOf(await invoke('prontodb_set', { address: 'jobs.leases.build', value: 'agent-a', expect: 'agent-a', ttl: 120 })), /until/);
    const notMine = await rejectionOf(invoke('prontodb_delete', { address: 'jobs.leases.build', expect: 'agent-b' }));
    assert.match(notMine.message, /it is now "agent-a"/);
    assert.equal(await cliGet('jobs.leases.build'), 'agent-a');
    assert.equal(textOf(await invoke('prontodb_delete', { address: 'jobs.leases.build', expect: 'agent-a' })), 'Deleted jobs.leases.build');
    assert.equal(await cliGet('jobs.leases.build'), undefined);
  });

  it('prontodb_watch wakes when the CLI writes the address', async () => {
    await cliOk(['set', 'app.signals.go', 'wait']);
    const watching = invoke('prontodb_watch', { address: 'app.signals.go', timeout: 30 });
    await sleep(500); // the watch has read the current value
    const written = Date.now();
    await cliOk(['set', 'app.signals.go', 'now']);
    const cliDone = Date.now();
    assert.equal(textOf(await watching), 'now');
    console.log(`      watch woke ${Date.now() - cliDone} ms after the CLI finished (the CLI took ${cliDone - written} ms)`);
    assert.ok(Date.now() - cliDone < 5000, 'woke by the change, well before the 30 s timeout');
  });

  describe('the MCP server offered to VS Code 1.101+ (its definition, started as the editor would)', () => {
    let client: Client | undefined;
    afterEach(async () => {
      await client?.close();
      client = undefined;
      fs.rmSync(path.join(dirs.workspace, '.prontodb'), { force: true });
    });

    /** Starts the definition's command as VS Code does: the extension host's environment with the definition's on top (null removes). */
    async function startOffered(base: NodeJS.ProcessEnv = process.env): Promise<Client> {
      const { service } = await getApi();
      const server = describeMcpServer(service, REPO_ROOT, 'test');
      assert.ok(server, 'a trusted workspace gets a server');
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
      for (const [name, value] of Object.entries(server.env)) {
        if (value === null) delete env[name];
        else env[name] = value;
      }
      client = new Client({ name: 'vscode-test', version: '1' });
      await client.connect(new StdioClientTransport({ command: server.command, args: server.args, env, cwd: server.cwd, stderr: 'ignore' }));
      return client;
    }

    async function mcpStatus(mcp: Client): Promise<{ database: string | null; user: string }> {
      const result = await mcp.callTool({ name: 'status', arguments: {} });
      assert.ok(!result.isError, JSON.stringify(result.content));
      return result.structuredContent as { database: string | null; user: string };
    }

    it('is the bundled CLI run by the editor’s own Node, declared in package.json', () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { mcpServerDefinitionProviders: Array<{ id: string }> } };
      assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders.map((provider) => provider.id), [MCP_PROVIDER_ID]);
      return getApi().then(({ service }) => {
        const server = describeMcpServer(service, REPO_ROOT, 'test')!;
        assert.equal(server.command, process.execPath);
        assert.deepEqual(server.args, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'mcp']);
        assert.equal(server.env.ELECTRON_RUN_AS_NODE, '1', 'an Electron editor runs its binary as Node');
        console.log(`      vscode.lm.registerMcpServerDefinitionProvider in VS Code ${vscode.version}: ${typeof (vscode.lm as unknown as Record<string, unknown>).registerMcpServerDefinitionProvider}`);
      });
    });

    it('reaches the database the sidebar shows: the user’s cursor, a workspace-only choice, a .prontodb; a variable the editor inherited does not steer it', async () => {
      const { service } = await getApi();
      await ensureWorkAndPlay();
      await service.select({ kind: 'cursor', name: 'wk' }, 'global');
      // An editor started from a shell that chose `play` would pass that on, unless the definition removes it.
      let mcp = await startOffered({ ...process.env, PRONTODB_DATABASE: 'play', PRONTODB_CURSOR: 'pl' });
      assert.equal((await mcpStatus(mcp)).database, 'work');
      // The server resolves on every call: a switch in the sidebar applies without a restart.
      await service.select({ kind: 'cursor', name: 'pl' }, 'global');
      assert.equal((await mcpStatus(mcp)).database, 'play');
      await mcp.close();

      await service.select({ kind: 'database', name: 'main' }, 'workspace');
      mcp = await startOffered();
      assert.equal((await mcpStatus(mcp)).database, 'main', 'the workspace-only choice, which the CLI cannot know, is passed');
      await mcp.close();
      await clearSelections();

      fs.writeFileSync(path.join(dirs.workspace, '.prontodb'), JSON.stringify({ database: 'play' }));
      await poll('the sidebar to follow the .prontodb', () => service.target().databaseName === 'play');
      mcp = await startOffered();
      assert.equal((await mcpStatus(mcp)).database, 'play', 'started in the folder of the .prontodb the sidebar uses');
    });

    it('a write through it shows in the sidebar', async () => {
      const { databases } = await getApi();
      const mcp = await startOffered();
      const config = await nodeAt('main', 'app', 'config');
      await sleep(300);
      let refreshed = false;
      const subscription = databases.onDidChangeTreeData(() => (refreshed = true));
      try {
        const result = await mcp.callTool({ name: 'set', arguments: { address: 'app.config.from_mcp', value: 'hello' } });
        assert.ok(!result.isError, JSON.stringify(result.content));
        await poll('the sidebar to refresh after the MCP write', () => refreshed);
      } finally {
        subscription.dispose();
      }
      assert.ok((await labelsUnder(config)).includes('from_mcp'));
      assert.equal(textOf(await invoke('prontodb_get', { address: 'app.config.from_mcp' })), 'hello');
    });
  });
});
