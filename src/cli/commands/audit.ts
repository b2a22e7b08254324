/** The audit log: audit on|off, audit show, audit restore. */
import { formatAddress, printableName } from '../../core/address';
import type { AuditRecord, AuditSettings } from '../../core/audit';
import { ProntoError, usageError } from '../../core/errors';
import type { Session } from '../../core/pronto';
import type { CommandContext, CommandSpec } from '../commandTable';
import { wholeNumber } from '../options';
import { openSession, status } from '../session';

/** `--since`: an ISO date/time, or an age like 30m, 12h, 7d. */
export function parseSince(text: string, now = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(text);
  if (age) return now - Number(age[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) throw usageError(`--since '${text}' must be an ISO date or time (2026-11-30, 2026-11-30T12:00Z) or an age (30m, 12h, 7d)`);
  return time;
}

function describeSettings(settings: AuditSettings): string {
  if (!settings.enabled) return 'Audit log: off';
  const keep = [settings.keepDays ? `${settings.keepDays} days` : '', settings.keepRows ? `${settings.keepRows} records` : ''].filter(Boolean).join(' and ') || 'everything';
  return `Audit log: on (keeps ${keep}; old values ${settings.keepValueBytes ? `up to ${settings.keepValueBytes} bytes` : 'as digests only'})`;
}

function addressOf(record: AuditRecord): string {
  if (record.key === null) return [record.project, record.namespace].filter((part) => part !== null).join('.') || '-';
  return printableName(formatAddress({ project: record.project!, namespace: record.namespace!, key: record.key, context: record.context }));
}

function recordLine(record: AuditRecord): string {
  const who = [record.user ?? '?', record.cursor ? `cursor ${record.cursor}` : '', `${record.client ?? '?'}@${record.host ?? '?'}:${record.pid ?? '?'}`].filter(Boolean).join(' ');
  const digests = record.oldDigest || record.newDigest ? ` ${record.oldDigest?.slice(0, 12) ?? '-'} -> ${record.newDigest?.slice(0, 12) ?? '-'}` : '';
  return `${record.id}\t${new Date(record.at).toISOString()}\t${record.operation}\t${addressOf(record)}\t${who}${digests}${record.detail ? `\t${record.detail}` : ''}${record.oldValue !== null ? '\t(old value kept)' : ''}`;
}

async function configure(context: CommandContext, enabled: boolean): Promise<0> {
  const session = await openSession(context);
  const options = context.invocation.options;
  const change: Partial<AuditSettings> = { enabled };
  if (options['keep-days'] !== undefined) change.keepDays = wholeNumber('--keep-days', options['keep-days']);
  if (options['keep-rows'] !== undefined) change.keepRows = wholeNumber('--keep-rows', options['keep-rows']);
  if (options['keep-values'] !== undefined) change.keepValueBytes = wholeNumber('--keep-values', options['keep-values'], { max: 16 * 1024 * 1024 });
  status(context, describeSettings(await session.configureAudit(change)));
  return 0;
}

async function show(context: CommandContext, session: Session, addressText: string | undefined): Promise<0> {
  const { since, limit, json } = context.invocation.options;
  const records = await session.history({
    address: addressText,
    since: since === undefined ? undefined : parseSince(since),
    limit: limit === undefined ? 200 : wholeNumber('--limit', limit, { min: 1 }),
  });
  if (json) context.io.out(`${JSON.stringify(records, null, 2)}\n`);
  else context.io.out(records.map((record) => `${recordLine(record)}\n`).join(''));
  return 0;
}

export const AUDIT_COMMANDS: CommandSpec[] = [
  {
    name: 'audit',
    group: 'Health',
    defaultAction: 'status',
    forms: [
      {
        usage: 'audit status',
        async run(context) {
          context.io.out(`${describeSettings(await (await openSession(context)).auditSettings())}\n`);
          return 0;
        },
      },
      { usage: 'audit on [--keep-days N] [--keep-rows N] [--keep-values BYTES]', run: (context) => configure(context, true) },
      { usage: 'audit off', run: (context) => configure(context, false) },
      { usage: 'audit show [address] [--since TIME] [--limit N] [--json]', run: async (context, [address]) => show(context, await openSession(context), address) },
      {
        usage: 'audit restore <id>',
        async run(context, [idText]) {
          const session = await openSession(context);
          const id = wholeNumber('Record id', idText!, { min: 1 });
          const [record] = (await session.history()).filter((each) => each.id === id);
          if (!record) throw new ProntoError('not-found', `No audit record ${id} (prontodb audit show lists them)`);
          if (record.key === null) throw usageError(`Record ${id} (${record.operation}) is not about one value`);
          if (record.oldValue === null) {
            throw usageError(
              record.oldDigest === null
                ? `Record ${id} has no old value: nothing was stored at ${addressOf(record)} before it`
                : `Record ${id} kept only a digest of the old value (turn on value history: prontodb audit on --keep-values BYTES)`,
            );
          }
          const address = { project: record.project!, namespace: record.namespace!, key: record.key, context: record.context };
          await session.set(address, record.oldValue);
          status(context, `Restored ${addressOf(record)} to its value before record ${id}`);
          return 0;
        },
      },
    ],
    help: `The audit log of the database: off by default. 'audit on' records every write from then on
(set, delete, rename, import, purge, restore, migrate, ...): when, who (user, cursor, client
cli/extension/mcp, host, pid), what (operation, address) and a sha256 digest of the old and new
value; with --keep-values BYTES also old values up to that size, so 'audit restore <id>' can put
a value back as it was before record <id>. Kept: --keep-days (default 90) and --keep-rows
(default 10000), 0 for no limit. 'audit show [address]' lists records newest first
(--since 2026-11-30 or 12h; --limit N, default 200; --json). Bulk operations are one record each.
The log lives in the database file; the Rust CLI keeps working with it, but its own writes are
not recorded.`,
  },
];
