// Commands, run as the palette runs them, with the prompts answered by stubs of vscode.window.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { clearSelections, cli, cliGet, cliOk, dirs, getApi, labelsUnder, nodeAt, poll, standalone, withStubs } from './helpers';

describe('commands', () => {
  standalone('02-commands');

  it('setValue stores a value in the active database (the CLI reads it), validating the address as typed', async () => {
    const { service } = await getApi();
    await withStubs((s) => s.inputs('app.config.color', 'blue').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.setValue');
      const box = stubs.calls.find((call) => call.name === 'showInputBox')!.args[0] as vscode.InputBoxOptions;
      // The box validates with the core's messages.
      assert.match(String(await box.validateInput!('a.b.c.d')), /Too many parts in address 'a\.b\.c\.d'/);
      assert.equal(await box.validateInput!('app.config.color'), undefined);
      assert.deepEqual(stubs.messages('showErrorMessage'), []);
    });
    assert.equal(service.target().databaseName, 'main');
    assert.equal((await (await service.session()).get('app.config.color'))?.value, 'blue');
    assert.equal(await cliGet('app.config.color'), 'blue');
  });

  it('setValue from a namespace node starts the address with project.namespace.', async () => {
    await withStubs((s) => s.inputs('app.config.size', '12').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.setValue', await nodeAt('main', 'app', 'config'));
      assert.equal((stubs.calls[0]!.args[0] as vscode.InputBoxOptions).value, 'app.config.');
    });
    assert.equal(await cliGet('app.config.size'), '12');
  });

  it('getValue returns the value and shows it; a missing address says so', async () => {
    await withStubs((s) => s.inputs('app.config.color', 'app.config.nothing').quietMessages(), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.getValue'), 'blue');
      assert.equal(await vscode.commands.executeCommand('prontodb.getValue'), undefined);
      const shown = stubs.messages('showInformationMessage');
      assert.equal(shown[0], 'app.config.color = blue');
      assert.match(shown[1]!, /nothing stored at app\.config\.nothing/);
    });
  });

  it('getValue "Copy" and copyAddress put the value and the address on the clipboard', async () => {
    await withStubs((s) => {
      s.inputs('app.config.color');
      s.quietMessages();
      s.stub('showInformationMessage', async () => 'Copy');
    }, async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.getValue'), 'blue');
      assert.deepEqual(stubs.messages('showErrorMessage'), []);
    });
    assert.equal(await vscode.env.clipboard.readText(), 'blue');
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.copyAddress', await nodeAt('main', 'app', 'config', 'size'));
      assert.deepEqual(stubs.messages('showErrorMessage'), []);
    });
    assert.equal(await vscode.env.clipboard.readText(), 'app.config.size');
  });

  it('deleteValue asks first: declining keeps the value, confirming deletes it', async () => {
    await cliOk(['set', 'app.config.doomed', 'x']);
    await withStubs((s) => s.inputs('app.config.doomed').quietMessages(undefined), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteValue'), false);
      const [message, options, action] = stubs.calls.find((call) => call.name === 'showWarningMessage')!.args as [string, vscode.MessageOptions, string];
      assert.match(message, /Delete the value at app\.config\.doomed in database 'main'\?/);
      assert.equal(options.modal, true);
      assert.equal(action, 'Delete');
    });
    assert.equal(await cliGet('app.config.doomed'), 'x');
    await withStubs((s) => s.inputs('app.config.doomed').quietMessages('Delete'), async () => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteValue'), true);
    });
    assert.equal(await cliGet('app.config.doomed'), undefined);
  });

  it('deleteValue on a key node deletes that key without asking for an address', async () => {
    await cliOk(['set', 'app.config.gone__ctx', 'y']);
    const node = await nodeAt('main', 'app', 'config', 'gone__ctx');
    await withStubs((s) => s.quietMessages('Delete'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteValue', node), true);
      assert.equal(stubs.calls.filter((call) => call.name === 'showInputBox').length, 0);
    });
    assert.equal(await cliGet('app.config.gone__ctx'), undefined);
  });

  it('createDatabase validates the name, creates the file, and "Use It" selects it', async () => {
    const { service } = await getApi();
    await withStubs((s) => {
      s.inputs('alpha');
      s.quietMessages();
      s.stub('showInformationMessage', async (message: string, ...items: string[]) => (items.includes('Use It') && /created database 'alpha'/.test(message) ? 'Use It' : undefined));
    }, async (stubs) => {
      const created = (await vscode.commands.executeCommand('prontodb.createDatabase')) as { name: string; file: string };
      assert.equal(created.name, 'alpha');
      assert.equal(created.file, path.join(dirs.data, 'alpha', 'pronto.alpha.prdb'));
      assert.ok(fs.existsSync(created.file));
      const box = stubs.calls.find((call) => call.name === 'showInputBox')!.args[0] as vscode.InputBoxOptions;
      assert.match(String(await box.validateInput!('../evil')), /Database name '\.\.\/evil' is invalid/);
      assert.match(String(await box.validateInput!('cursors')), /reserved/);
    });
    assert.deepEqual(service.globalSelection(), { kind: 'database', name: 'alpha' });
    assert.equal(service.target().databaseName, 'alpha');
    assert.match(await cliOk(['db', 'list']), /alpha/);
    await clearSelections();
    assert.equal(service.target().databaseName, 'main');
  });

  it('createCache makes a TTL namespace: marked in the tree, and values written there expire', async () => {
    const { service, databases } = await getApi();
    await withStubs((s) => s.inputs('app.cache', '3600').quietMessages(), async () => {
      await vscode.commands.executeCommand('prontodb.createCache');
    });
    const ttl = (await (await service.session()).ttlNamespaces()).find((ns) => ns.project === 'app' && ns.namespace === 'cache');
    assert.equal(ttl?.defaultTtl, 3600);
    const item = databases.getTreeItem(await nodeAt('main', 'app', 'cache'));
    assert.equal(item.description, '0 keys · TTL 1h');
    assert.equal(item.contextValue, 'ttlNamespace');
    // setValue in a TTL namespace also asks for a TTL (empty: the namespace default).
    await withStubs((s) => s.inputs('app.cache.token', 'abc', '', 'app.cache.short', 'def', '120').quietMessages(), async (stubs) => {
      await vscode.commands.executeCommand('prontodb.setValue');
      await vscode.commands.executeCommand('prontodb.setValue');
      const ttlBox = stubs.calls.filter((call) => call.name === 'showInputBox')[2]!.args[0] as vscode.InputBoxOptions;
      assert.match(String(ttlBox.prompt), /TTL in seconds/);
      assert.match(String(ttlBox.validateInput!('soon')), /^A whole number of seconds from 1 to \d+, or empty for the namespace default$/);
    });
    const session = await service.session();
    const now = Math.floor(Date.now() / 1000);
    const token = await session.get('app.cache.token');
    const short = await session.get('app.cache.short');
    assert.ok(token?.expiresAt && Math.abs(token.expiresAt - (now + 3600)) <= 5, `token expires at ${token?.expiresAt}`);
    assert.ok(short?.expiresAt && Math.abs(short.expiresAt - (now + 120)) <= 5, `short expires at ${short?.expiresAt}`);
    const tokenItem = databases.getTreeItem(await nodeAt('main', 'app', 'cache', 'token'));
    assert.match(String(tokenItem.description), /^expires in (1h|59m)/);
    assert.match(String(databases.getTreeItem(await nodeAt('main', 'app', 'cache', 'short')).description), /^expires in (2m|1m 5\ds|1m)/);
  });

  it('purgeExpired removes expired values and reports how many', async () => {
    const { service } = await getApi();
    const session = await service.session();
    // One commit for both: a second write a second later would already sweep the first away.
    await Promise.all([session.set('app.cache.stale1', 'x', { ttlSeconds: 1 }), session.set('app.cache.stale2', 'y', { ttlSeconds: 1 })]);
    await poll('the values to expire', async () => !(await session.get('app.cache.stale1')) && !(await session.get('app.cache.stale2')), 5000, 100);
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      const removed = await vscode.commands.executeCommand<number>('prontodb.purgeExpired');
      assert.equal(removed, 2);
      assert.match(stubs.messages('showInformationMessage')[0]!, /purged 2 expired values/);
      assert.equal(await vscode.commands.executeCommand<number>('prontodb.purgeExpired'), 0);
    });
    assert.equal((await session.get('app.cache.token'))?.value, 'abc', 'live values survive the purge');
  });

  it('exportData then importData round-trips a project (JSON) and exports CSV', async () => {
    const jsonFile = path.join(dirs.scratch, 'app-export.json');
    const csvFile = path.join(dirs.scratch, 'main-export.csv');
    await cliOk(['set', 'app.config.multi', 'line one\nline "two", with comma']);
    await withStubs((s) => {
      s.quietMessages('Import');
      s.stub('showSaveDialog', async (options: vscode.SaveDialogOptions) => {
        assert.match(options.defaultUri!.fsPath, /main\.app\.json$/);
        return vscode.Uri.file(jsonFile);
      });
    }, async () => {
      const uri = await vscode.commands.executeCommand<vscode.Uri>('prontodb.exportData', await nodeAt('main', 'app'));
      assert.equal(uri?.fsPath, jsonFile);
    });
    const exported = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    assert.equal(exported.format, 'prontodb');
    const keys = exported.entries.map((entry: { namespace: string; key: string }) => `${entry.namespace}.${entry.key}`).sort();
    assert.deepEqual(keys, ['cache.short', 'cache.token', 'config.color', 'config.multi', 'config.size']);
    assert.deepEqual(exported.ttlNamespaces.map((ns: { namespace: string }) => ns.namespace), ['cache']);

    // Lose the data, then import it back.
    for (const key of ['app.config.color', 'app.config.multi', 'app.config.size']) await cliOk(['del', key]);
    assert.equal(await cliGet('app.config.multi'), undefined);
    await withStubs((s) => s.quietMessages('Import'), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.importData', jsonFile), 5);
      assert.match(stubs.messages('showWarningMessage')[0]!, /Import 5 values into 'main'\?/);
    });
    assert.equal(await cliGet('app.config.color'), 'blue');
    assert.equal(await cliGet('app.config.multi'), 'line one\nline "two", with comma');

    await withStubs((s) => {
      s.quietMessages();
      s.stub('showSaveDialog', async () => vscode.Uri.file(csvFile));
    }, async () => {
      await vscode.commands.executeCommand('prontodb.exportData');
    });
    const csv = fs.readFileSync(csvFile, 'utf8');
    assert.match(csv, /^project,namespace,key,context,value,created_at,updated_at,expires_at\r\n/);
    assert.match(csv, /app,config,multi,,"line one\nline ""two"", with comma"/);
  });

  it('backup → listBackups → restore brings a database back to the backed-up state', async () => {
    await cliOk(['set', 'app.config.version', 'v1']);
    const made = await withStubs((s) => s.quietMessages(), async () => vscode.commands.executeCommand<{ file: string; size: number }>('prontodb.backup'));
    assert.ok(made, 'backup returned the archive');
    assert.equal(path.dirname(made.file), dirs.backups);
    assert.match(path.basename(made.file), /^prontodb_main_\d{8}(_n\d+)?\.tar\.gz$/);
    assert.ok(fs.statSync(made.file).size > 0);

    const listed = await withStubs((s) => {
      s.quietMessages();
      s.stub('showQuickPick', async (items: vscode.QuickPickItem[]) => {
        assert.ok(items.some((item) => item.label === path.basename(made.file)), 'the backup is offered');
        return undefined;
      });
    }, async () => vscode.commands.executeCommand<Array<{ file: string }>>('prontodb.listBackups'));
    assert.ok(listed?.some((backup) => backup.file === made.file));

    await cliOk(['set', 'app.config.version', 'v2']);
    await cliOk(['set', 'app.config.after', 'backup']);
    assert.equal(await cliGet('app.config.version'), 'v2');

    const restored = await withStubs((s) => {
      s.quietMessages('Restore');
      s.stub('showQuickPick', async (items: Array<vscode.QuickPickItem & { target?: string }>) => {
        assert.equal(items[0]!.label, 'main', 'the archive\'s own database comes first');
        return items[0];
      });
    }, async (stubs) => {
      const result = await vscode.commands.executeCommand<{ database: string; safetyCopy?: string }>('prontodb.restore', made.file);
      assert.match(stubs.messages('showWarningMessage')[0]!, /Replace database 'main' with/);
      return result;
    });
    assert.equal(restored?.database, 'main');
    assert.equal(await cliGet('app.config.version'), 'v1');
    assert.equal(await cliGet('app.config.after'), undefined);
    assert.ok(restored?.safetyCopy && fs.existsSync(restored.safetyCopy), 'a safety copy of the replaced data was kept');
    // The extension reads the restored data too.
    const { service } = await getApi();
    assert.equal((await (await service.session()).get('app.config.version'))?.value, 'v1');
    const labels = await labelsUnder(await nodeAt('main', 'app', 'config'));
    assert.ok(labels.includes('version') && !labels.includes('after'), `tree after restore: ${labels.join(', ')}`);
  });

  it('refuses a restore that the user does not confirm', async () => {
    const backups = fs.readdirSync(dirs.backups).filter((name) => name.startsWith('prontodb_main_'));
    assert.ok(backups.length > 0);
    await cliOk(['set', 'app.config.version', 'v3']);
    await withStubs((s) => {
      s.quietMessages(undefined);
      s.stub('showQuickPick', async (items: vscode.QuickPickItem[]) => items[0]);
    }, async () => {
      assert.equal(await vscode.commands.executeCommand('prontodb.restore', path.join(dirs.backups, backups[0]!)), undefined);
    });
    assert.equal(await cliGet('app.config.version'), 'v3');
  });

  it('a failing command shows the core\'s error message instead of throwing', async () => {
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      assert.equal(await vscode.commands.executeCommand('prontodb.restore', path.join(dirs.scratch, 'missing.tar.gz')), undefined);
      assert.equal(stubs.messages('showErrorMessage').length, 1);
      assert.match(stubs.messages('showErrorMessage')[0]!, /^ProntoDB: /);
    });
    const result = await cli(['-q', 'get', 'app.config.version']);
    assert.equal(result.code, 0);
  });
});
