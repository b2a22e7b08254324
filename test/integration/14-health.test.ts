// Issue 9 in the editor: the active database's status in the status bar's tooltip, a mark on
// databases whose health check finds errors, Run Health Check (with Fix), Migrate and Compact, the
// once-per-session migration notice, and the audit log: turning it on and Show History with a diff.
// Rust-made files come from the system sqlite3 running the Rust CLI's own statements.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DoctorReport } from '../../src/core/health/doctor';
import type { MigrateResult } from '../../src/core/health/migrate';
import { LATEST_SCHEMA_VERSION } from '../../src/core/migrations';
import { SCHEMA_SQL } from '../../src/core/schema';
import { cliGet, cliOk, closeAllEditors, dirs, getApi, nodeAt, poll, standalone, withStubs } from './helpers';

function sqlite3(file: string, sql: string): string {
  const result = spawnSync('sqlite3', [file], { input: sql, encoding: 'utf8' });
  assert.equal(result.status, 0, `sqlite3 ${file}: ${result.stderr}`);
  return result.stdout.trim();
}

function databaseFile(name: string): string {
  return path.join(dirs.data, name, `pronto.${name}.prdb`);
}

/** The Rust CLI's write (spec §4.4): its INSERT OR REPLACE adds a row per set of a context-less key. */
function rustSet(file: string, key: string, value: string, at: number): void {
  sqlite3(file, `INSERT OR REPLACE INTO kv (project, namespace, key, context, value, created_at, updated_at, expires_at) VALUES ('app','cfg','${key}',NULL,'${value}',${at},${at},NULL);`);
}

/** A database as the Rust CLI leaves it: its DDL in WAL mode, app.cfg.mode set three times (three rows), and others. */
function rustDatabase(name: string): string {
  const file = databaseFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  sqlite3(file, `PRAGMA journal_mode=WAL;\n${SCHEMA_SQL}`);
  for (const [value, at] of [['v1', 100], ['v2', 200], ['v3', 300]] as const) rustSet(file, 'mode', value, at);
  rustSet(file, 'other', 'x', 150);
  sqlite3(file, "INSERT OR REPLACE INTO kv VALUES ('app','cfg','mode','prod','p1',100,100,NULL);");
  return file;
}

const modeRows = (file: string) => sqlite3(file, "SELECT count(*) FROM kv WHERE key = 'mode' AND context IS NULL;");

