/**
 * Copying a whole database from one location to another (`prontodb copy`, the extension's "Copy
 * Database To…", and server backups and restores): a named database of the data directory or of a
 * server, a SQLite file, or a `postgres://` URL, in any combination.
 *
 * Exact: every live row with its context (NULL and '' apart), value, created_at, updated_at and
 * expires_at, and the TTL namespaces. Expired rows are not copied: no read ever returns them and
 * every commit purges them, so copying them would only carry garbage along. The target is written
 * in one commit of its store (one transaction on a server, one whole-file commit for a file): all or
 * nothing. A target holding data is refused unless `replace` is given, and then its contents are
 * replaced in that same commit; the check is repeated inside the commit, so a writer that fills
 * the target meanwhile is not overwritten unasked.
 */
import * as path from 'node:path';
import { withActor } from './audit';
import type { Backend } from './backend';
import { ProntoError, throwIfCancelled, usageError } from './errors';
import { isUrlLocation, type Location, resolveLocation } from './location';
import { validateDatabaseName } from './paths';
import type { ProntoDB } from './pronto';
import type { ImportOptions, KvStore } from './store';

export interface CopyProgress {
  /** Rows written so far, of `total`. */
  done: number;
  total: number;
}

export interface CopyOptions {
  /** Replace what the target holds instead of refusing a target that is not empty. */
  replace?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** What the target's audit log records (default: a 'copy' from the source). */
  audit?: ImportOptions['audit'];
}

export interface CopyResult {
  entries: number;
  ttlNamespaces: number;
}

/** Say so when the copy was stopped: the target has not changed. */
function cancelled(): ProntoError {
  return new ProntoError('cancelled', 'Copy cancelled: the target was left unchanged');
}

/**
 * Copies every live row and TTL namespace of `source` into `target` in one commit of `target`.
 * Both stores stay open (the caller owns them).
 */
export async function copyStore(source: KvStore, target: KvStore, sourceShown: string, targetShown: string, options: CopyOptions = {}): Promise<CopyResult> {
  const { signal } = options;
  if (signal?.aborted) throw cancelled();
  if (!options.replace) await refuseNonEmpty(target, targetShown);
  const { entries, ttlNamespaces } = await source.exportEntries({}, { signal });
  if (signal?.aborted) throw cancelled();
  const total = entries.length;
  options.onProgress?.({ done: 0, total });
  try {
    await target.importEntries(entries, ttlNamespaces, {
      preserveTimestamps: true,
      replaceContents: options.replace ? 'always' : 'when-empty',
      signal,
      onProgress: (fraction) => options.onProgress?.({ done: Math.min(total, Math.round(fraction * total)), total }),
      audit: options.audit ?? { operation: 'copy', detail: `from ${sourceShown}: ${total} entries, ${ttlNamespaces.length} TTL namespaces${options.replace ? ' (contents replaced)' : ''}` },
    });
  } catch (error) {
    if ((error as ProntoError).code === 'cancelled') throw cancelled();
    if ((error as ProntoError).code === 'conflict' && !options.replace) throw notEmpty(targetShown);
    throw error;
  }
  return { entries: total, ttlNamespaces: ttlNamespaces.length };
}

function notEmpty(targetShown: string): ProntoError {
  return new ProntoError('conflict', `The target ${targetShown} is not empty: give --replace to replace its contents (nothing was written)`);
}

async function refuseNonEmpty(target: KvStore, targetShown: string): Promise<void> {
  if ((await target.projects()).length > 0 || (await target.ttlNamespaces()).length > 0) throw notEmpty(targetShown);
}

/** A location `copy` was given, as the core understands it. */
export interface CopyLocation {
  location: Location;
  /** How it is shown to people (a URL without its password). */
  shown: string;
  /** Set for a named database: its name and the backend holding the named databases it is one of. */
  named?: { name: string; home: Backend };
}

/** File names that mean a file even without a folder: `copy main backup.prdb`. */
const FILE_SUFFIX = /\.(prdb|db|sqlite3?)$/i;

