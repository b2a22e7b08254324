// Cursor switching: the selection lives in globalState (synced) and workspaceState.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResolvedTarget } from '../../src/core/pronto';
import { clearSelections, cliOk, ensureWorkAndPlay, getApi, labelOf, poll, sleep, standalone, withStubs } from './helpers';

type Item = vscode.QuickPickItem & { selection?: { kind: string; name: string } };

/**
 * A stand-in for createQuickPick (the switch picker is a QuickPick, for its item buttons): when shown,
 * `act` decides what the user does with it: accept an item or press an item's button.
 */
function fakeQuickPick(act: (pick: FakeQuickPick) => void) {
  return () => new FakeQuickPick(act);
}
class FakeQuickPick {
  items: readonly Item[] = [];
  selectedItems: readonly Item[] = [];
  activeItems: readonly Item[] = [];
  placeholder = '';
  private readonly accept = new vscode.EventEmitter<void>();
  private readonly button = new vscode.EventEmitter<vscode.QuickPickItemButtonEvent<Item>>();
  private readonly hidden = new vscode.EventEmitter<void>();
  readonly onDidAccept = this.accept.event;
  readonly onDidTriggerItemButton = this.button.event;
  readonly onDidHide = this.hidden.event;
  constructor(private readonly act: (pick: FakeQuickPick) => void) {}
  show() { setTimeout(() => this.act(this), 0); }
  hide() { this.hidden.fire(); }
  dispose() { this.accept.dispose(); this.button.dispose(); this.hidden.dispose(); }
  item(match: RegExp): Item {
    const found = this.items.find((item) => match.test(item.label));
    assert.ok(found, `no item ${match} in ${this.items.map((item) => item.label).join(' | ')}`);
    return found;
  }
  acceptItem(match: RegExp) { this.selectedItems = [this.item(match)]; this.accept.fire(); }
  pressButton(match: RegExp) {
    const item = this.item(match);
    assert.equal(item.buttons?.length, 1, 'items carry the "workspace only" button');
    this.button.fire({ item, button: item.buttons![0]! });
  }
}