/** Every value of a database as the CLI exports it (the newest row of each address). */
async function exportValues(database: string): Promise<unknown> {
  const out = path.join(dirs.scratch, `${database}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  await cliOk(['--database', database, 'export', '--output', out]);
  const { entries } = JSON.parse(fs.readFileSync(out, 'utf8')) as { entries: Array<Record<string, unknown>> };
  return entries.map(({ project, namespace, key, context, value }) => ({ project, namespace, key, context, value }));
}

/** Lines the extension writes to its log ("ProntoDB" output channel) while `body` runs. */
async function capturingLog<T>(body: (lines: string[]) => Promise<T>): Promise<T> {
  const { service } = await getApi();
  const log = service.log as unknown as Record<'info' | 'warn' | 'error', (message: string) => void>;
  const originals = { info: log.info, warn: log.warn, error: log.error };
  const lines: string[] = [];
  for (const level of ['info', 'warn', 'error'] as const) {
    log[level] = (message: string) => {
      lines.push(`${level}: ${message}`);
      originals[level].call(service.log, message);
    };
  }
  try {
    return await body(lines);
  } finally {
    Object.assign(log, originals);
  }
}

type ModalCall = { message: string; detail?: string };

/** Modal confirmations (recorded, answered `answer`); other messages recorded and answered by `notice`. */
function answering(stubs: Parameters<Parameters<typeof withStubs>[0]>[0], modal: ModalCall[], answer: string | undefined, notice: (message: string, items: string[]) => string | undefined = () => undefined) {
  const reply = async (message: string, ...rest: unknown[]) => {
    const [options] = rest;
    if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) {
      modal.push({ message, detail: (options as vscode.MessageOptions).detail });
      return answer;
    }
    return notice(message, rest.filter((item): item is string => typeof item === 'string'));
  };
  stubs.stub('showWarningMessage', reply).stub('showInformationMessage', reply).stub('showErrorMessage', reply);
}

function tooltipText(item: vscode.StatusBarItem): string {
  const tooltip = item.tooltip;
  return typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '';
}

describe('health and history in VS Code (issue 9)', () => {
  standalone('14-health');
  afterEach(closeAllEditors);

  it('Run Health Check reports the Rust duplicates and the pending migration in the log and a summary; Fix repairs them, no value lost', async function () {
    this.timeout(60000);
    const file = rustDatabase('rusty');
    const before = await exportValues('rusty');
    const modal: ModalCall[] = [];
    const notices: Array<{ message: string; items: string[] }> = [];
    const { report, lines } = await withStubs(
      (s) => answering(s, modal, 'Fix', (message, items) => {
        notices.push({ message, items });
        return items.includes('Fix…') ? 'Fix…' : undefined;
      }),
      () => capturingLog(async (lines) => ({ report: await vscode.commands.executeCommand<DoctorReport>('prontodb.healthCheck', await nodeAt('rusty')), lines })),
    );
    // The summary names what was found and offers the fix.
    assert.match(notices[0]!.message, /health check of 'rusty': .*warnings? \(.*duplicates.*migration/);
    assert.deepEqual(notices[0]!.items, ['Fix…', 'Open Log']);
    // The log has doctor's lines: one per check, the finding with its count.
    assert.ok(lines.some((line) => /^warn: +warn +duplicates +2 extra rows for context-less addresses/.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /^info: +ok +integrity +integrity_check: ok/.test(line)), lines.join('\n'));
    // Fix asks first, listing the fixes.
    assert.equal(modal.length, 1);
    assert.match(modal[0]!.message, /Apply \d+ fixes to 'rusty'\?/);
    assert.match(modal[0]!.detail!, /duplicates: keep the newest row of each address/);
    assert.match(modal[0]!.detail!, /migration: migrate \(after a safety backup\)/);
    // ... and repaired: the fixed report, the file, and every value as it was.
    assert.ok(report, 'the command returns the report after the fix');
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    assert.equal(byName.duplicates!.fixed, true);
    assert.equal(byName.migration!.fixed, true);
    assert.equal(modeRows(file), '1');
    assert.equal(sqlite3(file, 'PRAGMA integrity_check;'), 'ok');
    assert.equal(sqlite3(file, 'PRAGMA user_version;'), String(LATEST_SCHEMA_VERSION));
    assert.deepEqual(await exportValues('rusty'), before);
    assert.match(notices[1]!.message, /'rusty': fixed .*duplicates.*migration/);
  });

  it('Migrate Database shows the dry-run steps and changes nothing unless confirmed; confirmed, it migrates after a safety backup, no value lost', async function () {
    this.timeout(60000);
    const file = rustDatabase('legacy');
    const before = await exportValues('legacy');
    const modal: ModalCall[] = [];
    const declined = await withStubs((s) => answering(s, modal, undefined), async () => vscode.commands.executeCommand('prontodb.migrateDatabase', await nodeAt('legacy')));
    assert.equal(declined, undefined);
    assert.equal(modal.length, 1);
    assert.equal(modal[0]!.message, `Migrate 'legacy' from schema version 0 to ${LATEST_SCHEMA_VERSION}?`);
    assert.match(modal[0]!.detail!, /collapse-duplicates: .*\(2 rows\)/);
    assert.match(modal[0]!.detail!, /A safety backup is taken first/);
    assert.equal(sqlite3(file, 'PRAGMA user_version;'), '0', 'declined: not migrated');
    assert.equal(modeRows(file), '3');

    const infos: string[] = [];
    const result = await withStubs(
      (s) => answering(s, modal, 'Migrate', (message) => {
        infos.push(message);
        return undefined;
      }),
      async () => vscode.commands.executeCommand<MigrateResult>('prontodb.migrateDatabase', await nodeAt('legacy')),
    );
    assert.ok(result?.safetyBackup && fs.existsSync(result.safetyBackup), `safety backup: ${result?.safetyBackup}`);
    assert.ok(result.safetyBackup.startsWith(dirs.backups));
    assert.equal(sqlite3(file, 'PRAGMA user_version;'), String(LATEST_SCHEMA_VERSION));
    assert.equal(modeRows(file), '1');
    assert.equal(sqlite3(file, 'PRAGMA integrity_check;'), 'ok');
    assert.deepEqual(await exportValues('legacy'), before);
    assert.match(infos.join('\n'), new RegExp(`migrated 'legacy' to schema version ${LATEST_SCHEMA_VERSION}`));
    // The Rust CLI's own statement no longer adds a row.
    rustSet(file, 'mode', 'v4', 400);
    assert.equal(modeRows(file), '1');
  });

  it('Compact Database gives free pages back', async function () {
    this.timeout(60000);
    const { service } = await getApi();
    await cliOk(['db', 'create', 'cmp']);
    const session = await service.session({ database: 'cmp' });
    await Promise.all(Array.from({ length: 200 }, (_, index) => session.set(`junk.big.k${index}`, 'x'.repeat(4000))));
    await session.set('keep.me.k', 'kept');
    await session.deleteScope('junk');
    const file = databaseFile('cmp');
    assert.ok(Number(sqlite3(file, 'PRAGMA freelist_count;')) > 100, 'free pages to give back');
    const infos: string[] = [];
    const result = await withStubs(
      (s) => answering(s, [], undefined, (message) => {
        infos.push(message);
        return undefined;
      }),
      async () => vscode.commands.executeCommand<{ before: number; after: number }>('prontodb.compactDatabase', await nodeAt('cmp')),
    );
    assert.ok(result && result.after < result.before / 4, JSON.stringify(result));
    assert.equal(sqlite3(file, 'PRAGMA freelist_count;'), '0');
    assert.equal(fs.statSync(file).size, result.after);
    assert.equal(await cliGet('keep.me.k', ['--database', 'cmp']), 'kept');
    assert.match(infos.join('\n'), /compacted 'cmp': \d+ KB → \d+ KB/);
  });

  it('the status bar tooltip shows the active database\'s status, refreshed when another process writes', async function () {
    this.timeout(60000);
    const { service, statusBar } = await getApi();
    await cliOk(['db', 'create', 'stat']);
    await cliOk(['--database', 'stat', 'set', 'shop.items.apple', 'red']);
    await cliOk(['--database', 'stat', 'set', 'shop.items.pear', 'green']);
    await cliOk(['--database', 'stat', 'backup']);
    await service.select({ kind: 'database', name: 'stat' }, 'global');
    const shows = (...parts: string[]) => () => {
      const text = tooltipText(statusBar);
      return parts.every((part) => text.includes(part)) ? text : undefined;
    };
    const text = await poll('the status in the tooltip', shows('Keys: 2 keys in 1 project, 1 namespace', `Schema: version ${LATEST_SCHEMA_VERSION}`, 'Backups: 1, newest '), 15000);
    assert.match(text, /Chosen by: .*database 'stat'/);
    assert.match(text, /Size: \d+ KB/);
    assert.doesNotMatch(text, /available/);
    await cliOk(['--database', 'stat', 'set', 'shop.items.plum', 'purple']);
    await poll('the tooltip after the CLI wrote', shows('Keys: 3 keys in 1 project'), 15000);
  });

  it('a database too large to count without slowing the editor is not counted, and the tooltip says so', async function () {
    this.timeout(60000);
    const { service, statusBar } = await getApi();
    const file = databaseFile('huge');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite3(file, `${SCHEMA_SQL}\nINSERT INTO kv VALUES ('p','n','k',NULL,printf('%.*c', 33 * 1024 * 1024, 'x'),1,1,NULL);`);
    await service.select({ kind: 'database', name: 'huge' }, 'global');
    const text = await poll('the tooltip of a large database', () => {
      const shown = tooltipText(statusBar);
      return /Size: 33 MB: too large to count here/.test(shown) ? shown : undefined;
    }, 15000);
    assert.doesNotMatch(text, /Keys:/);
    await service.select({ kind: 'database', name: 'stat' }, 'global');
  });

  it('a database with a migration available is offered Migrate once per session, and nothing is migrated unless confirmed', async function () {
    this.timeout(60000);
    const { service, statusBar, health } = await getApi();
    const file = rustDatabase('old');
    const notices: Array<{ message: string; items: string[] }> = [];
    const modal: ModalCall[] = [];
    await withStubs(
      (s) => answering(s, modal, undefined, (message, items) => {
        notices.push({ message, items });
        return items.includes('Migrate…') ? 'Migrate…' : undefined;
      }),
      async () => {
        await service.select({ kind: 'database', name: 'old' }, 'global');
        await poll('the migration notice', () => notices.some((notice) => /database 'old' can be migrated/.test(notice.message)), 15000);
        // Its button runs Migrate Database, which asks first (declined here).
        await poll('the confirmation of Migrate Database', () => modal.length === 1);
        await poll('the tooltip', () => /Schema: version 0; version \d+ available/.test(tooltipText(statusBar)), 15000);
        // Again: the status is recomputed, the notice not repeated.
        await service.select({ kind: 'database', name: 'stat' }, 'global');
        await service.select({ kind: 'database', name: 'old' }, 'global');
        await health.status.refresh();
        await health.status.refresh();
      },
    );
    const offers = notices.filter((notice) => /can be migrated/.test(notice.message));
    assert.equal(offers.length, 1, offers.map((offer) => offer.message).join('\n'));
    assert.match(offers[0]!.message, new RegExp(`from schema version 0 to ${LATEST_SCHEMA_VERSION}\\. It holds 2 duplicate rows left by the Rust CLI.*Nothing changes until you choose Migrate`));
    assert.deepEqual(offers[0]!.items, ['Migrate…']);
    assert.match(modal[0]!.message, /Migrate 'old' from schema version 0/);
    assert.equal(sqlite3(file, 'PRAGMA user_version;'), '0', 'never migrated silently');
    assert.equal(modeRows(file), '3');
  });

  it('a database that is not SQLite gets a "!" in the Databases view (a healthy one does not); Run Health Check says why', async function () {
    this.timeout(60000);
    const { databases, health } = await getApi();
    const broken = databaseFile('broken');
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, 'this is not an SQLite database, just text\n');
    await vscode.commands.executeCommand('workbench.view.extension.prontodb');
    databases.refresh();
    const decorationOf = async (name: string) => {
      const uri = databases.getTreeItem(await nodeAt(name)).resourceUri;
      assert.ok(uri, `the row of '${name}' has a resourceUri to decorate`);
      return { uri, decoration: health.decorations.provideFileDecoration(uri) };
    };
    const marked = await poll('the mark on the broken database', async () => (await decorationOf('broken')).decoration, 30000);
    assert.equal(marked.badge, '!');
    assert.match(String(marked.tooltip), /schema: .*is not an SQLite database/);
    // The healthy one was checked too, and is not marked.
    const healthy = await poll('the check of a healthy database', async () => {
      const { uri, decoration } = await decorationOf('stat');
      return health.decorations.reportOf(uri) && { decoration };
    }, 30000);
    assert.equal(healthy.decoration, undefined);
    const errors: string[] = [];
    const report = await withStubs(
      (s) => answering(s, [], undefined, (message) => {
        errors.push(message);
        return undefined;
      }),
      async () => vscode.commands.executeCommand<DoctorReport>('prontodb.healthCheck', await nodeAt('broken')),
    );
    assert.equal(report?.status, 'error');
    assert.match(errors.join('\n'), /health check of 'broken': 1 error \(schema\)/);
  });

  it('a database too large for the background checks is left unchecked, and the log says so', async function () {
    this.timeout(60000);
    const { databases, health } = await getApi();
    const large = databaseFile('largebroken');
    fs.mkdirSync(path.dirname(large), { recursive: true });
    fs.writeFileSync(large, Buffer.alloc(9 * 1024 * 1024, 'not SQLite '));
    await capturingLog(async (lines) => {
      await vscode.commands.executeCommand('workbench.view.extension.prontodb');
      databases.refresh();
      await poll('the log line', () => lines.some((line) => /'largebroken' \(9 MiB\) is not checked in the background; run "ProntoDB: Run Health Check"/.test(line)), 30000);
    });
    const uri = databases.getTreeItem(await nodeAt('largebroken')).resourceUri!;
    assert.equal(health.decorations.reportOf(uri), undefined);
    assert.equal(health.decorations.provideFileDecoration(uri), undefined);
  });

  describe('audit log and Show History', () => {
    const pickLabel = (label: string) => async (items: vscode.QuickPickItem[]) => items.find((item) => item.label === label);

    it('turned on with old values: Show History lists each write (time, who, operation) and opens a read-only diff of two versions', async function () {
      this.timeout(60000);
      const { service } = await getApi();
      await cliOk(['db', 'create', 'hist']);
      const settings = await withStubs(
        (s) => s.quietMessages().stub('showQuickPick', pickLabel('On, with old values')),
        async () => vscode.commands.executeCommand<{ enabled: boolean; keepValueBytes: number }>('prontodb.configureAudit', await nodeAt('hist')),
      );
      assert.equal(settings?.enabled, true);
      assert.ok(settings.keepValueBytes > 0);
      assert.match((await cliOk(['--database', 'hist', 'audit', 'status'])).trim(), /^Audit log: on .*old values up to \d+ bytes/);
      await cliOk(['--database', 'hist', 'set', 'app.cfg.color', 'red']);
      const session = await service.session({ database: 'hist' });
      await session.set('app.cfg.color', 'blue\nand a second line');

      let offered: Array<vscode.QuickPickItem & { version?: { record: { id: number } } }> = [];
      let options: vscode.QuickPickOptions | undefined;
      const shown = await withStubs(
        (s) => s.quietMessages().stub('showQuickPick', async (items: typeof offered, given: vscode.QuickPickOptions) => {
          offered = items;
          options = given;
          return items.slice(0, 2);
        }),
        async () => vscode.commands.executeCommand<{ left: vscode.Uri; right: vscode.Uri }>('prontodb.showHistory', await nodeAt('hist', 'app', 'cfg', 'color')),
      );
      assert.equal(options?.canPickMany, true);
      assert.equal(offered.length, 2, offered.map((item) => item.label).join(', '));
      assert.match(offered[0]!.label, /^\$\(history\) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.equal(offered[0]!.description, 'set by default via extension');
      assert.equal(offered[1]!.description, 'set by default via cli');
      assert.match(offered[0]!.detail!, /^"blue and a second line" · record \d+/);
      assert.match(offered[1]!.detail!, /^"red" · record \d+/);

      // The diff: the older on the left, both read-only documents of what the log kept.
      assert.ok(shown, 'showHistory returns the two sides');
      const diff = await poll('the diff tab', () =>
        vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => tab.input instanceof vscode.TabInputTextDiff),
      );
      const input = diff.input as vscode.TabInputTextDiff;
      assert.equal(input.original.toString(), shown.left.toString());
      assert.equal(input.modified.toString(), shown.right.toString());
      assert.match(diff.label, /app\.cfg\.color: .* ↔ /);
      assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), 'red');
      assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), 'blue\nand a second line');
      for (const uri of [input.original, input.modified]) {
        assert.equal((await vscode.workspace.fs.stat(uri)).permissions, vscode.FilePermission.Readonly);
        await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri)), /read-only/);
        // An edit is refused, or at least never saved.
        const document = await vscode.workspace.openTextDocument(uri);
        const edit = new vscode.WorkspaceEdit();
        edit.insert(uri, new vscode.Position(0, 0), 'overwritten ');
        const applied = await vscode.workspace.applyEdit(edit);
        const saved = applied && (await withStubs((s) => s.quietMessages(), () => Promise.resolve(document.save())));
        assert.equal(saved, false, `an old version was ${applied ? 'edited and saved' : 'edited'}`);
        if (document.isDirty) {
          await vscode.window.showTextDocument(document);
          await vscode.commands.executeCommand('workbench.action.files.revert');
        }
      }
      assert.equal(await cliGet('app.cfg.color', ['--database', 'hist']), 'blue\nand a second line', 'the value itself is untouched');

      // One version: compared with the current value, which stays the editable document.
      await closeAllEditors();
      await cliOk(['--database', 'hist', 'set', 'app.cfg.color', 'green']);
      const single = await withStubs(
        (s) => s.quietMessages().stub('showQuickPick', async (items: typeof offered) => items.filter((item) => /"red"/.test(item.detail ?? ''))),
        async () => vscode.commands.executeCommand<{ left: vscode.Uri; right: vscode.Uri }>('prontodb.showHistory', await nodeAt('hist', 'app', 'cfg', 'color')),
      );
      assert.ok(single);
      assert.equal((await vscode.workspace.openTextDocument(single.left)).getText(), 'red');
      assert.equal(single.right.query.includes('version='), false);
      assert.equal((await vscode.workspace.openTextDocument(single.right)).getText(), 'green');
    });

    it('from the palette, Show History asks for an address of the active database (its cursor\'s meta context applied)', async function () {
      this.timeout(60000);
      const { service } = await getApi();
      await cliOk(['db', 'create', 'pal']);
      await cliOk(['--database', 'pal', 'audit', 'on', '--keep-values', '1000']);
      await service.pronto.cursors.set('palc', 'default', { database: 'pal' }, { metaContext: 'team' });
      await cliOk(['--cursor', 'palc', 'set', 'app.cfg.size', 'small']);
      await cliOk(['--cursor', 'palc', 'set', 'app.cfg.size', 'large']);
      await service.select({ kind: 'cursor', name: 'palc' }, 'global');
      let offered: vscode.QuickPickItem[] = [];
      const shown = await withStubs(
        (s) => s.quietMessages().inputs('app.cfg.size').stub('showQuickPick', async (items: vscode.QuickPickItem[]) => {
          offered = items;
          return items.slice(0, 2);
        }),
        async () => vscode.commands.executeCommand<{ left: vscode.Uri; right: vscode.Uri }>('prontodb.showHistory'),
      );
      assert.deepEqual(offered.map((item) => item.description), ['set by default via cli, cursor palc', 'set by default via cli, cursor palc']);
      assert.ok(shown);
      assert.equal((await vscode.workspace.openTextDocument(shown.left)).getText(), 'small');
      assert.equal((await vscode.workspace.openTextDocument(shown.right)).getText(), 'large');
      assert.equal(new URLSearchParams(shown.left.query).get('p'), 'team.app', 'the stored project, meta context included');
    });

    it('with digests only, Show History says which versions it cannot show; with the log off it says so', async function () {
      this.timeout(60000);
      await cliOk(['db', 'create', 'dig']);
      await withStubs(
        (s) => s.quietMessages().stub('showQuickPick', pickLabel('On, digests only')),
        async () => vscode.commands.executeCommand('prontodb.configureAudit', await nodeAt('dig')),
      );
      for (const value of ['a', 'b', 'c']) await cliOk(['--database', 'dig', 'set', 'app.cfg.letter', value]);
      const warnings: string[] = [];
      let offered: vscode.QuickPickItem[] = [];
      await withStubs(
        (s) => {
          s.quietMessages();
          s.stub('showWarningMessage', async (message: string) => {
            warnings.push(message);
            return undefined;
          });
          s.stub('showQuickPick', async (items: vscode.QuickPickItem[]) => {
            offered = items;
            return [items[1]];
          });
        },
        async () => vscode.commands.executeCommand('prontodb.showHistory', await nodeAt('dig', 'app', 'cfg', 'letter')),
      );
      assert.deepEqual(offered.map((item) => /only a digest/.test(item.detail ?? '')), [false, true, true]);
      assert.match(offered[0]!.detail!, /^"c"/);
      assert.match(warnings.join('\n'), /cannot be shown: only a digest of this value was kept/);
      assert.equal(vscode.window.tabGroups.all.flatMap((group) => group.tabs).some((tab) => tab.input instanceof vscode.TabInputTextDiff), false, 'no diff of a value nobody kept');

      await cliOk(['--database', 'dig', 'set', 'app.cfg.quiet', 'x']);
      await cliOk(['--database', 'dig', 'audit', 'off']);
      await cliOk(['--database', 'dig', 'set', 'app.cfg.unrecorded', 'y']);
      const infos: Array<{ message: string; items: string[] }> = [];
      const versions = await withStubs(
        (s) => answering(s, [], undefined, (message, items) => {
          infos.push({ message, items });
          return undefined;
        }),
        async () => vscode.commands.executeCommand<unknown[]>('prontodb.showHistory', await nodeAt('dig', 'app', 'cfg', 'unrecorded')),
      );
      assert.deepEqual(versions, []);
      assert.match(infos[0]!.message, /no history of app\.cfg\.unrecorded: the audit log of database 'dig' is off/);
      assert.deepEqual(infos[0]!.items, ['Turn Audit Log On…']);
    });
  });
});
