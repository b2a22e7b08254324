/**
 * Regression tests for the CLI defects of issue 6 (items 5–13, 16, 17): bad input gets one clear
 * line on stderr and exit 1, never a stack, and nothing changes on disk. Same sandbox as
 * cli.test.ts (fresh HOME / XDG_DATA_HOME per test); byte-level and process-boundary cases spawn
 * the bundle. Tests that need a small or read-only file system mount a tmpfs (root only).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { CLI, lines, Sandbox, sleep, snapshot, sqlite3, sqliteRows } from '../helpers/cliHarness';

const SPAWN = { via: 'spawn' } as const;
let box: Sandbox;

/** Asserts the one-line error contract: exit 1, nothing on stdout, one line on stderr, no stack. */
async function refused(args: string[], options: Parameters<Sandbox['run']>[1] = {}): Promise<string> {
  const stderr = await box.fails(args, options);
  assert.doesNotMatch(stderr, /\n\s+at /, `a stack trace was printed: ${stderr}`);
  assert.equal(stderr.trimEnd().split('\n').length, 1, `expected one line on stderr, got: ${stderr}`);
  assert.match(stderr, /^Error: /);
  return stderr;
}

function kvRows(file = box.dbFile('main')): string[] {
  return sqliteRows(file, 'SELECT project, namespace, key, context, value FROM kv ORDER BY project, namespace, key, context;').map((row) => row.join('|'));
}

/** A one-entry ustar header (512 bytes) declaring `size` bytes of content for `name`. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number) => header.write(text, offset, 'latin1');
  put(name, 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(size.toString(8).padStart(11, '0') + '\0', 124);
  put('00000000000\0', 136);
  put('        ', 148);
  put('0', 156);
  put('ustar\0', 257);
  put('00', 263);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  put(checksum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}

/** Mounts a tmpfs at `directory` for the test; skips the test where mounting is not allowed. */
function mountTmpfs(context: Mocha.Context, directory: string, options: string): () => void {
  fs.mkdirSync(directory, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory], { encoding: 'utf8' });
  if (result.status !== 0) context.skip(); // needs root with CAP_SYS_ADMIN, as CI here has
  return () => {
    execFileSync('umount', ['-l', directory]);
  };
}

