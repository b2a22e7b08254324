import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a database lives: a file path, or a URL (`postgres://…`) that some backend understands.
 * Paths are made absolute when they are read (relative to where they were written); URLs are kept
 * exactly as given, since only the backend for their scheme knows what they mean.
 */
export type Location = string;

/**
 * `scheme://…`. Schemes have two characters or more, so a Windows drive (`C:/…`, `C://…`) stays a
 * path. A relative path that really starts with `name://` must be written `./name://…`.
 */
const URL_FORM = /^([A-Za-z][A-Za-z0-9+.-]+):\/\//;

/** The URL scheme of a location, lower-cased (`postgres`), or undefined for a file path. */
export function locationScheme(location: Location): string | undefined {
  return URL_FORM.exec(location)?.[1]?.toLowerCase();
}

export function isUrlLocation(location: Location): boolean {
  return URL_FORM.test(location);
}

/**
 * A location as a person or a file wrote it, ready to use: a `file://` URL becomes its path, a
 * path is resolved against `base`, any other URL is kept as given.
 */
export function resolveLocation(text: string, base: string): Location {
  const scheme = locationScheme(text);
  if (scheme === 'file') return fileURLToPath(text);
  if (scheme !== undefined) return text;
  return path.resolve(base, text);
}

/** How to show a location to people: a URL without its password. */
export function displayLocation(location: Location): string {
  if (!isUrlLocation(location)) return location;
  // libpq also takes the password as a query parameter (`?password=`).
  return location.replace(/^([A-Za-z][A-Za-z0-9+.-]+:\/\/[^/@:]*):[^/@]*@/, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * A short, file-name-safe word for a location (the stem of a file, the last part of a URL's path or
 * its host), used where the Rust CLI files things under a database's name.
 */
export function locationStem(location: Location): string {
  let tail: string;
  if (isUrlLocation(location)) {
    const rest = location.replace(URL_FORM, '').replace(/[?#].*$/s, '');
    const parts = rest.split('/').filter(Boolean);
    tail = (parts.length > 1 ? parts[parts.length - 1] : parts[0]?.replace(/^.*@/, '').replace(/:\d+$/, '')) ?? '';
  } else {
    tail = path.basename(location, path.extname(location));
  }
  return tail.replace(/[^A-Za-z0-9_.-]/g, '_');
}
