/** Named databases of the data directory, or of the server a database URL names: db list, create, delete. */
import { usageError } from '../../core/errors';
import type { CommandContext, CommandSpec } from '../commandTable';
import { selectionOf, status } from '../session';

/** The server `--database-url` or `PRONTODB_DATABASE_URL` names, if any: its named databases are meant. */
function serverOf(context: CommandContext): string | undefined {
  return selectionOf(context).databaseUrl;
}

export const DB_COMMANDS: CommandSpec[] = [
  {
    name: 'db',
    group: 'Databases',
    defaultAction: 'list',
    forms: [
      {
        usage: 'db list',
        async run(context) {
          const databases = await context.pronto.listDatabasesAt(serverOf(context));
          context.io.out(databases.map((db) => `${db.name}\t${db.size}\t${context.pronto.describeLocation(db.location)}\n`).join(''));
          return 0;
        },
      },
      {
        usage: 'db create <name>',
        async run(context, [name]) {
          const created = await context.pronto.createDatabase(name!, serverOf(context));
          status(context, `Created database '${created.name}' at ${context.pronto.describeLocation(created.location)}`);
          return 0;
        },
      },
      {
        usage: 'db delete <name> --force',
        async run(context, [name]) {
          if (!context.invocation.options.force) throw usageError(`Deleting database '${name}' removes its data: add --force to confirm`);
          await context.pronto.deleteDatabase(name!, serverOf(context));
          status(context, `Deleted database '${name}'`);
          return 0;
        },
      },
    ],
    help: `Named databases live in <data>/<name>/pronto.<name>.prdb. Delete removes the database
directory, with the cursors filed in it, and needs --force. With --database-url (or
PRONTODB_DATABASE_URL) they are the named databases of that server: one schema each.`,
  },
];
