import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProntoError } from './errors';

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

function fail(file: string, problem: string): never {
  throw new ProntoError('usage', `${file}: ${problem}`);
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
  if (!trimmed.startsWith('{')) {
    if (trimmed.includes('\n')) fail(file, 'a plain .prontodb holds one database file path on one line');
    return { file, path: path.resolve(base, trimmed), cursors: {}, users: {} };
  }
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

/** The nearest `.prontodb` in `directory` or one of its ancestors. */
export function findWorkdirFile(directory: string): string | undefined {
  let current = path.resolve(directory);
  for (;;) {
    const candidate = path.join(current, WORKDIR_FILE_NAME);
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep climbing
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

export function loadWorkdirConfig(directory: string): WorkdirConfig | undefined {
  const file = findWorkdirFile(directory);
  if (!file) return undefined;
  return parseWorkdirConfig(file, fs.readFileSync(file, 'utf8'));
}
