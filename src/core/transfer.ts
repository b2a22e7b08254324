/**
 * Pure (no file I/O) import/export serialisation of ProntoDB rows as JSON or CSV.
 *
 * JSON: `{ "format": "prontodb", "version": 1, "database"?, "exportedAt"?, "ttlNamespaces": [...],
 * "entries": [...] }` with the SQLite column names. On import `format`/`version` may be omitted (but
 * are checked when present), a plain array of entries is accepted, and unknown fields are errors.
 *
 * CSV (RFC 4180, CRLF record separators): header `project,namespace,key,context,value,created_at,
 * updated_at,expires_at`, columns in any order on import. NULL is an empty *unquoted* field and the
 * empty string is a quoted empty field `""` (PostgreSQL's COPY convention), so context NULL and ''
 * stay distinct. Values are otherwise verbatim; any value holding `,` `"` CR or LF is quoted, which
 * keeps CRLF/LF inside values exact. CSV carries no TTL namespaces (it is one table): they are
 * dropped on export and the parsed document has none; each entry's expires_at is kept.
 *
 * The CSV reader/writer are hand-written rather than csv-parse/csv-stringify: csv-parse only exposes
 * the quoted/unquoted distinction through `cast`, which made 100k rows take ~9 s, and csv-stringify
 * took ~0.8 s for 100k rows; both libraries are used in the tests as RFC 4180 oracles instead.
 */
import { usageError } from './errors';
import type { Entry, TtlNamespace } from './types';

export type TransferFormat = 'json' | 'csv';

export interface TransferDocument {
  entries: Entry[];
  ttlNamespaces: TtlNamespace[];
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
        defaultTtl: jsonSeconds(o, 'default_ttl', path, fail, undefined),
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
const NEEDS_QUOTES = /[",\r\n]/;

function csvField(value: string | null): string {
  if (value === null) return '';
  return value === '' || NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function toCsv(entries: Entry[]): string {
  const lines = new Array<string>(entries.length + 1);
  lines[0] = COLUMNS.join(',');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    lines[i + 1] = `${csvField(e.project)},${csvField(e.namespace)},${csvField(e.key)},${csvField(e.context)},${csvField(e.value)},${e.createdAt},${e.updatedAt},${e.expiresAt ?? ''}`;
  }
  return lines.join('\r\n') + '\r\n';
}

function fromCsv(text: string, source: string, now: number): TransferDocument {
  const fail = (offset: number, message: string): never => {
    throw usageError(`${source}: line ${lineAt(text, offset)}: ${message}`);
  };
  const records = readCsv(text, fail);
  if (records.length === 0) throw usageError(`${source}: empty file, expected a header row (${COLUMNS.join(',')})`);

  const index = new Map<Column, number>();
  const header = records[0];
  header.fields.forEach((name, position) => {
    const column = COLUMNS.find((c) => c === name);
    if (column === undefined) fail(header.start, `unknown column '${name ?? ''}' (columns are ${COLUMNS.join(',')})`);
    else if (index.has(column)) fail(header.start, `duplicate column '${column}'`);
    else index.set(column, position);
  });
  for (const column of REQUIRED) if (!index.has(column)) fail(header.start, `missing column '${column}'`);

  const width = index.size;
  // Position of each column in a record; -1 (absent) reads as undefined, i.e. like NULL.
  const [project, namespace, key, context, value, createdAt, updatedAt, expiresAt] = COLUMNS.map((c) => index.get(c) ?? -1);
  const seconds = <T extends number | null>(v: string | null | undefined, column: Column, start: number, absent: T): number | T => {
    if (v == null || v === '') return absent;
    if (!/^\d+$/.test(v)) return fail(start, `${column} ${show(v)} is not a whole number of seconds`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : fail(start, `${column} ${show(v)} is too large`);
  };
  const entries = new Array<Entry>(records.length - 1);
  for (let r = 1; r < records.length; r++) {
    const { fields, start } = records[r];
    if (fields.length !== width) fail(start, `expected ${width} fields, found ${fields.length}`);
    entries[r - 1] = {
      // These columns are NOT NULL, so either kind of empty field means ''.
      project: fields[project] ?? '',
      namespace: fields[namespace] ?? '',
      key: fields[key] ?? '',
      context: fields[context] ?? null,
      value: fields[value] ?? '',
      createdAt: seconds(fields[createdAt], 'created_at', start, now),
      updatedAt: seconds(fields[updatedAt], 'updated_at', start, now),
      expiresAt: seconds(fields[expiresAt], 'expires_at', start, null),
    };
  }
  return { entries, ttlNamespaces: [] };
}

const UNQUOTED = /[^,"\r\n]*/y;

/** RFC 4180 records; an unquoted empty field is null. Blank lines are skipped. */
function readCsv(text: string, fail: (offset: number, message: string) => never): { fields: (string | null)[]; start: number }[] {
  const records: { fields: (string | null)[]; start: number }[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    if (text[i] === '\n' || text[i] === '\r') {
      i += text.startsWith('\r\n', i) ? 2 : 1;
      continue;
    }
    const fields: (string | null)[] = [];
    for (;;) {
      if (text[i] === '"') {
        let value = '';
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0) return fail(i, 'quoted field is never closed');
          value += text.slice(from, quote);
          if (text[quote + 1] !== '"') {
            i = quote + 1;
            break;
          }
          value += '"';
          from = quote + 2;
        }
        fields.push(value);
      } else {
        UNQUOTED.lastIndex = i;
        UNQUOTED.test(text);
        const end = UNQUOTED.lastIndex;
        if (text[end] === '"') fail(end, 'a field containing " must be quoted, with the " doubled');
        fields.push(end === i ? null : text.slice(i, end));
        i = end;
      }
      const next = text[i];
      if (next === ',') i++;
      else if (next === undefined) break;
      else if (next === '\r' || next === '\n') {
        i += text.startsWith('\r\n', i) ? 2 : 1;
        break;
      } else fail(i, `unexpected ${show(next)} after a closing quote`);
    }
    records.push({ fields, start });
  }
  return records;
}

/** 1-based line of `offset`; CRLF, LF and lone CR each end a line. Only computed for messages. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
