/** Reading and writing values: set, get, del, keys, scan, projects, namespaces, nss. */
import { displayKey, MAX_TTL_SECONDS, printableName } from '../../core/address';
import { usageError } from '../../core/errors';
import { decodeUtf8 } from '../../core/transfer';
import type { CommandContext, CommandSpec, ExitCode } from '../commandTable';
import { wholeNumber } from '../options';
import { openSession } from '../session';

async function store(context: CommandContext, address: string, value: string): Promise<ExitCode> {
  const session = await openSession(context);
  const { ttl, expect } = context.invocation.options;
  const ifAbsent = context.invocation.options['if-absent'];
  if (ifAbsent && expect !== undefined) throw usageError('Give either --if-absent or --expect, not both');
  const ttlSeconds = ttl === undefined ? undefined : wholeNumber('TTL', ttl, { max: MAX_TTL_SECONDS });
  const expected = ifAbsent ? { value: undefined } : expect === undefined ? undefined : { value: expect };
  await session.set(address, value, { ttlSeconds, expected });
  return 0;
}

async function list(context: CommandContext, pathText: string | undefined, line: (key: string, value: string) => string): Promise<ExitCode> {
  const entries = await (await openSession(context)).listPath(pathText);
  context.io.out(entries.map((entry) => `${line(printableName(displayKey(entry)), entry.value)}\n`).join(''));
  return 0;
}

export const DATA_COMMANDS: CommandSpec[] = [
  {
    name: 'set',
    group: 'Data',
    forms: [
      { usage: 'set <address> <value> [--ttl SECONDS] [--if-absent] [--expect OLD]', run: (context, [address, value]) => store(context, address!, value!) },
      {
        usage: 'set <address> --stdin [--ttl SECONDS] [--if-absent] [--expect OLD]',
        run: async (context, [address]) => store(context, address!, decodeUtf8(await context.io.readStdin(), 'Standard input')),
      },
    ],
    help: `Store a value. <address> is key, namespace.key or project.namespace.key, optionally
followed by __context. --stdin reads the value from standard input (exactly, no trimming).
--ttl is only allowed in TTL namespaces (see create-cache). Values starting with '-' go
after '--':  prontodb set k -- -5
--if-absent writes only if nothing (live) is stored there; --expect OLD only if the value is
exactly OLD (compare-and-set). Otherwise nothing is written and the exit status is 3.
A lease is --if-absent --ttl in a TTL namespace, renewed by its owner with --expect on its own
value and --ttl, released with del --expect; it expires by itself if the owner stops:
  prontodb create-cache work.leases 60
  prontodb set work.leases.task-7 agent-a --if-absent --ttl 30   # exit 3: someone else has it`,
  },
  {
    name: 'get',
    group: 'Data',
    forms: [
      {
        usage: 'get <address>',
        async run(context, [address]) {
          const entry = await (await openSession(context)).get(address!);
          if (!entry) return 2;
          context.io.out(`${entry.value}\n`);
          return 0;
        },
      },
    ],
    help: `Print the value followed by a newline. Exit 2, printing nothing, when the key is absent
or expired.`,
  },
  {
    name: 'del',
    group: 'Data',
    forms: [
      {
        usage: 'del <address> [--expect OLD]',
        async run(context, [address]) {
          const { expect } = context.invocation.options;
          await (await openSession(context)).delete(address!, expect === undefined ? undefined : { expected: { value: expect } });
          return 0;
        },
      },
    ],
    help: `Delete a value. Deleting an absent key is not an error. With --expect OLD, delete only
if the value is exactly OLD (release a lease you still own); otherwise exit 3.`,
  },
  {
    name: 'keys',
    group: 'Data',
    forms: [{ usage: 'keys [path]', run: (context, [pathText]) => list(context, pathText, (key) => key) }],
    help: `List live keys, one per line, sorted; contexts show as key__context. [path] is a key
prefix, project.namespace, or project.namespace.prefix (exact, case-sensitive). Without a
path: the default (or -p/-n) namespace.`,
  },
  {
    name: 'scan',
    aliases: ['ls'],
    group: 'Data',
    forms: [{ usage: 'scan [path]', run: (context, [pathText]) => list(context, pathText, (key, value) => `${key}=${value}`) }],
    help: 'Like keys, printing key=value lines.',
  },
  {
    name: 'projects',
    group: 'Data',
    forms: [
      {
        usage: 'projects',
        async run(context) {
          context.io.out((await (await openSession(context)).projects()).map((project) => `${printableName(project)}\n`).join(''));
          return 0;
        },
      },
    ],
    help: 'List projects that hold live keys or TTL namespaces.',
  },
  {
    name: 'namespaces',
    group: 'Data',
    forms: [
      {
        usage: 'namespaces [project]',
        note: 'or -p <project>',
        async run(context, [positional]) {
          const project = positional ?? context.invocation.options.project;
          if (!project) throw usageError('namespaces requires a project: prontodb namespaces <project>');
          context.io.out((await (await openSession(context)).namespaces(project)).map((ns) => `${printableName(ns)}\n`).join(''));
          return 0;
        },
      },
    ],
    help: 'List the namespaces of a project.',
  },
  {
    name: 'nss',
    group: 'Data',
    forms: [
      {
        usage: 'nss',
        async run(context) {
          const session = await openSession(context);
          const delimiter = context.invocation.options['ns-delim'] ?? '.';
          const lines: string[] = [];
          for (const project of await session.projects()) {
            for (const namespace of await session.namespaces(project)) lines.push(`${printableName(project)}${delimiter}${printableName(namespace)}\n`);
          }
          context.io.out(lines.join(''));
          return 0;
        },
      },
    ],
    help: 'List every project.namespace.',
  },
];
