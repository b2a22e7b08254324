import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, BackupRequest, BackupResult, DatabaseInfo, RestoreRequest, RestoreResult } from '../../src/core/backend';
import { BackendRegistry } from '../../src/core/backend';
import { isProntoError, ProntoError } from '../../src/core/errors';
import { SqlJsFileBackend } from '../../src/core/fileBackend';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { displayLocation, isUrlLocation, locationScheme, locationStem, resolveLocation } from '../../src/core/location';
import { lockPathFor } from '../../src/core/lock';
import { layoutFromEnv } from '../../src/core/paths';
import { loadSqlJs } from '../../src/core/sqljs';
import type { KvStore } from '../../src/core/store';
import { parseWorkdirConfig } from '../../src/core/workdir';
import { allowWorkdir } from '../../src/core/workdirTrust';
import { Sandbox } from '../helpers/cliHarness';
import { makeTempHome, type TempHome } from '../helpers/tempHome';

/** A scheme no backend of this build serves (postgres:// has one: src/core/postgres/). */
const NO_BACKEND = /^No backend for mysql:\/\/ locations in this build: /;

/**
 * A backend for `memtest://<name>` URLs, for routing tests only: each URL's data is a sql.js file in
 * a temp folder. It records the locations it was asked to open, as a server backend would get them.
 */
class MemtestBackend implements Backend {
  readonly scheme = 'memtest';
  readonly title = 'test backend';
  readonly opened: string[] = [];

  constructor(private readonly folder: string) {}