describe('cursors', () => {
  standalone('04-cursors');
  before(ensureWorkAndPlay);
  afterEach(clearSelections);

  it('the Cursors view lists the user\'s cursors (the CLI sees the same ones)', async () => {
    const { cursors } = await getApi();
    const nodes = cursors.getChildren();
    assert.deepEqual(nodes.map((node) => node.cursor.name), ['pl', 'wk']);
    const item = cursors.getTreeItem(nodes[1]!);
    assert.equal(labelOf(item), 'wk');
    assert.equal(item.description, 'work');
    assert.equal(item.contextValue, 'cursor');
    assert.equal(item.command?.command, 'prontodb.useCursor');
    assert.deepEqual((await cliOk(['cursor', 'list'])).split('\n').filter(Boolean).map((line) => line.slice(2).split(/\s+/)[0]), ['pl', 'wk']);
  });

  it('useCursor selects a cursor globally: target, status bar, views and globalState follow; it survives a reset', async () => {
    const { service, statusBar, cursors, databases } = await getApi();
    const target = await vscode.commands.executeCommand<ResolvedTarget>('prontodb.useCursor', 'wk');
    assert.equal(target?.cursor?.name, 'wk');
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'wk' });
    assert.equal(service.workspaceSelection(), undefined);
    assert.equal(service.target().databaseName, 'work');
    assert.match(service.target().source, /^global selection \(cursor 'wk'\)/);
    // The selection is the command line's own: `cursor active` agrees.
    assert.match(await cliOk(['cursor', 'active']), /^wk\t/);
    await poll('the status bar to show wk', () => statusBar.text.includes('wk'));
    assert.equal(statusBar.command, 'prontodb.switchCursor');
    const active = cursors.getChildren().find((node) => node.active);
    assert.equal(active?.cursor.name, 'wk');
    assert.equal(cursors.getTreeItem(active!).contextValue, 'activeCursor');
    const roots = await databases.getChildren();
    const activeDb = roots.find((node) => node.kind === 'database' && node.active);
    assert.equal(activeDb && labelOf(databases.getTreeItem(activeDb)), 'work');
    assert.equal((await (await service.session()).get('app.config.who'))?.value, 'work');

    service.reset();
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'wk' });
    assert.equal(service.target().cursor?.name, 'wk');
  });

  it('switchCursor: choosing an item in the real quick pick selects it for the user everywhere', async () => {
    const { service, statusBar } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    const originalCreate = vscode.window.createQuickPick;
    let placeholder = '';
    await withStubs((s) => s.stub('createQuickPick', () => {
      const pick = originalCreate<Item>();
      const show = pick.show.bind(pick);
      pick.show = () => {
        show();
        placeholder = pick.placeholder ?? '';
        // Drive the workbench's own widget: make 'pl' the active item, then accept it as Enter would.
        // A failure here leaves the pick open: the command never resolves and the test times out.
        setTimeout(() => {
          pick.activeItems = pick.items.filter((item) => item.selection?.name === 'pl' && item.selection.kind === 'cursor');
          void sleep(100).then(() => vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'));
        }, 200);
      };
      return pick;
    }), async () => {
      const target = await vscode.commands.executeCommand<ResolvedTarget>('prontodb.switchCursor');
      assert.equal(target?.cursor?.name, 'pl');
    });
    assert.match(placeholder, /^Active: wk \(global selection \(cursor 'wk'\)\) — user default$/);
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'pl' });
    await poll('the status bar to show pl', () => statusBar.text.includes('pl'));
  });

  it('switchCursor: an item\'s folder button selects for this workspace only, which wins over the global selection', async () => {
    const { service } = await getApi();
    await service.select({ kind: 'cursor', name: 'pl' }, 'global');
    await withStubs((s) => s.stub('createQuickPick', fakeQuickPick((pick) => pick.pressButton(/ wk$/))), async () => {
      const target = await vscode.commands.executeCommand<ResolvedTarget>('prontodb.switchCursor');
      assert.equal(target?.cursor?.name, 'wk');
    });
    assert.deepEqual(service.workspaceSelection(), { kind: 'cursor', name: 'wk' });
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'pl' });
    assert.match(service.target().source, /^workspace selection/);

    // A database chosen for the workspace works the same way; "Stop using..." clears it.
    await withStubs((s) => s.stub('createQuickPick', fakeQuickPick((pick) => pick.pressButton(/\$\(database\) play$/))), async () => {
      await vscode.commands.executeCommand('prontodb.switchCursor');
    });
    assert.deepEqual(service.workspaceSelection(), { kind: 'database', name: 'play' });
    assert.equal(service.target().databaseName, 'play');
    assert.equal(service.target().cursor, undefined);
    await withStubs((s) => s.stub('createQuickPick', fakeQuickPick((pick) => pick.acceptItem(/Stop using a workspace-only selection/))), async () => {
      await vscode.commands.executeCommand('prontodb.switchCursor');
    });
    assert.equal(service.workspaceSelection(), undefined);
    assert.equal(service.target().cursor?.name, 'pl', 'back to the global selection');
  });

  it('dismissing the picker changes nothing', async () => {
    const { service } = await getApi();
    await service.select({ kind: 'cursor', name: 'wk' }, 'global');
    await withStubs((s) => s.stub('createQuickPick', fakeQuickPick((pick) => pick.hide())), async () => {
      assert.equal(await vscode.commands.executeCommand('prontodb.switchCursor'), undefined);
    });
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'wk' });
  });

  it('a workspace selection naming a cursor that does not exist here falls back, with a warning', async () => {
    const { service, statusBar } = await getApi();
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      await service.select({ kind: 'cursor', name: 'ghost' }, 'workspace');
      const target = service.target();
      assert.equal(target.cursor, undefined);
      assert.equal(target.databaseName, 'main');
      assert.equal(target.source, 'default');
      await poll('the warning', () => stubs.messages('showWarningMessage').length > 0);
      assert.match(stubs.messages('showWarningMessage')[0]!, /workspace selection names cursor 'ghost', which does not exist on this machine; falling back/);
      await poll('the status bar to show main', () => statusBar.text.includes('main'));
    });
  });

  it('the global selection is the command line\'s file: a name that is no cursor reads as a database, as the CLI reads it', async () => {
    const { service, statusBar } = await getApi();
    await assert.rejects(service.select({ kind: 'cursor', name: 'ghost' }, 'global'), /Cursor 'ghost' not found for user 'default'/);
    await withStubs((s) => s.quietMessages(), async (stubs) => {
      fs.mkdirSync(service.pronto.layout.cursorCacheDir, { recursive: true });
      fs.writeFileSync(path.join(service.pronto.layout.cursorCacheDir, 'cursor'), 'ghostdb');
      await poll('the status bar to show ghostdb', () => statusBar.text.includes('ghostdb'));
      for (let i = 0; i < 5; i++) assert.equal(service.target().databaseName, 'ghostdb');
      assert.deepEqual(service.globalSelection(), { kind: 'database', name: 'ghostdb' });
      assert.match(await cliOk(['cursor', 'active']), /^ghostdb\t/);
      await poll('the warning', () => stubs.messages('showWarningMessage').length > 0);
      assert.equal(stubs.messages('showWarningMessage').filter((m) => /names 'ghostdb', which is neither a cursor/.test(m)).length, 1, 'warned once');
    });
  });

  it('createCursor, renameCursor and deleteCursor keep the selection in step', async () => {
    const { service } = await getApi();
    await withStubs((s) => {
      s.inputs('fresh', '');
      s.quietMessages('Delete');
      s.stub('showQuickPick', async (items: Array<vscode.QuickPickItem>) => items.find((item) => item.label === 'play'));
    }, async () => {
      const cursor = await vscode.commands.executeCommand<{ name: string; databaseName?: string }>('prontodb.createCursor');
      assert.equal(cursor?.name, 'fresh');
      assert.equal(cursor?.databaseName, 'play');
    });
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'fresh' });
    await withStubs((s) => s.inputs('renamed').quietMessages(), async () => {
      const node = (await getApi()).cursors.getChildren().find((n) => n.cursor.name === 'fresh');
      await vscode.commands.executeCommand('prontodb.renameCursor', node);
    });
    assert.deepEqual(service.globalSelection(), { kind: 'cursor', name: 'renamed' });
    assert.equal(service.target().cursor?.name, 'renamed');
    assert.match(await cliOk(['cursor', 'list']), /renamed/);
    await withStubs((s) => s.quietMessages('Delete'), async () => {
      const node = (await getApi()).cursors.getChildren().find((n) => n.cursor.name === 'renamed');
      assert.equal(await vscode.commands.executeCommand('prontodb.deleteCursor', node), true);
    });
    assert.equal(service.globalSelection(), undefined);
    assert.doesNotMatch(await cliOk(['cursor', 'list']), /renamed/);
  });
});
