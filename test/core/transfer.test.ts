import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as csvStringify } from 'csv-stringify/sync';
import { MAX_TTL_SECONDS } from '../../src/core/address';
import { ProntoError } from '../../src/core/errors';
import type { Entry, TtlNamespace } from '../../src/core/types';
import { decodeUtf8, formatFromFileName, parseDocument, serializeDocument, TransferDocument } from '../../src/core/transfer';

const HEADER = 'project,namespace,key,context,value,created_at,updated_at,expires_at';

// Strings the CSV quoting has to get right, '_' for the context encoding, plus lone surrogates and
// a BOM (JS strings allow them).
const trickyUnits = [',', '"', '\r', '\n', '\r\n', ' ', '\t', '=', '_', 'a', 'é', '\ufeff'];
const tricky = fc.string({ unit: fc.constantFrom(...trickyUnits, '\ud800', '\udc00') });
const text = fc.oneof(fc.constant(''), fc.string({ unit: 'binary' }), tricky);
// CSV is UTF-8 text, where a lone surrogate cannot survive; 'binary' never produces one.
const csvText = fc.oneof(fc.constant(''), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...trickyUnits) }));
// A context no address could reach (it holds '__') cannot go into CSV, so runs of '_' are shortened.
const csvContext = csvText.map((s) => s.replace(/_{2,}/g, '_'));
const seconds = fc.maxSafeNat();
const entryOf = (str: fc.Arbitrary<string>, context: fc.Arbitrary<string> = str): fc.Arbitrary<Entry> =>
  fc.record({
    project: str,
    namespace: str,
    key: str,
    context: fc.oneof(fc.constant(null), fc.constant(''), fc.constant('_'), context),
    value: str,
    createdAt: seconds,
    updatedAt: seconds,
    expiresAt: fc.option(seconds, { nil: null }),
  }, { noNullPrototype: true });
const entries = fc.array(entryOf(text), { maxLength: 15 });
const csvEntries = fc.array(entryOf(csvText, csvContext), { maxLength: 15 });
const ttlNamespaces: fc.Arbitrary<TtlNamespace[]> = fc.array(
  fc.record({ project: text, namespace: text, defaultTtl: fc.integer({ min: 1, max: MAX_TTL_SECONDS }), createdAt: seconds }, { noNullPrototype: true }),
  { maxLength: 4 },
);

function entry(overrides: Partial<Entry> = {}): Entry {
  return { project: 'p', namespace: 'n', key: 'k', context: null, value: 'v', createdAt: 1, updatedAt: 2, expiresAt: null, ...overrides };
}

function usage(message: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProntoError, `expected a ProntoError, got ${String(error)}`);
    assert.equal(error.code, 'usage');
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

