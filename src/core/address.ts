import { usageError } from './errors';
import type { Address } from './types';

/** The context separator is fixed; only the segment delimiter can be changed (docs/FORMAT.md#delimiter). */
export const CONTEXT_SEPARATOR = '__';
export const DEFAULT_DELIMITER = '.';
export const DEFAULT_SEGMENT = 'default';

export interface AddressDefaults {
  /** Segment delimiter (`--ns-delim`); any non-empty string. */
  delimiter?: string;
  /** Project used when the address does not name one (`-p`, a cursor's default, else `default`). */
  project?: string;
  /** Namespace used when the address does not name one (`-n`, a cursor's default, else `default`). */
  namespace?: string;
}

function delimiterOf(defaults: AddressDefaults): string {
  const delimiter = defaults.delimiter ?? DEFAULT_DELIMITER;
  if (delimiter.length === 0) throw usageError('The namespace delimiter must not be empty');
  if (delimiter.includes(CONTEXT_SEPARATOR)) {
    throw usageError(`The namespace delimiter '${delimiter}' must not contain '${CONTEXT_SEPARATOR}'`);
  }
  return delimiter;
}

/** C0 controls (tab, newline, ...), DEL and C1 controls (U+0000-001F, U+007F-009F): they would break line-based output. */
const CONTROL_CHARACTER = /\p{Cc}/u;

function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Names are refused when they hold a control character, so `keys`, `scan`, `projects` and friends
 * always print one name per line. Values may hold anything.
 */
export function refuseControlCharacters(role: string, value: string, where: string): string {
  const found = CONTROL_CHARACTER.exec(value);
  if (found) throw usageError(`${where}: ${role} contains the control character ${codePointName(found[0])}, which names cannot hold`);
  return value;
}

/**
 * How listings print a name that a file written by another program may hold: control characters
 * as `\uXXXX`, so each name stays on one line. Names ProntoDB writes never need it.
 */
