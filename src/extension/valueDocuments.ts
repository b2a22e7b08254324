import * as vscode from 'vscode';
import { displayKey } from '../core/address';
import type { Address, Entry } from '../core/types';
import type { ProntoService } from './service';

export const VALUE_SCHEME = 'prontodb';

export interface ValueLocation {
  ref: { database: string; file?: string };
  address: Address;
  /** Opened to write a value that does not exist yet: reads as empty until saved. */
  create: boolean;
}

/**
 * `prontodb:/<db>/<project>/<namespace>/<key>` — the path is for people (tab titles); the query
 * carries the exact address, since keys may hold '/' and other characters a path would mangle.
 */
export function valueUri(ref: { database: string; file?: string }, address: Address, options: { create?: boolean } = {}): vscode.Uri {
  const readable = (segment: string) => segment.replace(/\//g, '\u2215');
  const query = new URLSearchParams({ db: ref.database, p: address.project, n: address.namespace, k: address.key });
  if (ref.file) query.set('file', ref.file);
  if (address.context !== null) query.set('c', address.context);
  if (options.create) query.set('new', '1');
  return vscode.Uri.from({
    scheme: VALUE_SCHEME,
    path: `/${[ref.database, address.project, address.namespace, displayKey(address)].map(readable).join('/')}`,
    query: query.toString(),
  });
}

/**
 * The read-only document of a value as it was after audit record `auditId` (or, with `before`, as
 * it was before it): the value's URI with a `version` query. valueHistory.ts reads these.
 */
export function versionUri(ref: { database: string; file?: string }, address: Address, auditId: number, options: { before?: boolean } = {}): vscode.Uri {
  const uri = valueUri(ref, address);
  const query = new URLSearchParams(uri.query);
  query.set('version', String(auditId));
  if (options.before) query.set('before', '1');
  return uri.with({ query: query.toString() });
}

/** The audit record a version URI names, or undefined for the current value's URI. */
export function versionOf(uri: vscode.Uri): { auditId: number; before: boolean } | undefined {
  const query = new URLSearchParams(uri.query);
  const version = query.get('version');
  if (version === null) return undefined;
  const auditId = Number(version);
  if (!Number.isSafeInteger(auditId) || auditId < 1) throw vscode.FileSystemError.FileNotFound(uri);
  return { auditId, before: query.get('before') === '1' };
}

/** Reads old versions of values (valueHistory.ts); the provider asks it for every version URI. */
export interface ValueVersionReader {
  read(uri: vscode.Uri, location: ValueLocation, version: { auditId: number; before: boolean }): Promise<{ text: string; mtime: number }>;
}

export function parseValueUri(uri: vscode.Uri): ValueLocation {
  const query = new URLSearchParams(uri.query);
  const [database, project, namespace, key] = ['db', 'p', 'n', 'k'].map((name) => query.get(name));
  if (database === null || project === null || namespace === null || key === null) throw vscode.FileSystemError.FileNotFound(uri);
  return { ref: { database, file: query.get('file') ?? undefined }, address: { project, namespace, key, context: query.get('c') }, create: query.get('new') === '1' };
}

/** Values that are JSON objects or arrays open as JSON (highlighting, folding, formatting). */
export async function languageFromContent(document: vscode.TextDocument): Promise<vscode.TextDocument> {
  if (document.languageId !== 'plaintext') return document;
  const text = document.getText().trim();
  if (!/^[[{]/.test(text)) return document;
  try {
    JSON.parse(text);
  } catch {
    return document;
  }
  return vscode.languages.setTextDocumentLanguage(document, 'json');
}

/** Seconds until an entry expires (at least 1 while it lives), or undefined when it never does. */
export function remainingSeconds(entry: Pick<Entry, 'expiresAt'>, nowMs = Date.now()): number | undefined {
  if (entry.expiresAt === null) return undefined;
  return Math.max(1, entry.expiresAt - Math.floor(nowMs / 1000));
}

/** "45s", "5m", "2h 5m", "3d 4h". */
export function describeDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

/** A change of value must change mtime, even twice within the second the store records. */
function modificationTime(updatedAt: number, value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index++) hash = (hash * 31 + value.charCodeAt(index)) | 0;
  return updatedAt * 1000 + (Math.abs(hash) % 1000);
}

/**
 * Values as documents. Saving writes the value back durably; VS Code compares the mtime it read
 * with the current one before saving, so a value another process changed meanwhile raises the usual
 * "file is newer" conflict instead of being overwritten.
 *
 * Two gaps of that check are closed here. It only fires when the reported mtime went up, but the
 * store's timestamps are whole seconds: so a changed value always gets a higher mtime than the one
 * last reported for its URI. And it only fires when the size changed too (VS Code's etag compares
 * the size at the old mtime): so a write over a value that another process replaced with one of the
 * same size is refused here, against the value the editor last loaded.
 */
export class ValueFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private readonly encoder = new TextEncoder();
  /** Per URI: the value and mtime last reported, so a changed value never reports an older mtime. */
  private readonly stamps = new Map<string, { value: string; mtime: number }>();
  /** Per URI: the value the editor last loaded (read) or saved. */
  private readonly loaded = new Map<string, string>();

  constructor(
    private readonly service: ProntoService,
    /** Old versions (`?version=`): read-only documents of the audit log's history. */
    private readonly versions?: ValueVersionReader,
  ) {
    this.subscriptions = [
      // A database changed (here or in another process): open values of it may be stale now.
      service.onDidChangeData(({ file }) => {
        const events = vscode.workspace.textDocuments
          .filter((document) => document.uri.scheme === VALUE_SCHEME && this.service.fileOf(parseValueUri(document.uri).ref) === file)
          .map((document) => ({ type: vscode.FileChangeType.Changed, uri: document.uri }));
        if (events.length > 0) this.changed.fire(events);
      }),
      // What was read for a document is only needed while it is open. A change of language closes
      // and reopens the document without reading it again: forget only what stays closed.
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme !== VALUE_SCHEME) return;
        const key = document.uri.toString();
        setTimeout(() => {
          if (vscode.workspace.textDocuments.some((open) => open.uri.toString() === key)) return;
          this.stamps.delete(key);
          this.loaded.delete(key);
        }, 1000);
      }),
    ];
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  private async entryOf(uri: vscode.Uri) {
    const { ref, address, create } = parseValueUri(uri);
    const session = await this.service.session(ref);
    return { session, address, create, entry: await session.get(address) };
  }

  private stamp(uri: vscode.Uri, entry: { updatedAt: number; value: string }): number {
    const key = uri.toString();
    const previous = this.stamps.get(key);
    let mtime = modificationTime(entry.updatedAt, entry.value);
    if (previous?.value === entry.value) mtime = previous.mtime;
    else if (previous && mtime <= previous.mtime) mtime = previous.mtime + 1;
    this.stamps.set(key, { value: entry.value, mtime });
    return mtime;
  }

  /** An old version's text, or undefined when `uri` is the current value's. */
  private async versionText(uri: vscode.Uri): Promise<{ text: string; mtime: number } | undefined> {
    const version = versionOf(uri);
    if (!version) return undefined;
    if (!this.versions) throw vscode.FileSystemError.Unavailable(uri);
    return this.versions.read(uri, parseValueUri(uri), version);
  }

  /** Old versions are history: never written. */
  private refuseVersionWrite(uri: vscode.Uri): void {
    if (versionOf(uri)) throw vscode.FileSystemError.NoPermissions('An old version of a value is read-only (it is what the audit log recorded)');
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const version = await this.versionText(uri);
    if (version) return { type: vscode.FileType.File, ctime: version.mtime, mtime: version.mtime, size: this.encoder.encode(version.text).byteLength, permissions: vscode.FilePermission.Readonly };
    const { entry, create } = await this.entryOf(uri);
    if (!entry && create) return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: 0 };
    if (!entry) throw vscode.FileSystemError.FileNotFound(uri);
    return {
      type: vscode.FileType.File,
      ctime: entry.createdAt * 1000,
      mtime: this.stamp(uri, entry),
      size: this.encoder.encode(entry.value).byteLength,
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const version = await this.versionText(uri);
    if (version) return this.encoder.encode(version.text);
    const { entry, create } = await this.entryOf(uri);
    if (!entry && create) {
      this.loaded.set(uri.toString(), '');
      return new Uint8Array();
    }
    if (!entry) throw vscode.FileSystemError.FileNotFound(uri);
    this.stamp(uri, entry);
    this.loaded.set(uri.toString(), entry.value);
    return this.encoder.encode(entry.value);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    this.refuseVersionWrite(uri);
    const { session, address, entry } = await this.entryOf(uri);
    if (!entry && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
    if (entry && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    const key = uri.toString();
    const loaded = this.loaded.get(key);
    if (entry && loaded !== undefined && loaded !== entry.value && this.encoder.encode(loaded).byteLength === this.encoder.encode(entry.value).byteLength) {
      // VS Code's own check cannot see this change (same size): refuse rather than overwrite it.
      throw new vscode.FileSystemError(
        `${uri.path.slice(1)} was changed by another process since it was opened. Revert the editor to load the new value (your edits are lost), or copy them first.`,
      );
    }
    const value = new TextDecoder('utf-8', { fatal: false }).decode(content);
    // Compare-and-set: a write landing between the read above and this one is not overwritten either.
    // An expiring value keeps its expiry (a custom --ttl included), not the namespace default.
    await session.set(address, value, { expected: { value: entry?.value }, keepExpiry: true });
    this.service.afterWrite(session);
    this.loaded.set(key, value);
    this.changed.fire([{ type: entry ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  async delete(uri: vscode.Uri): Promise<void> {
    this.refuseVersionWrite(uri);
    const { session, address } = await this.entryOf(uri);
    await session.delete(address);
    this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  readDirectory(): never {
    throw vscode.FileSystemError.NoPermissions('ProntoDB values are opened one at a time from the ProntoDB view');
  }

  createDirectory(): never {
    throw vscode.FileSystemError.NoPermissions('ProntoDB has no folders');
  }

  rename(): never {
    throw vscode.FileSystemError.NoPermissions('Renaming a ProntoDB value is not supported; set the new address and delete the old one');
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}
