/** What most command handlers share: which database the flags and environment select, and status lines. */
import type { Selection, Session } from '../core/pronto';
import { commandLineSelection } from '../core/resolution';
import type { CommandContext } from './commandTable';

/** What the flags and the environment select; the core decides what they mean (core/resolution.ts). */
export function selectionOf({ invocation, io }: CommandContext): Selection {
  const { database, cursor, user } = invocation.options;
  return commandLineSelection({ flags: { database, cursor, user, databaseUrl: invocation.options['database-url'] }, env: io.env });
}

export async function openSession(context: CommandContext): Promise<Session> {
  const { options } = context.invocation;
  const session = await context.pronto.open(selectionOf(context), {
    delimiter: options['ns-delim'],
    project: options.project,
    namespace: options.namespace,
  });
  const warnings = [session.target.notice, session.store.staleReadWarning];
  for (const warning of warnings) if (warning && !options.quiet) context.io.err(`warning: ${warning}`);
  return session;
}

/** A line about what was done, on standard error, unless --quiet. */
export function status(context: CommandContext, line: string): void {
  if (!context.invocation.options.quiet) context.io.err(line);
}
