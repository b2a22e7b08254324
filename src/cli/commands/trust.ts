/** Consent for `.prontodb` files that send data elsewhere: allow, deny (core/workdirTrust.ts). */
import * as path from 'node:path';
import { allowWorkdir, denyWorkdir } from '../../core/workdirTrust';
import type { CommandContext, CommandSpec } from '../commandTable';
import { status } from '../session';

function folder(context: CommandContext, given: string | undefined): string {
  return path.resolve(context.pronto.cwd, given ?? '.');
}

export const TRUST_COMMANDS: CommandSpec[] = [
  {
    name: 'allow',
    group: 'Databases',
    forms: [
      {
        usage: 'allow [folder]',
        async run(context, [given]) {
          const { file, reasons } = await allowWorkdir(folder(context, given), context.pronto.layout);
          status(context, reasons.length ? `Allowed ${file} (${reasons.join('; ')})` : `Allowed ${file} (it only names databases of the data directory, which needs no allow)`);
          return 0;
        },
      },
    ],
    help: `Trust the .prontodb in effect here (or in [folder]) as it is now. A .prontodb that points at a
file outside the data directory, or at a server, is ignored until allowed (commands say so on
standard error), so a cloned repository cannot redirect your writes without your consent. Its
content is remembered by hash: after any change it needs a new allow. A .prontodb that only
names a database or cursor of the data directory is obeyed without one. 'prontodb mcp' and
'prontodb ui' follow the same rule; VS Code uses its workspace trust instead.`,
  },
  {
    name: 'deny',
    group: 'Databases',
    forms: [
      {
        usage: 'deny [folder]',
        async run(context, [given]) {
          const { file, revoked } = await denyWorkdir(folder(context, given), context.pronto.layout);
          status(context, revoked ? `Denied ${file}: it is ignored from now on` : `${file} was not allowed; nothing changed`);
          return 0;
        },
      },
    ],
    help: 'Revoke allow for the .prontodb in effect here (or in [folder]).',
  },
];
