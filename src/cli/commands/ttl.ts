/** TTL namespaces: create-cache, remove-cache, purge. */
import { MAX_TTL_SECONDS } from '../../core/address';
import { ProntoError } from '../../core/errors';
import type { CommandSpec } from '../commandTable';
import { wholeNumber } from '../options';
import { openSession } from '../session';

export const TTL_COMMANDS: CommandSpec[] = [
  {
    name: 'create-cache',
    group: 'TTL',
    forms: [
      {
        usage: 'create-cache <project.namespace> <seconds>',
        async run(context, [namespacePath, seconds]) {
          await (await openSession(context)).createCache(namespacePath!, wholeNumber('Timeout', seconds!, { min: 1, max: MAX_TTL_SECONDS }));
          return 0;
        },
      },
    ],
    help: `Make a namespace a TTL cache: values written there expire after <seconds> unless
set with their own --ttl.`,
  },
  {
    name: 'remove-cache',
    group: 'TTL',
    forms: [
      {
        usage: 'remove-cache <project.namespace>',
        async run(context, [namespacePath]) {
          const removed = await (await openSession(context)).removeCache(namespacePath!);
          if (!removed) throw new ProntoError('not-found', `'${namespacePath}' is not a TTL namespace`);
          return 0;
        },
      },
    ],
    help: 'Stop a namespace being a TTL cache. Values already written keep their expiry.',
  },
  {
    name: 'purge',
    group: 'TTL',
    forms: [
      {
        usage: 'purge',
        async run(context) {
          const removed = await (await openSession(context)).purgeExpired();
          context.io.out(`${removed}\n`);
          return 0;
        },
      },
    ],
    help: 'Delete expired values now. Prints how many were removed.',
  },
];
