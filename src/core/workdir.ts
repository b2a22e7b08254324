import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoCode, errnoText, ProntoError } from './errors';
import { type Location, resolveLocation } from './location';

export const WORKDIR_FILE_NAME = '.prontodb';

/**
 * A `.prontodb` file: pins a directory tree to a database, cursor or location, and optionally a user
 * and default project/namespace. Accepts the Rust CLI's forms (spec §5.6): a plain path, or JSON with
 * `path`, `cursors.<cursor>` and `users.<user>.<cursor>`. Wherever a path goes, a URL
 * (`postgres://…`) may stand instead; it is kept as written.
 */
export interface WorkdirConfig {
  /** The `.prontodb` file itself. */
  file: string;
  database?: string;
  cursor?: string;
  /** A database location: an absolute file path (relative paths resolve against the `.prontodb`'s folder) or a URL. */
  path?: Location;
  user?: string;
  project?: string;
  namespace?: string;
  /** Cursor name → database location, for every user. */
  cursors: Record<string, Location>;
  /** User → cursor name → database location. */
  users: Record<string, Record<string, Location>>;
}

const STRING_FIELDS = ['database', 'cursor', 'path', 'user', 'project', 'namespace'] as const;

/**
 * Every way a `.prontodb` can be unusable ends here: one error code the CLI prints and the extension
 * shows (with `file`, so it can offer to open it). Nothing falls back silently to another database.
 */
function fail(file: string, problem: string): never {
  throw new ProntoError('malformed-workdir', `${file}: ${problem}`, file);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function pathMap(file: string, where: string, value: unknown, base: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, `'${where}' must be an object of name → path`);
  const result: Record<string, string> = {};
  for (const [name, target] of Object.entries(value)) {
    if (typeof target !== 'string' || target.length === 0) fail(file, `'${where}.${name}' must be a non-empty path`);
    result[name] = resolveLocation(target, base);
  }
  return result;
}

export function parseWorkdirConfig(file: string, text: string): WorkdirConfig {
  const base = path.dirname(file);
  const trimmed = text.trim();
  if (trimmed.length === 0) fail(file, 'is empty; write a database file path or a JSON object');
  if (!trimmed.startsWith('{')) return { file, path: plainPath(file, trimmed, base), cursors: {}, users: {} };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(trimmed) as Record<string, unknown>;
  } catch (error) {
    fail(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'must hold a JSON object');
  const config: WorkdirConfig = { file, cursors: {}, users: {} };
  for (const [key, value] of Object.entries(json)) {
    if ((STRING_FIELDS as readonly string[]).includes(key)) {
      if (typeof value !== 'string' || value.length === 0) fail(file, `'${key}' must be a non-empty string`);
      config[key as (typeof STRING_FIELDS)[number]] = key === 'path' ? resolveLocation(value, base) : value;
    } else if (key === 'cursors') {
      config.cursors = pathMap(file, 'cursors', value, base);
    } else if (key === 'users') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, `'users' must be an object of user → cursors`);
      for (const [user, cursors] of Object.entries(value)) config.users[user] = pathMap(file, `users.${user}`, cursors, base);
    } else {
      fail(file, `unknown setting '${key}' (known: ${[...STRING_FIELDS, 'cursors', 'users'].join(', ')})`);
    }
  }
  const targets = (['database', 'cursor', 'path'] as const).filter((key) => config[key] !== undefined);
  if (targets.length > 1) fail(file, `names ${targets.join(' and ')}; give only one of database, cursor or path`);
  return config;
}

/**
 * The Rust CLI's form: the whole trimmed file is one database path. Text that parses as JSON but is
 * not an object (`[1,2]`, `null`, `42`, `true`) was meant as JSON and is malformed rather than a
 * file name; a JSON string is taken as the path it spells. A file really named `42` is `./42`.
 */
function plainPath(file: string, text: string, base: string): string {
  let json: unknown;
  let isJson = false;
  try {
    json = JSON.parse(text);
    isJson = true;
  } catch {
    // not JSON: a plain path, as the Rust CLI reads it
  }
  if (isJson) {
    if (typeof json !== 'string') fail(file, `holds ${describeJson(json)}; write a JSON object or one database file path`);
    text = json;
  }
  if (text.length === 0) fail(file, 'names an empty database path');
  if (text.includes('\n')) fail(file, 'a plain .prontodb holds one database file path on one line');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused (C0 and DEL, as before)
  if (/[\u0000-\u001f\u007f]/.test(text)) fail(file, 'the database path contains a control character');
  return resolveLocation(text, base);
}

/** The nearest `.prontodb` in `directory` or one of its ancestors. */
export function findWorkdirFile(directory: string): string | undefined {
  let current = path.resolve(directory);
  for (;;) {
    const candidate = path.join(current, WORKDIR_FILE_NAME);
    const stat = statQuietly(candidate);
    // A directory of that name belongs to some other tool; anything else that is not a regular
    // file (a FIFO would block the read forever, a device is never a setting) is refused.
    if (stat?.isFile()) return candidate;
    if (stat && !stat.isDirectory()) fail(candidate, 'is not a regular file');
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function statQuietly(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined; // absent, or unreachable (a parent that is not a directory): keep climbing
  }
}

/** Reads and parses one `.prontodb`; every failure is the same 'malformed-workdir' error naming it. */
export function readWorkdirConfig(file: string): WorkdirConfig {
  let text: string;
  try {
    // Opened without following into a FIFO's blocking read: a non-regular file is refused first.
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    try {
      if (!fs.fstatSync(fd).isFile()) fail(file, 'is not a regular file');
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (error instanceof ProntoError) throw error;
    if (errnoCode(error)) fail(file, `cannot be read: ${errnoText(error as NodeJS.ErrnoException)} (${errnoCode(error)})`);
    throw error;
  }
  return parseWorkdirConfig(file, text);
}

export function loadWorkdirConfig(directory: string): WorkdirConfig | undefined {
  const file = findWorkdirFile(directory);
  return file === undefined ? undefined : readWorkdirConfig(file);
}

/**
 * Whether a `.prontodb` names the target for `user` (a database, cursor or location, or a `default`
 * cursor mapping), rather than only a user or default project/namespace. Such a file outranks any
 * selection; resolution and the editor's "this folder is pinned" both ask here.
 */
export function workdirPinsTarget(workdir: WorkdirConfig, user: string): boolean {
  return Boolean(workdir.database || workdir.cursor || workdir.path || workdir.users[user]?.default || workdir.cursors.default);
}

/** The `.prontodb` in effect for some folders, or why none can be used. */
export interface WorkdirLookup {
  config?: WorkdirConfig;
  /** The `.prontodb` found (also when it is malformed). */
  file?: string;
  /** Why the `.prontodb` found cannot be used (a 'malformed-workdir' ProntoError naming it). */
  error?: Error;
}

/**
 * The `.prontodb` the command line would use, looking from each folder in turn (the folder's own or
 * an ancestor's); the first folder that has one decides. The CLI passes its working directory; the
 * editor its workspace folders, or none when the workspace is not trusted.
 */
export function lookUpWorkdir(folders: readonly string[]): WorkdirLookup {
  for (const folder of folders) {
    let file: string | undefined;
    try {
      file = findWorkdirFile(folder);
      if (!file) continue;
      return { config: readWorkdirConfig(file), file };
    } catch (error) {
      return { error: error as Error, file: (error as ProntoError).file ?? file ?? path.join(folder, WORKDIR_FILE_NAME) };
    }
  }
  return {};
}
