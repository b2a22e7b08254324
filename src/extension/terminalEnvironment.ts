import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProntoService } from './service';

/**
 * Integrated terminals get the bundled `prontodb` on PATH and the sidebar's database, cursor and user
 * in their environment, so the command line acts on exactly what the view shows.
 */
export function registerTerminalEnvironment(context: vscode.ExtensionContext, service: ProntoService): vscode.Disposable {
  const collection = context.environmentVariableCollection;
  collection.description = 'ProntoDB: the prontodb command and the active database';
  const binDirectory = vscode.Uri.joinPath(context.extensionUri, 'dist', 'bin').fsPath;
  const update = () => {
    collection.clear();
    collection.prepend('PATH', `${binDirectory}${path.delimiter}`);
    // The shim runs the CLI with the editor's own Node when no `node` is on PATH.
    collection.replace('PRONTODB_NODE', process.execPath);
    const env = service.engineEnv();
    if (env.PRONTODB_DATA_DIR) collection.replace('PRONTODB_DATA_DIR', env.PRONTODB_DATA_DIR);
    const backupDirectory = vscode.workspace.getConfiguration('prontodb').get<string>('backupDirectory')?.trim();
    if (backupDirectory) collection.replace('PRONTODB_BACKUP_DIR', backupDirectory);
    try {
      const selection = service.selectionFor(service.target());
      if (selection.cursor) collection.replace('PRONTODB_CURSOR', selection.cursor);
      if (selection.database) collection.replace('PRONTODB_DATABASE', selection.database);
      if (selection.databasePath) collection.replace('PRONTODB_DATABASE_PATH', selection.databasePath);
      collection.replace('PRONTODB_USER', selection.user ?? 'default');
    } catch (error) {
      service.log.warn(`Terminal environment: ${(error as Error).message}`);
    }
  };
  setImmediate(update);
  return vscode.Disposable.from(
    service.onDidChangeTarget(update),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('prontodb')) update();
    }),
  );
}
