/** For agents and scripts that coordinate: watch, and the MCP server. */
import { formatAddress } from '../../core/address';
import { usageError } from '../../core/errors';
import { watchValue } from '../../core/watch';
import type { CommandContext, CommandSpec, ExitCode } from '../commandTable';
import { openSession, status } from '../session';

/** Seconds, fractions allowed (`--timeout 0.5`), up to what a timer can wait. */
function seconds(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value > 2_000_000) throw usageError(`${name} '${text}' must be a number of seconds from 0 to 2000000`);
  return value;
}

async function watch(context: CommandContext, addressText: string): Promise<ExitCode> {
  const session = await openSession(context);
  const { timeout, expect } = context.invocation.options;
  const address = session.parse(addressText);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await watchValue(session, address, {
      timeoutMs: timeout === undefined ? undefined : seconds('Timeout', timeout) * 1000,
      expected: expect === undefined ? undefined : { value: expect },
      signal: controller.signal,
    });
    if (!result.changed) return 2;
    if (result.entry) context.io.out(`${result.entry.value}\n`);
    else status(context, `${formatAddress(address, session.defaults.delimiter)} was deleted or expired`);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export const AGENT_COMMANDS: CommandSpec[] = [
  {
    name: 'watch',
    group: 'Agents',
    forms: [{ usage: 'watch <address> [--timeout SECONDS] [--expect VALUE]', run: (context, [address]) => watch(context, address!) }],
    help: `Wait until the value at <address> changes (written, deleted or expired, by any process),
then print the new value and exit 0. With --expect, wait until it differs from VALUE, so a
change made after you read VALUE is not missed. A deleted or expired value prints nothing
(standard error says so) and exits 0. Exit 2 when --timeout passes first (fractions allowed).
It wakes on the store's change events, not by polling (a safety recheck runs once a second).`,
  },
  {
    name: 'mcp',
    group: 'Agents',
    forms: [
      {
        usage: 'mcp [--read-only]',
        async run(context) {
          const { serveMcp } = await import('../mcp/server');
          return serveMcp(context, { readOnly: context.invocation.options['read-only'] === true });
        },
      },
    ],
    help: `Serve the Model Context Protocol on standard input/output, for agents (Claude Code,
Codex, Cursor, VS Code): tools get, set (if_absent, expect, ttl), delete (expect), keys, scan,
projects, namespaces, create_cache, status and watch. Each call resolves its database like any
command (flags given here, .prontodb of the working directory, cursors); the store stays open,
so a call costs a round trip and sees other processes' writes at once. --read-only serves only
the reading tools. Logs go to standard error. See the README, "Use with AI agents".`,
  },
];
