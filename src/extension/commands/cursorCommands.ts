import * as vscode from 'vscode';
import { validateCursorName, validateUserName } from '../../core/cursors';
import { validateDatabaseName } from '../../core/paths';
import type { CursorNode } from '../cursorsView';
import type { EditorSelection, ProntoService } from '../service';
import { ask, confirm, registerCommand, validateWith } from './ui';

interface SelectionItem extends vscode.QuickPickItem {
  selection?: EditorSelection;
}

const WORKSPACE_ONLY: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder'), tooltip: 'Use only in this workspace' };

/**
 * Cursors and databases in one picker. Choosing an item selects it for the user everywhere (synced
 * by Settings Sync); its folder button selects it for this workspace only.
 */
function pickSelection(service: ProntoService): Promise<{ selection?: EditorSelection; scope: 'global' | 'workspace'; clearWorkspace?: boolean } | undefined> {
  const target = service.target();
  const items: SelectionItem[] = [];
  const inWorkspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
  const buttons = inWorkspace ? [WORKSPACE_ONLY] : [];
  const cursors = service.pronto.cursors.list(service.user);
  if (cursors.length) items.push({ label: 'Cursors', kind: vscode.QuickPickItemKind.Separator });
  for (const cursor of cursors) {
    items.push({
      label: `${cursor.name === target.cursor?.name ? '$(pass-filled)' : '$(circle-large-outline)'} ${cursor.name}`,
      description: [cursor.databaseName ?? service.pronto.describeLocation(cursor.location), cursor.metaContext ? `meta ${cursor.metaContext}` : undefined].filter(Boolean).join(' · '),
      selection: { kind: 'cursor', name: cursor.name },
      buttons,
    });
  }
  items.push({ label: 'Databases', kind: vscode.QuickPickItemKind.Separator });
  for (const db of service.pronto.listDatabases()) {
    const active = !target.cursor && target.databaseName === db.name;
    items.push({ label: `${active ? '$(pass-filled)' : '$(database)'} ${db.name}`, description: service.pronto.describeLocation(db.location), selection: { kind: 'database', name: db.name }, buttons });
  }
  if (inWorkspace && service.workspaceSelection()) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(close) Stop using a workspace-only selection' });
  }
  return new Promise((resolve) => {
    const quickPick = vscode.window.createQuickPick<SelectionItem>();
    quickPick.items = items;
    quickPick.placeholder = `Active: ${target.cursor?.name ?? target.databaseName ?? service.pronto.describeLocation(target.location)} (${target.source}) — user ${target.user}`;
    let settled = false;
    const finish = (value: Parameters<typeof resolve>[0]) => {
      settled = true;
      resolve(value);
      quickPick.hide();
    };
    quickPick.onDidAccept(() => {
      const item = quickPick.selectedItems[0];
      if (!item) return;
      finish(item.selection ? { selection: item.selection, scope: 'global' } : { scope: 'workspace', clearWorkspace: true });
    });
    quickPick.onDidTriggerItemButton((event) => finish({ selection: event.item.selection, scope: 'workspace' }));
    quickPick.onDidHide(() => {
      if (!settled) resolve(undefined);
      quickPick.dispose();
    });
    quickPick.show();
  });
}

