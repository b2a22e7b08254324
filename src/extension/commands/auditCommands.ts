import * as vscode from 'vscode';
import { formatAddress, printableName } from '../../core/address';
import type { AuditRecord, AuditSettings } from '../../core/audit';
import { usageError } from '../../core/errors';
import type { Session } from '../../core/pronto';
import type { Address } from '../../core/types';
import type { DatabaseRef, DatabasesNode } from '../databasesView';
import type { ProntoService } from '../service';
import { valueUri, versionUri } from '../valueDocuments';
import { type ValueVersion, versionsOf } from '../valueHistory';
import { ask, registerCommand, validateWith } from './ui';
import { describeSessionTarget, refOf, storedAddress } from './valueCommands';

/** Old values kept per record when value history is turned on here (the command line's --keep-values). */
export const KEPT_VALUE_BYTES = 64 * 1024;

function describeSettings(settings: AuditSettings): string {
  if (!settings.enabled) return 'off';
  const keep = [settings.keepDays ? `${settings.keepDays} days` : '', settings.keepRows ? `${settings.keepRows.toLocaleString('en-US')} records` : ''].filter(Boolean).join(' and ') || 'everything';
  return `on (keeps ${keep}; old values ${settings.keepValueBytes ? `up to ${(settings.keepValueBytes / 1024).toFixed(0)} KB each` : 'as digests only'})`;
}

