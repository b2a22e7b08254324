import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  createBackup,
  defaultBackupDirectory,
  inspectBackup,
  listBackups,
  removeAbandonedStaging,
  restoreBackup,
  type RestoreLimits,
  rotateBackups,
} from '../../src/core/backup';
import { ProntoError, isProntoError } from '../../src/core/errors';
import { acquireFileLock } from '../../src/core/lock';
import { Layout, databaseFile } from '../../src/core/paths';

const NOW = new Date('2025-01-02T03:04:05Z');
const DATE = '20250102';

let root: string;
let layout: Layout;
let backups: string;
let safety: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-backup-test-'));
  layout = { dataDir: path.join(root, 'data'), cursorCacheDir: path.join(root, 'etc') };
  backups = path.join(root, 'backups');
  safety = path.join(root, 'safety');
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

// --- fixtures --------------------------------------------------------------------------------

function makeSqlite(file: string, value: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('sqlite3', [file, `CREATE TABLE t(x); INSERT INTO t VALUES ('${value}');`]);
}

/** Replaces a database the way writers do: a new file renamed over the old one. */
function replaceSqlite(file: string, value: string): void {
  const next = `${file}.next`;
  makeSqlite(next, value);
  fs.renameSync(next, file);
}

function readSqlite(file: string): string {
  return execFileSync('sqlite3', [file, 'SELECT x FROM t;'], { encoding: 'utf8' }).trim();
}

function makeDatabase(name: string, value: string, cursors: Record<string, string> = {}): string {
  const file = databaseFile(layout, name);
  makeSqlite(file, value);
  const cursorsDir = path.join(layout.dataDir, name, 'cursors');
  fs.mkdirSync(cursorsDir, { recursive: true });
  for (const [cursor, content] of Object.entries(cursors)) fs.writeFileSync(path.join(cursorsDir, cursor), content);
  return file;
}

/** Every file and directory under `dir` with its content, to prove a failed restore changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full);
      if (entry.isDirectory()) {
        result[relative + '/'] = '';
        walk(full);
      } else {
        result[relative] = fs.readFileSync(full).toString('base64');
      }
    }
  };
  walk(dir);
  return result;
}

function systemTarList(archive: string): string[] {
  return execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

/** A real, intact SQLite database (restore runs integrity_check on what it installs). */
function realSqliteBytes(value = 'archived'): Buffer {
  const file = path.join(root, `real-${Math.random().toString(36).slice(2)}.sqlite`);
  makeSqlite(file, value);
  const bytes = fs.readFileSync(file);
  fs.rmSync(file);
  return bytes;
}

/** Only the 16-byte header is real: enough for inspectBackup, refused by restore's integrity check. */
function sqliteBytes(text = 'payload'): Buffer {
  return Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.from(text)]);
}

interface RawEntry {
  path: string;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory, '6' FIFO. */
  type?: string;
  data?: Buffer | string;
  linkpath?: string;
}