export function registerCursorCommands(service: ProntoService): vscode.Disposable[] {
  return [
    registerCommand(service, 'prontodb.switchCursor', async () => {
      const picked = await pickSelection(service);
      if (!picked) return undefined;
      await service.select(picked.clearWorkspace ? undefined : picked.selection, picked.scope);
      if (!picked.clearWorkspace) explainPin(service, picked.scope);
      return service.target();
    }),

    registerCommand(service, 'prontodb.useCursor', async (node?: CursorNode | string) => {
      const name = typeof node === 'string' ? node : node?.cursor.name;
      if (!name) return vscode.commands.executeCommand('prontodb.switchCursor');
      await service.select({ kind: 'cursor', name }, 'global');
      explainPin(service);
      return service.target();
    }),

    registerCommand(service, 'prontodb.createCursor', async () => {
      const user = service.user;
      const name = await ask({ prompt: `Name of the new cursor (user ${user})`, validateInput: validateWith(validateCursorName) });
      const databases = service.pronto.listDatabases();
      const picked = await vscode.window.showQuickPick(
        [
          ...databases.map((db) => ({ label: db.name, description: db.file, target: { database: db.name } as { database?: string; path?: string } })),
          { label: '$(add) New database name…', description: '', target: {} },
          { label: '$(folder-opened) A database file…', description: 'any SQLite file ProntoDB can use', target: { path: '' } },
        ],
        { placeHolder: `Which database should cursor '${name}' point at?` },
      );
      if (!picked) return undefined;
      let target = picked.target;
      if (target.path === '') {
        const file = (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use This Database' }))?.[0]?.fsPath;
        if (!file) return undefined;
        target = { path: file };
      } else if (target.database === undefined) {
        target = { database: await ask({ prompt: 'Database name', validateInput: validateWith(validateDatabaseName) }) };
      }
      const meta = await ask({ prompt: 'Meta context (optional): isolates this cursor’s data under <meta>.<project>', placeHolder: 'leave empty for none' });
      const cursor = await service.pronto.cursors.set(name, user, target, { metaContext: meta.trim() || null });
      await service.select({ kind: 'cursor', name: cursor.name }, 'global');
      return cursor;
    }),

    registerCommand(service, 'prontodb.renameCursor', async (node?: CursorNode) => {
      const user = service.user;
      const from = node?.cursor.name ?? (await pickCursor(service, 'Cursor to rename'));
      if (!from) return undefined;
      const to = await ask({ prompt: `New name for cursor '${from}'`, value: from, validateInput: validateWith(validateCursorName) });
      // The core moves the user's selection along with the cursor; the workspace-only one is ours.
      const renamed = await service.pronto.cursors.rename(from, to, user);
      const selection = service.workspaceSelection();
      if (selection?.kind === 'cursor' && selection.name === from) await service.select({ kind: 'cursor', name: to }, 'workspace');
      service.reset();
      return renamed;
    }),

    registerCommand(service, 'prontodb.deleteCursor', async (node?: CursorNode) => {
      const user = service.user;
      const name = node?.cursor.name ?? (await pickCursor(service, 'Cursor to delete'));
      if (!name) return false;
      if (!(await confirm(`Delete cursor '${name}' of user '${user}'?`, 'Delete', 'The database it points at is kept.'))) return false;
      const deleted = service.pronto.cursors.delete(name, user);
      // As `prontodb cursor delete` does: a selection of the deleted cursor goes with it.
      if (service.pronto.cursors.selection(user) === name) await service.select(undefined, 'global');
      const selection = service.workspaceSelection();
      if (selection?.kind === 'cursor' && selection.name === name) await service.select(undefined, 'workspace');
      service.reset();
      return deleted;
    }),

    registerCommand(service, 'prontodb.switchUser', async () => {
      if (vscode.workspace.getConfiguration('prontodb').get<string>('user')?.trim()) {
        void vscode.window.showWarningMessage('ProntoDB: the prontodb.user setting fixes the user; change or clear that setting to switch.');
        return undefined;
      }
      const users = service.knownUsers();
      const picked = await vscode.window.showQuickPick(
        [...users.map((user) => ({ label: user, description: user === service.user ? 'current' : '' })), { label: '$(add) Another user…', description: '' }],
        { placeHolder: `Current user: ${service.user}` },
      );
      if (!picked) return undefined;
      const user = picked.label.startsWith('$(add)') ? await ask({ prompt: 'User name', validateInput: validateWith(validateUserName) }) : picked.label;
      await service.setUser(user);
      return user;
    }),
  ];
}

/**
 * A `.prontodb` outranks any choice made in the editor: say so (once per choice), name what it pins
 * the folder to, and offer to open it. The choice itself is kept: it applies wherever no
 * `.prontodb` does, and to the command line outside this folder.
 */
export function explainPin(service: ProntoService, scope: 'global' | 'workspace' = 'global'): void {
  let pin: ReturnType<ProntoService['pinnedBy']>;
  try {
    pin = service.pinnedBy();
  } catch {
    return; // a malformed .prontodb is reported by the service already
  }
  if (!pin) return;
  const { target } = pin;
  const pinned = target.cursor ? `cursor '${target.cursor.name}'` : target.databaseName ? `database '${target.databaseName}'` : service.pronto.describeLocation(target.location);
  void vscode.window
    .showWarningMessage(
      `ProntoDB: ${pin.file} pins this folder to ${pinned}, so it stays active here. ${
        scope === 'workspace' ? 'Your choice for this workspace applies once that file is gone' : 'Your choice applies where no .prontodb does'
      }; edit or remove that file to change this folder's database.`,
      'Open .prontodb',
    )
    .then((choice) => {
      if (choice) void vscode.window.showTextDocument(vscode.Uri.file(pin.file));
    });
}

async function pickCursor(service: ProntoService, placeHolder: string): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    service.pronto.cursors.list(service.user).map((cursor) => ({ label: cursor.name, description: service.pronto.describeLocation(cursor.location) })),
    { placeHolder },
  );
  return picked?.label;
}
