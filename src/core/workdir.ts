import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoCode, errnoText, ProntoError } from './errors';

export const WORKDIR_FILE_NAME = '.prontodb';

/**
 * A `.prontodb` file: pins a directory tree to a database, cursor or file, and optionally a user and
 * default project/namespace. Accepts the Rust CLI's forms (spec §5.6): a plain path, or JSON with
 * `path`, `cursors.<cursor>` and `users.<user>.<cursor>`.
 */
export interface WorkdirConfig {
  /** The `.prontodb` file itself. */
  file: string;
  database?: string;
  cursor?: string;
  /** Absolute path of a database file (relative paths resolve against the `.prontodb`'s folder). */
  path?: string;
  user?: string;
  project?: string;
  namespace?: string;
  /** Cursor name → database file, for every user. */
  cursors: Record<string, string>;
  /** User → cursor name → database file. */
  users: Record<string, Record<string, string>>;
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
    result[name] = path.resolve(base, target);
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
      config[key as (typeof STRING_FIELDS)[number]] = key === 'path' ? path.resolve(base, value) : value;
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
  if (/[\u0000-\u001f\u007f]/.test(text)) fail(file, 'the database path contains a control character');
  return path.resolve(base, text);
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
