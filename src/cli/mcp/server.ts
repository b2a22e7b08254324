/**
 * `prontodb mcp`: the Model Context Protocol over stdio. A thin adapter: the tools, their schemas
 * and their answers are src/core/agentTools.ts, shared with the VS Code language-model tools.
 * Standard output carries only the protocol; warnings and logs go to standard error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentTools, callAgentTool } from '../../core/agentTools';
import type { Session } from '../../core/pronto';
import type { CommandContext, ExitCode } from '../commandTable';
import { openSession } from '../session';

type Sdk = typeof import('./sdk');

/** The SDK bundle beside the CLI bundle; from the compiled sources (tests), the module itself. */
function loadSdk(): Sdk {
  const bundled = path.join(__dirname, 'mcp-sdk.js');
  // A computed path, so the CLI bundle does not include the SDK (a static import would).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, by path
  return (fs.existsSync(bundled) ? require(bundled) : require(['.', 'sdk'].join('/'))) as Sdk;
}

const INSTRUCTIONS = `ProntoDB is a key-value store shared by the people and agents on this machine.
Addresses are project.namespace.key (missing parts default), optionally key__context.
To split work with other agents: create_cache a leases namespace, claim a task with set
if_absent + ttl (an error result means someone else holds it), renew with expect = your own
value, release with delete expect = your value; watch waits for another agent's write.`;

export async function serveMcp(context: CommandContext, options: { readOnly: boolean }): Promise<ExitCode> {
  const sdk = loadSdk();
  context.pronto.client = 'mcp';
  const server = new sdk.Server({ name: 'prontodb', title: 'ProntoDB', version: context.version }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  const tools = agentTools({ readOnly: options.readOnly });
  // The same warning on every call would flood the client's log: say each once.
  const warned = new Set<string>();
  const io = { ...context.io, err: (text: string) => (warned.has(text) ? undefined : (warned.add(text), context.io.err(text))) };
  const callContext: CommandContext = Object.create(context, { io: { value: io } }) as CommandContext;

  server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({
    tools: tools.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema as { type: 'object' },
      outputSchema: tool.outputSchema as { type: 'object' },
      annotations: { title: tool.title, ...tool.annotations },
    })),
  }));
  server.setRequestHandler(sdk.CallToolRequestSchema, async (request, extra) => {
    const result = await callAgentTool(
      // Each call resolves its database anew, like a command would: a cursor switched meanwhile applies.
      { session: (): Promise<Session> => openSession(callContext), signal: extra.signal, client: 'mcp', readOnly: options.readOnly },
      request.params.name,
      request.params.arguments,
    );
    const content = [{ type: 'text' as const, text: result.text }];
    // An error result has no structured content: the client checks structured content against the tool's output schema.
    return result.isError ? { content, isError: true } : { content, structuredContent: result.structured };
  });

  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  await server.connect(new sdk.StdioServerTransport());
  const stop = (): void => void server.close();
  process.stdin.once('end', stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await closed;
  return 0;
}
