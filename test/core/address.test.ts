import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { displayKey, formatAddress, parseAddress, parseListingPath, parseNamespacePath, printableName } from '../../src/core/address';
import { isProntoError } from '../../src/core/errors';
import { prefixUpperBound } from '../../src/core/fileStore';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isProntoError(error, 'usage'), `expected a usage error, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

/** Names a user can type: anything without the delimiter or the context separator. */
const segment = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !s.includes('.') && !s.includes('__') && !s.endsWith('_') && !s.startsWith('_') && !/\p{Cc}/u.test(s));

describe('addressing', () => {
  it('fills missing parts with defaults, or with -p/-n', () => {
    assert.deepEqual(parseAddress('k'), { project: 'default', namespace: 'default', key: 'k', context: null });
    assert.deepEqual(parseAddress('ns.k'), { project: 'default', namespace: 'ns', key: 'k', context: null });
    assert.deepEqual(parseAddress('p.ns.k'), { project: 'p', namespace: 'ns', key: 'k', context: null });
    assert.deepEqual(parseAddress('k', { project: 'P', namespace: 'N' }), { project: 'P', namespace: 'N', key: 'k', context: null });
    assert.deepEqual(parseAddress('ns.k', { project: 'P', namespace: 'N' }), { project: 'P', namespace: 'ns', key: 'k', context: null });
  });

  it('splits the context at the last __ before splitting segments', () => {
    assert.deepEqual(parseAddress('p.n.k__prod'), { project: 'p', namespace: 'n', key: 'k', context: 'prod' });
    assert.deepEqual(parseAddress('k__a.b'), { project: 'default', namespace: 'default', key: 'k', context: 'a.b' });
    assert.deepEqual(parseAddress('p.ns__x.k'), { project: 'default', namespace: 'p', key: 'ns', context: 'x.k' });
  });

  it('rejects malformed addresses naming the offending part', () => {
    assert.match(usageMessage(() => parseAddress('a.b.c.d')), /Too many parts in address 'a\.b\.c\.d'/);
    assert.match(usageMessage(() => parseAddress('a..b')), /Address 'a\.\.b' has an empty namespace/);
    assert.match(usageMessage(() => parseAddress('.n.k')), /empty project/);
    assert.match(usageMessage(() => parseAddress('p.n.')), /empty key/);
    assert.match(usageMessage(() => parseAddress('')), /empty key/);
    assert.match(usageMessage(() => parseAddress('k__')), /names no context/);
    assert.match(usageMessage(() => parseAddress('my__key__ctx')), /key 'my__key' contains '__'/);
    assert.match(usageMessage(() => parseAddress('k', { project: 'a__b' })), /project 'a__b' contains '__'/);
    assert.match(usageMessage(() => parseAddress('k', { project: 'a.b' })), /project 'a\.b' cannot contain delimiter '\.'/);
  });

  it('refuses control characters in every part, so listings keep one name per line (issue 6 item 13)', () => {
    for (const text of ['p.n.a\nb', 'p.n.a\rb', 'p.n\t.k', 'p\u0000.n.k', 'k__c\u001b', 'k\u007f', 'k\u0085']) {
      assert.match(usageMessage(() => parseAddress(text)), /contains the control character U\+00[0-9A-F]{2}/, JSON.stringify(text));
    }
    assert.match(usageMessage(() => parseAddress('k', { namespace: 'a\nb' })), /namespace contains the control character U\+000A/);
    assert.match(usageMessage(() => parseListingPath('p\n.n')), /control character/);
    // The message itself stays on one line.
    assert.doesNotMatch(usageMessage(() => parseAddress('p.n.a\nb')), /\n/);
    assert.equal(printableName('two\nlines\t!'), 'two\\u000alines\\u0009!');
    assert.equal(printableName('plain é 日本'), 'plain é 日本');
  });

  it('honours another delimiter, which lets keys contain dots', () => {
    assert.deepEqual(parseAddress('p|n|a.b', { delimiter: '|' }), { project: 'p', namespace: 'n', key: 'a.b', context: null });
    assert.deepEqual(parseAddress('p::n::k__c', { delimiter: '::' }), { project: 'p', namespace: 'n', key: 'k', context: 'c' });
    assert.match(usageMessage(() => parseAddress('k', { delimiter: '' })), /must not be empty/);
  });

  it('parses listing paths with the discovery rules', () => {
    assert.deepEqual(parseListingPath(undefined), { project: 'default', namespace: 'default', prefix: '' });
    assert.deepEqual(parseListingPath('pre'), { project: 'default', namespace: 'default', prefix: 'pre' });
    assert.deepEqual(parseListingPath('myapp.config'), { project: 'myapp', namespace: 'config', prefix: '' });
    assert.deepEqual(parseListingPath('myapp.config.db'), { project: 'myapp', namespace: 'config', prefix: 'db' });
    assert.deepEqual(parseListingPath('p.n.k__pr'), { project: 'p', namespace: 'n', prefix: 'k__pr' });
    assert.deepEqual(parseListingPath('pre', { project: 'P', namespace: 'N' }), { project: 'P', namespace: 'N', prefix: 'pre' });
    assert.match(usageMessage(() => parseListingPath('a.b.c.d')), /Too many parts/);
  });

  it('validates project.namespace pairs for TTL namespaces', () => {
    assert.deepEqual(parseNamespacePath('p.n'), { project: 'p', namespace: 'n' });
    assert.match(usageMessage(() => parseNamespacePath('p')), /project\.namespace/);
    assert.match(usageMessage(() => parseNamespacePath('p.n.x')), /project\.namespace/);
  });

  it('round-trips every valid address through its text form', () => {
    fc.assert(
      fc.property(segment, segment, segment, fc.option(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('__') && !s.startsWith('_')), { nil: null }), (project, namespace, key, context) => {
        const address = { project, namespace, key, context };
        assert.deepEqual(parseAddress(formatAddress(address)), address);
      }),
      { numRuns: 500 },
    );
  });

  it('shows contexts in listings as key__context', () => {
    assert.equal(displayKey({ key: 'k', context: null }), 'k');
    assert.equal(displayKey({ key: 'k', context: 'prod' }), 'k__prod');
  });

  it('computes a tight upper bound for prefix scans in code point order', () => {
    assert.equal(prefixUpperBound('ab'), 'ac');
    assert.equal(prefixUpperBound(''), undefined);
    assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
    assert.equal(prefixUpperBound('\uD7FF'), '\uE000');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }), fc.string({ maxLength: 6, unit: 'grapheme' }), (prefix, rest) => {
        const upper = prefixUpperBound(prefix)!;
        const utf8 = (s: string) => Buffer.from(s, 'utf8');
        assert.ok(Buffer.compare(utf8(prefix + rest), utf8(upper)) < 0, 'every extension sorts below the bound');
        assert.ok(Buffer.compare(utf8(prefix), utf8(upper)) < 0);
      }),
      { numRuns: 500 },
    );
  });
});
