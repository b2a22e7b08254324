/** Cursors, per user: set, list, active, use, delete, rename, clear, and the bare `cursor <name>`. */
import { DEFAULT_USER } from '../../core/cursors';
import { ProntoError } from '../../core/errors';
import { displayLocation } from '../../core/location';
import type { ResolvedTarget } from '../../core/pronto';
import type { CommandContext, CommandSpec } from '../commandTable';
import { selectionOf, status } from '../session';

function userOf(context: CommandContext): string {
  return selectionOf(context).user ?? DEFAULT_USER;
}

/** A URL's password never reaches the output (`displayLocation`). */
function describe(name: string, location: string, meta: string | null): string {
  return `${name}\t${displayLocation(location)}${meta ? `\tmeta:${meta}` : ''}`;
}

/**
 * Saves the selection, then checks what commands run here would actually use: a flag, a PRONTODB_*
 * variable or a `.prontodb` outranks a selection, and saying "Selected" without saying so misleads.
 * The selection is saved either way (exit 0); the note goes to stderr even with --quiet.
 */
async function selectAndExplain(context: CommandContext, name: string): Promise<0> {
  const user = userOf(context);
  await context.pronto.cursors.select(user, name);
  status(context, `Selected '${name}' for user '${user}'`);
  let target: ResolvedTarget;
  try {
    target = context.pronto.resolve(selectionOf(context));
  } catch (error) {
    context.io.err(`note: the selection is saved, but commands run here fail: ${(error as Error).message}`);
    return 0;
  }
  const outranking = outrankingSource(context, target);
  if (outranking === undefined) return 0;
  context.io.err(
    `note: ${outranking} outranks the selection here, so commands run here still use ${displayLocation(target.location)}; ` +
      `'${name}' applies where nothing outranks it`,
  );
  return 0;
}

/** What, above the selection in the resolution order, chose `target`; undefined if nothing did. */
function outrankingSource({ invocation, io }: CommandContext, target: ResolvedTarget): string | undefined {
  const { options } = invocation;
  const fromEnv = (variable: string) => `${variable}=${io.env[variable]} in the environment`;
  switch (target.origin) {
    case 'database':
      return options.database !== undefined ? `the --database flag` : fromEnv('PRONTODB_DATABASE');
    case 'database-path':
      return fromEnv('PRONTODB_DATABASE_PATH');
    case 'database-url':
      // Never the value: the URL may hold a password.
      return options['database-url'] !== undefined ? 'the --database-url flag' : 'PRONTODB_DATABASE_URL in the environment';
    case 'cursor':
      return options.cursor !== undefined ? `the --cursor flag` : fromEnv('PRONTODB_CURSOR');
    case 'workdir':
      return `${target.workdir!.file}`;
    default:
      return undefined;
  }
}

export const CURSOR_COMMANDS: CommandSpec[] = [
  {
    name: 'cursor',
    group: 'Cursors',
    forms: [
      {
        usage: 'cursor set <name> <database-or-path> [--meta CTX] [-p PROJECT] [-n NAMESPACE]',
        async run(context, [name, target]) {
          const { options } = context.invocation;
          const isPath = /[\\/]/.test(target!) || /\.(prdb|db|sqlite3?)$/.test(target!);
          const cursor = await context.pronto.cursors.set(name!, userOf(context), isPath ? { path: target } : { database: target }, {
            metaContext: options.meta ?? null,
            defaultProject: options.project ?? null,
            defaultNamespace: options.namespace ?? null,
          });
          status(context, `Cursor '${cursor.name}' set to '${displayLocation(cursor.databasePath)}'${cursor.metaContext ? ` with meta context '${cursor.metaContext}'` : ''}`);
          return 0;
        },
      },
      {
        usage: 'cursor list',
        async run(context) {
          const { cursors } = context.pronto;
          const user = userOf(context);
          const selected = cursors.selection(user);
          context.io.out(
            cursors
              .list(user)
              .map((cursor) => `${cursor.name === selected ? '*' : ' '} ${describe(cursor.name, cursor.databasePath, cursor.metaContext)}\n`)
              .join(''),
          );
          return 0;
        },
      },
      {
        usage: 'cursor active',
        async run(context) {
          const target = context.pronto.resolve(selectionOf(context));
          context.io.out(`${target.cursor?.name ?? target.databaseName ?? displayLocation(target.location)}\t${displayLocation(target.location)}\t${target.source}\tuser:${target.user}\n`);
          return 0;
        },
      },
      { usage: 'cursor use <name>', run: (context, [name]) => selectAndExplain(context, name!) },
      {
        usage: 'cursor delete <name>',
        async run(context, [name]) {
          const { cursors } = context.pronto;
          const user = userOf(context);
          if (!cursors.delete(name!, user)) throw new ProntoError('not-found', `Cursor '${name}' not found for user '${user}'`);
          if (cursors.selection(user) === name) cursors.clearSelection(user);
          status(context, `Cursor '${name}' deleted for user '${user}'`);
          return 0;
        },
      },
      {
        usage: 'cursor rename <old> <new>',
        async run(context, [from, to]) {
          const user = userOf(context);
          await context.pronto.cursors.rename(from!, to!, user);
          status(context, `Cursor '${from}' renamed to '${to}' for user '${user}'`);
          return 0;
        },
      },
      {
        usage: 'cursor clear',
        async run(context) {
          const user = userOf(context);
          context.pronto.cursors.clearSelection(user);
          status(context, `Selection cleared for user '${user}'`);
          return 0;
        },
      },
      // The Rust CLI's bare form.
      { usage: 'cursor <name>', note: 'same as cursor use <name>', run: (context, [name]) => selectAndExplain(context, name!) },
    ],
    help: `Cursors are named pointers to a database, per user (--user). <database-or-path> is a
database name, or a file path (contains '/' or ends in .prdb/.db; resolved now).
--meta stores every project under CTX.<project>, isolated from other data.
'use' selects a cursor (or database name) for the user; later commands use it.`,
  },
];
