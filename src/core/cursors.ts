import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from './atomicFile';
import { ProntoError, usageError } from './errors';
import { databaseFile, DEFAULT_DATABASE, type Layout, readRegularFileSync, validateDatabaseName } from './paths';

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

/** Cursor names become `<name>[.<user>].cursor`: a '.' would collide with the user suffix. */
export function validateCursorName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw usageError(`Cursor name '${name}' is invalid: use 1 to 64 letters, digits, '_' or '-'`);
  }
  if (RESERVED_CURSOR_NAMES.has(name)) throw usageError(`Cursor name '${name}' is reserved for the cursor command`);
  return name;
}

/** A persistent cursor: a named pointer to a database file, per user (spec §5.5). */
export interface Cursor {
  name: string;
  user: string;
  /** Absolute path of the database file. */
  databasePath: string;
  /** Set when the path is a database of the data directory. */
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

/** Recognises `<data>/<db>/pronto.<db>.prdb` (and `PRONTO_DB`) so a cursor can show a database name. */
export function databaseNameForPath(layout: Layout, file: string): string | undefined {
  const resolved = path.resolve(file);
  if (layout.mainDatabaseOverride && resolved === path.resolve(layout.mainDatabaseOverride)) return DEFAULT_DATABASE;
  const relative = path.relative(layout.dataDir, resolved);
  const parts = relative.split(path.sep);
  if (parts.length === 2 && parts[1] === `pronto.${parts[0]}.prdb`) {
    try {
      return validateDatabaseName(parts[0]!);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The CLI files a cursor under the directory named after its target's stem (spec §5.5). */
function cursorDirectoryFor(layout: Layout, databasePath: string): string {
  const name = databaseNameForPath(layout, databasePath);
  const stem = name ?? path.basename(databasePath, path.extname(databasePath)).replace(/[^A-Za-z0-9_.-]/g, '_');
  return path.join(layout.dataDir, stem || DEFAULT_DATABASE, 'cursors');
}

function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseCursorFile(layout: Layout, file: string, name: string, user: string): Cursor {
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
  // The Rust CLI stored relative paths verbatim; they meant "relative to where you run it".
  const databasePath = path.resolve(json.database_path);
  return {
    name,
    user,
    databasePath,
    databaseName: databaseNameForPath(layout, databasePath),
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
  /** A database of the data directory... */
  database?: string;
  /** ...or a database file anywhere (relative paths resolve against `cwd`). */
  path?: string;
}

export interface CursorSettings {
  metaContext?: string | null;
  defaultProject?: string | null;
  defaultNamespace?: string | null;
}

/** Persistent cursors and the per-user selection ("cursor cache"), in the Rust CLI's files. */
export class CursorRegistry {
  constructor(
    private readonly layout: Layout,
    private readonly cwd: string = process.cwd(),
  ) {}

  private findFiles(name: string, user: string): string[] {
    const fileName = cursorFileName(name, user);
    return cursorDirectories(this.layout)
      .map((directory) => path.join(directory, fileName))
      .filter((file) => fs.existsSync(file));
  }

  find(name: string, user: string): Cursor | undefined {
    const [file] = this.findFiles(validateCursorName(name), validateUserName(user));
    return file ? parseCursorFile(this.layout, file, name, user) : undefined;
  }

  list(user: string): Cursor[] {
    validateUserName(user);
    const suffix = user === DEFAULT_USER ? '.cursor' : `.${user}.cursor`;
    const seen = new Map<string, Cursor>();
    for (const directory of cursorDirectories(this.layout)) {
      let files: string[];
      try {
        files = fs.readdirSync(directory);
      } catch {
        continue;
      }
      for (const file of files.sort()) {
        if (!file.endsWith(suffix)) continue;
        const name = file.slice(0, -suffix.length);
        // For the default user, `a.bob.cursor` is bob's cursor `a`, not a cursor named `a.bob`.
        if (name.includes('.') || seen.has(name)) continue;
        try {
          seen.set(name, parseCursorFile(this.layout, path.join(directory, file), name, user));
        } catch {
          // an unreadable cursor file is skipped in listings; `find` reports it
        }
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
    for (const directory of cursorDirectories(this.layout)) {
      let files: string[];
      try {
        files = fs.readdirSync(directory).sort();
      } catch {
        continue;
      }
      for (const file of files) {
        const match = /^([A-Za-z0-9_-]+)(?:\.([A-Za-z][A-Za-z0-9_-]*))?\.cursor$/.exec(file);
        if (!match) continue;
        try {
          found.push(parseCursorFile(this.layout, path.join(directory, file), match[1]!, match[2] ?? DEFAULT_USER));
        } catch {
          // an unreadable cursor file is skipped, as in list()
        }
      }
    }
    return found;
  }

  private targetPath(target: CursorTarget): string {
    if (target.database !== undefined) return databaseFile(this.layout, target.database);
    if (target.path) return path.resolve(this.cwd, target.path);
    throw usageError('A cursor needs a database name or a database file path');
  }

  async set(name: string, user: string, target: CursorTarget, settings: CursorSettings = {}, now = new Date()): Promise<Cursor> {
    validateCursorName(name);
    validateUserName(user);
    const databasePath = this.targetPath(target);
    for (const value of [settings.metaContext, settings.defaultProject, settings.defaultNamespace]) {
      if (value !== undefined && value !== null && (value.length === 0 || value.includes('__'))) {
        throw usageError(`Cursor setting '${value}' must be non-empty and must not contain '__'`);
      }
    }
    const json: CursorJson = {
      database_path: databasePath,
      default_project: settings.defaultProject ?? null,
      default_namespace: settings.defaultNamespace ?? null,
      meta_context: settings.metaContext ?? null,
      created_at: utcSeconds(now),
      user,
    };
    const file = path.join(cursorDirectoryFor(this.layout, databasePath), cursorFileName(name, user));
    await writeFileAtomically(file, Buffer.from(JSON.stringify(json, null, 2)));
    // One cursor, one file: drop copies the Rust CLI's first-match lookup could otherwise pick up.
    for (const stale of this.findFiles(name, user)) if (stale !== file) fs.rmSync(stale, { force: true });
    return parseCursorFile(this.layout, file, name, user);
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
      { path: cursor.databasePath },
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