/**
 * Reads what the user wrote: a URL (`postgres://…`, `file://…`), a path (it holds a folder
 * separator, starts with `.` or `~`, or ends in .prdb, .db, .sqlite or .sqlite3), else the name of a
 * named database — of the server `server` names (`--database-url`) when one is given, else of the
 * data directory.
 */
export function resolveCopyLocation(pronto: ProntoDB, text: string, role: 'source' | 'target', server?: Location): CopyLocation {
  if (text.trim() === '') throw usageError(`The copy ${role} is empty`);
  if (isUrlLocation(text)) {
    const location = resolveLocation(text, pronto.cwd);
    const backend = pronto.backendFor(location, `the copy ${role}`);
    backend.checkUsable(location, `the copy ${role}`);
    return { location: backend.canonical(location), shown: backend.describeLocation(location) };
  }
  if (/[\\/]/.test(text) || text.startsWith('.') || text.startsWith('~') || FILE_SUFFIX.test(text)) {
    const location = path.resolve(pronto.cwd, text.startsWith('~/') ? path.join(process.env.HOME ?? '~', text.slice(2)) : text);
    const backend = pronto.backendFor(location, `the copy ${role}`);
    backend.checkUsable(location, `the copy ${role}`);
    return { location: backend.canonical(location), shown: location };
  }
  let name: string;
  try {
    name = validateDatabaseName(text);
  } catch (error) {
    throw usageError(`The copy ${role} '${text}' is neither a database name, a file path nor a postgres:// URL: ${(error as Error).message}`);
  }
  const home = pronto.namedDatabases(server);
  const location = home.databaseLocation(name);
  return { location: home.canonical(location), shown: `database '${name}' (${home.describeLocation(location)})`, named: { name, home } };
}

export interface CopyDatabaseOptions extends CopyOptions {
  /** Who copies, for the target's audit log. */
  actor?: { user?: string; cursor?: string };
}

/**
 * Copies the database at `source` to `target` (resolveCopyLocation). Refuses the same database on
 * both sides and a source that does not exist. A target that did not exist and is left empty by a
 * failed or cancelled copy is removed again, so a failure leaves things as they were.
 */
export async function copyDatabase(pronto: ProntoDB, source: CopyLocation, target: CopyLocation, options: CopyDatabaseOptions = {}): Promise<CopyResult> {
  if (source.location === target.location) throw usageError(`The source and the target are the same database (${source.shown})`);
  const sourceBackend = pronto.backendFor(source.location);
  const targetBackend = pronto.backendFor(target.location);
  if (!(await sourceBackend.exists(source.location))) throw new ProntoError('not-found', `The copy source ${source.shown} does not exist`);
  throwIfCancelled(options.signal);
  const targetExisted = await targetBackend.exists(target.location);
  // A named database that is not even listed (no folder, no schema) is made for the copy, and unmade if it fails.
  const newName = target.named && !(await target.named.home.listDatabases()).some((db) => db.name === target.named!.name) ? target.named : undefined;
  if (!targetExisted && target.named && !isUrlLocation(target.location)) await target.named.home.prepareDatabase(target.named.name);
  try {
    const from = await pronto.store(source.location);
    const to = await pronto.store(target.location);
    return await withActor({ ...options.actor, client: pronto.client }, () => copyStore(from, to, source.shown, target.shown, options));
  } catch (error) {
    if (!targetExisted) await removeIfEmpty(pronto, target, newName).catch(() => undefined);
    throw error;
  }
}

/** Undoes the creation of a target that a failed copy made (an empty schema, a named database's folder). */
async function removeIfEmpty(pronto: ProntoDB, target: CopyLocation, newName: CopyLocation['named']): Promise<void> {
  const backend = pronto.backendFor(target.location);
  const home = target.named?.home ?? backend.atServer?.(target.location);
  const name = home?.databaseName(target.location);
  if (!home || name === undefined) return;
  if (await backend.exists(target.location)) {
    const store = await pronto.store(target.location);
    if ((await store.projects()).length > 0 || (await store.ttlNamespaces()).length > 0) return;
    await pronto.deleteDatabase(name, home === pronto.home ? undefined : target.location);
  } else if (newName) {
    await newName.home.deleteDatabase(newName.name);
  }
}