describe('issue 6', () => {
  before(function () {
    assert.ok(fs.existsSync(CLI), `${CLI} is missing: run 'npm run build' first`);
  });

  beforeEach(() => {
    box = new Sandbox('prontodb-hardening-');
  });

  afterEach(() => {
    box.cleanup();
  });

  describe('item 5: imports obey the create-cache rules', () => {
    for (const [what, ttl] of [
      ['0', 0],
      ['negative', -5],
      ['fractional', 1.5],
      ['huge', 1e12],
      ['a string', '60'],
    ] as const) {
      it(`refuses a TTL namespace whose default_ttl is ${what}, changing nothing`, async () => {
        await box.ok(['set', 'p.n.keep', 'v']);
        const before = snapshot(box.dbFile());
        const file = box.path('ttl.json');
        fs.writeFileSync(file, JSON.stringify({ ttlNamespaces: [{ project: 'p', namespace: 'n', default_ttl: ttl }], entries: [{ project: 'p', namespace: 'n', key: 'x', value: 'y' }] }));
        const stderr = await refused(['import', file]);
        assert.match(stderr, /default_ttl/);
        assert.deepEqual(snapshot(box.dbFile()), before, 'the database changed');
        // And the namespace did not become a cache that swallows writes.
        await box.ok(['set', 'p.n.later', 'still here']);
        assert.equal(await box.ok(['get', 'p.n.later']), 'still here\n');
      });
    }

    it('create-cache and --ttl refuse a TTL beyond 100 years as well', async () => {
      assert.match(await refused(['create-cache', 'p.n', '99999999999999999999']), /Timeout/);
      assert.match(await refused(['create-cache', 'p.n', '9999999999']), /from 1 to/);
      await box.ok(['create-cache', 'p.c', '60']);
      assert.match(await refused(['set', 'p.c.k', 'v', '--ttl', '9999999999']), /TTL/);
      assert.deepEqual(kvRows(), []);
    });

    it('refuses imported entries with invalid addresses, non-text values or non-integer timestamps', async () => {
      const cases: Array<[string, object]> = [
        ['a key with a newline', { project: 'p', namespace: 'n', key: 'a\nb', value: 'v' }],
        ['an empty namespace', { project: 'p', namespace: '', key: 'k', value: 'v' }],
        ['a numeric value', { project: 'p', namespace: 'n', key: 'k', value: 5 }],
        ['a fractional created_at', { project: 'p', namespace: 'n', key: 'k', value: 'v', created_at: 1.5 }],
        ['a context holding a tab', { project: 'p', namespace: 'n', key: 'k', context: 'a\tb', value: 'v' }],
      ];
      const file = box.path('bad.json');
      for (const [what, entry] of cases) {
        fs.writeFileSync(file, JSON.stringify({ entries: [{ project: 'p', namespace: 'n', key: 'fine', value: 'v' }, entry] }));
        await refused(['import', file]).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
      }
      assert.equal(fs.existsSync(box.dbFile()), false, 'nothing may be written');
    });
  });

  describe('item 6: set --stdin is byte for byte', () => {
    it('refuses invalid UTF-8 naming the byte and its offset, writing nothing', async () => {
      await box.ok(['set', 'k', 'old']);
      const before = snapshot(box.dbFile());
      const result = await box.run(['set', 'k', '--stdin'], { ...SPAWN, input: Buffer.from([0x61, 0x62, 0xff, 0x63]) });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^Error: Standard input is not valid UTF-8 \(byte 0xff at offset 2\)/);
      assert.deepEqual(snapshot(box.dbFile()), before);
    });

    it('keeps a leading BOM through set --stdin and get, and in the file', async () => {
      const value = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('hello\n')]);
      await box.ok(['set', 'bom', '--stdin'], { ...SPAWN, input: value });
      assert.equal(sqlite3(box.dbFile(), "SELECT hex(value) FROM kv WHERE key = 'bom';").trim(), value.toString('hex').toUpperCase());
      const got = await box.run(['get', 'bom'], SPAWN);
      assert.equal(got.code, 0);
      assert.equal(Buffer.from(got.stdout, 'utf8').toString('hex'), Buffer.concat([value, Buffer.from('\n')]).toString('hex'));
    });

    it('stores valid UTF-8 exactly, including U+FFFD that was really there', async () => {
      const value = Buffer.from('a\ufffdb\u0000c\r\n', 'utf8');
      await box.ok(['set', 'k', '--stdin'], { ...SPAWN, input: value });
      assert.equal(sqlite3(box.dbFile(), "SELECT hex(value) FROM kv WHERE key = 'k';").trim(), value.toString('hex').toUpperCase());
    });
  });

  describe('item 8: meta contexts isolate exactly', () => {
    it('a cursor with --meta a sees nothing of --meta a.b, and each export re-imports', async () => {
      await box.ok(['cursor', 'set', 'outer', 'work', '--meta', 'a']);
      await box.ok(['cursor', 'set', 'inner', 'work', '--meta', 'a.b']);
      await box.ok(['-c', 'inner', 'set', 'proj.ns.k', 'inner-value']);
      await box.ok(['-c', 'inner', 'create-cache', 'proj.cache', '60']);
      await box.ok(['-c', 'outer', 'set', 'app.ns.k', 'outer-value']);
      assert.deepEqual(kvRows(box.dbFile('work')), ['a.app|ns|k|<NULL>|outer-value', 'a.b.proj|ns|k|<NULL>|inner-value']);

      assert.deepEqual(lines(await box.ok(['-c', 'outer', 'projects'])), ['app']);
      assert.deepEqual(lines(await box.ok(['-c', 'outer', 'nss'])), ['app.ns']);
      const outerExport = JSON.parse(await box.ok(['-c', 'outer', 'export']));
      assert.deepEqual(outerExport.entries.map((e: { project: string; key: string }) => `${e.project}.${e.key}`), ['app.k']);
      assert.deepEqual(outerExport.ttlNamespaces, []);
      assert.deepEqual(lines(await box.ok(['-c', 'inner', 'projects'])), ['proj']);

      // Each meta's export goes back in under the same meta; the whole database's export goes back as a whole.
      const innerFile = box.path('inner.json');
      const outerFile = box.path('outer.json');
      const wholeFile = box.path('whole.json');
      await box.ok(['-c', 'inner', 'export', '--output', innerFile]);
      await box.ok(['-c', 'outer', 'export', '--output', outerFile]);
      await box.ok(['--database', 'work', 'export', '--output', wholeFile]);
      await box.ok(['cursor', 'set', 'outer2', 'copy', '--meta', 'a']);
      await box.ok(['cursor', 'set', 'inner2', 'copy', '--meta', 'a.b']);
      await box.ok(['-c', 'outer2', 'import', outerFile]);
      await box.ok(['-c', 'inner2', 'import', innerFile]);
      await box.ok(['--database', 'whole', 'import', wholeFile]);
      assert.deepEqual(kvRows(box.dbFile('copy')), kvRows(box.dbFile('work')));
      assert.deepEqual(kvRows(box.dbFile('whole')), kvRows(box.dbFile('work')));
      assert.equal(sqlite3(box.dbFile('whole'), 'SELECT project, namespace, default_ttl FROM sys_namespaces;').trim(), 'a.b.proj|cache|60');
    });
  });

  describe('item 9: export --output is atomic', () => {
    it('replaces the file by rename, keeping its permissions', async () => {
      await box.ok(['set', 'k', 'v1']);
      const out = box.path('out.json');
      await box.ok(['export', '--output', out]);
      fs.chmodSync(out, 0o600);
      const before = fs.statSync(out);
      await box.ok(['set', 'k', 'v2']);
      await box.ok(['export', '--output', out]);
      const after = fs.statSync(out);
      assert.notEqual(after.ino, before.ino, 'the export was rewritten in place, not replaced');
      assert.equal(after.mode & 0o777, 0o600);
      assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).entries[0].value, 'v2');
      assert.deepEqual(fs.readdirSync(box.root).filter((name) => name.includes('tmp')), []);
    });

    it('leaves the previous export whole when the disk fills up', async function () {
      const disk = box.path('small');
      const unmount = mountTmpfs(this, disk, 'size=256k');
      try {
        await box.ok(['set', 'k', 'small']);
        const out = path.join(disk, 'export.json');
        await box.ok(['export', '--output', out]);
        const previous = fs.readFileSync(out);
        await box.ok(['set', 'big', 'x'.repeat(400_000)]);
        const stderr = await refused(['export', '--output', out]);
        assert.match(stderr, /no space left on device/);
        assert.deepEqual(fs.readFileSync(out), previous, 'the previous export was damaged');
        assert.deepEqual(fs.readdirSync(disk), ['export.json'], 'a temporary file was left behind');
      } finally {
        unmount();
      }
    });

    it('refuses to replace something that is not a regular file', async () => {
      await box.ok(['set', 'k', 'v']);
      const fifo = box.path('pipe.json');
      execFileSync('mkfifo', [fifo]);
      assert.match(await refused(['export', '--output', fifo]), /not a regular file/);
      assert.ok(fs.lstatSync(fifo).isFIFO());
      assert.match(await refused(['export', '--format', 'json', '--output', box.root]), /not a regular file/);
    });
  });

  describe('item 10: messages instead of stack traces', () => {
    it('export --output into a missing folder', async () => {
      await box.ok(['set', 'k', 'v']);
      const stderr = await refused(['export', '--output', box.path('missing', 'x.json')], SPAWN);
      assert.match(stderr, /folder .*missing does not exist/);
      assert.equal(fs.existsSync(box.path('missing')), false, 'the folder must not be created');
    });

    it('a cursor file holding null, an array or garbage', async () => {
      await box.ok(['cursor', 'set', 'c', 'main']);
      const file = path.join(box.dataDir, 'main', 'cursors', 'c.cursor');
      for (const content of ['null', '[1]', '42', '{"database_path": 5}', '{']) {
        fs.writeFileSync(file, content);
        const stderr = await refused(['--cursor', 'c', 'get', 'k'], SPAWN);
        assert.ok(stderr.includes(file), `the error should name ${file}: ${stderr}`);
      }
    });

    it('a .prontodb naming a 300-character path', async () => {
      const work = box.path('work');
      fs.mkdirSync(work);
      fs.writeFileSync(path.join(work, '.prontodb'), `/tmp/${'x'.repeat(300)}\n`);
      await box.ok(['allow'], { cwd: work });
      const stderr = await refused(['get', 'k'], { ...SPAWN, cwd: work });
      assert.match(stderr, /file name too long \(ENAMETOOLONG\)/);
      assert.ok(stderr.includes(path.join(work)), `the error should say the .prontodb chose it: ${stderr}`);
      await refused(['set', 'k', 'v'], { cwd: work });
    });

    it('an import file that is a folder, and a database path under a regular file', async () => {
      assert.match(await refused(['import', '--format', 'json', box.root], SPAWN), /is a directory \(EISDIR\)/);
      fs.writeFileSync(box.path('plain-file'), 'x');
      assert.match(await refused(['--cursor', 'x', 'get', 'k'], { env: { PRONTODB_CURSOR: undefined } }), /Cursor 'x' not found/);
      const work = box.path('w');
      fs.mkdirSync(work);
      fs.writeFileSync(path.join(work, '.prontodb'), `${box.path('plain-file')}/db.prdb`);
      await box.ok(['allow'], { cwd: work });
      assert.match(await refused(['set', 'k', 'v'], { ...SPAWN, cwd: work }), /ENOTDIR/);
    });
  });

  describe('item 11: a .prontodb must be an object or a path', () => {
    for (const content of ['[1,2]', 'null', '42', 'true', '""']) {
      it(`refuses ${content} naming the file, creating nothing`, async () => {
        const work = box.path('work');
        fs.mkdirSync(work);
        const file = path.join(work, '.prontodb');
        fs.writeFileSync(file, `${content}\n`);
        const stderr = await refused(['set', 'k', 'v'], { cwd: work });
        assert.ok(stderr.includes(file), `the error should name ${file}: ${stderr}`);
        assert.deepEqual(fs.readdirSync(work), ['.prontodb']);
        assert.equal(fs.existsSync(box.dataDir), false);
      });
    }

    it('keeps the Rust one-line path form, and reads a JSON string as that path', async () => {
      const work = box.path('work');
      fs.mkdirSync(work);
      fs.writeFileSync(path.join(work, '.prontodb'), 'data/plain.prdb\n');
      await box.ok(['allow'], { cwd: work });
      await box.ok(['set', 'k', 'plain'], { cwd: work });
      assert.deepEqual(kvRows(path.join(work, 'data', 'plain.prdb')), ['default|default|k|<NULL>|plain']);
      fs.writeFileSync(path.join(work, '.prontodb'), '"quoted.prdb"');
      await box.ok(['allow'], { cwd: work });
      await box.ok(['set', 'k', 'quoted'], { cwd: work });
      assert.deepEqual(kvRows(path.join(work, 'quoted.prdb')), ['default|default|k|<NULL>|quoted']);
    });

    it('refuses a .prontodb that is a FIFO instead of blocking on it', async () => {
      const work = box.path('work');
      fs.mkdirSync(work);
      execFileSync('mkfifo', [path.join(work, '.prontodb')]);
      const result = await box.run(['get', 'k'], { ...SPAWN, cwd: work, timeoutMs: 10_000 });
      assert.equal(result.code, 1, `expected exit 1, got ${result.code} ${result.signal ?? ''}`);
      assert.match(result.stderr, /\.prontodb: is not a regular file/);
    });
  });

  describe('item 13: misleading messages', () => {
    it('refuses names with newlines or control characters on write, so listings stay one name per line', async () => {
      for (const address of ['p.n.a\nb', 'p.n.tab\there', 'p.n\r.k', 'p\u0007.n.k', 'p.n.k__ctx\nx', 'p.n.del\u007f']) {
        const stderr = await refused(['set', address, 'v']);
        assert.match(stderr, /control character U\+00/);
      }
      assert.equal(fs.existsSync(box.dbFile()), false);
      await refused(['set', 'k', 'v', '-p', 'a\nb']);
    });

    it('escapes control characters of names another program wrote, one name per line', async () => {
      await box.ok(['set', 'p.n.plain', 'v']);
      sqlite3(box.dbFile(), "INSERT INTO kv VALUES ('p', 'n', 'two' || char(10) || 'lines', NULL, 'x', 1, 1, NULL);");
      assert.deepEqual(lines(await box.ok(['keys', 'p.n'])), ['plain', 'two\\u000alines']);
      assert.deepEqual(lines(await box.ok(['scan', 'p.n'])), ['plain=v', 'two\\u000alines=x']);
    });

    it('a FIFO where the selection file belongs does not hang a command', async () => {
      fs.mkdirSync(box.cursorCacheDir, { recursive: true });
      execFileSync('mkfifo', [path.join(box.cursorCacheDir, 'cursor')]);
      const result = await box.run(['set', 'k', 'v'], { ...SPAWN, timeoutMs: 10_000 });
      assert.equal(result.code, 0, `expected exit 0, got ${result.code} ${result.signal ?? ''}: ${result.stderr}`);
    });

    it('db create on a read-only file system says so', async function () {
      const unmount = mountTmpfs(this, box.xdgData, 'ro,size=64k');
      try {
        const stderr = await refused(['db', 'create', 'fresh'], SPAWN);
        assert.match(stderr, /read-only file system \(EROFS\)/);
      } finally {
        unmount();
      }
    });
  });

  describe('item 16: cursor use says what outranks the selection', () => {
    it('names PRONTODB_DATABASE, PRONTODB_CURSOR, --database and a .prontodb; saves the selection anyway', async () => {
      await box.ok(['cursor', 'set', 'work', 'workdb']);
      await box.ok(['cursor', 'set', 'other', 'otherdb']);

      const plain = await box.run(['cursor', 'use', 'work']);
      assert.equal(plain.code, 0);
      assert.doesNotMatch(plain.stderr, /outranks/, 'nothing outranks it here');

      const byEnv = await box.run(['cursor', 'use', 'work'], { ...SPAWN, env: { PRONTODB_DATABASE: 'envdb' } });
      assert.equal(byEnv.code, 0);
      assert.match(byEnv.stderr, /note: PRONTODB_DATABASE=envdb in the environment outranks the selection.*envdb/);
      assert.equal(fs.readFileSync(path.join(box.cursorCacheDir, 'cursor'), 'utf8'), 'work', 'the selection is still saved');

      const byCursorEnv = await box.run(['cursor', 'use', 'work'], { env: { PRONTODB_CURSOR: 'other' } });
      assert.match(byCursorEnv.stderr, /PRONTODB_CURSOR=other in the environment outranks/);
      const byFlag = await box.run(['cursor', 'use', 'work', '--database', 'flagdb']);
      assert.match(byFlag.stderr, /the --database flag outranks/);

      const work = box.path('pinned');
      fs.mkdirSync(work);
      fs.writeFileSync(path.join(work, '.prontodb'), JSON.stringify({ database: 'pinneddb' }));
      const byWorkdir = await box.run(['cursor', 'use', 'other'], { cwd: work });
      assert.equal(byWorkdir.code, 0);
      assert.ok(byWorkdir.stderr.includes(`note: ${path.join(work, '.prontodb')} outranks the selection`), byWorkdir.stderr);
      assert.equal(fs.readFileSync(path.join(box.cursorCacheDir, 'cursor'), 'utf8'), 'other');
    });
  });

  describe('item 7: restore checks the integrity of what it installs', () => {
    it('refuses an archive whose database body is garbage after a valid header; nothing changes', async () => {
      await box.ok(['set', 'k', 'precious']);
      const before = snapshot(box.dbFile());
      const body = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(200_000, 0x41)]);
      const archive = box.path('prontodb_main_20250101.tar.gz');
      fs.writeFileSync(archive, zlib.gzipSync(Buffer.concat([tarHeader('main/pronto.main.prdb', body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512), Buffer.alloc(1024)])));
      const stderr = await refused(['restore', archive], SPAWN);
      assert.match(stderr, /database file is corrupt \(integrity_check: /);
      assert.deepEqual(snapshot(box.dbFile()), before);
      assert.equal(await box.ok(['get', 'k']), 'precious\n');
    });
  });

  describe('item 12: leftovers of a killed backup', () => {
    it('a backup killed with SIGKILL leaves a staging folder that the next backup removes', async () => {
      // A database large enough that the backup is still copying or compressing when killed.
      const file = box.path('big.json');
      const entries = Array.from({ length: 4000 }, (_, i) => ({ project: 'p', namespace: 'n', key: `k${i}`, value: `${i}`.padEnd(4000, 'x') }));
      fs.writeFileSync(file, JSON.stringify({ entries }));
      await box.ok(['import', file]);
      const backups = box.path('backups');
      fs.mkdirSync(backups);
      const child = spawn(process.execPath, [CLI, 'backup', '--output', backups], { env: box.env, cwd: box.root, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const deadline = Date.now() + 20_000;
      while (!fs.readdirSync(backups).some((name) => name.startsWith('.prontodb-backup-')) && Date.now() < deadline) await sleep(2);
      child.kill('SIGKILL');
      await exited;
      const left = fs.readdirSync(backups).filter((name) => name.startsWith('.prontodb-backup-'));
      assert.equal(left.length, 1, `the killed backup should have left its staging folder: ${fs.readdirSync(backups).join(', ')}`);
      await box.ok(['backup', '--output', backups]);
      assert.deepEqual(fs.readdirSync(backups).filter((name) => name.startsWith('.prontodb-')), [], 'the abandoned staging folder is still there');
    });
  });

  describe('item 13: restore limits and messages', () => {
    it('refuses a tar bomb from its header, before unpacking anything', async () => {
      await box.ok(['set', 'k', 'precious']);
      const before = snapshot(box.dbFile());
      // The header declares a 3 GiB database file; only 1 MiB of it follows.
      const archive = box.path('prontodb_main_20250101.tar.gz');
      fs.writeFileSync(archive, zlib.gzipSync(Buffer.concat([tarHeader('main/pronto.main.prdb', 3 * 1024 ** 3), Buffer.alloc(1024 * 1024)])));
      const started = Date.now();
      const stderr = await refused(['restore', archive], SPAWN);
      assert.match(stderr, /'main\/pronto\.main\.prdb' is 3072 MiB, more than restore accepts for a database file \(1024 MiB\)/);
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(snapshot(box.dbFile()), before);
      assert.deepEqual(fs.readdirSync(box.dataDir).filter((name) => name.startsWith('.')), []);
    });

    it('says the disk is full when unpacking runs out of space, not that the backup cannot be read', async function () {
      // A database that compresses well but needs more room than the data folder has.
      const file = box.path('big.json');
      fs.writeFileSync(file, JSON.stringify({ entries: Array.from({ length: 600 }, (_, i) => ({ project: 'p', namespace: 'n', key: `k${i}`, value: 'y'.repeat(4000) })) }));
      await box.ok(['import', file]);
      const made = (await box.ok(['backup', '--output', box.path('backups')])).trim();
      fs.rmSync(box.xdgData, { recursive: true });
      const unmount = mountTmpfs(this, box.xdgData, 'size=1m');
      try {
        const stderr = await refused(['restore', made], SPAWN);
        assert.match(stderr, /no space left on device \(ENOSPC\)/);
        assert.doesNotMatch(stderr, /Cannot read backup/);
        assert.deepEqual(fs.readdirSync(path.join(box.xdgData, 'odx', 'prontodb')), [], 'the staging folder must be removed');
      } finally {
        unmount();
      }
    });

    it('refuses a FIFO as the archive instead of hanging', async () => {
      const fifo = box.path('pipe.tar.gz');
      execFileSync('mkfifo', [fifo]);
      const result = await box.run(['restore', fifo], { ...SPAWN, timeoutMs: 10_000 });
      assert.equal(result.code, 1, `expected exit 1, got ${result.code} ${result.signal ?? ''}`);
      assert.match(result.stderr, /is not a regular file/);
    });
  });
});
