import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from './atomicFile';
import { ProntoError, usageError } from './errors';
import { readDirectoryQuietly, readRegularFileSync } from './fsUtil';
import { displayLocation, type Location, locationStem, resolveLocation } from './location';
import { databaseFile, databaseNameInLayout, DEFAULT_DATABASE, type Layout, validateDatabaseName } from './paths';

export const DEFAULT_USER = 'default';
/** Words `cursor <word>` treats as subcommands, so they cannot name a cursor. */
const RESERVED_CURSOR_NAMES = new Set(['set', 'list', 'active', 'use', 'delete', 'rename', 'clear', 'reset', 'help']);

/** Users name cursor profiles; the name becomes part of file names, so keep it to a safe alphabet. */
export function validateUserName(user: string): string {
  if (user === DEFAULT_USER) return user;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(user)) {
    throw usageError(`User name '${user}' is invalid: use up to 32 letters, digits, '_' or '-', starting with a letter`);
  }
  return user;
}

function isValidUserName(user: string): boolean {
  try {
    validateUserName(user);
    return true;
  } catch {
    return false;
  }
}

/** Cursor names become `<name>[.<user>].cursor`: a '.' would collide with the user suffix. */
export function validateCursorName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw usageError(`Cursor name '${name}' is invalid: use 1 to 64 letters, digits, '_' or '-'`);
  }
  if (RESERVED_CURSOR_NAMES.has(name)) throw usageError(`Cursor name '${name}' is reserved for the cursor command`);
  return name;
}

/** A persistent cursor: a named pointer to a database, per user (spec §5.5). */
export interface Cursor {
  name: string;
  user: string;
  /** Where the database lives: an absolute file path, or a URL kept as written. */
  location: Location;
  /** Same as `location` (the cursor file's `database_path`); kept for callers written when every location was a file. */
  databasePath: string;
  /** Set when the location is a named database (of the data directory). */
  databaseName?: string;
  metaContext: string | null;
  defaultProject: string | null;
  defaultNamespace: string | null;
  createdAt: string;
  /** Where the cursor's JSON file lives. */
  file: string;
}

/** The JSON the Rust CLI reads: these keys, in this order, `null` for absent values. */
interface CursorJson {
  database_path: string;
  default_project: string | null;
  default_namespace: string | null;
  meta_context: string | null;
  created_at: string;
  user: string;
}

function cursorFileName(name: string, user: string): string {
  return user === DEFAULT_USER ? `${name}.cursor` : `${name}.${user}.cursor`;
}

/**
 * `<name>.cursor` (the default user's) or `<name>.<user>.cursor`, as the Rust CLI names them; the one
 * place that reads a cursor file name back. Undefined for any other file.
 */
export function parseCursorFileName(fileName: string): { name: string; user: string } | undefined {
  // Names and users hold no '.', so `a.bob.cursor` is bob's cursor `a`, never a cursor named `a.bob`.
  const match = /^([^.]+)(?:\.([^.]+))?\.cursor$/.exec(fileName);
  return match ? { name: match[1]!, user: match[2] ?? DEFAULT_USER } : undefined;
}

/** Recognises `<data>/<db>/pronto.<db>.prdb` (and `PRONTO_DB`) so a cursor can show a database name. */
export function databaseNameForPath(layout: Layout, file: string): string | undefined {
  return databaseNameInLayout(layout, file);
}

/**
 * How the registry turns database names into locations and back, and whether this build can use a
 * location: the backends' knowledge, passed in by ProntoDB. The default knows the data directory.
 */
export interface CursorLocations {
  databaseLocation(name: string): Location;
  databaseName(location: Location): string | undefined;
  /** Throws a clear error when no backend of this build serves the location. */
  checkLocation?(location: Location): void;
}

function layoutLocations(layout: Layout): CursorLocations {
  return {
    databaseLocation: (name) => databaseFile(layout, name),
    databaseName: (location) => databaseNameInLayout(layout, location),
  };
}

