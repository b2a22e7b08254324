// A .prontodb at the workspace folder root overrides the editor's selections, live (file watcher).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clearSelections, dirs, ensureWorkAndPlay, getApi, poll, withStubs } from './helpers';

describe('.prontodb override', () => {
  const file = () => path.join(dirs.workspace, '.prontodb');
  before(async () => {
    await clearSelections();
    await ensureWorkAndPlay();
  });
  afterEach(async () => {
    fs.rmSync(file(), { force: true });
    await clearSelections();
  });

  it('a .prontodb written at the workspace root takes over within a second and beats both selections; removing it restores them', async () => {
    const { service, statusBar, terminalEnvironment } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await service.select({ kind: 'database', name: 'main' }, 'workspace');
    await poll('the status bar to show main', () => statusBar.text.includes('main'));
    assert.equal(service.target().databaseName, 'main');
    assert.match(service.target().source, /^workspace selection/, 'the workspace selection beats the global one');

    const written = Date.now();
    fs.writeFileSync(file(), JSON.stringify({ database: 'play', project: 'app', namespace: 'config' }));
    // The status bar and the terminal environment only change when the watcher reports the file.
    await poll('the status bar to follow .prontodb', () => statusBar.text.includes('play'));
    const followedMs = Date.now() - written;
    console.log(`      .prontodb followed in ${followedMs} ms`);
    await poll('the terminal environment to follow .prontodb', () => terminalEnvironment.get('PRONTODB_DATABASE')?.value === 'play');
    const target = service.target();
    assert.equal(target.databaseName, 'play');
    assert.equal(target.source, `.prontodb at ${dirs.workspace}`);
    assert.equal(target.defaultProject, 'app');
    // Its default project/namespace apply to short addresses.
    assert.equal((await (await service.session()).get('who'))?.value, 'play');
    assert.ok(followedMs < 3000, `took ${followedMs} ms`);

    const removed = Date.now();
    fs.rmSync(file());
    await poll('the status bar to drop .prontodb', () => statusBar.text.includes('main'));
    console.log(`      removal followed in ${Date.now() - removed} ms`);
    assert.equal(service.target().databaseName, 'main');
    assert.match(service.target().source, /^workspace selection/);
  });

  it('follows an edit of the .prontodb (plain path form, then a cursor)', async () => {
    const { service, statusBar } = await getApi();
    fs.writeFileSync(file(), `${path.join(dirs.data, 'work', 'pronto.work.prdb')}\n`);
    await poll('the status bar to show work', () => statusBar.text.includes('work'));
    assert.equal(service.target().databaseName, 'work');
    fs.writeFileSync(file(), JSON.stringify({ cursor: 'pl' }));
    await poll('the status bar to show the cursor pl', () => /\bpl\b/.test(statusBar.text));
    assert.equal(service.target().cursor?.name, 'pl');
  });

  it('an invalid .prontodb is reported and ignored', async () => {
    const { service, statusBar } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      fs.writeFileSync(file(), '{ "database": "play", "colour": "red" }');
      await poll('the warning about .prontodb', () => stubs.messages('showWarningMessage').some((m) => /unknown setting 'colour'/.test(m)));
      assert.equal(service.target().cursor?.name, 'wk');
      assert.match(statusBar.text, /wk/);
    });
  });
});
