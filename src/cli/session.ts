/** What most command handlers share: which database the flags and environment select, and status lines. */
import type { Selection, Session } from '../core/pronto';
import type { CommandContext } from './commandTable';

/** Flags first; the environment (empty values count as unset) only when no flag picks a target. */
export function selectionOf({ invocation, io }: CommandContext): Selection {
  const { options } = invocation;
  const fromEnv = (name: string) => io.env[name] || undefined;
  const user = options.user ?? fromEnv('PRONTODB_USER');
  if (options.database !== undefined || options.cursor !== undefined) return { database: options.database, cursor: options.cursor, user };
  return { database: fromEnv('PRONTODB_DATABASE'), databasePath: fromEnv('PRONTODB_DATABASE_PATH'), cursor: fromEnv('PRONTODB_CURSOR'), user };
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
