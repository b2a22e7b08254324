/** The dashboard in a browser: prontodb ui. */
import type { CommandSpec } from '../commandTable';
import { wholeNumber } from '../options';

export const UI_COMMANDS: CommandSpec[] = [
  {
    name: 'ui',
    group: 'Health',
    forms: [
      {
        usage: 'ui [--port N] [--host ADDRESS] [--read-only] [--no-open] [--allow-remote]',
        async run(context) {
          const { options } = context.invocation;
          const { serveUi } = await import('../ui/server');
          return serveUi(context, {
            port: options.port === undefined ? 0 : wholeNumber('Port', options.port, { max: 65_535 }),
            host: options.host ?? '127.0.0.1',
            readOnly: options['read-only'] === true,
            open: options['no-open'] !== true,
            allowRemote: options['allow-remote'] === true,
          });
        },
      },
    ],
    help: `Serve the dashboard (the same one VS Code shows) to a browser and open it: every database's
size, keys, health and backups; a database's namespaces, expiry and audit activity; the keys
with search, paging, view, edit and delete; doctor's checks with their fixes. Prints its URL,
which carries a token made for this run: every request needs it. Binds 127.0.0.1 on a free
port (--port to choose); another --host needs --allow-remote. --read-only refuses every write.
GET /metrics (with the token) serves Prometheus metrics. Ctrl+C stops it.`,
  },
];