/** Writes a gzip'd ustar archive byte by byte, so nothing sanitises the malicious entries. */
function rawTarGz(file: string, entries: RawEntry[], trailingZeros = 0): string {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    const header = Buffer.alloc(512);
    const put = (text: string, offset: number, length: number): void => {
      header.write(text.slice(0, length), offset, length, 'latin1');
    };
    const octal = (value: number, length: number): string => value.toString(8).padStart(length - 1, '0') + '\0';
    put(entry.path, 0, 100);
    put(octal(entry.type === '5' ? 0o755 : 0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(Math.floor(NOW.getTime() / 1000), 12), 136, 12);
    put('        ', 148, 8);
    put(entry.type ?? '0', 156, 1);
    put(entry.linkpath ?? '', 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let checksum = 0;
    for (const byte of header) checksum += byte;
    put(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024 + trailingZeros));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(blocks)));
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<ProntoError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProntoError, `expected a ProntoError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the operation to fail');
}

// --- create ----------------------------------------------------------------------------------


/**
 * Resolves once another writer is waiting for the lock on `file`: a waiter keeps its holder file in
 * `<file>.lock.<token>.pending` until it gets the lock, so this is observed rather than assumed
 * after a sleep.
 */
async function waitForLockWaiter(file: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  const prefix = `${path.basename(file)}.lock.`;
  while (!fs.readdirSync(path.dirname(file)).some((name) => name.startsWith(prefix) && name.endsWith('.pending'))) {
    if (Date.now() > deadline) throw new Error(`no writer started waiting for the lock on ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('backup: createBackup', () => {
  it('writes prontodb_<db>_<date>.tar.gz with the CLI layout, readable by system tar', async () => {
    makeDatabase('main', 'one', { 'work.cursor': '{"database_path":"/x"}', 'work.alice.cursor': '{}' });
    const info = await createBackup(layout, 'main', { outputDir: backups, now: NOW });

    assert.equal(info.file, path.join(backups, `prontodb_main_${DATE}.tar.gz`));
    assert.equal(info.database, 'main');
    assert.equal(info.date, DATE);
    assert.equal(info.increment, null);
    assert.equal(info.kind, 'archive');
    assert.equal(info.size, fs.statSync(info.file).size);
    assert.deepEqual(info.files, ['main/pronto.main.prdb', 'main/cursors/work.alice.cursor', 'main/cursors/work.cursor']);
    assert.deepEqual(systemTarList(info.file), [
      'main/',
      'main/cursors/',
      'main/cursors/work.alice.cursor',
      'main/cursors/work.cursor',
      'main/pronto.main.prdb',
    ]);
    assert.deepEqual(fs.readdirSync(backups), [path.basename(info.file)], 'no temporary files left');
  });

  it('archives the db file byte for byte', async () => {
    const dbFile = makeDatabase('notes', 'hello');
    const info = await createBackup(layout, 'notes', { outputDir: backups, now: NOW });
    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', info.file, '-C', unpacked]);
    assert.deepEqual(fs.readFileSync(path.join(unpacked, 'notes', 'pronto.notes.prdb')), fs.readFileSync(dbFile));
  });

  // The backup holds <file>.lock while it reads, so a naive directory copy would include it.
  it('leaves out lock directories, temporary and unrelated files, and includes -wal/-shm', async () => {
    const dbFile = makeDatabase('main', 'one', { 'a.cursor': '{}' });
    fs.writeFileSync(`${dbFile}-wal`, 'wal');
    fs.writeFileSync(`${dbFile}-shm`, 'shm');
    fs.writeFileSync(`${dbFile}.tmp`, 'half-written');
    fs.writeFileSync(path.join(layout.dataDir, 'main', 'cursors', 'b.cursor.tmp'), 'x');
    fs.writeFileSync(path.join(layout.dataDir, 'main', 'notes.txt'), 'x');

    const info = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const names = systemTarList(info.file);
    assert.deepEqual(names, [
      'main/',
      'main/cursors/',
      'main/cursors/a.cursor',
      'main/pronto.main.prdb',
      'main/pronto.main.prdb-shm',
      'main/pronto.main.prdb-wal',
    ]);
    assert.ok(!fs.existsSync(`${dbFile}.lock`), 'the lock is released');
  });

  it('numbers further backups of the same day _n01, _n02', async () => {
    makeDatabase('main', 'one');
    const first = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const second = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const third = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    assert.deepEqual(
      [first, second, third].map((info) => [path.basename(info.file), info.increment]),
      [
        [`prontodb_main_${DATE}.tar.gz`, null],
        [`prontodb_main_${DATE}_n01.tar.gz`, 1],
        [`prontodb_main_${DATE}_n02.tar.gz`, 2],
      ],
    );
  });

  it('uses the UTC date', async () => {
    makeDatabase('main', 'one');
    const info = await createBackup(layout, 'main', { outputDir: backups, now: new Date('2025-03-31T23:30:00-05:00') });
    assert.equal(path.basename(info.file), 'prontodb_main_20250401.tar.gz');
  });

  it('fails with conflict after _n99 and leaves nothing behind', async () => {
    makeDatabase('main', 'one');
    fs.mkdirSync(backups);
    fs.writeFileSync(path.join(backups, `prontodb_main_${DATE}.tar.gz`), '');
    for (let n = 1; n <= 99; n++) {
      fs.writeFileSync(path.join(backups, `prontodb_main_${DATE}_n${String(n).padStart(2, '0')}.tar.gz`), '');
    }
    const error = await rejection(createBackup(layout, 'main', { outputDir: backups, now: NOW }));
    assert.equal(error.code, 'conflict');
    assert.equal(fs.readdirSync(backups).length, 100);
  });

  it('reports a missing database as not-found and a bad name as usage', async () => {
    assert.equal((await rejection(createBackup(layout, 'ghost', { outputDir: backups }))).code, 'not-found');
    assert.ok(!fs.existsSync(backups), 'no output directory for a failed backup');
    assert.equal((await rejection(createBackup(layout, '../etc', { outputDir: backups }))).code, 'usage');
  });

  it('backs up a database that only has cursors, as the CLI does', async () => {
    fs.mkdirSync(path.join(layout.dataDir, 'work', 'cursors'), { recursive: true });
    fs.writeFileSync(path.join(layout.dataDir, 'work', 'cursors', 'a.cursor'), '{}');
    const info = await createBackup(layout, 'work', { outputDir: backups, now: NOW });
    assert.deepEqual(info.files, ['work/cursors/a.cursor']);
  });

  it('archives the PRONTO_DB file of main as main/pronto.main.prdb', async () => {
    const override = path.join(root, 'elsewhere', 'custom.db');
    makeSqlite(override, 'real');
    makeDatabase('main', 'decoy', { 'a.cursor': '{}' });
    layout = { ...layout, mainDatabaseOverride: override };

    const info = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    assert.deepEqual(info.files, ['main/pronto.main.prdb', 'main/cursors/a.cursor']);
    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', info.file, '-C', unpacked]);
    assert.equal(readSqlite(path.join(unpacked, 'main', 'pronto.main.prdb')), 'real');
  });

  it('waits for a writer holding the lock, so it archives the file the writer leaves', async () => {
    const dbFile = makeDatabase('main', 'old');
    const release = await acquireFileLock(dbFile);
    const backup = createBackup(layout, 'main', { outputDir: backups, now: NOW });
    await waitForLockWaiter(dbFile);
    replaceSqlite(dbFile, 'new');
    await release();

    const info = await backup;
    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', info.file, '-C', unpacked]);
    assert.equal(readSqlite(path.join(unpacked, 'main', 'pronto.main.prdb')), 'new');
  });

  it('reports progress up to 1', async () => {
    makeDatabase('main', 'one');
    const fractions: number[] = [];
    await createBackup(layout, 'main', { outputDir: backups, now: NOW, onProgress: (fraction) => fractions.push(fraction) });
    assert.ok(fractions.length >= 3);
    assert.deepEqual([...fractions].sort((a, b) => a - b), fractions, 'fractions never go backwards');
    assert.equal(fractions[fractions.length - 1], 1);
  });

  it('leaves no output when cancelled mid-way or before starting', async () => {
    makeDatabase('main', 'one');
    const controller = new AbortController();
    const error = await rejection(
      createBackup(layout, 'main', {
        outputDir: backups,
        now: NOW,
        signal: controller.signal,
        onProgress: (fraction) => {
          if (fraction > 0.3) controller.abort();
        },
      }),
    );
    assert.equal(error.code, 'cancelled');
    assert.deepEqual(fs.readdirSync(backups), []);

    const aborted = await rejection(createBackup(layout, 'main', { outputDir: backups, signal: AbortSignal.abort() }));
    assert.equal(aborted.code, 'cancelled');
    assert.deepEqual(fs.readdirSync(backups), []);
  });

  it('defaults to ~/repos/zindex/cache/backup like the CLI', () => {
    assert.equal(defaultBackupDirectory({ HOME: '/home/u' }), path.join('/home/u', 'repos', 'zindex', 'cache', 'backup'));
  });
});

