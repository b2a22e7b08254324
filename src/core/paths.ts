import * as os from 'node:os';
import * as path from 'node:path';
import { usageError } from './errors';
import { isUrlLocation, type Location } from './location';

/**
 * Where the Rust CLI keeps things (spec §5.1–5.2). Everything that touches the file system takes a
 * Layout so tests and the extension can point the whole engine at another home.
 */
export interface Layout {
  /** `<data>`: `$XDG_DATA_HOME/odx/prontodb` or `~/.local/data/odx/prontodb`. */
  dataDir: string;
  /** Cursor cache files `cursor` / `cursor_<user>`: `$HOME/.local/etc/prontodb` (ignores XDG). */
  cursorCacheDir: string;
  /** `PRONTO_DB`: replaces the path of database `main` only. */
  mainDatabaseOverride?: string;
}

export type Env = Record<string, string | undefined>;

/** An XDG value the Rust CLI would reject: an unexpanded `${...}` left by a broken shell profile. */
function usableXdg(value: string | undefined): string | undefined {
  if (!value || value.includes('${')) return undefined;
  return value;
}

export function homeDirectory(env: Env = process.env): string {
  return env.HOME || env.USERPROFILE || os.homedir() || '/tmp';
}

export function layoutFromEnv(env: Env = process.env): Layout {
  const home = homeDirectory(env);
  const xdgData = usableXdg(env.XDG_DATA_HOME);
  const defaultDataDir = xdgData ? path.join(xdgData, 'odx', 'prontodb') : path.join(home, '.local', 'data', 'odx', 'prontodb');
  return {
    // PRONTODB_DATA_DIR names the data directory itself (VS Code's setting reaches terminals this way).
    dataDir: env.PRONTODB_DATA_DIR ? path.resolve(env.PRONTODB_DATA_DIR) : defaultDataDir,
    cursorCacheDir: path.join(home, '.local', 'etc', 'prontodb'),
    mainDatabaseOverride: env.PRONTO_DB ? path.resolve(env.PRONTO_DB) : undefined,
  };
}

export const DEFAULT_DATABASE = 'main';

/**
 * Database names become directory names under `<data>`, so anything that could climb out of it or
 * collide with the legacy `<data>/cursors` directory is refused.
 */
export function validateDatabaseName(name: string): string {
  if (name.length === 0) throw usageError('Database name is empty');
  if (name.length > 64) throw usageError(`Database name '${name}' is longer than 64 characters`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw usageError(
      `Database name '${name}' is invalid: use letters, digits, '_', '-' and '.', starting with a letter or digit`,
    );
  }
  if (name === 'cursors') throw usageError(`Database name 'cursors' is reserved`);
  return name;
}

export function databaseDirectory(layout: Layout, name: string): string {
  return path.join(layout.dataDir, validateDatabaseName(name));
}

/** `<data>/<name>/pronto.<name>.prdb`, or `PRONTO_DB` for `main`. */
export function databaseFile(layout: Layout, name: string): string {
  if (name === DEFAULT_DATABASE && layout.mainDatabaseOverride) return layout.mainDatabaseOverride;
  return path.join(databaseDirectory(layout, name), `pronto.${name}.prdb`);
}

/**
 * The named database a file path is in this layout (`<data>/<db>/pronto.<db>.prdb`, or `PRONTO_DB`
 * for `main`); undefined for any other path, and for a URL.
 */
export function databaseNameInLayout(layout: Layout, location: Location): string | undefined {
  if (isUrlLocation(location)) return undefined;
  const resolved = path.resolve(location);
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
