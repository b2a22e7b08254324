/**
 * PostgreSQL locations (docs/FORMAT.md#postgres): `postgres://` or `postgresql://` URLs as libpq reads
 * them, plus one parameter of ours, `prontodb=NAME`, naming the ProntoDB database on that server
 * (`main` when absent). Each ProntoDB database is a schema, `prontodb_<name>`, of the PostgreSQL
 * database the URL names. Parsed by hand: a URL with several hosts (`h1:5432,h2:5433`) is not a
 * WHATWG URL. This module is small and driver-free: it is part of every bundle, so it makes its
 * errors with the `fail` it is given: the PostgreSQL bundle must throw the core's own error class.
 */
import { displayLocation, type Location, locationScheme } from '../location';
import { DEFAULT_DATABASE, validateDatabaseName } from '../paths';

/** Makes the error for a malformed location: `usageError` in the core, its CoreServices twin in the bundle. */
export type Fail = (message: string) => Error;

export const POSTGRES_SCHEMES: readonly string[] = ['postgres', 'postgresql'];
/** The query parameter naming the ProntoDB database; the driver never sees it. */
export const DATABASE_PARAMETER = 'prontodb';
/** Every ProntoDB database is the schema `prontodb_<name>`. */
export const SCHEMA_PREFIX = 'prontodb_';
/** PostgreSQL names are at most 63 bytes: what is left for the database name after the prefix. */
export const MAX_SERVER_DATABASE_NAME = 63 - SCHEMA_PREFIX.length;

export interface PostgresLocation {
  /**
   * The URL of the PostgreSQL database (scheme `postgres://`, less `prontodb=`): what the driver
   * connects to, and what names every ProntoDB database there.
   */
  serverUrl: string;
  /** The ProntoDB database. */
  database: string;
  /** Its schema, unquoted. */
  schema: string;
}

const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?(#.*)?$/s;

function isPostgresScheme(scheme: string | undefined): boolean {
  return scheme !== undefined && POSTGRES_SCHEMES.includes(scheme);
}

export function isPostgresLocation(location: Location): boolean {
  return isPostgresScheme(locationScheme(location));
}

/** A database name that can be a schema here: the file store's rules, and short enough for PostgreSQL. */
export function validateServerDatabaseName(name: string, fail: Fail): string {
  try {
    validateDatabaseName(name);
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (name.length > MAX_SERVER_DATABASE_NAME) {
    throw fail(`Database name '${name}' is too long for a server: at most ${MAX_SERVER_DATABASE_NAME} characters (it becomes the schema ${SCHEMA_PREFIX}${name})`);
  }
  return name;
}

function decode(text: string, what: string, location: Location, fail: Fail): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw fail(`${displayLocation(location)}: the ${what} is not valid percent-encoding`);
  }
}

/** Splits a query string into its raw `name=value` parts and reads ours. */
function splitQuery(query: string | undefined, location: Location, fail: Fail): { kept: string[]; database: string | undefined } {
  const kept: string[] = [];
  let database: string | undefined;
  for (const part of (query ?? '').split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decode((equals < 0 ? part : part.slice(0, equals)).replace(/\+/g, ' '), 'query', location, fail);
    if (name === DATABASE_PARAMETER) database = decode((equals < 0 ? '' : part.slice(equals + 1)).replace(/\+/g, ' '), 'query', location, fail);
    else kept.push(part);
  }
  return { kept, database };
}

/**
 * Reads a `postgres://` location; a malformed one is a usage error that shows it without its
 * password. `chosenBy` names what gave the location (a cursor, `--database-url`).
 */
export function parsePostgresLocation(location: Location, fail: Fail, chosenBy?: string): PostgresLocation {
  const shown = `${displayLocation(location)}${chosenBy ? ` (${chosenBy})` : ''}`;
  const parts = URL_PARTS.exec(location);
  if (!parts || !isPostgresScheme(parts[1]!.toLowerCase())) throw fail(`${shown} is not a postgres:// URL`);
  const [, , authority, pathPart, query, fragment] = parts;
  if (fragment !== undefined) throw fail(`${shown}: a database URL has no #fragment`);
  const hosts = authority!.slice(authority!.lastIndexOf('@') + 1);
  if (/\s/.test(hosts)) throw fail(`${shown}: the host part holds a space`);
  const pgDatabase = decode((pathPart ?? '').slice(1), 'database name', location, fail);
  if (pgDatabase.includes('/')) throw fail(`${shown}: the path names more than one database ('${pgDatabase}'); name a ProntoDB database with ?${DATABASE_PARAMETER}=NAME`);
  const { kept, database: named } = splitQuery(query, location, fail);
  const database = validateServerDatabaseName(named ?? DEFAULT_DATABASE, (message) => fail(`${shown}: ${message}`));
  const serverUrl = `postgres://${authority}${pathPart ?? ''}${kept.length ? `?${kept.join('&')}` : ''}`;
  return { serverUrl, database, schema: SCHEMA_PREFIX + database };
}

/** The location of the ProntoDB database `name` on the server `server` names (its own `prontodb=` ignored). */
export function postgresDatabaseLocation(server: Location, name: string, fail: Fail): Location {
  const { serverUrl } = parsePostgresLocation(server, fail);
  validateServerDatabaseName(name, fail);
  if (name === DEFAULT_DATABASE) return serverUrl;
  return `${serverUrl}${serverUrl.includes('?') ? '&' : '?'}${DATABASE_PARAMETER}=${encodeURIComponent(name)}`;
}

/** One spelling per database: `postgres://`, `main` implied, so equal locations compare equal. */
export function canonicalPostgresLocation(location: Location, fail: Fail): Location {
  const parsed = parsePostgresLocation(location, fail);
  return postgresDatabaseLocation(parsed.serverUrl, parsed.database, fail);
}

/** `"prontodb_main"`: a schema (or any name) as a quoted PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Whether a `postgres://` URL carries a password (`user:password@`), which then wins over every other source. */
export function urlHasPassword(url: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/.test(url);
}
