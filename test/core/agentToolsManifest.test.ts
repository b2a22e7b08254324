/**
 * package.json's `contributes.languageModelTools` is what VS Code shows and sends to a model before
 * the extension even runs; src/core/agentTools.ts is what the tools then do. They must say the same:
 * one entry per agent tool, in order, with its schema and description, so they can never drift.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_TOOLS } from '../../src/core/agentTools';

interface ContributedTool {
  name: string;
  toolReferenceName?: string;
  displayName?: string;
  modelDescription?: string;
  userDescription?: string;
  canBeReferencedInPrompt?: boolean;
  icon?: string;
  tags?: string[];
  inputSchema?: unknown;
  [other: string]: unknown;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  contributes: { languageModelTools?: ContributedTool[]; mcpServerDefinitionProviders?: Array<{ id: string; label: string }> };
};
const contributed = manifest.contributes.languageModelTools ?? [];

/** What VS Code 1.100 refuses in a tool contribution (its extension point's checks). */
const RESERVED_PREFIX = /^(copilot_|vscode_)/;

describe('package.json: the language-model tools match the agent tool table', () => {
  it('one contribution per agent tool, in the same order, named prontodb_<name>', () => {
    assert.deepEqual(
      contributed.map((tool) => tool.name),
      AGENT_TOOLS.map((tool) => `prontodb_${tool.name}`),
    );
  });

  for (const tool of AGENT_TOOLS) {
    it(`prontodb_${tool.name}: the schema, title and description of the table`, () => {
      const entry = contributed.find((each) => each.name === `prontodb_${tool.name}`);
      assert.ok(entry, `no contribution for prontodb_${tool.name}; add:\n${JSON.stringify({ name: `prontodb_${tool.name}`, displayName: tool.title, modelDescription: tool.description, inputSchema: tool.inputSchema }, null, 2)}`);
      assert.deepEqual(entry.inputSchema, tool.inputSchema, 'inputSchema differs from the table');
      assert.equal(entry.modelDescription, tool.description, 'modelDescription differs from the table');
      assert.equal(entry.displayName, tool.title, 'displayName differs from the title of the table');
    });
  }

  it('each can be referenced in chat as #<its name>, with a description for people, an icon and tags', () => {
    for (const entry of contributed) {
      assert.match(entry.name, /^[\w-]+$/);
      assert.doesNotMatch(entry.name, RESERVED_PREFIX);
      // VS Code drops a tool that may be referenced without a reference name.
      assert.equal(entry.toolReferenceName, entry.name, `${entry.name}: toolReferenceName`);
      assert.equal(entry.canBeReferencedInPrompt, true, `${entry.name}: canBeReferencedInPrompt`);
      assert.ok(entry.userDescription && entry.userDescription.trim().length > 0, `${entry.name}: userDescription`);
      assert.match(entry.icon ?? '', /^\$\([a-z-]+\)$/, `${entry.name}: icon should be a codicon`);
      assert.ok(entry.tags?.includes('prontodb'), `${entry.name}: tags`);
      for (const tag of entry.tags ?? []) assert.doesNotMatch(tag, RESERVED_PREFIX);
    }
  });

  it("the 'read'/'write' tag follows the table's readOnlyHint", () => {
    for (const tool of AGENT_TOOLS) {
      const entry = contributed.find((each) => each.name === `prontodb_${tool.name}`);
      assert.ok(entry?.tags?.includes(tool.annotations.readOnlyHint ? 'read' : 'write'), `prontodb_${tool.name}: tags ${JSON.stringify(entry?.tags)}`);
      assert.ok(!entry?.tags?.includes(tool.annotations.readOnlyHint ? 'write' : 'read'), `prontodb_${tool.name}: tags ${JSON.stringify(entry?.tags)}`);
    }
  });

  it('declares the MCP server definition provider (VS Code 1.101+) with an id and a label', () => {
    const providers = manifest.contributes.mcpServerDefinitionProviders ?? [];
    assert.equal(providers.length, 1);
    assert.equal(providers[0]!.id, 'prontodb.mcpServer');
    assert.ok(providers[0]!.label);
  });
});
