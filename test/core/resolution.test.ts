import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCursorFileName, validateCursorName, validateUserName } from '../../src/core/cursors';
import { isProntoError } from '../../src/core/errors';
import { databaseFile, layoutFromEnv, validateDatabaseName } from '../../src/core/paths';
import type { ProntoDB } from '../../src/core/pronto';
import { chooseBackupDirectory, chooseUser, commandLineSelection, type ResolvedTarget, type Selection, userNameFrom } from '../../src/core/resolution';
import { loadWorkdirConfig, lookUpWorkdir, parseWorkdirConfig, readWorkdirConfig, workdirPinsTarget } from '../../src/core/workdir';
import { makeTempHome, type TempHome } from '../helpers/tempHome';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isProntoError(error), `expected a ProntoError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

describe('paths', () => {
  it('follows the Rust CLI layout, XDG_DATA_HOME and PRONTO_DB', () => {
    const plain = layoutFromEnv({ HOME: '/h' });
    assert.equal(databaseFile(plain, 'main'), '/h/.local/data/odx/prontodb/main/pronto.main.prdb');
    assert.equal(plain.cursorCacheDir, '/h/.local/etc/prontodb');
    const xdg = layoutFromEnv({ HOME: '/h', XDG_DATA_HOME: '/x' });
    assert.equal(databaseFile(xdg, 'staging'), '/x/odx/prontodb/staging/pronto.staging.prdb');
    assert.equal(layoutFromEnv({ HOME: '/h', XDG_DATA_HOME: '${XDG_BROKEN' }).dataDir, '/h/.local/data/odx/prontodb');
    const override = layoutFromEnv({ HOME: '/h', PRONTO_DB: '/elsewhere/my.db' });
    assert.equal(databaseFile(override, 'main'), '/elsewhere/my.db');
    assert.equal(databaseFile(override, 'other'), '/h/.local/data/odx/prontodb/other/pronto.other.prdb');
  });

  it('refuses database names that could leave the data directory', () => {
    for (const bad of ['', '..', '.', '../x', 'a/b', 'a\\b', '.hidden', 'cursors', 'x'.repeat(65)]) {
      assert.throws(() => validateDatabaseName(bad), (error) => isProntoError(error, 'usage'), bad);
    }
    for (const good of ['main', 'staging-2', 'my_db', 'v1.2']) assert.equal(validateDatabaseName(good), good);
  });

  it('accepts user names such as test_user123 and refuses unsafe ones', () => {
    for (const good of ['default', 'alice', 'test_user123', 'bob-2']) assert.equal(validateUserName(good), good);
    for (const bad of ['', '1abc', 'a.b', 'a/b', 'x'.repeat(33)]) assert.throws(() => validateUserName(bad), /User name/);
    assert.throws(() => validateCursorName('a.b'), /Cursor name 'a\.b' is invalid/);
    assert.throws(() => validateCursorName('list'), /reserved/);
  });
});

describe('.prontodb files', () => {
  it('accepts the Rust CLI forms: a plain path and JSON maps', () => {
    const plain = parseWorkdirConfig('/w/.prontodb', 'data/my.prdb\n');
    assert.equal(plain.path, '/w/data/my.prdb');
    const json = parseWorkdirConfig('/w/.prontodb', JSON.stringify({ path: 'a.db', cursors: { dev: '/abs/dev.db' }, users: { alice: { dev: 'alice.db' } } }));
    assert.equal(json.path, '/w/a.db');
    assert.equal(json.cursors.dev, '/abs/dev.db');
    assert.equal(json.users.alice!.dev, '/w/alice.db');
  });

  it('accepts a database or cursor, a user and default project/namespace', () => {
    const config = parseWorkdirConfig('/w/.prontodb', '{"database":"staging","user":"alice","project":"app","namespace":"cfg"}');
    assert.deepEqual([config.database, config.user, config.project, config.namespace], ['staging', 'alice', 'app', 'cfg']);
  });

  it('reads every unusable .prontodb as one malformed-workdir error naming the file (issue 6 items 11, 17)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-workdir-'));
    try {
      const file = path.join(dir, '.prontodb');
      for (const content of ['[1,2]', 'null', '42', 'true', '{"database": 3}', '{', '', 'a\nb']) {
        fs.writeFileSync(file, content);
        assert.throws(
          () => readWorkdirConfig(file),
          (error: unknown) => isProntoError(error, 'malformed-workdir') && error.file === file && error.message.startsWith(`${file}: `),
          JSON.stringify(content),
        );
      }
      fs.writeFileSync(file, 'plain/path.prdb\n');
      assert.equal(readWorkdirConfig(file).path, path.join(dir, 'plain', 'path.prdb'));
      fs.rmSync(file);
      execFileSync('mkfifo', [file]);
      assert.throws(() => loadWorkdirConfig(dir), (error: unknown) => isProntoError(error, 'malformed-workdir') && error.file === file && /not a regular file/.test(error.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and the problem when malformed', () => {
    assert.match(usageMessage(() => parseWorkdirConfig('/w/.prontodb', '{"database": 3}')), /^\/w\/\.prontodb: 'database' must be a non-empty string/);
    assert.match(usageMessage(() => parseWorkdirConfig('/w/.prontodb', '{"databse": "x"}')), /unknown setting 'databse'/);
    assert.match(usageMessage(() => parseWorkdirConfig('/w/.prontodb', '{"database": "x", "path": "y"}')), /give only one of database, cursor or path/);
    assert.match(usageMessage(() => parseWorkdirConfig('/w/.prontodb', '{nope')), /is not valid JSON/);
    assert.match(usageMessage(() => parseWorkdirConfig('/w/.prontodb', '  ')), /is empty/);
  });
});

describe('cursors and resolution', () => {
  let temp: TempHome;
  beforeEach(() => {
    temp = makeTempHome();
  });
  afterEach(() => temp.cleanup());

  it('writes cursor files the Rust CLI reads, in its directories and key order', async () => {
    const pronto = temp.pronto();
    await pronto.cursors.set('work', 'default', { database: 'staging' }, { metaContext: 'acme' }, new Date('2025-09-10T20:00:00.123Z'));
    await pronto.cursors.set('work', 'alice', { path: 'rel/alice.db' });
    const data = pronto.layout.dataDir;
    const text = fs.readFileSync(path.join(data, 'staging', 'cursors', 'work.cursor'), 'utf8');
    assert.equal(
      text,
      JSON.stringify(
        { database_path: path.join(data, 'staging', 'pronto.staging.prdb'), default_project: null, default_namespace: null, meta_context: 'acme', created_at: '2025-09-10T20:00:00Z', user: 'default' },
        null,
        2,
      ),
    );
    const alice = JSON.parse(fs.readFileSync(path.join(data, 'alice', 'cursors', 'work.alice.cursor'), 'utf8'));
    assert.equal(alice.database_path, path.join(temp.home, 'rel', 'alice.db'), 'relative paths are resolved when set');
    assert.deepEqual(pronto.cursors.list('default').map((c) => c.name), ['work'], "alice's cursor is not the default user's");
    assert.deepEqual(pronto.cursors.list('alice').map((c) => [c.name, c.databasePath]), [['work', path.join(temp.home, 'rel', 'alice.db')]]);
  });

  it('renames and deletes cursors, carrying the selection along', async () => {
    const pronto = temp.pronto();
    await pronto.cursors.set('dev', 'bob', { database: 'devdb' }, { defaultProject: 'app' });
    await pronto.cursors.select('bob', 'dev');
    await pronto.cursors.rename('dev', 'development', 'bob');
    assert.equal(pronto.cursors.find('dev', 'bob'), undefined);
    assert.equal(pronto.cursors.find('development', 'bob')?.defaultProject, 'app');
    assert.equal(pronto.cursors.selection('bob'), 'development');
    await assert.rejects(pronto.cursors.rename('nope', 'x', 'bob'), /Cursor 'nope' not found for user 'bob'/);
    assert.equal(pronto.cursors.delete('development', 'bob'), true);
    assert.equal(pronto.cursors.delete('development', 'bob'), false);
  });

  it('resolves --database > --cursor > .prontodb > user selection > global selection > main', async () => {
    const pronto = temp.pronto();
    const nameOf = (selection = {}) => pronto.resolve(selection).databaseName;
    assert.equal(nameOf(), 'main');
    await pronto.cursors.select('default', 'globaldb');
    assert.equal(nameOf(), 'globaldb');
    assert.equal(nameOf({ user: 'alice' }), 'globaldb', 'a user without a selection falls back to the global one');
    await pronto.cursors.set('mine', 'alice', { database: 'alicedb' });
    await pronto.cursors.select('alice', 'mine');
    assert.equal(nameOf({ user: 'alice' }), 'alicedb');
    assert.equal(pronto.resolve({ user: 'alice' }).cursor?.name, 'mine');
    fs.writeFileSync(path.join(temp.home, '.prontodb'), '{"database":"workdb"}');
    assert.equal(nameOf({ user: 'alice' }), 'workdb');
    await pronto.cursors.set('c', 'alice', { database: 'cursordb' });
    assert.equal(nameOf({ user: 'alice', cursor: 'c' }), 'cursordb');
    assert.equal(nameOf({ user: 'alice', cursor: 'c', database: 'explicit' }), 'explicit');
    assert.throws(() => pronto.resolve({ cursor: 'missing' }), /Cursor 'missing' not found for user 'default'/);
    assert.equal(nameOf({ cursor: 'default' }), 'main', "the 'default' cursor means main");
  });

  it('finds .prontodb in an ancestor and takes user and defaults from it', async () => {
    const nested = path.join(temp.home, 'repo', 'src', 'deep');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(temp.home, 'repo', '.prontodb'), JSON.stringify({ cursor: 'proj', user: 'carol', project: 'app', namespace: 'cfg' }));
    const pronto = temp.pronto({ cwd: nested });
    assert.throws(() => pronto.resolve(), /cursor 'proj' not found for user 'carol'/);
    await pronto.cursors.set('proj', 'carol', { database: 'projdb' }, { metaContext: 'team' });
    const target = pronto.resolve();
    assert.deepEqual([target.databaseName, target.user, target.metaContext, target.defaultProject, target.defaultNamespace], ['projdb', 'carol', 'team', 'app', 'cfg']);
    const session = await pronto.open();
    await session.set('k', 'v');
    const unprefixed = await pronto.open({ database: 'projdb' });
    assert.deepEqual(await unprefixed.listPath(undefined), [], 'the row went to team.app, not app');
    assert.deepEqual(await unprefixed.projects(), ['team.app']);
    assert.equal((await session.get('app.cfg.k'))?.value, 'v');
  });

  it('keeps meta contexts strictly isolated in every operation', async () => {
    const pronto = temp.pronto();
    await pronto.cursors.set('acme', 'default', { database: 'shared' }, { metaContext: 'acme' });
    const meta = await pronto.open({ cursor: 'acme' });
    const plain = await pronto.open({ database: 'shared' });
    await plain.set('app.config.debug', 'plain');
    assert.equal(await meta.get('app.config.debug'), undefined, 'no fallback to unprefixed rows');
    await meta.set('app.config.debug', 'meta');
    await meta.createCache('app.cache', 60);
    await meta.set('app.cache.tmp', 't', { ttlSeconds: 5 });
    assert.equal((await meta.get('app.config.debug'))?.value, 'meta');
    assert.equal((await plain.get('app.config.debug'))?.value, 'plain');
    assert.deepEqual(await meta.projects(), ['app']);
    assert.deepEqual(await meta.namespaces('app'), ['cache', 'config']);
    assert.deepEqual((await meta.listPath('app.config')).map((e) => [e.project, e.value]), [['app', 'meta']]);
    assert.deepEqual((await meta.ttlNamespaces()).map((ns) => `${ns.project}.${ns.namespace}`), ['app.cache']);
    assert.deepEqual(await plain.projects(), ['acme.app', 'app']);
    const exported = await meta.exportEntries(undefined);
    assert.deepEqual(exported.entries.map((e) => `${e.project}.${e.namespace}.${e.key}`), ['app.cache.tmp', 'app.config.debug']);
    assert.equal(await meta.delete('app.config.debug'), true);
    assert.equal((await plain.get('app.config.debug'))?.value, 'plain');
  });

  it('isolates nested meta contexts exactly: meta a sees nothing of meta a.b (issue 6 item 8)', async () => {
    const pronto = temp.pronto();
    await pronto.cursors.set('outer', 'default', { database: 'shared' }, { metaContext: 'a' });
    await pronto.cursors.set('inner', 'default', { database: 'shared' }, { metaContext: 'a.b' });
    const outer = await pronto.open({ cursor: 'outer' });
    const inner = await pronto.open({ cursor: 'inner' });
    await inner.set('proj.ns.k', 'inner');
    await inner.createCache('proj.cache', 60);
    await outer.set('app.ns.k', 'outer');
    assert.deepEqual(await outer.projects(), ['app']);
    assert.deepEqual(await outer.ttlNamespaces(), []);
    assert.deepEqual((await outer.exportEntries(undefined)).entries.map((e) => e.project), ['app']);
    assert.deepEqual(await inner.projects(), ['proj']);
    // Under a meta context an imported project is a plain name; a dotted one would reach another meta.
    await assert.rejects(inner.importEntries([{ project: 'x.y', namespace: 'n', key: 'k', context: null, value: 'v', createdAt: 1, updatedAt: 1, expiresAt: null }], []), /project 'x\.y' cannot contain/);
  });

  it('refuses imported TTL namespaces that create-cache would refuse (issue 6 item 5)', async () => {
    const session = await temp.pronto().open({ database: 'ttl' });
    for (const defaultTtl of [0, -1, 2.5, Number.MAX_SAFE_INTEGER]) {
      await assert.rejects(session.importEntries([], [{ project: 'p', namespace: 'n', defaultTtl, createdAt: 1 }]), /default_ttl must be a whole number of seconds from 1/);
    }
    await assert.rejects(session.createCache('p.n', 0), /Timeout must be a whole number/);
    assert.deepEqual(await session.ttlNamespaces(), []);
  });

  it('opens each database through the store factory once per process, so another engine can plug in', async () => {
    const opened: string[] = [];
    const { SqlJsFileStore } = await import('../../src/core/fileStore');
    const { loadSqlJs } = await import('../../src/core/sqljs');
    const sql = await loadSqlJs();
    const pronto = temp.pronto({
      openStore: async (location) => {
        opened.push(location);
        return new SqlJsFileStore(location, sql);
      },
    });
    await (await pronto.open({ database: 'one' })).set('k', 'v');
    assert.equal((await (await pronto.open({ database: 'one' })).get('k'))?.value, 'v');
    await (await pronto.open({ database: 'two' })).get('k');
    assert.deepEqual(opened.map((file) => path.basename(file)), ['pronto.one.prdb', 'pronto.two.prdb']);
  });

  it('creates, lists and deletes databases', async () => {
    const pronto = temp.pronto();
    await pronto.createDatabase('alpha');
    await (await pronto.open({ database: 'beta' })).set('k', 'v');
    assert.deepEqual(pronto.listDatabases().map((db) => db.name), ['alpha', 'beta']);
    await assert.rejects(pronto.createDatabase('alpha'), /already exists/);
    await pronto.deleteDatabase('alpha');
    assert.deepEqual(pronto.listDatabases().map((db) => db.name), ['beta']);
    await assert.rejects(pronto.deleteDatabase('alpha'), /does not exist/);
    assert.throws(() => databaseFile(pronto.layout, '../escape'), /invalid/);
  });
});

describe('resolution in one place (issue 7 item 5)', () => {
  let temp: TempHome;
  beforeEach(() => {
    temp = makeTempHome();
  });
  afterEach(() => temp.cleanup());

  /** What the extension's service passes the core: its user rule's answer, its workspace-only choice, the .prontodb of its (trusted) folders. */
  function editorTarget(pronto: ProntoDB, editor: { userSetting?: string; chosenUser?: string; workspace?: Selection['workspace']; folders: string[] }): ResolvedTarget {
    const { config } = lookUpWorkdir(editor.folders);
    const user = chooseUser([editor.userSetting, editor.chosenUser], config);
    return pronto.resolve({ user, workspace: editor.workspace }, config);
  }

  /** What the command line passes: its flags and environment, with the .prontodb of its working directory. */
  function commandLineTarget(pronto: ProntoDB, flags: { database?: string; cursor?: string; user?: string }, env: Record<string, string>, cwd: string): ResolvedTarget {
    return pronto.resolve(commandLineSelection({ flags, env }), lookUpWorkdir([cwd]).config);
  }

  const essence = (target: ResolvedTarget) => [target.location, target.databaseName, target.cursor?.name, target.user, target.metaContext, target.origin, target.source];

  it('the command line and the editor get the same target from the same facts', async () => {
    const pronto = temp.pronto();
    await pronto.cursors.set('wk', 'alice', { database: 'alicedb' }, { metaContext: 'm' });
    await pronto.cursors.select('alice', 'wk');
    await pronto.cursors.select('default', 'globaldb');
    const folder = path.join(temp.home, 'repo');
    fs.mkdirSync(folder);

    // No flags, nothing pinned: the user's own selection, else the global one.
    assert.deepEqual(essence(editorTarget(pronto, { folders: [folder] })), essence(commandLineTarget(pronto, {}, {}, folder)));
    assert.equal(commandLineTarget(pronto, {}, {}, folder).databaseName, 'globaldb');
    const alice = essence(commandLineTarget(pronto, {}, { PRONTODB_USER: 'alice' }, folder));
    assert.deepEqual(essence(editorTarget(pronto, { userSetting: 'alice', folders: [folder] })), alice);
    assert.deepEqual(essence(editorTarget(pronto, { chosenUser: 'alice', folders: [folder] })), alice);
    assert.deepEqual(alice.slice(0, 6), [pronto.home.databaseLocation('alicedb'), 'alicedb', 'wk', 'alice', 'm', 'user-selection']);

    // A .prontodb that pins the folder: both find it from a subfolder, and it outranks a workspace-only choice.
    fs.writeFileSync(path.join(folder, '.prontodb'), JSON.stringify({ database: 'pinned', user: 'alice' }));
    const sub = path.join(folder, 'src');
    fs.mkdirSync(sub);
    const pinned = essence(commandLineTarget(pronto, {}, {}, sub));
    assert.deepEqual(pinned.slice(3, 6), ['alice', null, 'workdir']);
    assert.deepEqual(essence(editorTarget(pronto, { folders: [sub], workspace: { kind: 'database', name: 'globaldb' } })), pinned);
    // An untrusted workspace passes no folders: the .prontodb does not apply, as for a CLI run elsewhere.
    assert.deepEqual(essence(editorTarget(pronto, { folders: [] })), essence(commandLineTarget(pronto, {}, {}, temp.home)));
  });

  it("the editor's workspace-only choice ranks below a pinning .prontodb and above the selections; a missing one falls back with a notice", async () => {
    const pronto = temp.pronto();
    await pronto.createDatabase('here');
    await pronto.cursors.set('c', 'default', { database: 'cdb' });
    await pronto.cursors.select('default', 'here');
    const byDatabase = pronto.resolve({ workspace: { kind: 'database', name: 'here' } });
    assert.deepEqual([byDatabase.databaseName, byDatabase.origin, byDatabase.source], ['here', 'workspace-selection', "workspace selection (database 'here')"]);
    const byCursor = pronto.resolve({ workspace: { kind: 'cursor', name: 'c' } });
    assert.deepEqual([byCursor.cursor?.name, byCursor.origin, byCursor.source], ['c', 'workspace-selection', "workspace selection (cursor 'c')"]);
    for (const missing of [{ kind: 'database', name: 'elsewhere' }, { kind: 'cursor', name: 'gone' }] as const) {
      const fallback = pronto.resolve({ workspace: missing });
      assert.deepEqual([fallback.databaseName, fallback.origin], ['here', 'global-selection']);
      assert.equal(fallback.fallbackNotice, `The workspace selection names ${missing.kind} '${missing.name}', which does not exist on this machine; falling back.`);
    }
    assert.equal(pronto.resolve().fallbackNotice, undefined);
    assert.equal(pronto.resolve({ cursor: 'c', workspace: { kind: 'database', name: 'here' } }).origin, 'cursor', 'a --cursor flag outranks it');
    fs.writeFileSync(path.join(temp.home, '.prontodb'), '{"database":"pinned"}');
    const pinned = pronto.resolve({ workspace: { kind: 'database', name: 'here' } });
    assert.deepEqual([pinned.databaseName, pinned.origin, pinned.fallbackNotice], ['pinned', 'workdir', undefined], 'a .prontodb that names a target outranks it');
    fs.writeFileSync(path.join(temp.home, '.prontodb'), '{"user":"default","project":"p"}');
    assert.equal(pronto.resolve({ workspace: { kind: 'database', name: 'here' } }).origin, 'workspace-selection', 'one that only sets defaults does not');
  });

  it('chooses the user: given names in order, else the .prontodb, else default; the command line environment counts empty as unset', () => {
    const workdir = parseWorkdirConfig('/w/.prontodb', '{"user":"carol"}');
    assert.equal(chooseUser(['alice', 'bob'], workdir), 'alice');
    assert.equal(chooseUser([undefined, 'bob'], workdir), 'bob');
    assert.equal(chooseUser([undefined, undefined], workdir), 'carol');
    assert.equal(chooseUser([], undefined), 'default');
    assert.throws(() => chooseUser(['1bad'], workdir), /User name '1bad' is invalid/);
    assert.equal(userNameFrom(['1bad'], workdir), '1bad');
    assert.deepEqual(commandLineSelection({ flags: {}, env: { PRONTODB_USER: '', PRONTODB_DATABASE: '', PRONTODB_CURSOR: 'c' } }), { database: undefined, databasePath: undefined, cursor: 'c', user: undefined });
    assert.deepEqual(commandLineSelection({ flags: { user: 'u', database: 'd' }, env: { PRONTODB_USER: 'e', PRONTODB_CURSOR: 'c' } }), { database: 'd', cursor: undefined, user: 'u' }, 'a flag that picks a target ignores the environment');
  });

  it('decides the backup directory once: given folder, else PRONTODB_BACKUP_DIR, else the default; relative to the cwd', () => {
    const env = { HOME: '/home/u' };
    assert.equal(chooseBackupDirectory({ env, cwd: '/w' }), '/home/u/repos/zindex/cache/backup');
    assert.equal(chooseBackupDirectory({ env: { ...env, PRONTODB_BACKUP_DIR: '' }, cwd: '/w' }), '/home/u/repos/zindex/cache/backup', 'empty counts as unset');
    assert.equal(chooseBackupDirectory({ env: { ...env, PRONTODB_BACKUP_DIR: 'bk' }, cwd: '/w' }), '/w/bk');
    assert.equal(chooseBackupDirectory({ given: 'out', env: { ...env, PRONTODB_BACKUP_DIR: '/b' }, cwd: '/w' }), '/w/out');
    const pronto = temp.pronto({ cwd: '/somewhere' });
    assert.equal(pronto.backupDirectory(), path.join(temp.home, 'repos', 'zindex', 'cache', 'backup'));
    assert.equal(pronto.backupDirectory('rel'), '/somewhere/rel');
  });

  it('knows the users that have cursors or selections, from the cursor file names parsed in one place', async () => {
    const pronto = temp.pronto();
    assert.deepEqual(pronto.knownUsers(), ['default']);
    await pronto.cursors.set('a', 'bob', { database: 'x' });
    await pronto.cursors.select('carol', 'x');
    const legacy = path.join(pronto.layout.dataDir, 'cursors');
    fs.mkdirSync(legacy, { recursive: true });
    fs.writeFileSync(path.join(legacy, 'old.dave.cursor'), '{}');
    fs.writeFileSync(path.join(pronto.layout.cursorCacheDir, 'cursor_not valid'), 'x');
    assert.deepEqual(pronto.knownUsers(), ['bob', 'carol', 'dave', 'default']);
    assert.deepEqual(parseCursorFileName('a.bob.cursor'), { name: 'a', user: 'bob' });
    assert.deepEqual(parseCursorFileName('a.cursor'), { name: 'a', user: 'default' });
    assert.equal(parseCursorFileName('a.b.c.cursor'), undefined);
    assert.equal(parseCursorFileName('a.cursor.tmp'), undefined);
  });

  it('looks up the .prontodb in effect: the first folder with one decides; a malformed one is reported with its file', () => {
    const one = path.join(temp.home, 'one');
    const two = path.join(temp.home, 'two');
    fs.mkdirSync(one);
    fs.mkdirSync(two);
    assert.deepEqual(lookUpWorkdir([one, two]), {});
    fs.writeFileSync(path.join(two, '.prontodb'), '{"database":"b"}');
    assert.equal(lookUpWorkdir([one, two]).config?.database, 'b');
    fs.writeFileSync(path.join(one, '.prontodb'), '{"database": 3}');
    const bad = lookUpWorkdir([one, two]);
    assert.equal(bad.file, path.join(one, '.prontodb'));
    assert.ok(isProntoError(bad.error, 'malformed-workdir'));
    assert.deepEqual(lookUpWorkdir([]), {});
  });

  it('says whether a .prontodb pins the target for a user, the same test resolution applies', () => {
    const parse = (json: object) => parseWorkdirConfig('/w/.prontodb', JSON.stringify(json));
    assert.equal(workdirPinsTarget(parse({ user: 'alice', project: 'p' }), 'alice'), false);
    for (const json of [{ database: 'd' }, { cursor: 'c' }, { path: 'x.prdb' }, { cursors: { default: 'x.prdb' } }]) assert.equal(workdirPinsTarget(parse(json), 'alice'), true, JSON.stringify(json));
    const perUser = parse({ users: { bob: { default: 'b.prdb' } } });
    assert.equal(workdirPinsTarget(perUser, 'bob'), true);
    assert.equal(workdirPinsTarget(perUser, 'alice'), false);
  });
});