// --- list and rotate ------------------------------------------------------------------------

describe('backup: listBackups and rotateBackups', () => {
  function touch(name: string, mtime: Date = NOW): string {
    fs.mkdirSync(backups, { recursive: true });
    const file = path.join(backups, name);
    fs.writeFileSync(file, name);
    fs.utimesSync(file, mtime, mtime);
    return file;
  }

  it('returns [] for a missing directory', async () => {
    assert.deepEqual(await listBackups(path.join(root, 'nope')), []);
  });

  it('lists newest first, parses names from the right, and filters by database', async () => {
    touch('prontodb_main_20250101.tar.gz');
    touch('prontodb_main_20250102_n01.tar.gz');
    touch('prontodb_main_20250102.tar.gz');
    touch('prontodb_my_db_2024_20250103.tar.gz');
    touch('prontodb_v1.2_20241231_n07.tar.gz');
    touch('prontodb_main_20250102_pre-restore_101500.tar.gz');
    touch('prontodb_legacy.db');
    touch('notes.tar.gz');
    touch('.prontodb-backup-x.tmp');

    const all = await listBackups(backups);
    assert.deepEqual(
      all.map((b) => [path.basename(b.file), b.database, b.date, b.increment, b.kind]),
      [
        ['prontodb_my_db_2024_20250103.tar.gz', 'my_db_2024', '20250103', null, 'archive'],
        ['prontodb_main_20250102_n01.tar.gz', 'main', '20250102', 1, 'archive'],
        ['prontodb_main_20250102.tar.gz', 'main', '20250102', null, 'archive'],
        ['prontodb_main_20250102_pre-restore_101500.tar.gz', 'main', '20250102', null, 'pre-restore'],
        ['prontodb_main_20250101.tar.gz', 'main', '20250101', null, 'archive'],
        ['prontodb_v1.2_20241231_n07.tar.gz', 'v1.2', '20241231', 7, 'archive'],
        ['prontodb_legacy.db', '', '', null, 'other'],
      ],
    );
    assert.equal(all[0].size, 'prontodb_my_db_2024_20250103.tar.gz'.length);
    assert.equal(all[0].modified.getTime(), NOW.getTime());

    const main = await listBackups(backups, { database: 'main' });
    assert.deepEqual(
      main.map((b) => path.basename(b.file)),
      [
        'prontodb_main_20250102_n01.tar.gz',
        'prontodb_main_20250102.tar.gz',
        'prontodb_main_20250102_pre-restore_101500.tar.gz',
        'prontodb_main_20250101.tar.gz',
      ],
    );
  });

  it('lists what createBackup made', async () => {
    makeDatabase('main', 'one');
    const made = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const [listed] = await listBackups(backups);
    assert.equal(listed.file, made.file);
    assert.equal(listed.size, made.size);
    assert.equal(listed.increment, null);
  });

  it('rotation keeps the newest archives of one database and nothing else is touched', async () => {
    const oldest = touch('prontodb_main_20250101.tar.gz', new Date('2025-01-05T00:00:00Z'));
    const older = touch('prontodb_main_20250102.tar.gz');
    touch('prontodb_main_20250102_n01.tar.gz');
    touch('prontodb_main_20250103.tar.gz', new Date('2025-01-01T00:00:00Z'));
    touch('prontodb_main_20240101_pre-restore_000000.tar.gz');
    touch('prontodb_other_20200101.tar.gz');
    touch('prontodb_main.db');

    const removed = await rotateBackups(backups, 'main', 2);
    assert.deepEqual(removed, [older, oldest], 'ordered by date and increment, not by mtime');
    assert.deepEqual(fs.readdirSync(backups).sort(), [
      'prontodb_main.db',
      'prontodb_main_20240101_pre-restore_000000.tar.gz',
      'prontodb_main_20250102_n01.tar.gz',
      'prontodb_main_20250103.tar.gz',
      'prontodb_other_20200101.tar.gz',
    ]);
    assert.deepEqual(await rotateBackups(backups, 'main', 2), [], 'nothing more to remove');
  });

  it('rotation breaks ties by modification time', async () => {
    const older = touch('prontodb_main_20250101.tar.gz', new Date('2025-01-01T00:00:00Z'));
    // `_n00` is never written but parses as increment 0, the same rank as no suffix.
    const newer = touch('prontodb_main_20250101_n00.tar.gz', new Date('2025-01-02T00:00:00Z'));
    assert.deepEqual(await rotateBackups(backups, 'main', 1), [older]);
    assert.ok(fs.existsSync(newer));
  });

  it('rotation refuses keep < 1', async () => {
    touch('prontodb_main_20250101.tar.gz');
    for (const keep of [0, -1, 1.5]) {
      assert.equal((await rejection(rotateBackups(backups, 'main', keep))).code, 'usage');
    }
    assert.equal(fs.readdirSync(backups).length, 1);
  });
});