describe('transfer', () => {
  describe('formatFromFileName', () => {
    it('detects .json and .csv case-insensitively, with or without directories', () => {
      assert.equal(formatFromFileName('dump.json'), 'json');
      assert.equal(formatFromFileName('DUMP.CSV'), 'csv');
      assert.equal(formatFromFileName('/tmp/my.db/export.Json'), 'json');
      assert.equal(formatFromFileName('C:\\x\\rows.cSv'), 'csv');
    });

    it('rejects other names with a usage error naming the file', () => {
      for (const name of ['dump.txt', 'json', 'dump.json.bak', 'csv.', '']) {
        assert.throws(() => formatFromFileName(name), usage(`Cannot tell the format of '${name}': use a .json or .csv file name`));
      }
    });
  });

  describe('JSON', () => {
    it('round-trips entries and TTL namespaces exactly (property)', () => {
      fc.assert(
        fc.property(entries, ttlNamespaces, (es, ttls) => {
          const doc: TransferDocument = { entries: es, ttlNamespaces: ttls };
          assert.deepStrictEqual(parseDocument(serializeDocument(doc, 'json'), 'json', 'x.json', 0), doc);
        }),
        { numRuns: 300 },
      );
    });

    it('writes a self-describing document with snake_case columns', () => {
      const doc = { entries: [entry({ context: '', expiresAt: 9 })], ttlNamespaces: [{ project: 'p', namespace: 'c', defaultTtl: 60, createdAt: 5 }] };
      const out = serializeDocument(doc, 'json', { database: 'main', exportedAt: new Date(Date.UTC(2025, 8, 10, 12, 0, 0)) });
      assert.deepStrictEqual(JSON.parse(out), {
        format: 'prontodb',
        version: 1,
        database: 'main',
        exportedAt: '2025-09-10T12:00:00.000Z',
        ttlNamespaces: [{ project: 'p', namespace: 'c', default_ttl: 60, created_at: 5 }],
        entries: [{ project: 'p', namespace: 'n', key: 'k', context: '', value: 'v', created_at: 1, updated_at: 2, expires_at: 9 }],
      });
      assert.deepStrictEqual(Object.keys(JSON.parse(out)), ['format', 'version', 'database', 'exportedAt', 'ttlNamespaces', 'entries']);
      assert.ok(out.startsWith('{\n  "format": "prontodb"'), 'pretty-printed with two spaces');
    });

    it('omits database and exportedAt when not given', () => {
      const parsed = JSON.parse(serializeDocument({ entries: [], ttlNamespaces: [] }, 'json'));
      assert.deepStrictEqual(parsed, { format: 'prontodb', version: 1, ttlNamespaces: [], entries: [] });
    });

    it('accepts a plain array of entries with optional fields omitted', () => {
      const text = JSON.stringify([
        { project: 'p', namespace: 'n', key: 'a', value: '1' },
        { project: 'p', namespace: 'n', key: 'b', value: '2', context: 'c', created_at: 7, updated_at: null, expires_at: 100 },
        { project: 'p', namespace: 'n', key: 'c', value: '3', context: null, expires_at: null },
      ]);
      assert.deepStrictEqual(parseDocument(text, 'json', 'x.json', 1000), {
        entries: [
          { project: 'p', namespace: 'n', key: 'a', context: null, value: '1', createdAt: 1000, updatedAt: 1000, expiresAt: null },
          { project: 'p', namespace: 'n', key: 'b', context: 'c', value: '2', createdAt: 7, updatedAt: 1000, expiresAt: 100 },
          { project: 'p', namespace: 'n', key: 'c', context: null, value: '3', createdAt: 1000, updatedAt: 1000, expiresAt: null },
        ],
        ttlNamespaces: [],
      });
    });

    it('accepts an object with only entries, a BOM, and TTL namespaces without created_at', () => {
      const text = '\ufeff' + JSON.stringify({ entries: [{ project: 'p', namespace: 'n', key: 'k', value: '' }], ttlNamespaces: [{ project: 'p', namespace: 'c', default_ttl: 30 }] });
      assert.deepStrictEqual(parseDocument(text, 'json', 'x.json', 50), {
        entries: [{ project: 'p', namespace: 'n', key: 'k', context: null, value: '', createdAt: 50, updatedAt: 50, expiresAt: null }],
        ttlNamespaces: [{ project: 'p', namespace: 'c', defaultTtl: 30, createdAt: 50 }],
      });
    });

    it('defaults "now" to the current Unix time in seconds', () => {
      const before = Math.floor(Date.now() / 1000);
      const [e] = parseDocument('[{"project":"p","namespace":"n","key":"k","value":"v"}]', 'json').entries;
      const after = Math.floor(Date.now() / 1000);
      assert.ok(e.createdAt >= before && e.createdAt <= after, `createdAt ${e.createdAt} not in [${before}, ${after}]`);
      assert.equal(e.updatedAt, e.createdAt);
    });

    const ok = { project: 'p', namespace: 'n', key: 'k', value: 'v' };
    const cases: [string, unknown, string][] = [
      ['a non-object top level', 5, `data.json: (top level): expected an object, got 5`],
      ['a foreign format', { format: 'other', entries: [] }, `data.json: format: expected 'prontodb', got 'other'`],
      ['an unknown version', { format: 'prontodb', version: 2, entries: [] }, `data.json: version: unsupported version 2 (this build reads version 1)`],
      ['missing entries', { format: 'prontodb', version: 1 }, `data.json: (top level): missing field 'entries'`],
      ['an unknown top-level field', { entries: [], extra: 1 }, `data.json: (top level): unknown field 'extra'`],
      ['a non-string database', { entries: [], database: 5 }, `data.json: database: expected a string, got 5`],
      ['entries that are not an array', { entries: {} }, `data.json: entries: expected an array, got an object`],
      ['ttlNamespaces that are not an array', { entries: [], ttlNamespaces: 'x' }, `data.json: ttlNamespaces: expected an array, got 'x'`],
      ['an entry that is not an object', { entries: [ok, ['p']] }, `data.json: entries[1]: expected an object, got an array`],
      ['a numeric value', { entries: [ok, ok, ok, { ...ok, value: 42 }] }, `data.json: entries[3].value: expected a string, got 42`],
      ['a missing key', { entries: [{ project: 'p', namespace: 'n', value: 'v' }] }, `data.json: entries[0]: missing field 'key'`],
      ['an unknown entry field', { entries: [{ ...ok, ttl: 5 }] }, `data.json: entries[0]: unknown field 'ttl'`],
      ['a camelCase timestamp', { entries: [{ ...ok, createdAt: 5 }] }, `data.json: entries[0]: unknown field 'createdAt'`],
      ['a numeric context', { entries: [{ ...ok, context: 7 }] }, `data.json: entries[0].context: expected a string or null, got 7`],
      ['a negative expiry', { entries: [{ ...ok, expires_at: -1 }] }, `data.json: entries[0].expires_at: expected a whole number of seconds or null, got -1`],
      ['a fractional timestamp', { entries: [{ ...ok, created_at: 1.5 }] }, `data.json: entries[0].created_at: expected a whole number of seconds, got 1.5`],
      ['a string timestamp', { entries: [{ ...ok, updated_at: '5' }] }, `data.json: entries[0].updated_at: expected a whole number of seconds, got '5'`],
      ['an unsafe integer', { entries: [{ ...ok, expires_at: 2 ** 53 }] }, `data.json: entries[0].expires_at: expected a whole number of seconds or null, got 9007199254740992`],
      ['a null project in a plain array', [ok, ok, { ...ok, project: null }], `data.json: [2].project: expected a string, got null`],
      ['a TTL namespace without default_ttl', { entries: [], ttlNamespaces: [{ project: 'p', namespace: 'n' }] }, `data.json: ttlNamespaces[0]: missing field 'default_ttl'`],
      ['a TTL namespace with a bad default_ttl', { entries: [], ttlNamespaces: [{ project: 'p', namespace: 'n', default_ttl: 'x' }] }, `data.json: ttlNamespaces[0].default_ttl: expected a whole number of seconds, got 'x'`],
      // Issue 6 item 5: a default TTL of 0 made every later write to the namespace vanish.
      ['a TTL namespace with default_ttl 0', { entries: [], ttlNamespaces: [{ project: 'p', namespace: 'n', default_ttl: 0 }] }, `data.json: ttlNamespaces[0].default_ttl: expected a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (as create-cache takes), got 0`],
      ['a TTL namespace with a default_ttl beyond 100 years', { entries: [], ttlNamespaces: [{ project: 'p', namespace: 'n', default_ttl: MAX_TTL_SECONDS + 1 }] }, `data.json: ttlNamespaces[0].default_ttl: expected a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (as create-cache takes), got ${MAX_TTL_SECONDS + 1}`],
    ];
    for (const [what, input, message] of cases) {
      it(`rejects ${what}`, () => {
        assert.throws(() => parseDocument(JSON.stringify(input), 'json', 'data.json'), usage(message));
      });
    }

    it('decodes UTF-8 exactly: a BOM stays, invalid bytes are refused naming the offset', () => {
      assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), 'x'), '\ufeffa');
      assert.equal(decodeUtf8(Buffer.from('a\ufffdb'), 'x'), 'a\ufffdb');
      assert.throws(() => decodeUtf8(Buffer.from([0x61, 0xc3, 0x28]), 'Standard input'), usage(/^Standard input is not valid UTF-8 \(byte 0xc3 at offset 1\)/));
    });

    it('rejects text that is not JSON, naming the source (default "input")', () => {
      assert.throws(() => parseDocument('{"entries": [', 'json', 'data.json'), usage(/^data\.json: not valid JSON: \S/));
      assert.throws(() => parseDocument('', 'json'), usage(/^input: not valid JSON: \S/));
    });
  });

  describe('CSV', () => {
    it('round-trips entries exactly (property)', () => {
      fc.assert(
        fc.property(csvEntries, (es) => {
          const doc: TransferDocument = { entries: es, ttlNamespaces: [] };
          assert.deepStrictEqual(parseDocument(serializeDocument(doc, 'csv'), 'csv', 'x.csv', 0), doc);
        }),
        { numRuns: 300 },
      );
    });

    it('encodes a NULL context as an empty field and the empty context as __', () => {
      const out = serializeDocument(
        {
          entries: [
            entry({ context: null, value: 'a,b', expiresAt: null }),
            entry({ context: '', value: 'x\r\ny\nz "q"', expiresAt: 3 }),
            entry({ project: '', context: ' c ', value: '' }),
            entry({ context: '_', value: '__' }),
          ],
          ttlNamespaces: [],
        },
        'csv',
      );
      assert.equal(out, `${HEADER}\r\np,n,k,,"a,b",1,2,\r\np,n,k,__,"x\r\ny\nz ""q""",1,2,3\r\n,n,k, c ,,1,2,\r\np,n,k,_,__,1,2,\r\n`);
    });

    it('quotes every value holding a comma, a quote, CR or LF, and only those', () => {
      const values = ['a\nb', 'a\rb', 'a\r', '\n', '\r\n', 'x"y', '"', ',', 'plain', ' sp ', "'=1"];
      const out = serializeDocument({ entries: values.map((value) => entry({ value })), ttlNamespaces: [] }, 'csv');
      const fields = ['"a\nb"', '"a\rb"', '"a\r"', '"\n"', '"\r\n"', '"x""y"', '""""', '","', 'plain', ' sp ', "'=1"];
      assert.equal(out, `${HEADER}\r\n${fields.map((f) => `p,n,k,,${f},1,2,\r\n`).join('')}`);
    });

    it('leaves no CR, LF or comma outside quotes other than the separators (property)', () => {
      fc.assert(
        fc.property(csvEntries, (es) => {
          const out = serializeDocument({ entries: es, ttlNamespaces: [] }, 'csv');
          // Collapse each quoted field to Q; what is left must be 8 comma-separated fields a line.
          const bare = out.replace(/"(?:[^"]|"")*"/g, 'Q');
          assert.ok(!bare.includes('"'), 'every quote is inside a well-formed quoted field');
          assert.ok(bare.endsWith('\r\n'));
          const lines = bare.slice(0, -2).split('\r\n');
          assert.equal(lines.length, es.length + 1);
          for (const line of lines) {
            assert.ok(!/[\r\n]/.test(line), `bare CR or LF in ${JSON.stringify(line)}`);
            assert.equal(line.split(',').length, 8);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('refuses to write a context holding __, naming the entry', () => {
      for (const context of ['a__b', '__', '___', 'x__']) {
        const doc = { entries: [entry(), entry({ project: 'proj', namespace: 'ns', key: 'key', context })], ttlNamespaces: [] };
        assert.throws(
          () => serializeDocument(doc, 'csv'),
          usage(`Cannot write proj.ns.key as CSV: its context '${context}' contains '__', so no address can reach it`),
        );
        // JSON has no such encoding, so it still carries the entry.
        assert.deepStrictEqual(parseDocument(serializeDocument(doc, 'json'), 'json', 'x.json', 0), doc);
      }
    });

    it('drops TTL namespaces and export info, which CSV cannot carry', () => {
      const doc = { entries: [entry()], ttlNamespaces: [{ project: 'p', namespace: 'n', defaultTtl: 5, createdAt: 1 }] };
      const out = serializeDocument(doc, 'csv', { database: 'main', exportedAt: new Date(0) });
      assert.equal(out, `${HEADER}\r\np,n,k,,v,1,2,\r\n`);
      assert.deepStrictEqual(parseDocument(out, 'csv'), { entries: doc.entries, ttlNamespaces: [] });
    });

    it('imports a spreadsheet-style file: LF endings, every field quoted, no final newline', () => {
      // As LibreOffice or Google Sheets write it with "quote all text cells": quoting means nothing.
      const text = [
        '"project","namespace","key","context","value","created_at","updated_at","expires_at"',
        '"p","n","k1","","multi\nline, ""quoted""","10","20",""',
        '"p","n","k2","__","","10","20","30"',
        '"p","n","k3","ctx","x\r\ny","","",""',
      ].join('\n');
      assert.deepStrictEqual(parseDocument(text, 'csv', 'x.csv', 5), {
        entries: [
          { project: 'p', namespace: 'n', key: 'k1', context: null, value: 'multi\nline, "quoted"', createdAt: 10, updatedAt: 20, expiresAt: null },
          { project: 'p', namespace: 'n', key: 'k2', context: '', value: '', createdAt: 10, updatedAt: 20, expiresAt: 30 },
          { project: 'p', namespace: 'n', key: 'k3', context: 'ctx', value: 'x\r\ny', createdAt: 5, updatedAt: 5, expiresAt: null },
        ],
        ttlNamespaces: [],
      });
    });

    it('imports the same entries however the writer quotes and ends records (property)', () => {
      fc.assert(
        fc.property(csvEntries, fc.constantFrom('unix', 'windows', 'mac'), fc.boolean(), fc.boolean(), (es, recordDelimiter, quoteAll, eof) => {
          const rows = es.map((e) => [e.project, e.namespace, e.key, e.context === '' ? '__' : e.context, e.value, e.createdAt, e.updatedAt, e.expiresAt]);
          const out = csvStringify([HEADER.split(','), ...rows], {
            record_delimiter: recordDelimiter,
            quote_record_delimiter: true,
            quoted: quoteAll,
            quoted_empty: quoteAll,
            eof,
          });
          assert.deepStrictEqual(parseDocument(out, 'csv', 'x.csv', 0), { entries: es, ttlNamespaces: [] });
        }),
        { numRuns: 200 },
      );
    });

    it('accepts columns in any order, optional columns missing, a BOM, mixed endings and blank lines', () => {
      const text = '\ufeffvalue,key,namespace,project\n"x\r\ny",k1,n,p\n\n,k2,n,p\r\n"",k3,n,p\rlast,k4,n,p\n\n';
      assert.deepStrictEqual(parseDocument(text, 'csv', 'x.csv', 77), {
        entries: [
          { project: 'p', namespace: 'n', key: 'k1', context: null, value: 'x\r\ny', createdAt: 77, updatedAt: 77, expiresAt: null },
          { project: 'p', namespace: 'n', key: 'k2', context: null, value: '', createdAt: 77, updatedAt: 77, expiresAt: null },
          { project: 'p', namespace: 'n', key: 'k3', context: null, value: '', createdAt: 77, updatedAt: 77, expiresAt: null },
          { project: 'p', namespace: 'n', key: 'k4', context: null, value: 'last', createdAt: 77, updatedAt: 77, expiresAt: null },
        ],
        ttlNamespaces: [],
      });
    });

    it('treats empty timestamps as "now" and empty contexts and expires_at (quoted or not) as NULL', () => {
      const text = `${HEADER}\np,n,k,,v,,"",""\np,n,k,"",v,"5",6,\np,n,k,"__",v,1,2,\n`;
      assert.deepStrictEqual(
        parseDocument(text, 'csv', 'x.csv', 9).entries.map((e) => [e.context, e.createdAt, e.updatedAt, e.expiresAt]),
        [
          [null, 9, 9, null],
          [null, 5, 6, null],
          ['', 1, 2, null],
        ],
      );
    });

    it('parses a header-only file as no entries', () => {
      assert.deepStrictEqual(parseDocument(`${HEADER}\r\n`, 'csv'), { entries: [], ttlNamespaces: [] });
    });

    const row = 'p,n,k,,v,1,2,';
    const cases: [string, string, string][] = [
      ['an empty file', '', `data.csv: empty file, expected a header row (${HEADER})`],
      ['a blank-only file', '\r\n\n', `data.csv: empty file, expected a header row (${HEADER})`],
      ['an unknown column', 'project,namespace,key,value,ttl\n', `data.csv: line 1: unknown column 'ttl' (columns are ${HEADER})`],
      ['an empty column name', 'project,namespace,key,value,\n', `data.csv: line 1: unknown column '' (columns are ${HEADER})`],
      ['a duplicate column', 'project,namespace,key,value,key\n', `data.csv: line 1: duplicate column 'key'`],
      ['a missing required column', 'project,namespace,key,context\n', `data.csv: line 1: missing column 'value'`],
      ['a bad header after blank lines, before a short row', '\n\r\nproject,namespace,key,value,ttl\np\n', `data.csv: line 3: unknown column 'ttl' (columns are ${HEADER})`],
      ['a short row', `${HEADER}\n${row}\np,n,k,v\n`, `data.csv: line 3: expected 8 fields, found 4`],
      ['a long row', `${HEADER}\n${row},x\n`, `data.csv: line 2: expected 8 fields, found 9`],
      // The second row spans lines 3-5 (CRLF, then a lone LF), so the bad row starts on line 6.
      ['a non-numeric expiry', `${HEADER}\r\n${row}\r\np,n,k,,"a\r\nb\nc",1,2,\r\np,n,k,,v,1,2,abc\r\n`, `data.csv: line 6: expires_at 'abc' is not a whole number of seconds`],
      // A lone CR ends a line too; blank lines before a record count.
      ['a short row after a lone CR and blank lines', `${HEADER}\r\n\r\n${row.replace('v', '"a\rb"')}\n\n\np,n,k\n`, `data.csv: line 7: expected 8 fields, found 3`],
      ['a negative expiry', `${HEADER}\n${row}-5\n`, `data.csv: line 2: expires_at '-5' is not a whole number of seconds`],
      ['a fractional timestamp', `${HEADER}\np,n,k,,v,1.5,2,\n`, `data.csv: line 2: created_at '1.5' is not a whole number of seconds`],
      ['a padded timestamp', `${HEADER}\np,n,k,,v,1,"2 ",\n`, `data.csv: line 2: updated_at '2 ' is not a whole number of seconds`],
      ['an unsafe integer', `${HEADER}\np,n,k,,v,9007199254740993,2,\n`, `data.csv: line 2: created_at '9007199254740993' is too large`],
      ['a context holding __', `${HEADER}\n${row}\np,n,k,a__b,v,1,2,\n`, `data.csv: line 3: context 'a__b' contains '__', so no address could reach it (the empty context is written as exactly '__')`],
      ['a context of ___', `${HEADER}\np,n,k,___,v,1,2,\n`, `data.csv: line 2: context '___' contains '__', so no address could reach it (the empty context is written as exactly '__')`],
      ['an unclosed quote', `${HEADER}\n${row}\np,n,k,,"v\n,1,2,\n`, `data.csv: line 3: quoted field is never closed`],
      ['an unclosed quote after a multi-line value', `${HEADER}\r\np,n,k,,"a\r\nb\r\nc",1,2,\r\n\r\np,n,"k,,v,1,2,\r\n`, `data.csv: line 6: quoted field is never closed`],
      ['an unclosed quote in the header', '"project,namespace\n', `data.csv: line 1: quoted field is never closed`],
      ['a bare quote', `${HEADER}\np,n,k,,say "hi",1,2,\n`, `data.csv: line 2: a field containing " must be quoted, with the " doubled`],
      ['text after a closing quote', `${HEADER}\np,n,k,,"v"x,1,2,\n`, `data.csv: line 2: unexpected 'x' after a closing quote`],
      ['non-ASCII text after a closing quote', `${HEADER}\r\np,n,k,,"a\r\nb",1,2,\r\np,n,k,,"v"é,1,2,\n`, `data.csv: line 4: unexpected text after a closing quote`],
    ];
    for (const [what, input, message] of cases) {
      it(`rejects ${what}`, () => {
        assert.throws(() => parseDocument(input, 'csv', 'data.csv'), usage(message));
      });
    }

    it('names "input" when no source is given', () => {
      assert.throws(() => parseDocument('key\n', 'csv'), usage(/^input: line 1: missing column 'project'$/));
    });
  });

  describe('100k entries', () => {
    const big: Entry[] = Array.from({ length: 100_000 }, (_, i) => ({
      project: `project${i % 7}`,
      namespace: i % 11 === 0 ? '' : `ns${i % 13}`,
      key: `key-${i}`,
      context: i % 3 === 0 ? null : i % 3 === 1 ? '' : `ctx ${i}`,
      value: i % 5 === 0 ? `line one,\r\nline "two"\n${i}` : `value ${i} = ${'x'.repeat(i % 40)}`,
      createdAt: 1_757_000_000 + i,
      updatedAt: 1_757_100_000 + i,
      expiresAt: i % 2 === 0 ? null : 1_758_000_000 + i,
    }));

    for (const format of ['json', 'csv'] as const) {
      it(`round-trips in ${format}`, () => {
        const doc: TransferDocument = { entries: big, ttlNamespaces: [] };
        let t = performance.now();
        const out = serializeDocument(doc, format);
        const serializeMs = performance.now() - t;
        t = performance.now();
        const back = parseDocument(out, format, `big.${format}`, 0);
        const parseMs = performance.now() - t;
        const codec = format === 'json' ? 'JSON.stringify/JSON.parse' : 'csv-stringify/csv-parse';
        console.log(`      ${format} (${codec}): serialise ${serializeMs.toFixed(0)} ms, parse ${parseMs.toFixed(0)} ms, ${(out.length / 1e6).toFixed(1)} M chars`);
        assert.equal(back.entries.length, big.length);
        assert.deepStrictEqual(back, doc);
      });
    }
  });
});
