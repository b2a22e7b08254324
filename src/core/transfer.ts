/**
 * Pure (no file I/O) import/export serialisation of ProntoDB rows as JSON or CSV.
 *
 * JSON: `{ "format": "prontodb", "version": 1, "database"?, "exportedAt"?, "ttlNamespaces": [...],
 * "entries": [...] }` with the SQLite column names. On import `format`/`version` may be omitted (but
 * are checked when present), a plain array of entries is accepted, and unknown fields are errors.
 *
 * CSV (RFC 4180, CRLF record separators), read with csv-parse and written with csv-stringify:
 * header `project,namespace,key,context,value,created_at,updated_at,expires_at`, columns in any
 * order on import. Any value holding `,` `"` CR or LF is quoted, so CR, LF and CRLF inside values
 * come back exactly; on import CRLF, LF and a lone CR all end a record and blank lines are skipped.
 * Quoting carries no meaning (csv-parse only reports it through `cast`, which made reading 100k rows
 * take 6.9 s instead of 0.5 s), so NULL is encoded without it:
 * - context: an empty field is NULL and the empty string is written `__`. No context can contain
 *   `__` (an address splits at its last `__`, see address.ts), so exporting one is an error naming
 *   the entry, and reading a context field holding `__` other than exactly `__` is an error.
 * - expires_at: an empty field is NULL; created_at/updated_at: an empty field means `now`.
 * - project/namespace/key/value: an empty field is ''.
 * CSV carries no TTL namespaces (it is one table): they are dropped on export and the parsed
 * document has none; each entry's expires_at is kept.
 */
import type { CsvError as CsvErrorType, Options as ParseOptions } from 'csv-parse/sync';
import type { Options as StringifyOptions } from 'csv-stringify/sync';
import { MAX_TTL_SECONDS } from './address';
import { usageError } from './errors';
import type { Entry, TtlNamespace } from './types';

/** The CSV libraries load on first use: most commands never touch CSV. */
const csv = {
  get parse() {
    return (require('csv-parse/sync') as typeof import('csv-parse/sync')).parse;
  },
  get CsvError() {
    return (require('csv-parse/sync') as typeof import('csv-parse/sync')).CsvError;
  },
  get stringify() {
    return (require('csv-stringify/sync') as typeof import('csv-stringify/sync')).stringify;
  },
};

export type TransferFormat = 'json' | 'csv';

