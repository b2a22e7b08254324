/** Commands about the CLI itself: noop, version, help. `--help` and `--version` run these too. */
import { usageError } from '../../core/errors';
import { type CommandContext, type CommandSpec, type ExitCode, findCommand } from '../commandTable';
import { commandHelp, generalHelp } from '../help';
import { selectionOf } from '../session';

/** `help [command]` and `[command] --help`: the command's help, or the general help. */
export async function printHelp(context: CommandContext, topic: string | undefined): Promise<ExitCode> {
  if (topic === undefined) {
    context.io.out(`${generalHelp(context.commands, context.version)}\n`);
    return 0;
  }
  const spec = findCommand(context.commands, topic);
  if (!spec) throw usageError(`no help for unknown command '${topic}'`);
  context.io.out(`${commandHelp(spec)}\n`);
  return 0;
}

export async function printVersion(context: CommandContext): Promise<ExitCode> {
  context.io.out(`prontodb ${context.version}\n`);
  return 0;
}

export const INFO_COMMANDS: CommandSpec[] = [
  {
    name: 'noop',
    group: 'Other',
    forms: [
      {
        usage: 'noop',
        async run(context) {
          context.pronto.resolve(selectionOf(context));
          return 0;
        },
      },
    ],
    help: 'Do nothing and exit 0 (checks that flags and the selected database resolve).',
  },
  {
    name: 'version',
    group: 'Other',
    forms: [{ usage: 'version', note: 'or --version, -v', run: printVersion }],
    help: 'Print the version.',
  },
  {
    name: 'help',
    group: 'Other',
    forms: [{ usage: 'help [command]', run: (context, [topic]) => printHelp(context, topic) }],
    help: "Print the general help, or one command's (the same as prontodb <command> --help).",
  },
];
