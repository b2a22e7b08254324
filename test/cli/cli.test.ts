/**
 * End-to-end tests of the CLI, each in a fresh HOME / XDG_DATA_HOME with a clean environment (no
 * PRONTODB_* / PRONTO_* / XDG_* inherited). Tests about the process boundary (exit status, real
 * stdin/stdout pipes, argv, environment variables, working directory, the bundle's version and wasm)
 * spawn `node dist/cli.js`; the rest call the same `main()` in process, because every spawn costs a
 * Node start plus a WebAssembly compile (~0.3 CPU-s). `PRONTODB_CLI_MODE=spawn` runs everything
 * through the bundle. Build first: `npx tsc -p . && node esbuild.config.mjs`.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCHEMA_SQL } from '../../src/core/schema';
import { CLI, lines, requireSqlite3, Sandbox, sleep, sqlite3, sqliteRows } from '../helpers/cliHarness';

let box: Sandbox;
/** Tests about the process boundary (exit status, real stdin/stdout, argv, environment, cwd) always run the bundle. */
const SPAWN = { via: 'spawn' } as const;

before(function () {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'node esbuild.config.mjs' first`);
  requireSqlite3();
});

beforeEach(() => {
  box = new Sandbox('prontodb-cli-');
});

afterEach(() => {
  box.cleanup();
});

/** Rows of `kv` as `project|namespace|key|context|value`, sorted. */
function kvRows(file = box.dbFile('main')): string[] {
  return sqliteRows(file, 'SELECT project, namespace, key, context, value FROM kv ORDER BY project, namespace, key, context;').map((row) => row.join('|'));
}

describe('CLI: set / get / del and exit codes', () => {
  it('set prints nothing, get prints the value and a newline, del removes it, a miss exits 2 silently', async () => {
    const set = await box.run(['set', 'a.b.c', 'hello'], SPAWN);
    assert.deepEqual([set.code, set.stdout], [0, '']);
    const got = await box.run(['get', 'a.b.c'], SPAWN);
    assert.deepEqual([got.code, got.stdout], [0, 'hello\n']);
    const miss = await box.run(['get', 'a.b.nothing'], SPAWN);
    assert.deepEqual([miss.code, miss.stdout, miss.stderr], [2, '', '']);
    assert.equal(await box.ok(['del', 'a.b.c']), '');
    const gone = await box.run(['get', 'a.b.c']);
    assert.deepEqual([gone.code, gone.stdout], [2, '']);
    // Deleting an absent key is not an error.
    await box.ok(['del', 'a.b.c']);
    assert.deepEqual(kvRows(), []);
  });

  it('set overwrites: one row per address, newest value wins', async () => {
    await box.ok(['set', 'k', 'v1']);
    await box.ok(['set', 'k', 'v2']);
    await box.ok(['set', 'k__ctx', 'c1']);
    await box.ok(['set', 'k__ctx', 'c2']);
    assert.equal(await box.ok(['get', 'k']), 'v2\n');
    assert.equal(await box.ok(['get', 'k__ctx']), 'c2\n');
    assert.deepEqual(kvRows(), ['default|default|k|<NULL>|v2', 'default|default|k|ctx|c2']);
  });

  it('reading a database that does not exist misses without creating it', async () => {
    const miss = await box.run(['get', 'k']);
    assert.equal(miss.code, 2);
    assert.equal(fs.existsSync(box.dbFile('main')), false);
  });

  it('wrong argument counts are usage errors (exit 1, stderr, nothing on stdout)', async () => {
    const errors = await Promise.all([box.fails(['set', 'onlykey']), box.fails(['get']), box.fails(['get', 'a', 'b']), box.fails(['del'])]);
    assert.match(errors[0]!, /Usage: prontodb set/);
    assert.match(errors[1]!, /Usage: prontodb get/);
  });

  it('stores empty, multi-line and unicode values exactly', async () => {
    const values: Record<string, string> = {
      empty: '',
      multi: 'line one\nline two\n\n  indented\ttab\r\nwindows',
      unicode: 'héllo wörld — 日本語 🎉 \u{1F600} \u00A0nbsp',
      spaces: '  leading and trailing  ',
      quotes: `it's "quoted", with, commas`,
    };
    await Promise.all(Object.entries(values).map(([key, value]) => box.ok(['set', `v.${key}`, value])));
    const outputs = await Promise.all(Object.keys(values).map((key) => box.ok(['get', `v.${key}`])));
    assert.deepEqual(outputs, Object.values(values).map((value) => `${value}\n`));
    const stored = new Map(sqliteRows(box.dbFile(), "SELECT key, hex(value) FROM kv WHERE namespace = 'v';").map(([key, hex]) => [key, hex]));
    for (const [key, value] of Object.entries(values)) assert.equal(stored.get(key), Buffer.from(value, 'utf8').toString('hex').toUpperCase(), key);
  });

  it('a 1 MB value through --stdin comes back byte for byte (trailing newline kept)', async () => {
    let value = '';
    for (let line = 0; value.length < 1024 * 1024; line++) value += `${line.toString().padStart(7, '0')} ünïcödé ${'x'.repeat(40)}\n`;
    value = value.slice(0, 1024 * 1024 - 1) + '\n';
    await box.ok(['set', 'big.value', '--stdin'], { ...SPAWN, input: value });
    const out = await box.ok(['get', 'big.value'], SPAWN);
    assert.equal(out.length, value.length + 1);
    assert.ok(out === `${value}\n`, 'the value read back differs from the one written');
    assert.deepEqual(sqliteRows(box.dbFile(), "SELECT length(CAST(value AS BLOB)) FROM kv WHERE key = 'value';"), [[String(Buffer.byteLength(value))]]);
  });

  it('values starting with "-" are accepted after --, and -v/-h there are not hijacked', async () => {
    await box.ok(['set', 'n', '--', '-5'], SPAWN);
    await box.ok(['set', '--', 'h', '--help'], SPAWN);
    await box.ok(['set', 'v', '--', '-v'], SPAWN);
    const [n, h, v] = await Promise.all([box.ok(['get', 'n']), box.ok(['get', 'h']), box.ok(['get', 'v'])]);
    assert.deepEqual([n, h, v], ['-5\n', '--help\n', '-v\n']);
  });

  it('a value starting with "-" without -- is refused as an unknown option, and nothing is written', async () => {
    const stderr = await box.fails(['set', 'n', '-5'], SPAWN);
    assert.match(stderr, /-5|option/i);
    assert.equal(fs.existsSync(box.dbFile()), false);
  });
});

