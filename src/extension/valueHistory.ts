import * as vscode from 'vscode';
import { type AuditRecord, digest } from '../core/audit';
import type { Entry } from '../core/types';
import type { ProntoService } from './service';
import type { ValueLocation, ValueVersionReader } from './valueDocuments';

/**
 * A value as it was at one point of its audit history: after the write of `record`, or (`before`)
 * as the oldest record found it. What it held comes from the records themselves: the value a write
 * left is the old value the next record kept, or, for the newest, the current value; each is
 * checked against the digest the write recorded, so a change the log did not see (the Rust CLI,
 * sqlite3, an expiry, writes while the log was off) is reported, never shown as something it is not.
 */
export interface ValueVersion {
  record: AuditRecord;
  before: boolean;
  /** The text (empty for "nothing stored"), or why it cannot be shown. */
  state: { kind: 'value'; text: string } | { kind: 'absent' } | { kind: 'unknown'; why: string };
}

const DIGESTS_ONLY = 'only a digest of this value was kept (to keep values, turn on value history: ProntoDB: Turn Audit Log On/Off…)';

/** Every version `records` (one address, newest first) let us name, newest first. */
export function versionsOf(records: AuditRecord[], current: Entry | undefined): ValueVersion[] {
  const versions: ValueVersion[] = records.map((record, index) => {
    if (record.newDigest === null) return { record, before: false, state: { kind: 'absent' } };
    const newer = records[index - 1];
    if (!newer) {
      if (current && digest(current.value) === record.newDigest) return { record, before: false, state: { kind: 'value', text: current.value } };
      return { record, before: false, state: { kind: 'unknown', why: 'the value now is not the one this write left (it expired, or a program whose writes are not recorded changed it)' } };
    }
    if (newer.oldDigest !== record.newDigest) {
      return { record, before: false, state: { kind: 'unknown', why: `the next record (${newer.id}) found another value: something the log did not record changed it in between` } };
    }
    return { record, before: false, state: newer.oldValue !== null ? { kind: 'value', text: newer.oldValue } : { kind: 'unknown', why: DIGESTS_ONLY } };
  });
  const oldest = records[records.length - 1];
  if (oldest && oldest.oldDigest !== null) {
    versions.push({ record: oldest, before: true, state: oldest.oldValue !== null ? { kind: 'value', text: oldest.oldValue } : { kind: 'unknown', why: DIGESTS_ONLY } });
  }
  return versions;
}

/** Old versions of values as read-only `prontodb:` documents (`?version=<audit id>`). */
export class ValueHistoryReader implements ValueVersionReader {
  constructor(private readonly service: ProntoService) {}

  async read(uri: vscode.Uri, location: ValueLocation, wanted: { auditId: number; before: boolean }): Promise<{ text: string; mtime: number }> {
    const session = await this.service.session(location.ref);
    const records = await session.history({ address: location.address });
    const version = versionsOf(records, await session.get(location.address)).find((each) => each.record.id === wanted.auditId && each.before === wanted.before);
    if (!version) throw vscode.FileSystemError.FileNotFound(uri);
    if (version.state.kind === 'unknown') throw new vscode.FileSystemError(`This version cannot be shown: ${version.state.why}`);
    return { text: version.state.kind === 'value' ? version.state.text : '', mtime: version.record.at };
  }
}