  handles(location: string): boolean {
    return locationScheme(location) === 'memtest';
  }
  canonical(location: string): string {
    return location;
  }
  describeLocation(location: string): string {
    return displayLocation(location);
  }
  checkUsable(): void {}
  canObserve(): boolean {
    return true;
  }
  async openStore(location: string): Promise<KvStore> {
    this.opened.push(location);
    return new SqlJsFileStore(path.join(this.folder, `${locationStem(location)}.prdb`), await loadSqlJs());
  }
  async exists(location: string): Promise<boolean> {
    return fs.existsSync(path.join(this.folder, `${locationStem(location)}.prdb`));
  }
  databaseLocation(name: string): string {
    return `memtest://box/${name}`;
  }
  databaseName(): string | undefined {
    return undefined;
  }
  async listDatabases(): Promise<DatabaseInfo[]> {
    return [];
  }
  async prepareDatabase(name: string): Promise<string> {
    return this.databaseLocation(name);
  }
  async deleteDatabase(): Promise<void> {}
  backup(_name: string, _request: BackupRequest): Promise<BackupResult> {
    throw new Error('not part of this test');
  }
  restore(_file: string, _request: RestoreRequest): Promise<RestoreResult> {
    throw new Error('not part of this test');
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

describe('locations', () => {
  it('tells a file path from a URL; a Windows drive is a path', () => {
    assert.equal(locationScheme('postgres://u@h:5432/team'), 'postgres');
    assert.equal(locationScheme('Postgres://h/db'), 'postgres');
    for (const filePath of ['/a/b.prdb', 'rel/x.prdb', './postgres://x', 'C://x', 'C:/x', 'a:b']) assert.equal(locationScheme(filePath), undefined, filePath);
    assert.equal(isUrlLocation('memtest://box/a'), true);
  });

  it('resolves paths against a base, keeps URLs exactly as given, reads file:// as its path', () => {
    assert.equal(resolveLocation('rel/x.prdb', '/base'), '/base/rel/x.prdb');
    assert.equal(resolveLocation('/abs/x.prdb', '/base'), '/abs/x.prdb');
    assert.equal(resolveLocation('postgres://u:p@h/db?ssl=1', '/base'), 'postgres://u:p@h/db?ssl=1');
    assert.equal(resolveLocation(pathToFileURL('/abs/my db.prdb').href, '/base'), '/abs/my db.prdb');
  });

  it('shows a URL without its password, and names a stem for filing cursors', () => {
    assert.equal(displayLocation('postgres://alice:s3cret@h/db'), 'postgres://alice:***@h/db');
    assert.equal(displayLocation('postgres://h/db'), 'postgres://h/db');
    assert.equal(displayLocation('/a/b:c@d'), '/a/b:c@d');
    assert.equal(locationStem('postgres://u@h:5432/team?x=1'), 'team');
    assert.equal(locationStem('postgres://u@h:5432'), 'h');
    assert.equal(locationStem('/x/pronto.notes.prdb'), 'pronto.notes');
  });
});

describe('backends', () => {
  let temp: TempHome;
  beforeEach(() => {
    temp = makeTempHome();
  });
  afterEach(() => temp.cleanup());

  it('sends paths and file:// URLs to the file backend and refuses a scheme no backend serves', () => {
    const pronto = temp.pronto();
    assert.equal(pronto.backendFor('/x/y.prdb'), pronto.home);
    assert.equal(pronto.backendFor(pathToFileURL('/x/y.prdb').href), pronto.home);
    assert.equal(pronto.canonicalLocation(pathToFileURL('/x/y.prdb').href), '/x/y.prdb');
    assert.equal(pronto.canonicalLocation('mysql://h/db'), 'mysql://h/db', 'an unknown kind compares as given');
    assert.throws(
      () => pronto.backendFor('mysql://alice:pw@h/db', 'cursor \'team\''),
      (error: unknown) =>
        isProntoError(error, 'usage') &&
        error.message === "No backend for mysql:// locations in this build: cursor 'team' names mysql://alice:***@h/db (this build opens postgres:// URLs, file paths)",
    );
    const registry = new BackendRegistry([new MemtestBackend(temp.home), new SqlJsFileBackend(pronto.layout)]);
    assert.match(
      (() => {
        try {
          registry.forLocation('redis://h');
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      })(),
      /^No backend for redis:\/\/ locations in this build: cannot open redis:\/\/h \(this build opens memtest:\/\/ URLs, file paths\)$/,
    );
  });

  it('a store that failed to open is not remembered: the next call opens it again', async () => {
    let attempts = 0;
    const real = new SqlJsFileBackend(temp.pronto().layout);
    const pronto = temp.pronto({
      openStore: (location) => {
        attempts++;
        return attempts === 1 ? Promise.reject(new ProntoError('io', 'the server is down')) : real.openStore(location);
      },
    });
    const location = path.join(temp.home, 'flaky.prdb');
    await assert.rejects(pronto.store(location), /the server is down/);
    const store = await pronto.store(location);
    await store.set({ project: 'p', namespace: 'n', key: 'k', context: null }, 'v');
    assert.equal(attempts, 2);
    assert.equal(await pronto.store(location), store, 'a store that opened is kept');
    await pronto.close();
  });

  it('opening a URL of an unknown scheme fails with that error and creates nothing', async () => {
    const pronto = temp.pronto();
    const before = fs.readdirSync(temp.home);
    const error = await rejection(pronto.open({ databasePath: 'mysql://h/db' }));
    assert.ok(isProntoError(error, 'usage'));
    assert.match(error.message, NO_BACKEND);
    assert.match(error.message, /database path names mysql:\/\/h\/db/);
    assert.match((await rejection(pronto.store('mysql://h/db'))).message, NO_BACKEND);
    assert.deepEqual(fs.readdirSync(temp.home), before, 'no folder named after the URL (the old path.resolve made <cwd>/mysql:)');
  });

  it('cursors and .prontodb may name a URL: kept as given, refused clearly when this build cannot open it', async () => {
    const pronto = temp.pronto();
    // A cursor file another build wrote (the Rust CLI's fields and order), naming a server database.
    const cursorDir = path.join(pronto.layout.dataDir, 'team', 'cursors');
    fs.mkdirSync(cursorDir, { recursive: true });
    const json = { database_path: 'mysql://h/team', default_project: null, default_namespace: null, meta_context: 'acme', created_at: '2026-01-01T00:00:00Z', user: 'default' };
    fs.writeFileSync(path.join(cursorDir, 'team.cursor'), JSON.stringify(json, null, 2));
    const cursor = pronto.cursors.find('team', 'default')!;
    assert.equal(cursor.location, 'mysql://h/team');
    assert.equal(cursor.databaseName, undefined);
    const target = pronto.resolve({ cursor: 'team' });
    assert.deepEqual([target.location, target.metaContext, target.databaseName], ['mysql://h/team', 'acme', undefined]);
    assert.match((await rejection(pronto.open({ cursor: 'team' }))).message, /^No backend for mysql:\/\/ locations in this build: cursor 'team' names mysql:\/\/h\/team/);

    // Writing such a cursor in this build is refused, and nothing is written.
    const error = await rejection(pronto.cursors.set('other', 'default', { path: 'mysql://h/other' }));
    assert.match(error.message, NO_BACKEND);
    assert.equal(pronto.cursors.find('other', 'default'), undefined);

    // .prontodb: a plain URL, `path`, and the cursor maps.
    assert.equal(parseWorkdirConfig('/w/.prontodb', 'mysql://h/pinned\n').path, 'mysql://h/pinned');
    const mapped = parseWorkdirConfig('/w/.prontodb', JSON.stringify({ cursors: { dev: 'mysql://h/dev' }, users: { alice: { dev: 'rel.prdb' } } }));
    assert.deepEqual([mapped.cursors.dev, mapped.users.alice!.dev], ['mysql://h/dev', '/w/rel.prdb']);
    fs.writeFileSync(path.join(temp.home, '.prontodb'), '{"path": "mysql://h/pinned"}');
    // A .prontodb naming a server counts once allowed (workdirTrust.ts; test/cli/trust.test.ts).
    await allowWorkdir(temp.home, pronto.layout);
    const pinned = pronto.resolve();
    assert.deepEqual([pinned.location, pinned.origin], ['mysql://h/pinned', 'workdir']);
    assert.match((await rejection(pronto.open())).message, new RegExp(`^No backend for mysql://.*: \\.prontodb at ${temp.home} names mysql://h/pinned`));
  });

  it('a backend registered for a scheme gets its URLs as given, one store per location, beside the file backend', async () => {
    const backend = new MemtestBackend(temp.home);
    const pronto = temp.pronto({ backends: [backend] });
    const cursor = await pronto.cursors.set('team', 'alice', { location: 'memtest://box/team' });
    assert.equal(cursor.location, 'memtest://box/team');
    const written = JSON.parse(fs.readFileSync(path.join(pronto.layout.dataDir, 'team', 'cursors', 'team.alice.cursor'), 'utf8'));
    assert.equal(written.database_path, 'memtest://box/team', 'the cursor file keeps the URL');

    const session = await pronto.open({ cursor: 'team', user: 'alice' });
    await session.set('p.n.k', 'over memtest');
    assert.equal((await (await pronto.open({ cursor: 'team', user: 'alice' })).get('p.n.k'))?.value, 'over memtest');
    assert.deepEqual(backend.opened, ['memtest://box/team'], 'opened once, with the URL as written');

    fs.writeFileSync(path.join(temp.home, '.prontodb'), 'memtest://box/pinned');
    await allowWorkdir(temp.home, pronto.layout);
    await (await pronto.open()).set('p.n.k', 'pinned');
    assert.deepEqual(backend.opened, ['memtest://box/team', 'memtest://box/pinned']);

    await (await pronto.open({ database: 'local' })).set('p.n.k', 'file');
    assert.equal(backend.opened.length, 2, 'a named database still goes to the file backend');
    assert.ok(fs.existsSync(pronto.home.databaseLocation('local')));
  });

  it('the file backend removes a deleted database with its sidecars, lock and folder', async () => {
    // PRONTO_DB puts main's file outside the data directory: only the file backend's own list of
    // what lives beside a database file removes those.
    const elsewhere = path.join(temp.home, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const pronto = temp.pronto({ layout: { ...layoutFromEnv(temp.env), mainDatabaseOverride: path.join(elsewhere, 'my.db') } });
    for (const name of ['gone', 'main']) {
      const info = await pronto.createDatabase(name);
      assert.equal(info.location, pronto.home.databaseLocation(name));
      assert.equal(info.file, info.location);
      for (const suffix of ['-wal', '-shm', '-journal']) fs.writeFileSync(info.location + suffix, '');
      fs.mkdirSync(lockPathFor(info.location), { recursive: true });
      await pronto.deleteDatabase(name);
      for (const suffix of ['', '-wal', '-shm', '-journal']) assert.equal(fs.existsSync(info.location + suffix), false, `${name}${suffix}`);
      assert.equal(fs.existsSync(lockPathFor(info.location)), false);
    }
    assert.equal(fs.existsSync(path.join(pronto.layout.dataDir, 'gone')), false);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    assert.deepEqual(await pronto.home.listDatabases(), []);
  });

  it('backs up and restores a named database through its backend', async () => {
    const pronto = temp.pronto();
    const session = await pronto.open({ database: 'notes' });
    await session.set('p.n.k', 'before');
    const backupDir = path.join(temp.home, 'backups');
    const made = await pronto.backupDatabase('notes', { outputDir: backupDir });
    assert.equal(path.dirname(made.file), backupDir);
    assert.deepEqual(made.files, ['notes/pronto.notes.prdb']);
    await session.set('p.n.k', 'after');
    const restored = await pronto.restoreDatabase(made.file, { safetyDir: backupDir });
    assert.equal(restored.database, 'notes');
    assert.ok(restored.safetyCopy && fs.existsSync(restored.safetyCopy));
    const fresh = temp.pronto();
    assert.equal((await (await fresh.open({ database: 'notes' })).get('p.n.k'))?.value, 'before');
  });

  it('reads the Rust CLI cursor files for file targets exactly as before', () => {
    const pronto = temp.pronto();
    const dataFile = pronto.home.databaseLocation('staging');
    const dir = path.join(pronto.layout.dataDir, 'staging', 'cursors');
    fs.mkdirSync(dir, { recursive: true });
    const rust = (databasePath: string) => JSON.stringify({ database_path: databasePath, default_project: 'app', default_namespace: null, meta_context: null, created_at: '2025-09-10T20:00:00Z', user: 'default' }, null, 2);
    fs.writeFileSync(path.join(dir, 'abs.cursor'), rust(dataFile));
    fs.writeFileSync(path.join(dir, 'rel.cursor'), rust('some/rel.prdb'));
    const abs = pronto.cursors.find('abs', 'default')!;
    assert.deepEqual([abs.location, abs.databasePath, abs.databaseName, abs.defaultProject], [dataFile, dataFile, 'staging', 'app']);
    const rel = pronto.cursors.find('rel', 'default')!;
    // The Rust CLI stored relative paths verbatim, meaning "relative to where you run it".
    assert.deepEqual([rel.location, rel.databasePath, rel.databaseName], [path.resolve('some/rel.prdb'), path.resolve('some/rel.prdb'), undefined]);
    const target = pronto.resolve({ cursor: 'abs' });
    assert.deepEqual([target.location, target.file, target.databaseName, target.defaultProject], [dataFile, dataFile, 'staging', 'app']);
  });

  it('the command line refuses a cursor or PRONTODB_DATABASE_PATH naming mysql:// in one line, exit 1', async () => {
    const sandbox = new Sandbox();
    try {
      const cursorDir = path.join(sandbox.dataDir, 'team', 'cursors');
      fs.mkdirSync(cursorDir, { recursive: true });
      fs.writeFileSync(path.join(cursorDir, 'team.cursor'), JSON.stringify({ database_path: 'mysql://bob:pw@h/team', default_project: null, default_namespace: null, meta_context: null, created_at: '', user: 'default' }));
      const viaCursor = await sandbox.fails(['--cursor', 'team', 'get', 'k']);
      assert.equal(viaCursor, "Error: No backend for mysql:// locations in this build: cursor 'team' names mysql://bob:***@h/team (this build opens postgres:// URLs, file paths)\n");
      const viaEnv = await sandbox.fails(['set', 'k', 'v'], { env: { PRONTODB_DATABASE_PATH: 'mysql://h/db' } });
      assert.match(viaEnv, /^Error: No backend for mysql:\/\/ locations in this build: database path names mysql:\/\/h\/db/);
      assert.equal(fs.readdirSync(sandbox.root).includes('mysql:'), false);
    } finally {
      sandbox.cleanup();
    }
  });
});