export function printableName(name: string): string {
  return name.replace(new RegExp(CONTROL_CHARACTER.source, 'gu'), (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Checks one project/namespace/key name, naming the part and the address in the message. */
export function validateSegment(role: 'project' | 'namespace' | 'key', value: string, where: string, delimiter = DEFAULT_DELIMITER): string {
  if (typeof value !== 'string') throw usageError(`${where}: ${role} must be text`);
  if (value.length === 0) throw usageError(`${where} has an empty ${role}`);
  refuseControlCharacters(role, value, where);
  if (value.includes(CONTEXT_SEPARATOR)) {
    throw usageError(`${where}: ${role} '${printableName(value)}' contains '${CONTEXT_SEPARATOR}', which is reserved for the context`);
  }
  if (value.includes(delimiter)) {
    throw usageError(`${where}: ${role} '${value}' cannot contain delimiter '${delimiter}'`);
  }
  // A meta cursor stores projects as `<meta>.<project>`: a dotted project would reach its rows.
  if (role === 'project' && value.includes('.')) {
    throw usageError(`${where}: project '${value}' cannot contain '.', which is reserved for meta contexts`);
  }
  return value;
}

/** Splits `head__context` at the last separator; an empty context is refused rather than guessed. */
function splitContext(text: string): { head: string; context: string | null } {
  const at = text.lastIndexOf(CONTEXT_SEPARATOR);
  if (at < 0) return { head: text, context: null };
  const context = text.slice(at + CONTEXT_SEPARATOR.length);
  if (context.length === 0) throw usageError(`Address '${printableName(text)}' ends with '${CONTEXT_SEPARATOR}' but names no context`);
  refuseControlCharacters('context', context, `Address '${printableName(text)}'`);
  return { head: text.slice(0, at), context };
}

function splitSegments(head: string, delimiter: string, original: string): string[] {
  const parts = head.split(delimiter);
  if (parts.length > 3) {
    throw usageError(`Too many parts in address '${printableName(original)}': expected at most 3 (project${delimiter}namespace${delimiter}key)`);
  }
  return parts;
}

/**
 * Parses an address for set/get/del (docs/FORMAT.md#addresses): `key`, `namespace.key`
 * or `project.namespace.key`, each optionally followed by `__context`.
 */
export function parseAddress(text: string, defaults: AddressDefaults = {}): Address {
  const delimiter = delimiterOf(defaults);
  const where = `Address '${printableName(text)}'`;
  const { head, context } = splitContext(text);
  const parts = splitSegments(head, delimiter, text);
  const project = parts.length === 3 ? parts[0]! : (defaults.project ?? DEFAULT_SEGMENT);
  const namespace = parts.length >= 2 ? parts[parts.length - 2]! : (defaults.namespace ?? DEFAULT_SEGMENT);
  const key = parts[parts.length - 1]!;
  return {
    project: validateSegment('project', project, where, delimiter),
    namespace: validateSegment('namespace', namespace, where, delimiter),
    key: validateSegment('key', key, where, delimiter),
    context,
  };
}

export interface ListingScope {
  project: string;
  namespace: string;
  /** Exact, case-sensitive prefix of the displayed name (`key` or `key__context`). */
  prefix: string;
}

/**
 * Parses the path of keys/scan (docs/FORMAT.md#listing-paths): `prefix`, `project.namespace` or
 * `project.namespace.prefix`; no path lists the default (or `-p`/`-n`) namespace.
 */
export function parseListingPath(text: string | undefined, defaults: AddressDefaults = {}): ListingScope {
  const delimiter = delimiterOf(defaults);
  const project = defaults.project ?? DEFAULT_SEGMENT;
  const namespace = defaults.namespace ?? DEFAULT_SEGMENT;
  if (text === undefined || text === '') return { project, namespace, prefix: '' };
  const where = `Path '${printableName(text)}'`;
  // The context separator belongs to the prefix, so split on the delimiter only before it.
  const contextAt = text.indexOf(CONTEXT_SEPARATOR);
  const segmentText = contextAt < 0 ? text : text.slice(0, contextAt);
  const parts = splitSegments(segmentText, delimiter, text);
  const tail = contextAt < 0 ? '' : text.slice(contextAt);
  if (parts.length === 1) return { project, namespace, prefix: text };
  const scope = {
    project: validateSegment('project', parts[0]!, where, delimiter),
    namespace: validateSegment('namespace', parts[1]!, where, delimiter),
  };
  if (parts.length === 2) {
    if (tail) throw usageError(`${where}: a context needs a key before '${CONTEXT_SEPARATOR}'`);
    return { ...scope, prefix: '' };
  }
  return { ...scope, prefix: parts[2]! + tail };
}

/** `project.namespace.key[__context]`, the form every command accepts back. */
export function formatAddress(address: Address, delimiter = DEFAULT_DELIMITER): string {
  return `${address.project}${delimiter}${address.namespace}${delimiter}${displayKey(address)}`;
}

/** How listings show a key: `key` or `key__context`. */
export function displayKey(address: Pick<Address, 'key' | 'context'>): string {
  return address.context === null ? address.key : `${address.key}${CONTEXT_SEPARATOR}${address.context}`;
}

/** Validates a `project<d>namespace` pair, as create-cache and namespace actions take it. */
export function parseNamespacePath(text: string, delimiter = DEFAULT_DELIMITER): { project: string; namespace: string } {
  const parts = text.split(delimiter);
  if (parts.length !== 2) throw usageError(`Namespace must be in form project${delimiter}namespace, got '${text}'`);
  const where = `Namespace '${printableName(text)}'`;
  return {
    project: validateSegment('project', parts[0]!, where, delimiter),
    namespace: validateSegment('namespace', parts[1]!, where, delimiter),
  };
}

/** Longest TTL anything accepts (create-cache, --ttl, imports): 100 years, far inside 64-bit time. */
export const MAX_TTL_SECONDS = 100 * 366 * 24 * 60 * 60;

/**
 * The one rule for TTLs: whole seconds from `min` (1 for a namespace default: 0 would make every
 * later write vanish at once; 0 allowed for a single write) up to MAX_TTL_SECONDS.
 */
export function validateTtlSeconds(value: unknown, what: string, { min = 1 }: { min?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > MAX_TTL_SECONDS) {
    const shown = typeof value === 'string' ? `'${value}'` : String(value);
    throw usageError(`${what} must be a whole number of seconds from ${min} to ${MAX_TTL_SECONDS}, got ${shown}`);
  }
  return value;
}
