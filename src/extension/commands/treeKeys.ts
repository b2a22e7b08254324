import * as vscode from 'vscode';
import type { CursorNode } from '../cursorsView';
import type { DatabasesNode } from '../databasesView';
import type { ProntoService } from '../service';
import { registerCommand } from './ui';

type Views = { databases: vscode.TreeView<DatabasesNode>; cursors: vscode.TreeView<CursorNode> };

const DELETE_COMMANDS: Partial<Record<DatabasesNode['kind'] | CursorNode['kind'], string>> = {
  database: 'prontodb.deleteDatabase',
  project: 'prontodb.deleteProject',
  namespace: 'prontodb.deleteNamespace',
  key: 'prontodb.deleteValue',
  cursor: 'prontodb.deleteCursor',
};

const RENAME_COMMANDS: Partial<Record<DatabasesNode['kind'] | CursorNode['kind'], string>> = {
  key: 'prontodb.renameKey',
  cursor: 'prontodb.renameCursor',
};

/**
 * Delete and F2 in the two views (package.json binds them while a view has focus, passing which):
 * each runs the action of the selected row, as its context menu would.
 */
export function registerTreeKeyCommands(service: ProntoService, views: Views): vscode.Disposable[] {
  const run = (commands: typeof DELETE_COMMANDS, verb: string) => async (view: unknown) => {
    const selected = view === 'cursors' ? views.cursors.selection[0] : views.databases.selection[0];
    const command = selected && commands[selected.kind];
    if (!selected || !command) {
      void vscode.window.setStatusBarMessage(`ProntoDB: nothing to ${verb} here`, 3000);
      return undefined;
    }
    return vscode.commands.executeCommand(command, selected);
  };
  return [registerCommand(service, 'prontodb.deleteSelected', run(DELETE_COMMANDS, 'delete')), registerCommand(service, 'prontodb.renameSelected', run(RENAME_COMMANDS, 'rename'))];
}