export interface TransferDocument {
  entries: Entry[];
  ttlNamespaces: TtlNamespace[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes to text, exactly: a BOM is kept (it is part of the value) and invalid UTF-8 is refused
 * rather than turned into U+FFFD, because values are SQLite TEXT and must come back byte for byte.
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Byte(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const at = offset === undefined ? '' : ` (byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset})`;
    throw usageError(`${source} is not valid UTF-8${at}; values are stored as text, so nothing was written`);
  }
}

/** Where lenient decoding first put a U+FFFD that the input did not spell as EF BF BD. */
function firstInvalidUtf8Byte(bytes: Buffer): number | undefined {
  let offset = 0;
  for (const char of bytes.toString('utf8')) {
    if (char === '\ufffd' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    offset += Buffer.byteLength(char);
  }
  return undefined;
}

export function formatFromFileName(fileName: string): TransferFormat {
  const match = /\.(json|csv)$/i.exec(fileName);
  if (!match) throw usageError(`Cannot tell the format of '${fileName}': use a .json or .csv file name`);
  return match[1].toLowerCase() as TransferFormat;
}

export function serializeDocument(
  doc: TransferDocument,
  format: TransferFormat,
  info: { database?: string; exportedAt?: Date } = {},
): string {
  return format === 'json' ? toJson(doc, info) : toCsv(doc.entries);
}

/**
 * Missing created_at/updated_at (or NULL/empty ones) become `now`; a missing context or expires_at
 * is NULL. Throws ProntoError('usage') naming `source`, the line or JSON path, and the field.
 */
export function parseDocument(
  text: string,
  format: TransferFormat,
  source = 'input',
  now = Math.floor(Date.now() / 1000),
): TransferDocument {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // editors on Windows add a BOM
  return format === 'json' ? fromJson(text, source, now) : fromCsv(text, source, now);
}

// ---- JSON ----

function toJson(doc: TransferDocument, info: { database?: string; exportedAt?: Date }): string {
  const out = {
    format: 'prontodb',
    version: 1,
    database: info.database,
    exportedAt: info.exportedAt?.toISOString(),
    ttlNamespaces: doc.ttlNamespaces.map((t) => ({
      project: t.project,
      namespace: t.namespace,
      default_ttl: t.defaultTtl,
      created_at: t.createdAt,
    })),
    entries: doc.entries.map((e) => ({
      project: e.project,
      namespace: e.namespace,
      key: e.key,
      context: e.context,
      value: e.value,
      created_at: e.createdAt,
      updated_at: e.updatedAt,
      expires_at: e.expiresAt,
    })),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

type JsonObject = Record<string, unknown>;
type Fail = (path: string, message: string) => never;

function fromJson(text: string, source: string, now: number): TransferDocument {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw usageError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const fail: Fail = (path, message) => {
    throw usageError(`${source}: ${path}: ${message}`);
  };
  if (Array.isArray(root)) return { entries: root.map((raw, i) => jsonEntry(raw, `[${i}]`, now, fail)), ttlNamespaces: [] };

  const top = asObject(root, '(top level)', fail, ['format', 'version', 'database', 'exportedAt', 'ttlNamespaces', 'entries']);
  if (top.format !== undefined && top.format !== 'prontodb') fail('format', `expected 'prontodb', got ${show(top.format)}`);
  if (top.version !== undefined && top.version !== 1) fail('version', `unsupported version ${show(top.version)} (this build reads version 1)`);
  for (const name of ['database', 'exportedAt']) {
    if (top[name] !== undefined && typeof top[name] !== 'string') fail(name, `expected a string, got ${show(top[name])}`);
  }
  if (top.entries === undefined) fail('(top level)', `missing field 'entries'`);
  const entries = asArray(top.entries, 'entries', fail);
  const ttls = top.ttlNamespaces === undefined ? [] : asArray(top.ttlNamespaces, 'ttlNamespaces', fail);
  return {
    entries: entries.map((raw, i) => jsonEntry(raw, `entries[${i}]`, now, fail)),
    ttlNamespaces: ttls.map((raw, i) => {
      const path = `ttlNamespaces[${i}]`;
      const o = asObject(raw, path, fail, ['project', 'namespace', 'default_ttl', 'created_at']);
      return {
        project: jsonString(o, 'project', path, fail),
        namespace: jsonString(o, 'namespace', path, fail),
        defaultTtl: jsonDefaultTtl(o, path, fail),
        createdAt: jsonSeconds(o, 'created_at', path, fail, now),
      };
    }),
  };
}

function jsonEntry(raw: unknown, path: string, now: number, fail: Fail): Entry {
  const o = asObject(raw, path, fail, ['project', 'namespace', 'key', 'context', 'value', 'created_at', 'updated_at', 'expires_at']);
  const context = o.context ?? null;
  if (context !== null && typeof context !== 'string') fail(`${path}.context`, `expected a string or null, got ${show(context)}`);
  return {
    project: jsonString(o, 'project', path, fail),
    namespace: jsonString(o, 'namespace', path, fail),
    key: jsonString(o, 'key', path, fail),
    context: context as string | null,
    value: jsonString(o, 'value', path, fail),
    createdAt: jsonSeconds(o, 'created_at', path, fail, now),
    updatedAt: jsonSeconds(o, 'updated_at', path, fail, now),
    expiresAt: jsonSeconds(o, 'expires_at', path, fail, null),
  };
}

/** The same rule as create-cache: a default TTL of 0 would make every later write vanish at once. */
function jsonDefaultTtl(o: JsonObject, path: string, fail: Fail): number {
  const seconds = jsonSeconds(o, 'default_ttl', path, fail, undefined);
  if (seconds < 1 || seconds > MAX_TTL_SECONDS) fail(`${path}.default_ttl`, `expected a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (as create-cache takes), got ${seconds}`);
  return seconds;
}

function asObject(raw: unknown, path: string, fail: Fail, fields: string[]): JsonObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(path, `expected an object, got ${show(raw)}`);
  // Unknown fields are rejected so a typo (`expires`, `createdAt`) is not silently dropped.
  for (const name of Object.keys(raw)) if (!fields.includes(name)) fail(path, `unknown field '${name}'`);
  return raw as JsonObject;
}

function asArray(raw: unknown, path: string, fail: Fail): unknown[] {
  return Array.isArray(raw) ? raw : fail(path, `expected an array, got ${show(raw)}`);
}

function jsonString(o: JsonObject, name: string, path: string, fail: Fail): string {
  const v = o[name];
  if (v === undefined) return fail(path, `missing field '${name}'`);
  return typeof v === 'string' ? v : fail(`${path}.${name}`, `expected a string, got ${show(v)}`);
}

/** `absent` is what a missing or null field means; `undefined` makes the field required. */
function jsonSeconds<T extends number | null | undefined>(o: JsonObject, name: string, path: string, fail: Fail, absent: T): number | Exclude<T, undefined> {
  const v = o[name];
  if (v === undefined || v === null) {
    if (absent === undefined) return fail(path, `missing field '${name}'`);
    return absent as Exclude<T, undefined>;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  return fail(`${path}.${name}`, `expected a whole number of seconds${absent === null ? ' or null' : ''}, got ${show(v)}`);
}

// ---- CSV ----

const COLUMNS = ['project', 'namespace', 'key', 'context', 'value', 'created_at', 'updated_at', 'expires_at'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: readonly Column[] = ['project', 'namespace', 'key', 'value'];
/** How the empty-string context is written; an empty context field is NULL. */
const EMPTY_CONTEXT = '__';

const STRINGIFY_OPTIONS: StringifyOptions = {
  record_delimiter: 'windows',
  // With an explicit record_delimiter csv-stringify only quotes values holding that whole delimiter
  // (or ending in its first half), so a bare LF or CR would go out unquoted; this quotes both.
  quote_record_delimiter: true,
};

const PARSE_OPTIONS: ParseOptions = {
  // Listed rather than auto-detected: detection fixes on the first ending found, so a hand-edited
  // file mixing LF and CRLF would keep a stray CR in its last field.
  record_delimiter: ['\r\n', '\n', '\r'],
  skip_empty_lines: true,
  // Field counts are checked here, after the header, so a bad header is reported first.
  relax_column_count: true,
};

function toCsv(entries: Entry[]): string {
  const rows = new Array<(string | number | null)[]>(entries.length + 1);
  rows[0] = [...COLUMNS];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    let context = e.context;
    if (context === '') context = EMPTY_CONTEXT;
    else if (context?.includes('__')) {
      throw usageError(`Cannot write ${e.project}.${e.namespace}.${e.key} as CSV: its context ${show(context)} contains '__', so no address can reach it`);
    }
    rows[i + 1] = [e.project, e.namespace, e.key, context, e.value, e.createdAt, e.updatedAt, e.expiresAt];
  }
  return csv.stringify(rows, STRINGIFY_OPTIONS);
}

function fromCsv(text: string, source: string, now: number): TransferDocument {
  let records: string[][];
  try {
    records = csv.parse(text, PARSE_OPTIONS);
  } catch (error) {
    if (!(error instanceof csv.CsvError)) throw error;
    // `records` counts the records read before the failing one, so it is that record's index.
    const record = (error as { records?: number }).records ?? 0;
    throw usageError(`${source}: line ${recordLine(text, record)}: ${explainCsvError(error)}`);
  }
  // Line numbers cost a second parse, so they are only worked out for the error message.
  const fail = (record: number, message: string): never => {
    throw usageError(`${source}: line ${recordLine(text, record)}: ${message}`);
  };
  if (records.length === 0) throw usageError(`${source}: empty file, expected a header row (${COLUMNS.join(',')})`);

  const index = new Map<Column, number>();
  records[0].forEach((name, position) => {
    const column = COLUMNS.find((c) => c === name);
    if (column === undefined) fail(0, `unknown column '${name}' (columns are ${COLUMNS.join(',')})`);
    else if (index.has(column)) fail(0, `duplicate column '${column}'`);
    else index.set(column, position);
  });
  for (const column of REQUIRED) if (!index.has(column)) fail(0, `missing column '${column}'`);

  const width = index.size;
  // Position of each column in a record; -1 (absent) reads as undefined, i.e. like an empty field.
  const [project, namespace, key, context, value, createdAt, updatedAt, expiresAt] = COLUMNS.map((c) => index.get(c) ?? -1);
  const seconds = <T extends number | null>(v: string | undefined, column: Column, record: number, absent: T): number | T => {
    if (v === undefined || v === '') return absent;
    if (!/^\d+$/.test(v)) return fail(record, `${column} ${show(v)} is not a whole number of seconds`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : fail(record, `${column} ${show(v)} is too large`);
  };
  const contextOf = (v: string | undefined, record: number): string | null => {
    if (v === undefined || v === '') return null;
    if (v === EMPTY_CONTEXT) return '';
    if (v.includes('__')) {
      return fail(record, `context ${show(v)} contains '__', so no address could reach it (the empty context is written as exactly '__')`);
    }
    return v;
  };
  const entries = new Array<Entry>(records.length - 1);
  for (let r = 1; r < records.length; r++) {
    const fields = records[r];
    if (fields.length !== width) fail(r, `expected ${width} fields, found ${fields.length}`);
    entries[r - 1] = {
      project: fields[project] ?? '',
      namespace: fields[namespace] ?? '',
      key: fields[key] ?? '',
      context: contextOf(fields[context], r),
      value: fields[value] ?? '',
      createdAt: seconds(fields[createdAt], 'created_at', r, now),
      updatedAt: seconds(fields[updatedAt], 'updated_at', r, now),
      expiresAt: seconds(fields[expiresAt], 'expires_at', r, null),
    };
  }
  return { entries, ttlNamespaces: [] };
}

function explainCsvError(error: CsvErrorType): string {
  switch (error.code as string) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'quoted field is never closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a field containing " must be quoted, with the " doubled';
    case 'CSV_INVALID_CLOSING_QUOTE': {
      // csv-parse names the byte after the quote; only an ASCII one is a whole character.
      const after = /got "([\x20-\x7e])"/.exec(error.message)?.[1];
      return after === undefined ? 'unexpected text after a closing quote' : `unexpected ${show(after)} after a closing quote`;
    }
    default:
      return `not valid CSV (${error.message})`;
  }
}

/**
 * 1-based line on which record `record` (0 is the header) starts, counting CRLF, LF and a lone CR
 * as one line end each, as editors do. csv-parse's own `info.lines` is the line a record *ends* on
 * and counts a CRLF inside a quoted value as two lines, so instead the text is parsed again up to
 * the previous record, whose `info.bytes` is the offset just past it.
 */
function recordLine(text: string, record: number): number {
  const bytes = Buffer.from(text);
  let end = 0;
  if (record > 0) {
    const before = csv.parse(bytes, { ...PARSE_OPTIONS, info: true, to: record }) as unknown as { info: { bytes: number } }[];
    end = before[record - 1].info.bytes;
  }
  let line = 1;
  // Blank lines after the previous record are skipped by the parser, so they precede this one.
  for (let i = 0; i < end || bytes[i] === 10 || bytes[i] === 13; i++) {
    if (bytes[i] === 10 || (bytes[i] === 13 && bytes[i + 1] !== 10)) line++;
  }
  return line;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
