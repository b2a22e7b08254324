/** Named databases of the data directory: db list, create, delete. */
import { usageError } from '../../core/errors';
import type { CommandSpec } from '../commandTable';
import { status } from '../session';

export const DB_COMMANDS: CommandSpec[] = [
  {
    name: 'db',
    group: 'Databases',
    defaultAction: 'list',
    forms: [
      {
        usage: 'db list',
        async run(context) {
          context.io.out(context.pronto.listDatabases().map((db) => `${db.name}\t${db.size}\t${db.file}\n`).join(''));
          return 0;
        },
      },
      {
        usage: 'db create <name>',
        async run(context, [name]) {
          const created = await context.pronto.createDatabase(name!);
          status(context, `Created database '${created.name}' at ${created.file}`);
          return 0;
        },
      },
      {
        usage: 'db delete <name> --force',
        async run(context, [name]) {
          if (!context.invocation.options.force) throw usageError(`Deleting database '${name}' removes its data: add --force to confirm`);
          await context.pronto.deleteDatabase(name!);
          status(context, `Deleted database '${name}'`);
          return 0;
        },
      },
    ],
    help: `Named databases live in <data>/<name>/pronto.<name>.prdb. Delete removes the database
directory, with the cursors filed in it, and needs --force.`,
  },
];
