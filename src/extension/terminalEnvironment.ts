import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONSENT_VARIABLE, digestOf, redirections } from '../core/workdirTrust';
import type { ProntoService } from './service';

/**
 * What integrated terminals get: the bundled `prontodb` on PATH, the data and backup directories of
 * the settings, and the database choice only where the command line could not know it by itself.
 *
 * The command line reads the same selection files and the same `.prontodb` as the sidebar, so the
 * choice is not copied into `PRONTODB_CURSOR`/`PRONTODB_DATABASE` — those would outrank a later
 * `prontodb cursor use` typed in that terminal, and the two would disagree. They are set only for a
 * workspace-only selection (kept by the editor, unknown to the CLI); `PRONTODB_USER` only when the
 * editor's user differs from the one the CLI would take.
 */
export function terminalVariables(service: ProntoService): Record<string, string> {
  const variables: Record<string, string> = {};
  const target = service.target();
  if (target.user !== service.commandLineUser()) variables.PRONTODB_USER = target.user;
  // The workspace is trusted (else the sidebar ignores the .prontodb too): the CLI started here
  // agrees with the sidebar about a .prontodb that points outside the data directory.
  const workdir = service.workdir();
  if (workdir && redirections(workdir, service.pronto.layout).length > 0) variables[CONSENT_VARIABLE] = `${workdir.file}#${digestOf(workdir.file)}`;
  if (target.workspaceOnly) {
    if (target.cursor) variables.PRONTODB_CURSOR = target.cursor.name;
    else if (target.databaseName) variables.PRONTODB_DATABASE = target.databaseName;
    else variables.PRONTODB_DATABASE_PATH = target.file;
  }
  return variables;
}

/**
 * The folders of the settings, as the command line reads them (PRONTODB_DATA_DIR, PRONTODB_BACKUP_DIR):
 * what any `prontodb` started for this window needs (terminals, the MCP server it offers).
 */
export function directoryVariables(service: ProntoService): Record<string, string> {
  const variables: Record<string, string> = {};
  const env = service.engineEnv();
  if (env.PRONTODB_DATA_DIR) variables.PRONTODB_DATA_DIR = env.PRONTODB_DATA_DIR;
  const backupDirectory = vscode.workspace.getConfiguration('prontodb').get<string>('backupDirectory')?.trim();
  if (backupDirectory) variables.PRONTODB_BACKUP_DIR = backupDirectory;
  return variables;
}

export function registerTerminalEnvironment(context: vscode.ExtensionContext, service: ProntoService): vscode.Disposable {
  const collection = context.environmentVariableCollection;
  collection.description = 'ProntoDB: the prontodb command, its data directory, and a workspace-only database choice';
  const binDirectory = vscode.Uri.joinPath(context.extensionUri, 'dist', 'bin').fsPath;
  let lastProblem: string | undefined;
  const update = () => {
    collection.clear();
    collection.prepend('PATH', `${binDirectory}${path.delimiter}`);
    // The shim runs the CLI with the editor's own Node when no `node` is on PATH.
    collection.replace('PRONTODB_NODE', process.execPath);
    for (const [name, value] of Object.entries(directoryVariables(service))) collection.replace(name, value);
    try {
      for (const [name, value] of Object.entries(terminalVariables(service))) collection.replace(name, value);
      lastProblem = undefined;
    } catch (error) {
      // Reported where it happens (e.g. a malformed .prontodb); logged here once, not per update.
      const message = (error as Error).message;
      if (message !== lastProblem) service.log.warn(`Terminal environment: ${message}`);
      lastProblem = message;
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