function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseCursorFile(locations: CursorLocations, file: string, name: string, user: string): Cursor {
  const text = readRegularFileSync(file, 'cursor file').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProntoError('usage', `Cursor file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProntoError('usage', `Cursor file ${file} must hold a JSON object, not ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}`);
  }
  const json = parsed as Partial<CursorJson>;
  if (typeof json.database_path !== 'string' || json.database_path.length === 0) {
    throw new ProntoError('usage', `Cursor file ${file} has no database_path`);
  }
  const optional = (value: unknown) => (typeof value === 'string' ? value : null);
  // The Rust CLI stored relative paths verbatim; they meant "relative to where you run it". A URL
  // (a server database) is kept as written.
  const location = resolveLocation(json.database_path, process.cwd());
  return {
    name,
    user,
    location,
    databasePath: location,
    databaseName: locations.databaseName(location),
    metaContext: optional(json.meta_context),
    defaultProject: optional(json.default_project),
    defaultNamespace: optional(json.default_namespace),
    createdAt: typeof json.created_at === 'string' ? json.created_at : '',
    file,
  };
}

/** Every `cursors/` directory: one per database directory, sorted, then the legacy `<data>/cursors`. */
function cursorDirectories(layout: Layout): string[] {
  let names: string[] = [];
  try {
    names = fs
      .readdirSync(layout.dataDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'cursors')
      .map((entry) => entry.name)
      .sort();
  } catch {
    // no data directory yet
  }
  return [...names.map((name) => path.join(layout.dataDir, name, 'cursors')), path.join(layout.dataDir, 'cursors')];
}

export interface CursorTarget {
  /** A named database... */
  database?: string;
  /** ...or a database location: a file anywhere (relative paths resolve against `cwd`) or a URL, kept as given. */
  location?: string;
  /** The same as `location` (the name from when locations were files). */
  path?: string;
}

export interface CursorSettings {
  metaContext?: string | null;
  defaultProject?: string | null;
  defaultNamespace?: string | null;
}

/** Persistent cursors and the per-user selection ("cursor cache"), in the Rust CLI's files. */
export class CursorRegistry {
  private readonly locations: CursorLocations;

  constructor(
    private readonly layout: Layout,
    private readonly cwd: string = process.cwd(),
    locations?: CursorLocations,
  ) {
    this.locations = locations ?? layoutLocations(layout);
  }

  /** The Rust CLI files a cursor under the directory named after its target (spec §5.5). */
  private cursorDirectoryFor(location: Location): string {
    const stem = this.locations.databaseName(location) ?? locationStem(location);
    return path.join(this.layout.dataDir, stem || DEFAULT_DATABASE, 'cursors');
  }

  /** Every cursor file name in lookup order, parsed: the directory it is in, its name and its user. */
  private cursorFiles(): Array<{ directory: string; file: string; name: string; user: string }> {
    const found: Array<{ directory: string; file: string; name: string; user: string }> = [];
    for (const directory of cursorDirectories(this.layout)) {
      for (const file of readDirectoryQuietly(directory).sort()) {
        const parsed = parseCursorFileName(file);
        if (parsed) found.push({ directory, file, ...parsed });
      }
    }
    return found;
  }

  private findFiles(name: string, user: string): string[] {
    const fileName = cursorFileName(name, user);
    return cursorDirectories(this.layout)
      .map((directory) => path.join(directory, fileName))
      .filter((file) => fs.existsSync(file));
  }

  find(name: string, user: string): Cursor | undefined {
    const [file] = this.findFiles(validateCursorName(name), validateUserName(user));
    return file ? parseCursorFile(this.locations, file, name, user) : undefined;
  }

  list(user: string): Cursor[] {
    validateUserName(user);
    const seen = new Map<string, Cursor>();
    // For the default user, `a.bob.cursor` is bob's cursor `a`, not a cursor named `a.bob`.
    for (const entry of this.cursorFiles()) {
      if (entry.user !== user || seen.has(entry.name)) continue;
      try {
        seen.set(entry.name, parseCursorFile(this.locations, path.join(entry.directory, entry.file), entry.name, user));
      } catch {
        // an unreadable cursor file is skipped in listings; `find` reports it
      }
    }
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Every cursor file of every user, in lookup order (shadowed duplicates included): for actions
   * that touch all users' cursors at once, such as deleting a database with the cursors filed in it.
   * Unreadable files are skipped.
   */
  everyCursorFile(): Cursor[] {
    const found: Cursor[] = [];
    for (const entry of this.cursorFiles()) {
      try {
        found.push(parseCursorFile(this.locations, path.join(entry.directory, entry.file), entry.name, entry.user));
      } catch {
        // an unreadable cursor file is skipped, as in list()
      }
    }
    return found;
  }

  /**
   * Every user this machine knows of: the default user, and each user with a cursor file or a
   * selection file. Sorted; names that are not valid user names are left out.
   */
  knownUsers(): string[] {
    const users = new Set([DEFAULT_USER]);
    for (const entry of this.cursorFiles()) users.add(entry.user);
    for (const file of readDirectoryQuietly(this.layout.cursorCacheDir)) {
      if (file.startsWith('cursor_')) users.add(file.slice('cursor_'.length));
    }
    return [...users].filter(isValidUserName).sort();
  }

  private targetLocation(target: CursorTarget): Location {
    let location: Location;
    if (target.database !== undefined) location = this.locations.databaseLocation(validateDatabaseName(target.database));
    else if (target.location || target.path) location = resolveLocation((target.location || target.path)!, this.cwd);
    else throw usageError('A cursor needs a database name or a database location');
    this.locations.checkLocation?.(location);
    return location;
  }

  async set(name: string, user: string, target: CursorTarget, settings: CursorSettings = {}, now = new Date()): Promise<Cursor> {
    validateCursorName(name);
    validateUserName(user);
    const location = this.targetLocation(target);
    if (displayLocation(location) !== location) {
      // A cursor is a file in the data folder; the password belongs in PGPASSWORD or ~/.pgpass.
      throw usageError(`A cursor would keep the password of ${displayLocation(location)} in a file: leave it out of the URL and give it with PGPASSWORD or the password file ~/.pgpass`);
    }
    for (const value of [settings.metaContext, settings.defaultProject, settings.defaultNamespace]) {
      if (value !== undefined && value !== null && (value.length === 0 || value.includes('__'))) {
        throw usageError(`Cursor setting '${value}' must be non-empty and must not contain '__'`);
      }
    }
    const json: CursorJson = {
      database_path: location,
      default_project: settings.defaultProject ?? null,
      default_namespace: settings.defaultNamespace ?? null,
      meta_context: settings.metaContext ?? null,
      created_at: utcSeconds(now),
      user,
    };
    const file = path.join(this.cursorDirectoryFor(location), cursorFileName(name, user));
    await writeFileAtomically(file, Buffer.from(JSON.stringify(json, null, 2)));
    // One cursor, one file: drop copies the Rust CLI's first-match lookup could otherwise pick up.
    for (const stale of this.findFiles(name, user)) if (stale !== file) fs.rmSync(stale, { force: true });
    return parseCursorFile(this.locations, file, name, user);
  }

  delete(name: string, user: string): boolean {
    const files = this.findFiles(validateCursorName(name), validateUserName(user));
    for (const file of files) fs.rmSync(file, { force: true });
    return files.length > 0;
  }

  async rename(from: string, to: string, user: string): Promise<Cursor> {
    const cursor = this.find(from, user);
    if (!cursor) throw new ProntoError('not-found', `Cursor '${from}' not found for user '${user}'`);
    if (this.find(to, user)) throw new ProntoError('conflict', `Cursor '${to}' already exists for user '${user}'`);
    const renamed = await this.set(
      to,
      user,
      { location: cursor.location },
      { metaContext: cursor.metaContext, defaultProject: cursor.defaultProject, defaultNamespace: cursor.defaultNamespace },
      cursor.createdAt ? new Date(cursor.createdAt) : new Date(),
    );
    this.delete(from, user);
    if (this.selection(user) === from) await this.select(user, to);
    return renamed;
  }

  // ---- the selection ("cursor cache"): one word per user, `cursor` / `cursor_<user>` ----------

  private selectionFile(user: string): string {
    return path.join(this.layout.cursorCacheDir, user === DEFAULT_USER ? 'cursor' : `cursor_${validateUserName(user)}`);
  }

  /** The user's own selection: a cursor name or (as the Rust CLI writes it) a database name. */
  selection(user: string): string | undefined {
    try {
      // Not a regular file (a FIFO would block): read as no selection, like a missing one.
      const text = readRegularFileSync(this.selectionFile(user), 'selection file').toString('utf8').trim();
      return text.length > 0 ? text : undefined;
    } catch {
      return undefined;
    }
  }

  async select(user: string, name: string): Promise<void> {
    if (this.find(name, user) === undefined) validateDatabaseName(name);
    await writeFileAtomically(this.selectionFile(user), Buffer.from(name));
  }

  clearSelection(user: string): boolean {
    const file = this.selectionFile(user);
    const existed = fs.existsSync(file);
    fs.rmSync(file, { force: true });
    return existed;
  }
}