// --- restore ---------------------------------------------------------------------------------

describe('backup: restoreBackup', () => {
  it('round-trips into the same database, byte-identical, replacing cursors', async () => {
    const dbFile = makeDatabase('main', 'original', { 'keep.cursor': '{"v":1}' });
    const originalBytes = fs.readFileSync(dbFile);
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });

    replaceSqlite(dbFile, 'changed');
    fs.writeFileSync(path.join(layout.dataDir, 'main', 'cursors', 'keep.cursor'), '{"v":2}');
    fs.writeFileSync(path.join(layout.dataDir, 'main', 'cursors', 'later.cursor'), '{}');

    const result = await restoreBackup(layout, file, { safetyDir: safety, now: NOW });
    assert.equal(result.database, 'main');
    assert.deepEqual(fs.readFileSync(dbFile), originalBytes);
    assert.equal(readSqlite(dbFile), 'original');
    assert.deepEqual(fs.readdirSync(path.join(layout.dataDir, 'main', 'cursors')), ['keep.cursor']);
    assert.equal(fs.readFileSync(path.join(layout.dataDir, 'main', 'cursors', 'keep.cursor'), 'utf8'), '{"v":1}');
    assert.deepEqual(
      fs.readdirSync(path.join(layout.dataDir, 'main')).sort(),
      ['cursors', 'pronto.main.prdb'],
      'no staging, lock or retired files left',
    );
    assert.deepEqual(
      fs.readdirSync(layout.dataDir).filter((name) => name.startsWith('.')),
      [],
      'staging directory removed',
    );
  });

  it('restores into another name, renaming the db file and copying cursors as-is', async () => {
    const dbFile = makeDatabase('main', 'original', { 'a.cursor': '{"database_path":"/x/main"}' });
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const before = snapshot(path.join(layout.dataDir, 'main'));

    const result = await restoreBackup(layout, file, { target: 'copy', safetyDir: safety, now: NOW });
    assert.deepEqual(result, { database: 'copy' });
    const copyFile = path.join(layout.dataDir, 'copy', 'pronto.copy.prdb');
    assert.deepEqual(fs.readFileSync(copyFile), fs.readFileSync(dbFile));
    assert.equal(
      fs.readFileSync(path.join(layout.dataDir, 'copy', 'cursors', 'a.cursor'), 'utf8'),
      '{"database_path":"/x/main"}',
    );
    assert.deepEqual(snapshot(path.join(layout.dataDir, 'main')), before, 'the source is untouched');
    assert.ok(!fs.existsSync(safety), 'no safety copy for a new target');
  });

  it('writes a safety copy of the replaced data and returns its path', async () => {
    makeDatabase('main', 'archived');
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const dbFile = makeDatabase('other', 'precious', { 'c.cursor': '{}' });
    const preciousBytes = fs.readFileSync(dbFile);

    const result = await restoreBackup(layout, file, { target: 'other', safetyDir: safety, now: NOW });
    assert.equal(result.safetyCopy, path.join(safety, `prontodb_other_${DATE}_pre-restore_030405.tar.gz`));
    assert.equal(readSqlite(dbFile), 'archived');

    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', result.safetyCopy!, '-C', unpacked]);
    assert.deepEqual(fs.readFileSync(path.join(unpacked, 'other', 'pronto.other.prdb')), preciousBytes);
    assert.ok(fs.existsSync(path.join(unpacked, 'other', 'cursors', 'c.cursor')));

    const [listed] = await listBackups(safety);
    assert.equal(listed.kind, 'pre-restore');
    assert.equal(listed.database, 'other');

    // The safety copy is itself restorable: the original comes back.
    await restoreBackup(layout, result.safetyCopy!, { safetyDir: safety, now: NOW });
    assert.deepEqual(fs.readFileSync(dbFile), preciousBytes);
    assert.equal((await listBackups(safety)).length, 2, 'second safety copy got its own name');
  });

  it('restores an archive made by the Rust CLI (system tar czf -C <data> <db>)', async () => {
    const cliData = path.join(root, 'cli-data');
    makeSqlite(path.join(cliData, 'work', 'pronto.work.prdb'), 'from-cli');
    fs.mkdirSync(path.join(cliData, 'work', 'cursors'));
    fs.writeFileSync(path.join(cliData, 'work', 'cursors', 'w.cursor'), '{}');
    fs.mkdirSync(backups);
    const archive = path.join(backups, `prontodb_work_${DATE}.tar.gz`);
    execFileSync('tar', ['czf', archive, '-C', cliData, 'work']);

    const contents = await inspectBackup(archive);
    assert.equal(contents.database, 'work');
    assert.deepEqual([...contents.files].sort(), ['work/cursors/w.cursor', 'work/pronto.work.prdb']);
    await restoreBackup(layout, archive, { safetyDir: safety });
    assert.deepEqual(
      fs.readFileSync(path.join(layout.dataDir, 'work', 'pronto.work.prdb')),
      fs.readFileSync(path.join(cliData, 'work', 'pronto.work.prdb')),
    );
    assert.ok(fs.existsSync(path.join(layout.dataDir, 'work', 'cursors', 'w.cursor')));
  });

  it('restores main into the PRONTO_DB file, not <data>/main', async () => {
    makeDatabase('main', 'archived', { 'a.cursor': '{}' });
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    fs.rmSync(layout.dataDir, { recursive: true });

    const override = path.join(root, 'elsewhere', 'custom.db');
    makeSqlite(override, 'current');
    layout = { ...layout, mainDatabaseOverride: override };
    const result = await restoreBackup(layout, file, { safetyDir: safety, now: NOW });

    assert.equal(readSqlite(override), 'archived');
    assert.ok(!fs.existsSync(path.join(layout.dataDir, 'main', 'pronto.main.prdb')));
    assert.ok(fs.existsSync(path.join(layout.dataDir, 'main', 'cursors', 'a.cursor')));
    assert.ok(result.safetyCopy, 'the override file had data');
    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', result.safetyCopy, '-C', unpacked]);
    assert.equal(readSqlite(path.join(unpacked, 'main', 'pronto.main.prdb')), 'current');
  });

  it('drops the old -wal/-shm/-journal of the replaced file and installs an archived -wal', async () => {
    const dbFile = makeDatabase('main', 'current');
    fs.writeFileSync(`${dbFile}-wal`, 'stale wal');
    fs.writeFileSync(`${dbFile}-shm`, 'stale shm');
    fs.writeFileSync(`${dbFile}-journal`, 'stale journal');
    rawTarGz(path.join(backups, 'a.tar.gz'), [{ path: 'main/pronto.main.prdb', data: realSqliteBytes() }]);
    await restoreBackup(layout, path.join(backups, 'a.tar.gz'), { safetyDir: safety, now: NOW });
    assert.ok(!fs.existsSync(`${dbFile}-wal`));
    assert.ok(!fs.existsSync(`${dbFile}-shm`));
    assert.ok(!fs.existsSync(`${dbFile}-journal`));

    rawTarGz(path.join(backups, 'b.tar.gz'), [
      { path: 'main/pronto.main.prdb', data: realSqliteBytes() },
      { path: 'main/pronto.main.prdb-wal', data: 'archived wal' },
      { path: 'main/pronto.main.prdb-shm', data: 'archived shm' },
    ]);
    await restoreBackup(layout, path.join(backups, 'b.tar.gz'), { safetyDir: safety, now: NOW });
    assert.equal(fs.readFileSync(`${dbFile}-wal`, 'utf8'), 'archived wal');
    assert.ok(!fs.existsSync(`${dbFile}-shm`), 'SQLite rebuilds the shared-memory index itself');
  });

  it('waits for the target lock before swapping', async () => {
    makeDatabase('main', 'archived');
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    const dbFile = databaseFile(layout, 'main');
    replaceSqlite(dbFile, 'current');

    const release = await acquireFileLock(dbFile);
    let finished = false;
    const restore = restoreBackup(layout, file, { safetyDir: safety, now: NOW }).then(() => (finished = true));
    await waitForLockWaiter(dbFile);
    assert.equal(finished, false);
    assert.equal(readSqlite(dbFile), 'current', 'nothing replaced while another writer holds the lock');
    await release();
    await restore;
    assert.equal(readSqlite(dbFile), 'archived');
  });

  it('leaves the target and safety directory untouched when cancelled', async () => {
    makeDatabase('main', 'archived');
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    replaceSqlite(databaseFile(layout, 'main'), 'current');
    const before = snapshot(layout.dataDir);
    for (const threshold of [0, 0.2, 0.5]) {
      const controller = new AbortController();
      const error = await rejection(
        restoreBackup(layout, file, {
          safetyDir: safety,
          now: NOW,
          signal: controller.signal,
          onProgress: (fraction) => {
            if (fraction >= threshold) controller.abort();
          },
        }),
      );
      assert.equal(error.code, 'cancelled');
      assert.deepEqual(snapshot(layout.dataDir), before, `cancelled at ${threshold}`);
      assert.deepEqual(fs.existsSync(safety) ? fs.readdirSync(safety) : [], [], `cancelled at ${threshold}`);
    }
  });

  it('reports a missing archive as not-found', async () => {
    const error = await rejection(restoreBackup(layout, path.join(root, 'missing.tar.gz'), { safetyDir: safety }));
    assert.equal(error.code, 'not-found');
  });

  it('refuses a target name that is not a valid database name', async () => {
    makeDatabase('main', 'archived');
    const { file } = await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    assert.equal((await rejection(restoreBackup(layout, file, { target: '../x', safetyDir: safety }))).code, 'usage');
  });
});