function when(record: AuditRecord): string {
  return new Date(record.at).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

function who(record: AuditRecord): string {
  return `${record.user ?? '?'} via ${record.client ?? '?'}${record.cursor ? `, cursor ${record.cursor}` : ''}`;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}

type VersionItem = vscode.QuickPickItem & { version: ValueVersion };

function itemOf(version: ValueVersion): VersionItem {
  const { record, state } = version;
  const shown = state.kind === 'value' ? `"${preview(state.text)}"` : state.kind === 'absent' ? '(nothing stored)' : `$(warning) ${state.why}`;
  return {
    label: version.before ? `$(history) before ${when(record)}` : `$(history) ${when(record)}`,
    description: version.before ? `the value the first recorded write (${record.operation}) replaced` : `${record.operation} by ${who(record)}`,
    detail: `${shown} · record ${record.id}${record.host ? ` on ${record.host}` : ''}`,
    version,
  };
}

/** Older first: a version before record N is older than the one after it. */
function age(version: ValueVersion): number {
  return version.record.id * 2 - (version.before ? 1 : 0);
}

/**
 * The audit log in the editor: turn it on or off for a database (with or without old values), and
 * Show History on a key, which lists the versions the log knows and opens a diff of any two (or of
 * one and the current value) as read-only `prontodb:` documents.
 */
export function registerAuditCommands(service: ProntoService): vscode.Disposable[] {
  return [
    registerCommand(service, 'prontodb.configureAudit', async (node?: DatabasesNode) => {
      const session = node && 'ref' in node ? await service.session(node.ref) : await service.session();
      const where = describeSessionTarget(session);
      const settings = await session.auditSettings();
      const keepsValues = (keepValueBytes: number | undefined) => (keepValueBytes ?? 0) > 0;
      const isCurrent = (change: Partial<AuditSettings>) => change.enabled === settings.enabled && (!change.enabled || keepsValues(change.keepValueBytes) === keepsValues(settings.keepValueBytes));
      const options: Array<vscode.QuickPickItem & { change: Partial<AuditSettings> }> = [
        { label: 'On, with old values', change: { enabled: true, keepValueBytes: settings.keepValueBytes || KEPT_VALUE_BYTES } },
        { label: 'On, digests only', change: { enabled: true, keepValueBytes: 0 } },
        { label: 'Off', change: { enabled: false } },
      ];
      options[0]!.detail = `Every write is recorded with its old value (up to ${((settings.keepValueBytes || KEPT_VALUE_BYTES) / 1024).toFixed(0)} KB): Show History can show and compare versions.`;
      options[1]!.detail = 'Every write is recorded: when, who, what, and sha256 digests of the old and new value; values are not kept.';
      options[2]!.detail = 'Writes are no longer recorded; records already kept stay until retention removes them.';
      for (const option of options) if (isCurrent(option.change)) option.description = 'now';
      const picked = await vscode.window.showQuickPick(options, { placeHolder: `Audit log of ${where}: ${describeSettings(settings)}` });
      if (!picked) return undefined;
      const updated = await session.configureAudit(picked.change);
      service.afterWrite(session);
      service.log.info(`Audit log of ${where}: ${describeSettings(updated)}`);
      void vscode.window.showInformationMessage(
        `ProntoDB: audit log of ${where} ${describeSettings(updated)}.${updated.enabled ? ' Writes by other programs (the Rust CLI, sqlite3) are not recorded.' : ''}`,
      );
      return updated;
    }),

    registerCommand(service, 'prontodb.showHistory', async (node?: DatabasesNode) => {
      let ref: DatabaseRef;
      let address: Address;
      if (node?.kind === 'key') {
        ref = node.ref;
        address = { project: node.entry.project, namespace: node.entry.namespace, key: node.entry.key, context: node.entry.context };
      } else {
        const active = await service.session();
        const text = await ask({ prompt: `Address whose history to show, in ${describeSessionTarget(active)}`, validateInput: validateWith((input) => active.parse(input)) });
        ref = refOf(service, active);
        address = storedAddress(active, active.parse(text));
      }
      // Raw on the database: the address is the stored one, as in value documents.
      const session: Session = await service.session(ref);
      const shown = printableName(formatAddress(address));
      const records = await session.history({ address });
      if (records.length === 0) {
        const settings = await session.auditSettings();
        const why = settings.enabled ? 'nothing was written to it since the audit log was turned on' : `the audit log of ${describeSessionTarget(session)} is off`;
        const choice = await vscode.window.showInformationMessage(`ProntoDB: no history of ${shown}: ${why}.`, ...(settings.enabled ? [] : ['Turn Audit Log On…']));
        if (choice) await vscode.commands.executeCommand('prontodb.configureAudit', node);
        return [];
      }
      const current = await session.get(address);
      const versions = versionsOf(records, current);
      const digestsOnly = versions.some((version) => version.state.kind === 'unknown' && /only a digest/.test(version.state.why));
      const picked = await vscode.window.showQuickPick(versions.map(itemOf), {
        canPickMany: true,
        matchOnDescription: true,
        matchOnDetail: true,
        placeHolder: `${versions.length} versions of ${shown}: pick one to compare with the current value, or two to compare${digestsOnly ? ' (some kept only a digest)' : ''}`,
      });
      if (!picked || picked.length === 0) return versions;
      if (picked.length > 2) throw usageError(`Pick one or two versions of ${shown} to compare, not ${picked.length}`);
      const missing = picked.find((item) => item.version.state.kind === 'unknown');
      if (missing && missing.version.state.kind === 'unknown') {
        void vscode.window.showWarningMessage(`ProntoDB: the version of ${shown} at ${when(missing.version.record)} cannot be shown: ${missing.version.state.why}.`);
        return versions;
      }
      const [older, newer] = picked.map((item) => item.version).sort((a, b) => age(a) - age(b));
      const uriOf = (version: ValueVersion) => versionUri(ref, address, version.record.id, { before: version.before });
      const label = (version: ValueVersion) => `${version.before ? 'before ' : ''}${when(version.record)}`;
      const left = uriOf(older!);
      const right = newer ? uriOf(newer) : valueUri(ref, address, { create: !current });
      await vscode.commands.executeCommand('vscode.diff', left, right, `${shown}: ${label(older!)} ↔ ${newer ? label(newer) : 'now'}`, { preview: false });
      return { versions, left, right };
    }),
  ];
}
