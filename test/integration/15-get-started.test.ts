// The walkthrough (issue 13 item 2): its contribution is whole (every step's media shipped, every
// command link and completion event a real command), Get Started opens it, and the MCP step's
// command puts a working .vscode/mcp.json entry on the clipboard.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, REPO_ROOT, standalone, withStubs } from './helpers';

interface Step {
  id: string;
  description: string;
  media: { markdown?: string };
  completionEvents: string[];
}

describe('get started', () => {
  standalone('15-get-started');
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    contributes: { walkthroughs: Array<{ id: string; steps: Step[] }>; commands: Array<{ command: string }> };
  };
  const walkthrough = manifest.contributes.walkthroughs.find((each) => each.id === 'prontodb.gettingStarted')!;

  it('has the six steps of the issue, each with its media and only real commands', async () => {
    await getApi();
    assert.deepEqual(walkthrough.steps.map((step) => step.id), ['database', 'values', 'cursors', 'backup', 'agents', 'dashboard']);
    const registered = new Set(await vscode.commands.getCommands(true));
    const ignore = fs.readFileSync(path.join(REPO_ROOT, '.vscodeignore'), 'utf8');
    for (const step of walkthrough.steps) {
      assert.ok(step.media.markdown && fs.existsSync(path.join(REPO_ROOT, step.media.markdown)), `${step.id}: media`);
      assert.ok(ignore.includes(`!${path.dirname(step.media.markdown)}/**`), `${step.id}: its media ships in the .vsix`);
      const commands = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((match) => match[1]!);
      commands.push(...step.completionEvents.map((event) => event.replace(/^onCommand:/, '')));
      assert.ok(commands.length >= 2, `${step.id}: a command link and a completion event`);
      for (const command of commands) assert.ok(registered.has(command), `${step.id}: ${command} is registered`);
    }
  });

  it('Get Started opens the walkthrough; Copy MCP Configuration puts the mcp.json entry on the clipboard', async () => {
    await vscode.commands.executeCommand('prontodb.getStarted');
    await withStubs((s) => s.quietMessages(), async () => {
      const text = (await vscode.commands.executeCommand('prontodb.copyMcpConfiguration')) as string;
      assert.equal(await vscode.env.clipboard.readText(), text);
      assert.deepEqual(JSON.parse(text), { servers: { prontodb: { type: 'stdio', command: 'prontodb', args: ['mcp'] } } });
    });
  });
});