// --- refusals --------------------------------------------------------------------------------

describe('backup: refusing unsafe or foreign archives', () => {
  const cases: { name: string; entries: () => RawEntry[] | 'garbage' | 'empty' | 'plain-gzip'; mentions: string }[] = [
    {
      name: 'an absolute path',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: path.join(root, 'pwned'), data: 'x' },
      ],
      mentions: 'absolute path',
    },
    {
      name: 'a .. segment',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: 'main/../../pwned', data: 'x' },
      ],
      mentions: "'..' in path 'main/../../pwned'",
    },
    {
      name: 'a symbolic link',
      entries: () => [{ path: 'main/pronto.main.prdb', type: '2', linkpath: '/etc/passwd' }],
      mentions: 'symbolic link',
    },
    {
      name: 'a hard link',
      entries: () => [
        { path: 'main/cursors/a.cursor', data: '{}' },
        { path: 'main/pronto.main.prdb', type: '1', linkpath: 'main/cursors/a.cursor' },
      ],
      mentions: 'hard link',
    },
    {
      name: 'a FIFO',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: 'main/cursors/a.cursor', type: '6' },
      ],
      mentions: 'FIFO',
    },
    {
      name: 'a device',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: 'main/cursors/a.cursor', type: '3' },
      ],
      mentions: 'device',
    },
    {
      name: 'two top-level directories',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: 'other/pronto.other.prdb', data: sqliteBytes() },
      ],
      mentions: "second top-level entry 'other'",
    },
    {
      name: 'a foreign file',
      entries: () => [
        { path: 'main/pronto.main.prdb', data: sqliteBytes() },
        { path: 'main/evil.sh', data: 'rm -rf ~' },
      ],
      mentions: "unexpected file 'main/evil.sh'",
    },
    {
      name: "a db file named for another database",
      entries: () => [{ path: 'main/pronto.other.prdb', data: sqliteBytes() }],
      mentions: "unexpected file 'main/pronto.other.prdb'",
    },
    {
      name: 'a non-SQLite db file',
      entries: () => [{ path: 'main/pronto.main.prdb', data: 'just some text, not a database' }],
      mentions: 'main/pronto.main.prdb is not an SQLite database',
    },
    {
      name: 'a missing db file',
      entries: () => [{ path: 'main/cursors/a.cursor', data: '{}' }],
      mentions: 'missing the database file main/pronto.main.prdb',
    },
    {
      name: 'an invalid top-level name',
      entries: () => [{ path: 'cursors/pronto.cursors.prdb', data: sqliteBytes() }],
      mentions: "top-level directory 'cursors' is not a valid database name",
    },
    { name: 'a file that is not gzip or tar', entries: () => 'garbage', mentions: 'not a readable gzip-compressed tar' },
    { name: 'an empty file', entries: () => 'empty', mentions: 'not a readable gzip-compressed tar' },
    { name: 'gzip of something that is not tar', entries: () => 'plain-gzip', mentions: 'not a readable gzip-compressed tar' },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name} and leaves the existing database byte-identical`, async () => {
      makeDatabase('main', 'precious', { 'a.cursor': '{"keep":true}' });
      makeDatabase('other', 'also precious');
      const archive = path.join(root, 'incoming', 'prontodb_main_20250102.tar.gz');
      const entries = testCase.entries();
      fs.mkdirSync(path.dirname(archive), { recursive: true });
      if (entries === 'garbage') fs.writeFileSync(archive, 'this is not an archive at all'.repeat(40));
      else if (entries === 'empty') fs.writeFileSync(archive, '');
      else if (entries === 'plain-gzip') fs.writeFileSync(archive, zlib.gzipSync('hello world\n'));
      else rawTarGz(archive, entries);
      const before = snapshot(root);

      const inspected = await rejection(inspectBackup(archive));
      const restored = await rejection(restoreBackup(layout, archive, { safetyDir: safety, now: NOW }));
      for (const error of [inspected, restored]) {
        assert.equal(error.code, 'usage');
        assert.ok(error.message.includes(archive), `names the archive: ${error.message}`);
        assert.ok(error.message.includes(testCase.mentions), `names the problem: ${error.message}`);
      }
      assert.deepEqual(snapshot(root), before, 'nothing on disk changed');
    });
  }

  it('refuses a symlink made by system tar', async () => {
    const source = path.join(root, 'src');
    fs.mkdirSync(path.join(source, 'main'), { recursive: true });
    fs.symlinkSync('/etc/hostname', path.join(source, 'main', 'pronto.main.prdb'));
    const archive = path.join(root, 'link.tar.gz');
    execFileSync('tar', ['czf', archive, '-C', source, 'main']);
    const error = await rejection(restoreBackup(layout, archive, { safetyDir: safety }));
    assert.ok(isProntoError(error, 'usage'));
    assert.match(error.message, /'main\/pronto\.main\.prdb' is a symbolic link/);
    assert.ok(!fs.existsSync(path.join(layout.dataDir, 'main')));
  });

  it('accepts a valid archive and reports its contents', async () => {
    const archive = rawTarGz(path.join(root, 'ok.tar.gz'), [
      { path: 'v1.2/', type: '5' },
      { path: 'v1.2/pronto.v1.2.prdb', data: sqliteBytes() },
      { path: 'v1.2/cursors/', type: '5' },
      { path: 'v1.2/cursors/x.alice.cursor', data: '{}' },
    ]);
    assert.deepEqual(await inspectBackup(archive), {
      database: 'v1.2',
      files: ['v1.2/pronto.v1.2.prdb', 'v1.2/cursors/x.alice.cursor'],
    });
  });
});

describe('backup: restore checks the whole database file (issue 6 item 7)', () => {
  /** A real database whose index disagrees with its table: quick_check says ok, integrity_check does not. */
  function indexCorruptedSqlite(): Buffer {
    const file = path.join(root, 'index-corrupt.sqlite');
    execFileSync('sqlite3', [
      file,
      "PRAGMA page_size=4096; CREATE TABLE kv(k TEXT PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<50) INSERT INTO kv SELECT printf('key%04d', i), 'v' FROM n;",
    ]);
    const indexRoot = Number(execFileSync('sqlite3', [file, "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_kv_1'"], { encoding: 'utf8' }));
    const bytes = fs.readFileSync(file);
    const page = bytes.subarray((indexRoot - 1) * 4096, indexRoot * 4096);
    const at = page.indexOf('key0042');
    assert.ok(at > 0, 'the index entry was not found');
    page[at + 3] = '9'.charCodeAt(0); // key0042 becomes key9042 in the index only
    fs.writeFileSync(file, bytes);
    assert.equal(execFileSync('sqlite3', [file, 'PRAGMA quick_check'], { encoding: 'utf8' }).trim(), 'ok', 'quick_check should miss this');
    assert.match(execFileSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }), /missing from index/);
    fs.rmSync(file);
    return bytes;
  }

  const bodies: Array<[string, () => Buffer, RegExp]> = [
    ['index corruption that quick_check misses', indexCorruptedSqlite, /integrity_check: row 42 missing from index/],
    ['garbage after a valid header', () => Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(300_000, 0x5a)]), /database file is corrupt/],
    ['a header and nothing else', () => sqliteBytes(), /too short to be an SQLite database/],
  ];
  for (const [what, body, problem] of bodies) {
    it(`refuses ${what}, leaving the database and safety folder untouched`, async () => {
      makeDatabase('main', 'precious', { 'a.cursor': '{}' });
      const archive = rawTarGz(path.join(root, 'incoming', 'prontodb_main_20250102.tar.gz'), [{ path: 'main/pronto.main.prdb', data: body() }]);
      const before = snapshot(root);
      const error = await rejection(restoreBackup(layout, archive, { safetyDir: safety, now: NOW }));
      assert.match(error.message, problem);
      assert.ok(error.message.includes(archive), error.message);
      assert.deepEqual(snapshot(root), before, 'nothing on disk may change');
    });
  }
});

describe('backup: restore caps what it unpacks (issue 6 item 13)', () => {
  const small: RestoreLimits = { maxEntries: 5, maxDatabaseBytes: 64 * 1024, maxCursorBytes: 1024, maxTotalBytes: 100 * 1024 };

  /** Runs a restore and proves it refused with `problem` before any staging folder held data. */
  async function refusedBeforeUnpacking(entries: RawEntry[], problem: RegExp, trailingZeros = 0): Promise<void> {
    makeDatabase('main', 'precious');
    const archive = path.join(root, 'bomb.tar.gz');
    rawTarGz(archive, entries, trailingZeros);
    const before = snapshot(root);
    const inspected = await rejection(inspectBackup(archive, small));
    const restored = await rejection(restoreBackup(layout, archive, { safetyDir: safety, now: NOW, limits: small }));
    for (const error of [inspected, restored]) assert.match(error.message, problem);
    assert.deepEqual(snapshot(root), before, 'nothing on disk may change');
  }

  it('refuses a database file larger than the cap, from its header', async () => {
    await refusedBeforeUnpacking([{ path: 'main/pronto.main.prdb', data: Buffer.alloc(65 * 1024) }], /'main\/pronto\.main\.prdb' is 66560 bytes, more than restore accepts for a database file \(65536 bytes\)/);
  });

  it('refuses an oversized cursor file', async () => {
    await refusedBeforeUnpacking(
      [
        { path: 'main/pronto.main.prdb', data: realSqliteBytes() },
        { path: 'main/cursors/a.cursor', data: Buffer.alloc(2048, 0x20) },
      ],
      /a\.cursor' is 2048 bytes, more than restore accepts for a cursor file/,
    );
  });

  it('refuses more entries than the cap', async () => {
    const cursors = Array.from({ length: 6 }, (_, i) => ({ path: `main/cursors/c${i}.cursor`, data: '{}' }));
    await refusedBeforeUnpacking([{ path: 'main/pronto.main.prdb', data: realSqliteBytes() }, ...cursors], /more than 5 entries/);
  });

  it('refuses entries that together exceed the cap', async () => {
    await refusedBeforeUnpacking(
      [
        { path: 'main/pronto.main.prdb', data: Buffer.alloc(60 * 1024) },
        { path: 'main/pronto.main.prdb-wal', data: Buffer.alloc(60 * 1024) },
      ],
      /hold more than 100 KiB|hold more than 102400 bytes together/,
    );
  });

  it('stops decompressing a stream that inflates beyond the cap (zeros after the end of the archive)', async () => {
    await refusedBeforeUnpacking([{ path: 'main/pronto.main.prdb', data: realSqliteBytes() }], /unpacks to more than/, 20 * 1024 * 1024);
  });

  it('restores an archive within the caps', async () => {
    makeDatabase('main', 'old');
    const archive = rawTarGz(path.join(root, 'ok.tar.gz'), [{ path: 'main/pronto.main.prdb', data: realSqliteBytes('restored') }]);
    await restoreBackup(layout, archive, { safetyDir: safety, now: NOW, limits: small });
    assert.equal(readSqlite(databaseFile(layout, 'main')), 'restored');
  });

  it('refuses an archive argument that is a FIFO instead of blocking on it', async () => {
    const fifo = path.join(root, 'pipe.tar.gz');
    execFileSync('mkfifo', [fifo]);
    const error = await rejection(restoreBackup(layout, fifo, { safetyDir: safety, now: NOW }));
    assert.match(error.message, /is not a regular file/);
  });
});

describe('backup: leftovers of killed backups and restores (issue 6 item 12)', () => {
  /** The pid of a process that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(child.stdout);
  }
  const host = os.hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || 'host';

  function plant(directory: string, name: string, ageMs = 0): string {
    const full = path.join(directory, name);
    fs.mkdirSync(path.join(full, 'main'), { recursive: true });
    fs.writeFileSync(path.join(full, 'main', 'pronto.main.prdb'), Buffer.alloc(1024));
    const time = new Date(Date.now() - ageMs);
    for (const target of [path.join(full, 'main', 'pronto.main.prdb'), path.join(full, 'main'), full]) fs.utimesSync(target, time, time);
    return full;
  }

  it('removes staging folders of dead processes and old unowned ones, and keeps live ones', async () => {
    fs.mkdirSync(backups, { recursive: true });
    const dead = plant(backups, `.prontodb-backup-${deadPid()}-${host}-abc123`);
    const live = plant(backups, `.prontodb-backup-${process.pid}-${host}-def456`, 3 * 60 * 60 * 1000);
    const oldLegacy = plant(backups, '.prontodb-backup-Xy12Zw', 2 * 60 * 60 * 1000);
    const freshLegacy = plant(backups, '.prontodb-backup-Ab34Cd');
    const otherHostFresh = plant(backups, `.prontodb-backup-1-someotherhost-ghi789`);
    const otherHostOld = plant(backups, `.prontodb-backup-1-someotherhost-jkl012`, 2 * 60 * 60 * 1000);
    const unrelated = plant(backups, 'my-folder');
    assert.deepEqual((await removeAbandonedStaging(backups)).sort(), [dead, oldLegacy, otherHostOld].sort());
    for (const kept of [live, freshLegacy, otherHostFresh, unrelated]) assert.ok(fs.existsSync(kept), `${kept} must be kept`);
  });

  it('backup cleans its output folder; restore cleans the data folder, the safety folder and the target', async () => {
    makeDatabase('main', 'data', { 'a.cursor': '{}' });
    fs.mkdirSync(backups, { recursive: true });
    const pid = deadPid();
    const inBackups = plant(backups, `.prontodb-backup-${pid}-${host}-aaaaaa`);
    await createBackup(layout, 'main', { outputDir: backups, now: NOW });
    assert.ok(!fs.existsSync(inBackups));

    const inData = plant(layout.dataDir, `.prontodb-restore-${pid}-${host}-bbbbbb`);
    fs.mkdirSync(safety, { recursive: true });
    const inSafety = plant(safety, `.prontodb-backup-${pid}-${host}-cccccc`);
    const dbFile = databaseFile(layout, 'main');
    const incoming = `${dbFile}.restore-0a1b2c3d.tmp`;
    fs.writeFileSync(incoming, 'half a database');
    const retired = path.join(layout.dataDir, 'main', 'cursors.old-0a1b2c3d');
    fs.mkdirSync(retired);
    const [archive] = await listBackups(backups);
    await restoreBackup(layout, archive!.file, { safetyDir: safety, now: NOW });
    for (const gone of [inData, inSafety, incoming, retired]) assert.ok(!fs.existsSync(gone), `${gone} should have been removed`);
    assert.equal(readSqlite(dbFile), 'data');
  });
});