describe('CLI: output into a closed pipe', () => {
  it('stops quietly when the reader goes away (prontodb scan | head -1)', async () => {
    const file = box.dbFile('main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const rows = Array.from({ length: 20000 }, (_, i) => `('default','default','key${String(i).padStart(5, '0')}',NULL,'${'v'.repeat(60)}',1,1,NULL)`);
    sqlite3(file, `${SCHEMA_SQL}\nINSERT INTO kv VALUES ${rows.join(',')};`);
    const child = spawn(process.execPath, [CLI, 'scan'], { cwd: box.root, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let first = '';
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString('utf8');
      child.stdout.destroy(); // like `head -1` exiting after the first line
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    assert.match(first, /^key00000=v+\n/);
    assert.equal(stderr, '', 'no stack trace when the reader closes the pipe');
    assert.ok(code === 0 || code === 141, `exit status ${code}: 0, or 141 as for SIGPIPE`);
  });
});

describe('CLI: addressing', () => {
  it('1, 2 and 3 parts default to project and namespace "default"', async () => {
    await box.ok(['set', 'k', 'one']);
    await box.ok(['set', 'ns.k', 'two']);
    await box.ok(['set', 'p.ns.k', 'three']);
    assert.deepEqual(kvRows(), ['default|default|k|<NULL>|one', 'default|ns|k|<NULL>|two', 'p|ns|k|<NULL>|three']);
    const [one, two, three] = await Promise.all([box.ok(['get', 'default.default.k']), box.ok(['get', 'default.ns.k']), box.ok(['get', 'p.ns.k'])]);
    assert.deepEqual([one, two, three], ['one\n', 'two\n', 'three\n']);
  });

  it('-p / -n fill in missing parts, before or after the command; a full address ignores them', async () => {
    await box.ok(['-p', 'pp', '-n', 'nn', 'set', 'k1', 'before']);
    await box.ok(['set', 'k2', 'after', '-p', 'pp', '-n', 'nn']);
    await box.ok(['--project', 'pp', 'set', 'ns.k3', 'project only']);
    await box.ok(['set', 'k4', 'namespace only', '--namespace', 'nn']);
    await box.ok(['-p', 'pp', '-n', 'nn', 'set', 'x.y.z', 'full']);
    assert.deepEqual(kvRows(), [
      'default|nn|k4|<NULL>|namespace only',
      'pp|nn|k1|<NULL>|before',
      'pp|nn|k2|<NULL>|after',
      'pp|ns|k3|<NULL>|project only',
      'x|y|z|<NULL>|full',
    ]);
    assert.equal(await box.ok(['get', 'k1', '-n', 'nn', '-p', 'pp']), 'before\n');
  });

  it('__context addresses a separate row and listings show it as key__ctx', async () => {
    await box.ok(['set', 'cfg.host', 'plain']);
    await box.ok(['set', 'cfg.host__prod', 'prod-value']);
    await box.ok(['set', 'app.cfg.host__dev.eu', 'dev-value']);
    const [plain, prod, dev] = await Promise.all([box.ok(['get', 'cfg.host']), box.ok(['get', 'cfg.host__prod']), box.ok(['get', 'app.cfg.host__dev.eu'])]);
    assert.deepEqual([plain, prod, dev], ['plain\n', 'prod-value\n', 'dev-value\n']);
    assert.deepEqual(lines(await box.ok(['keys', 'default.cfg'])), ['host', 'host__prod']);
    assert.deepEqual(lines(await box.ok(['scan', 'default.cfg'])), ['host=plain', 'host__prod=prod-value']);
    assert.deepEqual(lines(await box.ok(['ls', 'app.cfg'])), ['host__dev.eu=dev-value']);
    assert.deepEqual(kvRows(), ['app|cfg|host|dev.eu|dev-value', 'default|cfg|host|<NULL>|plain', 'default|cfg|host|prod|prod-value']);
    await box.ok(['del', 'cfg.host__prod']);
    assert.deepEqual(lines(await box.ok(['keys', 'default.cfg'])), ['host']);
  });

  it('rejects more than three parts, empty segments, "__" inside names and an empty context, naming the part', async () => {
    const [four, empty, leading, inside, emptyContext, project] = await Promise.all([
      box.fails(['set', 'a.b.c.d', 'v']),
      box.fails(['set', 'a..b', 'v']),
      box.fails(['get', '.x.y']),
      box.fails(['set', 'ns.my__key__x', 'v']),
      box.fails(['set', 'k__', 'v']),
      box.fails(['set', 'k', 'v', '-p', 'bad__project']),
    ]);
    assert.match(four, /Too many parts.*a\.b\.c\.d/);
    assert.match(empty, /a\.\.b.*empty namespace/);
    assert.match(leading, /empty project/);
    assert.match(inside, /key 'my__key'.*'__'/);
    assert.match(emptyContext, /k__.*no context/);
    assert.match(project, /project 'bad__project'.*'__'/);
    assert.equal(fs.existsSync(box.dbFile()), false, 'a rejected address must not create the database');
  });

  it('--ns-delim replaces "." for addresses, listings, nss and create-cache', async () => {
    await box.ok(['--ns-delim', '/', 'set', 'p/n/k.x', 'dotted key']);
    await box.ok(['set', 'p/n/plain', 'v', '--ns-delim', '/']);
    await box.ok(['--ns-delim', '::', 'set', 'q::m::k', 'double']);
    assert.equal(await box.ok(['--ns-delim', '/', 'get', 'p/n/k.x']), 'dotted key\n');
    assert.equal(await box.ok(['get', 'q.m.k']), 'double\n');
    assert.deepEqual(lines(await box.ok(['--ns-delim', '/', 'keys', 'p/n'])), ['k.x', 'plain']);
    assert.deepEqual(lines(await box.ok(['--ns-delim', '/', 'nss'])), ['p/n', 'q/m']);
    await box.ok(['--ns-delim', '/', 'create-cache', 'p/cache', '60']);
    assert.deepEqual(sqliteRows(box.dbFile(), 'SELECT project, namespace, is_ttl, default_ttl FROM sys_namespaces;'), [['p', 'cache', '1', '60']]);
    // The dotted key is unreachable through '.' addressing: four parts.
    assert.match(await box.fails(['get', 'p.n.k.x']), /Too many parts/);
  });
});

describe('CLI: listings', () => {
  it('keys/scan use an exact, case-sensitive prefix in which _ and % are literal', async () => {
    const keys = ['apple', 'Apple', 'app_x', 'appyx', 'app%1', 'apz', 'banana', 'APP'];
    await box.ok(['import', '-', '--format', 'json'], {
      input: JSON.stringify(keys.map((key) => ({ project: 'default', namespace: 'default', key, context: null, value: `v-${key}` }))),
    });
    const [app, underscore, percent, upper, all, scan] = await Promise.all([
      box.ok(['keys', 'app']),
      box.ok(['keys', 'app_']),
      box.ok(['keys', 'app%']),
      box.ok(['keys', 'A']),
      box.ok(['keys']),
      box.ok(['scan', 'ap']),
    ]);
    assert.deepEqual(lines(app), ['app%1', 'app_x', 'apple', 'appyx']);
    assert.deepEqual(lines(underscore), ['app_x']);
    assert.deepEqual(lines(percent), ['app%1']);
    assert.deepEqual(lines(upper), ['APP', 'Apple']);
    assert.deepEqual(lines(all), ['APP', 'Apple', 'app%1', 'app_x', 'apple', 'appyx', 'apz', 'banana']);
    assert.deepEqual(lines(scan), ['app%1=v-app%1', 'app_x=v-app_x', 'apple=v-apple', 'appyx=v-appyx', 'apz=v-apz']);
  });

  it('keys selects by project.namespace[.prefix] or -p/-n; projects, namespaces and nss list what exists', async () => {
    await box.ok(['import', '-', '--format', 'csv'], {
      input: 'project,namespace,key,context,value\np,n,alpha,,1\np,n,beta,,2\np,m,gamma,,3\nq,z,delta,,4\ndefault,default,top,,5\n',
    });
    const [pn, pnPrefix, flags, none, projects, namespaces, namespacesFlag, nss] = await Promise.all([
      box.ok(['keys', 'p.n']),
      box.ok(['keys', 'p.n.al']),
      box.ok(['keys', '-p', 'p', '-n', 'm']),
      box.ok(['keys']),
      box.ok(['projects']),
      box.ok(['namespaces', 'p']),
      box.ok(['namespaces', '-p', 'p']),
      box.ok(['nss']),
    ]);
    assert.deepEqual(lines(pn), ['alpha', 'beta']);
    assert.deepEqual(lines(pnPrefix), ['alpha']);
    assert.deepEqual(lines(flags), ['gamma']);
    assert.deepEqual(lines(none), ['top']);
    assert.deepEqual(lines(projects), ['default', 'p', 'q']);
    assert.deepEqual(lines(namespaces), ['m', 'n']);
    assert.deepEqual(lines(namespacesFlag), ['m', 'n']);
    assert.deepEqual(lines(nss), ['default.default', 'p.m', 'p.n', 'q.z']);
    assert.match(await box.fails(['namespaces']), /requires a project/);
  });
});

describe('CLI: TTL namespaces', () => {
  it('create-cache sets the default TTL, --ttl overrides it, and --ttl is refused outside TTL namespaces', async () => {
    await box.ok(['create-cache', 'c.t', '100']);
    await box.ok(['set', 'c.t.default', 'a']);
    await box.ok(['set', 'c.t.override', 'b', '--ttl', '5']);
    const rows = sqliteRows(box.dbFile(), "SELECT key, expires_at - updated_at FROM kv WHERE project = 'c' ORDER BY key;");
    assert.deepEqual(rows, [['default', '100'], ['override', '5']]);
    assert.deepEqual(sqliteRows(box.dbFile(), 'SELECT project, namespace, is_ttl, default_ttl FROM sys_namespaces;'), [['c', 't', '1', '100']]);

    const [notNumber, negative, fraction] = await Promise.all([
      box.fails(['set', 'c.t.x', 'v', '--ttl', 'abc']),
      box.fails(['set', 'c.t.x', 'v', '--ttl=-5']),
      box.fails(['set', 'c.t.x', 'v', '--ttl', '1.5']),
    ]);
    for (const stderr of [notNumber, negative, fraction]) assert.match(stderr, /TTL/);
    const refused = await box.fails(['set', 'c.plain.k', 'v', '--ttl', '10']);
    assert.match(refused, /TTL not allowed/);
    assert.equal((await box.run(['get', 'c.plain.k'])).code, 2);
    assert.deepEqual(sqliteRows(box.dbFile(), "SELECT count(*) FROM kv WHERE namespace = 'plain';"), [['0']]);
  });

  it('create-cache rejects a bad namespace path or timeout', async () => {
    const [zero, shape, word, deep] = await Promise.all([
      box.fails(['create-cache', 'c.t', '0']),
      box.fails(['create-cache', 'c', '10']),
      box.fails(['create-cache', 'c.t', 'timeout=3600']),
      box.fails(['create-cache', 'a.b.c', '10']),
    ]);
    assert.match(zero, /Timeout/);
    assert.match(shape, /project\.namespace/);
    assert.match(word, /timeout=3600/);
    assert.match(deep, /project\.namespace/);
  });

  it('--ttl 0 is already expired: get misses and listings hide it', async () => {
    await box.ok(['create-cache', 'c.t', '100']);
    await box.ok(['set', 'c.t.gone', 'v', '--ttl', '0']);
    await box.ok(['set', 'c.t.kept', 'w']);
    assert.equal((await box.run(['get', 'c.t.gone'])).code, 2);
    assert.deepEqual(lines(await box.ok(['keys', 'c.t'])), ['kept']);
    assert.deepEqual(lines(await box.ok(['scan', 'c.t'])), ['kept=w']);
  });

  it('entries expire after the default TTL everywhere, and purge deletes them', async () => {
    await box.ok(['set', 'e.keep.c', '3']);
    await box.ok(['create-cache', 'e.t', '1']);
    // The last write before the wait: every commit also sweeps rows that have already expired.
    await box.ok(['set', 'e.t.a', '1']);
    assert.deepEqual(sqliteRows(box.dbFile(), "SELECT key, expires_at - updated_at FROM kv WHERE namespace = 't';"), [['a', '1']]);
    await sleep(2100);
    const [getA, keys, scan, exported] = await Promise.all([
      box.run(['get', 'e.t.a']),
      box.ok(['keys', 'e.t']),
      box.ok(['scan', 'e.t']),
      box.ok(['export', 'e', '--format', 'csv']),
    ]);
    assert.equal(getA.code, 2);
    assert.equal(keys, '');
    assert.equal(scan, '');
    assert.deepEqual(lines(exported).slice(1).map((line) => line.split(',')[2]), ['c']);
    // Reads do not delete; purge does and reports how many.
    assert.deepEqual(sqliteRows(box.dbFile(), "SELECT count(*) FROM kv WHERE namespace = 't';"), [['1']]);
    assert.equal(await box.ok(['purge']), '1\n');
    assert.deepEqual(sqliteRows(box.dbFile(), "SELECT count(*) FROM kv WHERE namespace = 't';"), [['0']]);
    assert.equal(await box.ok(['get', 'e.keep.c']), '3\n');
    assert.equal(await box.ok(['purge']), '0\n');
  });
});

describe('CLI: help, version and bad input', () => {
  it('help, help <cmd> and <cmd> --help print help on stdout and exit 0', async () => {
    const [general, helpSet, setHelp, cursorH] = await Promise.all([
      box.run(['help'], SPAWN),
      box.run(['help', 'set'], SPAWN),
      box.run(['set', '--help'], SPAWN),
      box.run(['cursor', '-h'], SPAWN),
    ]);
    for (const result of [general, helpSet, setHelp, cursorH]) assert.equal(result.code, 0, result.stderr);
    assert.match(general.stdout, /Usage: prontodb/);
    assert.match(general.stdout, /Exit codes/);
    assert.match(helpSet.stdout, /^prontodb set <address> <value>/);
    assert.equal(setHelp.stdout, helpSet.stdout);
    assert.match(cursorH.stdout, /prontodb cursor set/);
  });

  it('version, --version and -v print the version', async () => {
    const version = JSON.parse(fs.readFileSync(path.join(path.dirname(CLI), '..', 'package.json'), 'utf8')).version as string;
    const outputs = await Promise.all([box.ok(['version'], SPAWN), box.ok(['--version'], SPAWN), box.ok(['-v'], SPAWN), box.ok(['get', 'k', '-v'], SPAWN)]);
    for (const out of outputs) assert.equal(out, `prontodb ${version}\n`);
  });

  it('an unknown command or option exits 1 with a message on stderr and nothing on stdout', async () => {
    const [command, option, short, helpTopic] = await Promise.all([
      box.fails(['frobnicate'], SPAWN),
      box.fails(['get', 'k', '--bogus'], SPAWN),
      box.fails(['-Z', 'get', 'k'], SPAWN),
      box.fails(['help', 'frobnicate'], SPAWN),
    ]);
    assert.match(command, /unknown command 'frobnicate'/i);
    assert.match(option, /--bogus/);
    assert.match(short, /-Z/);
    assert.match(helpTopic, /frobnicate/);
  });

  it('an option that does not apply to the command is refused', async () => {
    assert.match(await box.fails(['get', 'k', '--ttl', '5']), /--ttl/);
  });
});

describe('CLI: databases', () => {
  it('db create, list and delete (delete needs --force)', async () => {
    await box.ok(['db', 'create', 'work']);
    assert.ok(fs.existsSync(box.dbFile('work')));
    assert.match(await box.fails(['db', 'create', 'work']), /already exists/);
    await box.ok(['set', 'k', 'v']); // creates main
    const listing = lines(await box.ok(['db', 'list'])).map((line) => line.split('\t'));
    assert.deepEqual(listing.map((columns) => [columns[0], columns[2]]), [['main', box.dbFile('main')], ['work', box.dbFile('work')]]);
    assert.ok(Number(listing[1]![1]) > 0);

    assert.match(await box.fails(['db', 'delete', 'work']), /--force/);
    assert.ok(fs.existsSync(box.dbFile('work')));
    await box.ok(['db', 'delete', 'work', '--force']);
    assert.equal(fs.existsSync(path.dirname(box.dbFile('work'))), false);
    assert.deepEqual(lines(await box.ok(['db', 'list'])).map((line) => line.split('\t')[0]), ['main']);
    assert.match(await box.fails(['db', 'delete', 'work', '--force']), /does not exist/);
  });

  it('refuses database names that could leave the data directory', async () => {
    const names = ['../x', 'a/b', '..', '.hidden', '', 'cursors'];
    const errors = await Promise.all(names.map((name) => box.fails(['db', 'create', name])));
    errors.forEach((stderr) => assert.match(stderr, /Database name/));
    assert.match(await box.fails(['--database', '../escape', 'set', 'k', 'v']), /Database name/);
    assert.equal(fs.existsSync(path.join(box.xdgData, 'odx', 'x')), false);
    assert.equal(fs.existsSync(path.join(box.xdgData, 'odx', 'escape')), false);
    assert.deepEqual(fs.existsSync(box.dataDir) ? fs.readdirSync(box.dataDir) : [], []);
  });

  it('--database reads and writes another database only', async () => {
    await box.ok(['--database', 'other', 'set', 'k', 'other-value']);
    await box.ok(['set', 'k', 'main-value']);
    assert.equal(await box.ok(['get', 'k', '--database', 'other']), 'other-value\n');
    assert.equal(await box.ok(['get', 'k']), 'main-value\n');
    assert.deepEqual(kvRows(box.dbFile('other')), ['default|default|k|<NULL>|other-value']);
  });

  it('PRONTO_DB replaces the path of main', async () => {
    const file = box.path('elsewhere', 'custom.prdb');
    await box.ok(['set', 'k', 'v'], { env: { PRONTO_DB: file } });
    assert.deepEqual(kvRows(file), ['default|default|k|<NULL>|v']);
    assert.equal(fs.existsSync(box.dbFile('main')), false);
  });
});

describe('CLI: cursors and users', () => {
  it('cursor set / list / active / use / rename / delete / clear, in files the Rust CLI reads', async () => {
    await box.ok(['cursor', 'set', 'work', 'workdb']);
    await box.ok(['cursor', 'set', 'file', './files/x.prdb']);
    const cursorFile = path.join(box.dataDir, 'workdb', 'cursors', 'work.cursor');
    const json = JSON.parse(fs.readFileSync(cursorFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['database_path', 'default_project', 'default_namespace', 'meta_context', 'created_at', 'user']);
    assert.equal(json.database_path, box.dbFile('workdb'));
    assert.equal(json.user, 'default');
    assert.match(json.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Relative paths are resolved when the cursor is set.
    assert.equal(JSON.parse(fs.readFileSync(path.join(box.dataDir, 'x', 'cursors', 'file.cursor'), 'utf8')).database_path, box.path('files', 'x.prdb'));

    assert.deepEqual(lines(await box.ok(['cursor', 'list'])), [`  file\t${box.path('files', 'x.prdb')}`, `  work\t${box.dbFile('workdb')}`]);
    assert.match(await box.ok(['cursor', 'active']), new RegExp(`^main\t${reEscape(box.dbFile('main'))}\tdefault\tuser:default\n$`));

    await box.ok(['cursor', 'use', 'work']);
    assert.equal(fs.readFileSync(path.join(box.cursorCacheDir, 'cursor'), 'utf8').trim(), 'work');
    assert.match(await box.ok(['cursor', 'active']), /^work\t.*\tglobal selection \(cursor 'work'\)\tuser:default\n$/);
    assert.match(await box.ok(['cursor', 'list']), /^\* work\t/m);
    await box.ok(['set', 'k', 'via selection']);
    assert.deepEqual(kvRows(box.dbFile('workdb')), ['default|default|k|<NULL>|via selection']);

    await box.ok(['cursor', 'rename', 'work', 'job']);
    assert.equal(fs.existsSync(cursorFile), false);
    assert.deepEqual(lines(await box.ok(['cursor', 'list'])).map((line) => line.split('\t')[0]), ['  file', '* job']);
    assert.equal(await box.ok(['get', 'k']), 'via selection\n');

    await box.ok(['cursor', 'delete', 'job']);
    assert.match(await box.fails(['cursor', 'delete', 'job']), /not found/);
    assert.match(await box.ok(['cursor', 'active']), /^main\t/);

    await box.ok(['cursor', 'use', 'file']);
    await box.ok(['cursor', 'clear']);
    assert.equal(fs.existsSync(path.join(box.cursorCacheDir, 'cursor')), false);
    assert.match(await box.ok(['cursor', 'active']), /^main\t/);
    // Subcommand words cannot name cursors; unknown cursors are errors.
    assert.match(await box.fails(['cursor', 'set', 'list', 'x']), /reserved/);
    assert.match(await box.fails(['--cursor', 'nope', 'get', 'k']), /Cursor 'nope' not found/);
  });

  it('cursors and selections are per user; test_user123 and default are valid users, odd names are not', async () => {
    await box.ok(['--user', 'test_user123', 'cursor', 'set', 'mine', 'userdb']);
    await box.ok(['cursor', 'set', 'shared', 'shareddb', '--user', 'default']);
    assert.ok(fs.existsSync(path.join(box.dataDir, 'userdb', 'cursors', 'mine.test_user123.cursor')));
    const [userList, defaultList, explicitDefault] = await Promise.all([
      box.ok(['cursor', 'list', '--user', 'test_user123']),
      box.ok(['cursor', 'list']),
      box.ok(['-u', 'default', 'cursor', 'list']),
    ]);
    assert.deepEqual(lines(userList).map((line) => line.split('\t')[0]), ['  mine']);
    assert.deepEqual(lines(defaultList).map((line) => line.split('\t')[0]), ['  shared']);
    assert.equal(explicitDefault, defaultList);

    await box.ok(['-u', 'test_user123', 'cursor', 'use', 'mine']);
    assert.equal(fs.readFileSync(path.join(box.cursorCacheDir, 'cursor_test_user123'), 'utf8').trim(), 'mine');
    await box.ok(['-u', 'test_user123', 'set', 'k', 'user data']);
    assert.deepEqual(kvRows(box.dbFile('userdb')), ['default|default|k|<NULL>|user data']);
    // The default user is unaffected by test_user123's selection.
    assert.equal((await box.run(['get', 'k'])).code, 2);
    // Another user cannot see test_user123's cursor.
    assert.match(await box.fails(['--user', 'bob', '--cursor', 'mine', 'get', 'k']), /Cursor 'mine' not found for user 'bob'/);

    await box.ok(['-u', 'test_user123', 'cursor', 'clear']);
    assert.equal(fs.existsSync(path.join(box.cursorCacheDir, 'cursor_test_user123')), false);

    const bad = await Promise.all(['1abc', 'a.b', '../x', 'x'.repeat(40)].map((user) => box.fails(['--user', user, 'cursor', 'list'])));
    bad.forEach((stderr) => assert.match(stderr, /User name/));
  });

  it('resolution order: --database > --cursor > .prontodb (cwd or ancestor) > user selection > global selection > main', async () => {
    for (const name of ['main', 'globaldb', 'userdb', 'workdirdb', 'cursordb', 'explicitdb']) await box.ok(['--database', name, 'set', 'who', name]);
    await box.ok(['cursor', 'set', 'c', 'cursordb', '--user', 'alice']);
    await box.ok(['cursor', 'use', 'userdb', '--user', 'alice']);
    await box.ok(['cursor', 'use', 'globaldb']);
    const project = box.path('project');
    const deep = path.join(project, 'src', 'deep');
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(project, '.prontodb'), JSON.stringify({ database: 'workdirdb' }));
    const outside = box.path('outside');
    fs.mkdirSync(outside);

    const who = (args: string[], cwd: string) => box.ok([...args, 'get', 'who'], { ...SPAWN, cwd });
    const results = await Promise.all([
      who(['--user', 'alice', '--database', 'explicitdb', '--cursor', 'c'], deep),
      who(['--user', 'alice', '--cursor', 'c'], deep),
      who(['--user', 'alice'], deep),
      who(['--user', 'alice'], project),
      who(['--user', 'alice'], outside),
      who(['--user', 'bob'], outside),
      who([], outside),
    ]);
    assert.deepEqual(results, ['explicitdb\n', 'cursordb\n', 'workdirdb\n', 'workdirdb\n', 'userdb\n', 'globaldb\n', 'globaldb\n']);
    await box.ok(['cursor', 'clear']);
    assert.equal(await who(['--user', 'bob'], outside), 'main\n');
    assert.match(await box.ok(['cursor', 'active'], { cwd: deep }), new RegExp(`^workdirdb\t.*\t\\.prontodb at ${reEscape(project)}\t`));
  });

  it('.prontodb accepts a plain path, JSON with project/namespace defaults, and names a malformed file', async () => {
    const plain = box.path('plain');
    fs.mkdirSync(path.join(plain, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(plain, '.prontodb'), 'data/local.prdb\n');
    // It points outside the data directory: obeyed once allowed (test/cli/trust.test.ts).
    await box.ok(['allow'], { cwd: path.join(plain, 'sub') });
    await box.ok(['set', 'k', 'local'], { cwd: path.join(plain, 'sub') });
    assert.deepEqual(kvRows(path.join(plain, 'data', 'local.prdb')), ['default|default|k|<NULL>|local']);

    const withDefaults = box.path('defaults');
    fs.mkdirSync(withDefaults);
    fs.writeFileSync(path.join(withDefaults, '.prontodb'), JSON.stringify({ database: 'dflt', project: 'proj', namespace: 'ns' }));
    await box.ok(['set', 'short', 'x'], { cwd: withDefaults });
    assert.deepEqual(kvRows(box.dbFile('dflt')), ['proj|ns|short|<NULL>|x']);
    assert.deepEqual(lines(await box.ok(['keys'], { cwd: withDefaults })), ['short']);

    // The Rust CLI's JSON form: cursors.<name> and users.<user>.<name> map cursor names to files.
    const rustForm = box.path('rust-form');
    fs.mkdirSync(rustForm);
    fs.writeFileSync(path.join(rustForm, '.prontodb'), JSON.stringify({ cursors: { dev: 'dev.prdb', default: 'def.prdb' }, users: { alice: { dev: 'alice.prdb' } } }));
    await box.ok(['allow'], { cwd: rustForm });
    await box.ok(['--cursor', 'dev', 'set', 'k', 'dev'], { cwd: rustForm });
    await box.ok(['-u', 'alice', '--cursor', 'dev', 'set', 'k', 'alice'], { cwd: rustForm });
    await box.ok(['set', 'k', 'default cursor'], { cwd: rustForm });
    assert.deepEqual(
      ['dev', 'alice', 'def'].map((name) => kvRows(path.join(rustForm, `${name}.prdb`))),
      [['default|default|k|<NULL>|dev'], ['default|default|k|<NULL>|alice'], ['default|default|k|<NULL>|default cursor']],
    );

    // A .prontodb may name the user: that user's selection then applies.
    await box.ok(['--database', 'alicedb', 'set', 'who', 'alice']);
    await box.ok(['cursor', 'use', 'alicedb', '--user', 'alice']);
    const asAlice = box.path('as-alice');
    fs.mkdirSync(asAlice);
    fs.writeFileSync(path.join(asAlice, '.prontodb'), JSON.stringify({ user: 'alice' }));
    assert.equal(await box.ok(['get', 'who'], { cwd: asAlice }), 'alice\n');
    assert.match(await box.ok(['cursor', 'active'], { cwd: asAlice }), /\tuser:alice\n$/);

    const broken = box.path('broken');
    fs.mkdirSync(path.join(broken, 'child'), { recursive: true });
    const brokenFile = path.join(broken, '.prontodb');
    for (const content of ['{"database": ', '{"database":"a","cursor":"b"}', '{"colour":"blue"}', '{"database": 7}']) {
      fs.writeFileSync(brokenFile, content);
      const stderr = await box.fails(['get', 'k'], { cwd: path.join(broken, 'child') });
      assert.ok(stderr.includes(brokenFile), `the error should name ${brokenFile}: ${stderr}`);
    }
  });

  it('a cursor with --meta writes project <meta>.<project>: plain access cannot see it, listings strip the prefix', async () => {
    await box.ok(['cursor', 'set', 'acme', 'work', '--meta', 'acme']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(box.dataDir, 'work', 'cursors', 'acme.cursor'), 'utf8')).meta_context, 'acme');
    await box.ok(['--cursor', 'acme', 'set', 'app.cfg.debug', 'meta-value']);
    await box.ok(['--cursor', 'acme', 'set', 'app.cfg.host__prod', 'meta-prod']);
    assert.deepEqual(kvRows(box.dbFile('work')), ['acme.app|cfg|debug|<NULL>|meta-value', 'acme.app|cfg|host|prod|meta-prod']);

    // Plain access to the same database sees neither the value nor a way to address it.
    assert.equal((await box.run(['--database', 'work', 'get', 'app.cfg.debug'])).code, 2);
    await box.ok(['--database', 'work', 'set', 'app.cfg.debug', 'plain-value']);
    const [metaGet, plainGet, metaKeys, metaProjects, metaNamespaces, metaNss, plainProjects, metaExport] = await Promise.all([
      box.ok(['--cursor', 'acme', 'get', 'app.cfg.debug']),
      box.ok(['--database', 'work', 'get', 'app.cfg.debug']),
      box.ok(['--cursor', 'acme', 'keys', 'app.cfg']),
      box.ok(['-c', 'acme', 'projects']),
      box.ok(['-c', 'acme', 'namespaces', 'app']),
      box.ok(['-c', 'acme', 'nss']),
      box.ok(['--database', 'work', 'projects']),
      box.ok(['-c', 'acme', 'export', '--format', 'csv']),
    ]);
    assert.equal(metaGet, 'meta-value\n');
    assert.equal(plainGet, 'plain-value\n');
    assert.deepEqual(lines(metaKeys), ['debug', 'host__prod']);
    assert.deepEqual(lines(metaProjects), ['app']);
    assert.deepEqual(lines(metaNamespaces), ['cfg']);
    assert.deepEqual(lines(metaNss), ['app.cfg']);
    assert.deepEqual(lines(plainProjects), ['acme.app', 'app']);
    assert.deepEqual(lines(metaExport).slice(1).map((line) => line.split(',').slice(0, 5).join(',')), ['app,cfg,debug,,meta-value', 'app,cfg,host,prod,meta-prod']);

    // Deleting through the cursor only touches the meta row.
    await box.ok(['--cursor', 'acme', 'del', 'app.cfg.debug']);
    assert.deepEqual(kvRows(box.dbFile('work')), ['acme.app|cfg|host|prod|meta-prod', 'app|cfg|debug|<NULL>|plain-value']);
    assert.equal((await box.run(['--cursor', 'acme', 'get', 'app.cfg.debug'])).code, 2, 'no fallback to the unprefixed row');
  });

  it('plain access cannot reach meta rows through another delimiter either', async () => {
    await box.ok(['cursor', 'set', 'acme', 'work', '--meta', 'acme']);
    await box.ok(['-c', 'acme', 'set', 'app.cfg.debug', 'secret']);
    // With '/' as delimiter, 'acme.app' would be an ordinary project name: the meta row.
    const read = await box.run(['--database', 'work', '--ns-delim', '/', 'get', 'acme.app/cfg/debug']);
    assert.ok(!read.stdout.includes('secret'), 'plain access read a meta row');
    await box.run(['--database', 'work', '--ns-delim', '/', 'set', 'acme.app/cfg/debug', 'overwritten']);
    assert.equal(await box.ok(['-c', 'acme', 'get', 'app.cfg.debug']), 'secret\n', 'plain access overwrote a meta row');
  });

  it('TTL namespaces work under a meta cursor, isolated from the plain namespace of the same name', async () => {
    await box.ok(['cursor', 'set', 'acme', 'work', '--meta', 'acme']);
    await box.ok(['-c', 'acme', 'create-cache', 'app.cache', '60']);
    assert.deepEqual(sqliteRows(box.dbFile('work'), 'SELECT project, namespace, default_ttl FROM sys_namespaces;'), [['acme.app', 'cache', '60']]);
    await box.ok(['-c', 'acme', 'set', 'app.cache.k', 'v']);
    await box.ok(['-c', 'acme', 'set', 'app.cache.short', 'v', '--ttl', '5']);
    assert.deepEqual(sqliteRows(box.dbFile('work'), 'SELECT project, key, expires_at - updated_at FROM kv ORDER BY key;'), [
      ['acme.app', 'k', '60'],
      ['acme.app', 'short', '5'],
    ]);
    // The plain app.cache of the same database is not a TTL namespace.
    assert.match(await box.fails(['--database', 'work', 'set', 'app.cache.k', 'v', '--ttl', '5']), /TTL not allowed/);
  });

  it("a cursor's default project and namespace apply to short addresses; -p/-n override them", async () => {
    await box.ok(['cursor', 'set', 'proj', 'work', '-p', 'myapp', '-n', 'config']);
    const json = JSON.parse(fs.readFileSync(path.join(box.dataDir, 'work', 'cursors', 'proj.cursor'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([json.default_project, json.default_namespace], ['myapp', 'config']);
    await box.ok(['-c', 'proj', 'set', 'debug', 'on']);
    await box.ok(['-c', 'proj', 'set', 'other.debug', 'two']);
    await box.ok(['-c', 'proj', 'set', 'debug', 'flags', '-n', 'flagged']);
    assert.deepEqual(kvRows(box.dbFile('work')), ['myapp|config|debug|<NULL>|on', 'myapp|flagged|debug|<NULL>|flags', 'myapp|other|debug|<NULL>|two']);
    assert.deepEqual(lines(await box.ok(['-c', 'proj', 'keys'])), ['debug']);
  });

  it('PRONTODB_DATABASE, PRONTODB_CURSOR and PRONTODB_USER stand in for the flags', async () => {
    await box.ok(['--database', 'envdb', 'set', 'who', 'envdb']);
    await box.ok(['--database', 'flagdb', 'set', 'who', 'flagdb']);
    await box.ok(['--database', 'cursordb', 'set', 'who', 'cursordb']);
    await box.ok(['cursor', 'set', 'cc', 'cursordb', '--user', 'carol']);
    const [byDatabase, byCursor, flagWins, byUserAndCursor] = await Promise.all([
      box.ok(['get', 'who'], { ...SPAWN, env: { PRONTODB_DATABASE: 'envdb' } }),
      box.ok(['get', 'who', '--user', 'carol'], { ...SPAWN, env: { PRONTODB_CURSOR: 'cc' } }),
      box.ok(['get', 'who', '--database', 'flagdb'], { ...SPAWN, env: { PRONTODB_DATABASE: 'envdb' } }),
      box.ok(['get', 'who'], { ...SPAWN, env: { PRONTODB_USER: 'carol', PRONTODB_CURSOR: 'cc' } }),
    ]);
    assert.deepEqual([byDatabase, byCursor, flagWins, byUserAndCursor], ['envdb\n', 'cursordb\n', 'flagdb\n', 'cursordb\n']);
    assert.match(await box.fails(['get', 'who'], { ...SPAWN, env: { PRONTODB_USER: 'carol!' } }), /User name 'carol!'/);
  });

  it('an explicit --cursor flag beats PRONTODB_DATABASE from the environment', async () => {
    // A variable exported for a whole shell must not silently override what the command line asks for.
    await box.ok(['--database', 'envdb', 'set', 'who', 'envdb']);
    await box.ok(['--database', 'cursordb', 'set', 'who', 'cursordb']);
    await box.ok(['cursor', 'set', 'cc', 'cursordb']);
    assert.equal(await box.ok(['--cursor', 'cc', 'get', 'who'], { ...SPAWN, env: { PRONTODB_DATABASE: 'envdb' } }), 'cursordb\n');
  });

  it('empty PRONTODB_* variables count as unset', async () => {
    await box.ok(['set', 'k', 'v']);
    assert.equal(await box.ok(['get', 'k'], { ...SPAWN, env: { PRONTODB_DATABASE: '', PRONTODB_CURSOR: '', PRONTODB_USER: '' } }), 'v\n');
  });
});

describe('CLI: backup and restore', () => {
  it('backup creates Rust-named archives, --list shows them, --rotate keeps the newest N', async () => {
    const out = box.path('backups');
    await box.ok(['set', 'k', 'v1']);
    const first = (await box.ok(['backup', '--output', out])).trim();
    const second = (await box.ok(['backup', '-o', out])).trim();
    assert.match(path.basename(first), /^prontodb_main_\d{8}\.tar\.gz$/);
    assert.equal(path.basename(second), path.basename(first).replace('.tar.gz', '_n01.tar.gz'));
    assert.equal(path.dirname(first), out);
    // The archive has the CLI's layout: main/pronto.main.prdb.
    const listing = execTar(['tzf', first]);
    assert.ok(listing.includes('main/pronto.main.prdb'), listing.join(', '));

    const listed = lines(await box.ok(['backup', '--list', '--output', out])).map((line) => line.split('\t'));
    assert.deepEqual(listed.map((columns) => columns[0]).sort(), [first, second].sort());
    for (const columns of listed) {
      assert.equal(Number(columns[1]), fs.statSync(columns[0]!).size);
      assert.match(columns[2]!, /^\d{4}-\d\d-\d\dT/);
    }
    await box.ok(['backup', '--rotate', '1', '--output', out]);
    assert.deepEqual(fs.readdirSync(out), [path.basename(second)]);
    const empty = await box.run(['backup', '--list', '--output', box.path('none')]);
    assert.deepEqual([empty.code, empty.stdout], [0, '']);
    assert.match(empty.stderr, /No backup/);
  });

  it('backup defaults to ~/repos/zindex/cache/backup, or PRONTODB_BACKUP_DIR', async () => {
    await box.ok(['set', 'k', 'v']);
    const made = (await box.ok(['backup'], SPAWN)).trim();
    assert.equal(path.dirname(made), path.join(box.home, 'repos', 'zindex', 'cache', 'backup'));
    const custom = box.path('envdir');
    const viaEnv = (await box.ok(['backup'], { ...SPAWN, env: { PRONTODB_BACKUP_DIR: custom } })).trim();
    assert.equal(path.dirname(viaEnv), custom);
  });

  it('restore replaces the database after keeping a safety copy; --target restores under another name', async () => {
    const out = box.path('backups');
    const safety = box.path('safety');
    await box.ok(['set', 'k', 'original']);
    const archive = (await box.ok(['backup', '--output', out])).trim();
    await box.ok(['set', 'k', 'changed']);
    await box.ok(['set', 'extra', 'later']);

    await box.ok(['restore', archive, '--output', safety]);
    assert.equal(await box.ok(['get', 'k']), 'original\n');
    assert.equal((await box.run(['get', 'extra'])).code, 2);
    const safetyFiles = fs.readdirSync(safety);
    assert.equal(safetyFiles.length, 1);
    assert.match(safetyFiles[0]!, /^prontodb_main_.*\.tar\.gz$/);
    // The safety copy holds what was replaced.
    await box.ok(['restore', path.join(safety, safetyFiles[0]!), '--target', 'rescued', '--output', safety]);
    assert.equal(await box.ok(['--database', 'rescued', 'get', 'k']), 'changed\n');
    assert.equal(await box.ok(['--database', 'rescued', 'get', 'extra']), 'later\n');

    await box.ok(['restore', archive, '--target', 'copy', '--output', safety]);
    assert.equal(await box.ok(['--database', 'copy', 'get', 'k']), 'original\n');
    assert.match(await box.fails(['restore', box.path('missing.tar.gz'), '--output', safety]), /missing\.tar\.gz/);
    assert.match(await box.fails(['backup', '--output', out, '--database', 'nothing-here']), /nothing-here/);
  });
});

describe('CLI: export and import', () => {
  const tricky = [
    { project: 'p', namespace: 'n', key: 'comma', context: null, value: 'a,b,"c"' },
    { project: 'p', namespace: 'n', key: 'comma', context: 'prod', value: 'line1\nline2\r\nline3\n' },
    { project: 'p', namespace: 'n', key: 'uni', context: 'ctx.with.dots', value: 'ünï 日本 🎉' },
    { project: 'p', namespace: 'n', key: 'empty', context: '', value: '' },
    { project: 'p', namespace: 'm', key: 'quote', context: null, value: '"' },
    { project: 'q', namespace: 'n', key: 'spaces', context: null, value: '  padded  ' },
  ];

  async function seed(): Promise<void> {
    await box.ok(['create-cache', 'p.cache', '3600']);
    await box.ok(['set', 'p.cache.ttl', 'expiring']);
    await box.ok(['import', '-', '--format', 'json'], { input: JSON.stringify({ format: 'prontodb', version: 1, entries: tricky }) });
  }

  /** Entries without timestamps, sorted, from an export in either format (via JSON re-export). */
  function entriesOf(file: string): string[] {
    return sqliteRows(file, "SELECT project, namespace, key, quote(context), value, expires_at IS NOT NULL FROM kv ORDER BY 1, 2, 3, 4;").map((row) => row.join('|'));
  }

  for (const format of ['json', 'csv'] as const) {
    it(`round-trips a database through ${format.toUpperCase()} files exactly (contexts, expiry, commas, quotes, newlines, unicode)`, async () => {
      await seed();
      const file = box.path(`export.${format}`);
      await box.ok(['export', '--output', file]);
      await box.ok(['--database', 'copy', 'import', file, '--preserve-timestamps']);
      assert.deepEqual(entriesOf(box.dbFile('copy')), entriesOf(box.dbFile('main')));
      assert.equal(entriesOf(box.dbFile('main')).length, tricky.length + 1);
      // Timestamps too, with --preserve-timestamps.
      const stamps = 'SELECT project, namespace, key, quote(context), created_at, updated_at, expires_at FROM kv ORDER BY 1, 2, 3, 4;';
      assert.deepEqual(sqliteRows(box.dbFile('copy'), stamps), sqliteRows(box.dbFile('main'), stamps));
      // A second export of the copy is identical to the first (apart from the header fields).
      const again = box.path(`again.${format}`);
      await box.ok(['--database', 'copy', 'export', '--output', again]);
      const strip = (text: string) => (format === 'json' ? JSON.stringify({ ...JSON.parse(text), exportedAt: null, database: null }) : text);
      assert.equal(strip(fs.readFileSync(again, 'utf8')), strip(fs.readFileSync(file, 'utf8')));
    });
  }

  it('pipes export to import through stdout/stdin, scoped to a project or a namespace', async () => {
    await seed();
    const [all, project, namespace, csv] = await Promise.all([
      box.ok(['export']),
      box.ok(['export', 'p']),
      box.ok(['export', 'p.n', '--format', 'json'], SPAWN),
      box.ok(['export', 'p.n', '--format', 'csv'], SPAWN),
    ]);
    assert.equal((JSON.parse(all) as { entries: unknown[] }).entries.length, tricky.length + 1);
    assert.equal((JSON.parse(project) as { entries: unknown[] }).entries.length, 6);
    assert.equal((JSON.parse(namespace) as { entries: unknown[] }).entries.length, 4);
    await box.ok(['--database', 'fromjson', 'import', '-'], { ...SPAWN, input: namespace });
    await box.ok(['--database', 'fromcsv', 'import', '-', '--format', 'csv'], { ...SPAWN, input: csv });
    const expected = entriesOf(box.dbFile('main')).filter((row) => row.startsWith('p|n|'));
    assert.deepEqual(entriesOf(box.dbFile('fromjson')), expected);
    assert.deepEqual(entriesOf(box.dbFile('fromcsv')), expected);
    assert.equal(await box.ok(['--database', 'fromcsv', 'get', 'p.n.comma__prod']), 'line1\nline2\r\nline3\n\n');
  });

  it('refuses a malformed import without writing anything', async () => {
    await box.ok(['set', 'k', 'v']);
    const before = fs.readFileSync(box.dbFile());
    const [json, csv, badKey] = await Promise.all([
      box.fails(['import', '-', '--format', 'json'], { input: '{"entries": [' }),
      box.fails(['import', '-', '--format', 'csv'], { input: 'project,namespace,key,context,value\n"unterminated,x,y,,z\n' }),
      box.fails(['import', '-'], { input: JSON.stringify([{ project: 'p', namespace: 'n', key: 'a.b', context: null, value: 'v' }]) }),
    ]);
    assert.match(json, /JSON|standard input/i);
    assert.match(csv, /CSV|quote|standard input/i);
    assert.match(badKey, /a\.b/);
    assert.ok(fs.readFileSync(box.dbFile()).equals(before));
  });
});

function reEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function execTar(args: string[]): string[] {
  return execFileSync('tar', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
}
