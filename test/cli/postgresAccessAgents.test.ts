/**
 * The reader role of docs/postgres/roles.sql through the other front doors: the MCP server (driven by
 * the SDK's own client over stdio, as test/cli/agents.test.ts does) and the dashboard server
 * (`prontodb ui`, its POST /api). Every write is refused with the `read-only: …` reason, no stack,
 * nothing changed; reads work; the dashboard's status says the database is read-only.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readOnlyTitle } from '../../media/dashboard/format';
import type { DatabaseStatus } from '../../src/core/health/status';
import { CLI, Sandbox } from '../helpers/cliHarness';
import { startTeam, type Team } from '../helpers/postgresTeam';

interface ToolCall {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

describe('PostgreSQL reader role through MCP and the dashboard server', function () {
  this.timeout(60_000);
  let team: Team;
  let box: Sandbox;

  before(async function () {
    this.timeout(180_000);
    team = await startTeam();
    box = new Sandbox('prontodb-pg-access-agents-');
    const asWriter = { via: 'spawn' as const, env: { PRONTODB_DATABASE_URL: team.url('wes') } };
    assert.equal((await box.run(['--database-url', team.url('ada'), 'db', 'create', 'main'], { via: 'spawn' })).code, 0);
    for (const args of [
      ['set', 'work.notes.plan', 'step 1'],
      ['create-cache', 'work.leases', '60'],
      ['set', 'work.leases.job', 'wes', '--ttl', '30'],
    ]) {
      const result = await box.run(args, asWriter);
      assert.equal(result.code, 0, result.stderr);
    }
  });

  after(() => {
    box?.cleanup();
    team?.cluster.destroy();
  });

  describe('MCP', () => {
    let client: Client | undefined;
    afterEach(async () => {
      await client?.close();
      client = undefined;
    });

    const call = async (name: string, args: Record<string, unknown>): Promise<ToolCall> => (await client!.callTool({ name, arguments: args })) as ToolCall;
    const text = (result: ToolCall): string => result.content.map((part) => part.text ?? '').join('');

    it('every writing tool answers a read-only tool error; the reading tools work; nothing changed', async () => {
      const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: box.envWith({ PRONTODB_DATABASE_URL: team.url('rita') }), cwd: box.root, stderr: 'pipe' });
      client = new Client({ name: 'prontodb-access-test', version: '1.0.0' });
      await client.connect(transport);
      const before = await team.fingerprint('prontodb_main');
      const writes: Array<[string, Record<string, unknown>]> = [
        ['set', { address: 'work.notes.plan', value: 'changed' }],
        ['set', { address: 'work.notes.fresh', value: 'new', if_absent: true }],
        ['set', { address: 'work.notes.plan', value: 'changed', expect: 'step 1' }],
        ['set', { address: 'work.leases.other', value: 'rita', if_absent: true, ttl: 30 }],
        ['delete', { address: 'work.notes.plan' }],
        ['delete', { address: 'work.notes.plan', expect: 'step 1' }],
        ['create_cache', { namespace: 'work.more', ttl: 60 }],
      ];
      for (const [name, args] of writes) {
        const result = await call(name, args);
        assert.equal(result.isError, true, `${name} ${JSON.stringify(args)}: ${JSON.stringify(result)}`);
        assert.equal(result.structuredContent, undefined);
        assert.match(text(result), /^read-only: postgres:\/\/rita:\*\*\*@127\.0\.0\.1:\d+\/team refuses this write \(permission denied for table (kv|sys_namespaces)\)$/, `${name}: ${text(result)}`);
        assert.doesNotMatch(text(result), /\n\s+at /);
      }
      assert.equal(await team.fingerprint('prontodb_main'), before, 'nothing changed');
      assert.equal((await call('get', { address: 'work.notes.plan' })).structuredContent!.value, 'step 1');
      assert.deepEqual((await call('keys', { path: 'work.notes' })).structuredContent!.keys, ['plan']);
      assert.equal(await team.fingerprint('prontodb_main'), before, 'reading wrote nothing');
    });
  });

  describe('dashboard server (prontodb ui)', () => {
    let child: ChildProcess | undefined;
    afterEach(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.on('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      child = undefined;
    });

    it('POST /api set and delete answer read-only errors; the overview says the database is read-only; nothing changed', async () => {
      child = spawn(process.execPath, [CLI, 'ui', '--no-open'], { cwd: box.root, env: box.envWith({ PRONTODB_DATABASE_URL: team.url('rita') }), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const address = await new Promise<URL>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`prontodb ui printed no URL: ${output}`)), 20_000);
        const read = (chunk: Buffer): void => {
          output += chunk.toString();
          const match = /(http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(new URL(match[1]!));
          }
        };
        child!.stdout!.on('data', read);
        child!.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child!.on('exit', (code) => reject(new Error(`prontodb ui exited ${code}: ${output}`)));
      });
      const token = address.searchParams.get('token')!;
      let id = 0;
      const api = (request: unknown): Promise<{ ok: boolean; result?: { databases?: Array<{ ref: string; active: boolean; status: DatabaseStatus }>; entry?: { value: string } | null }; error?: { code: string; message: string } }> =>
        new Promise((resolve, reject) => {
          const body = JSON.stringify({ id: ++id, request });
          const req = http.request(
            { host: '127.0.0.1', port: Number(address.port), path: '/api', method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
            (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => (text += chunk.toString()));
              res.on('end', () => resolve(JSON.parse(text)));
            },
          );
          req.on('error', reject);
          req.end(body);
        });

      const overview = await api({ type: 'overview' });
      assert.equal(overview.ok, true, JSON.stringify(overview));
      const active = overview.result!.databases!.find((db) => db.active)!;
      assert.deepEqual([active.status.writable, /^role rita may not write/.test(active.status.read_only_reason ?? '')], [false, true], JSON.stringify(active.status));
      // The page's lock badge (overview row and database page) takes its title from these fields.
      assert.match(readOnlyTitle(active.status)!, /^Read-only: role rita may not write postgres:\/\/rita:\*\*\*@127\.0\.0\.1:\d+\/team \(no INSERT, UPDATE and DELETE on its tables\)$/);
      const writable = { ...active.status, writable: true, read_only_reason: null };
      assert.equal(readOnlyTitle(writable), undefined);

      const before = await team.fingerprint('prontodb_main');
      const plan = { project: 'work', namespace: 'notes', key: 'plan', context: null };
      for (const request of [
        { type: 'set', database: active.ref, address: plan, value: 'changed' },
        { type: 'set', database: active.ref, address: plan, value: 'changed', expected: { value: 'step 1' } },
        { type: 'set', database: active.ref, address: { ...plan, key: 'fresh' }, value: 'new', expected: { value: null } },
        { type: 'delete', database: active.ref, address: plan },
        { type: 'delete', database: active.ref, address: plan, expected: { value: 'step 1' } },
        { type: 'doctor', database: active.ref, fix: true },
      ]) {
        const reply = await api(request);
        if (request.type === 'doctor') {
          // doctor --fix reports per check; the purge it would run is not needed here, so nothing is tried.
          assert.equal(reply.ok, true, JSON.stringify(reply));
          continue;
        }
        assert.equal(reply.ok, false, `${JSON.stringify(request)}: ${JSON.stringify(reply)}`);
        assert.match(reply.error!.message, /^read-only: postgres:\/\/rita:\*\*\*@/, JSON.stringify(reply));
        assert.doesNotMatch(reply.error!.message, /\n\s+at /);
      }
      assert.equal(await team.fingerprint('prontodb_main'), before, 'nothing changed');
      const got = await api({ type: 'get', database: active.ref, address: plan });
      assert.equal(got.result!.entry!.value, 'step 1');
      assert.doesNotMatch(output, /rita-pw/, 'no password in what the server printed');
    });
  });
});
