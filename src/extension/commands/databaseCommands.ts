import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type BackupInfo, createBackup, inspectBackup, listBackups, restoreBackup, rotateBackups } from '../../core/backup';
import type { Cursor } from '../../core/cursors';
import { usageError } from '../../core/errors';
import { displayLocation } from '../../core/location';
import { databaseDirectory, databaseFile, validateDatabaseName } from '../../core/paths';
import { formatFromFileName, parseDocument, serializeDocument } from '../../core/transfer';
import type { DatabasesNode } from '../databasesView';
import type { ProntoService } from '../service';
import { explainPin } from './cursorCommands';
import { ask, confirm, registerCommand, validateWith, withProgress } from './ui';

function backupDirectory(service: ProntoService): string {
  return service.backupDirectory();
}

/** The database a command is about: the clicked one, else the active one (which must be named). */
function databaseOf(service: ProntoService, node?: DatabasesNode): string {
  if (node && 'ref' in node && !node.ref.file) return node.ref.database;
  const target = service.target();
  if (!target.databaseName) throw usageError(`${displayLocation(target.file)} is not a named database of the data directory; backups and database actions need one`);
  return target.databaseName;
}

async function pickDatabase(service: ProntoService, prompt: string): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    service.pronto.listDatabases().map((db) => ({ label: db.name, description: `${db.size} bytes`, detail: db.file })),
    { placeHolder: prompt },
  );
  return picked?.label;
}

function describeBackup(backup: BackupInfo): vscode.QuickPickItem & { backup: BackupInfo } {
  const kind = backup.kind === 'pre-restore' ? ' (safety copy)' : '';
  return {
    label: path.basename(backup.file),
    description: `${backup.database || '?'}${kind} · ${(backup.size / 1024).toFixed(1)} KB`,
    detail: `${backup.modified.toISOString().replace('T', ' ').slice(0, 19)} UTC — ${backup.file}`,
    backup,
  };
}

/**
 * What deleting a database takes with it, for the confirmation: its file and the cursors filed in
 * its folder — of every user, not only the current one — and which cursors elsewhere will point at
 * nothing afterwards (they are kept, as the command line keeps them).
 */
export function describeDatabaseDeletion(service: ProntoService, name: string): string {
  const layout = service.pronto.layout;
  const file = path.resolve(databaseFile(layout, name));
  const folder = databaseDirectory(layout, name);
  const cursorFolder = path.join(folder, 'cursors');
  // PRONTO_DB may put `main` elsewhere: then its folder (and the cursors in it) stays.
  const folderGoes = path.dirname(file) === folder;
  const all = service.pronto.cursors.everyCursorFile();
  const filed = folderGoes ? all.filter((cursor) => path.dirname(cursor.file) === cursorFolder) : [];
  const dangling = all.filter((cursor) => !filed.includes(cursor) && path.resolve(cursor.databasePath) === file);
  const names = (cursors: Cursor[]) => cursors.map((cursor) => `'${cursor.name}' (user ${cursor.user})`).join(', ');
  const parts = [
    filed.length
      ? `This deletes its file and the ${filed.length === 1 ? 'cursor' : `${filed.length} cursors`} filed with it, of every user: ${names(filed)}.`
      : 'This deletes its file; no cursor is filed with it.',
  ];
  if (dangling.length) parts.push(`${dangling.length === 1 ? 'Cursor' : 'Cursors'} ${names(dangling)} will point at nothing (kept).`);
  parts.push('It cannot be undone; back it up first if in doubt.');
  return parts.join(' ');
}

/** Create Database's check while typing: a valid name that no database has yet. */
export function newDatabaseNameProblem(service: ProntoService, text: string): string | undefined {
  const problem = validateWith(validateDatabaseName)(text);
  if (problem) return problem;
  return service.pronto.listDatabases().some((db) => db.name === text) ? `Database '${text}' already exists` : undefined;
}

/**
 * What can be done with a file the extension wrote. "Reveal" only where the editor runs on the
 * machine holding the file (a desktop window, no remote): in a browser or remote window the file
 * lives on another machine, and the reveal command does nothing there. "Copy Path" works everywhere.
 */
export function fileActions(): string[] {
  const local = vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop;
  return local ? ['Reveal', 'Copy Path'] : ['Copy Path'];
}

async function runFileAction(choice: string | undefined, file: string): Promise<void> {
  if (choice === 'Reveal') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
  if (choice === 'Copy Path') {
    await vscode.env.clipboard.writeText(file);
    void vscode.window.setStatusBarMessage(`ProntoDB: copied ${file}`, 3000);
  }
}

export function registerDatabaseCommands(service: ProntoService): vscode.Disposable[] {
  const restoreArchive = async (archive: string) => {
    const contents = await inspectBackup(archive);
    const others = service.pronto.listDatabases().filter((db) => db.name !== contents.database);
    const choice = await vscode.window.showQuickPick(
      [
        { label: contents.database, description: 'the database the archive was made from', target: contents.database },
        ...others.map((db) => ({ label: db.name, description: 'replace this database instead', target: db.name })),
        { label: '$(add) Another name…', description: 'restore as a new database', target: '' },
      ],
      { placeHolder: `Restore ${path.basename(archive)} into which database?` },
    );
    if (!choice) return undefined;
    const target = choice.target || (await ask({ prompt: 'Database name to restore into', validateInput: validateWith(validateDatabaseName) }));
    const exists = service.pronto.listDatabases().some((db) => db.name === target);
    if (exists && !(await confirm(`Replace database '${target}' with ${path.basename(archive)}?`, 'Restore', 'A safety copy of the current data is written to the backup folder first.'))) {
      return undefined;
    }
    const result = await withProgress(`Restoring ${path.basename(archive)}`, (options) =>
      restoreBackup(service.pronto.layout, archive, { ...options, target, safetyDir: backupDirectory(service) }),
    );
    service.reset();
    void vscode.window.showInformationMessage(
      `ProntoDB: restored '${result.database}'${result.safetyCopy ? `; the replaced data is in ${path.basename(result.safetyCopy)}` : ''}`,
    );
    return result;
  };

  return [
    registerCommand(service, 'prontodb.createDatabase', async () => {
      const name = await ask({ prompt: 'Name of the new database', placeHolder: 'letters, digits, _ - .', validateInput: (text) => newDatabaseNameProblem(service, text) });
      const created = await service.pronto.createDatabase(name);
      service.reset();
      const use = await vscode.window.showInformationMessage(`ProntoDB: created database '${name}'`, 'Use It');
      if (use) {
        await service.select({ kind: 'database', name }, 'global');
        explainPin(service);
      }
      return created;
    }),

    registerCommand(service, 'prontodb.deleteDatabase', async (node?: DatabasesNode) => {
      const name = node ? databaseOf(service, node) : await pickDatabase(service, 'Database to delete');
      if (!name) return false;
      if (!(await confirm(`Delete database '${name}'?`, 'Delete', describeDatabaseDeletion(service, name)))) return false;
      await service.pronto.deleteDatabase(name);
      service.reset();
      return true;
    }),

    registerCommand(service, 'prontodb.useDatabase', async (node?: DatabasesNode) => {
      const name = node ? databaseOf(service, node) : await pickDatabase(service, 'Database to use');
      if (!name) return;
      await service.select({ kind: 'database', name }, 'global');
      explainPin(service);
    }),

    registerCommand(service, 'prontodb.backup', async (node?: DatabasesNode) => {
      const database = databaseOf(service, node);
      const made = await withProgress(`Backing up '${database}'`, (options) =>
        createBackup(service.pronto.layout, database, { ...options, outputDir: backupDirectory(service) }),
      );
      service.log.info(`Backed up '${database}' to ${made.file} (${made.size} bytes)`);
      void vscode.window.showInformationMessage(`ProntoDB: backed up '${database}' to ${made.file}`, ...fileActions()).then((choice) => runFileAction(choice, made.file));
      return made;
    }),

    registerCommand(service, 'prontodb.restore', async (archive?: string) => {
      if (typeof archive === 'string') return restoreArchive(archive);
      const backups = await listBackups(backupDirectory(service));
      const browse = { label: '$(folder-opened) Choose an archive…', description: 'any .tar.gz made by ProntoDB' };
      const picked = await vscode.window.showQuickPick([...backups.map(describeBackup), browse], { placeHolder: `Backups in ${backupDirectory(service)}`, matchOnDetail: true });
      if (!picked) return undefined;
      if ('backup' in picked) return restoreArchive(picked.backup.file);
      const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ProntoDB backup': ['gz'] }, defaultUri: vscode.Uri.file(backupDirectory(service)) });
      return files?.[0] ? restoreArchive(files[0].fsPath) : undefined;
    }),

    registerCommand(service, 'prontodb.listBackups', async () => {
      const directory = backupDirectory(service);
      const backups = await listBackups(directory);
      if (backups.length === 0) {
        void vscode.window.showInformationMessage(`ProntoDB: no backups in ${directory}`);
        return backups;
      }
      const picked = await vscode.window.showQuickPick(backups.map(describeBackup), { placeHolder: `${backups.length} backups in ${directory} (choose one to restore)` });
      if (picked) await restoreArchive(picked.backup.file);
      return backups;
    }),

    registerCommand(service, 'prontodb.rotateBackups', async (node?: DatabasesNode) => {
      const database = databaseOf(service, node);
      const keep = vscode.workspace.getConfiguration('prontodb').get<number>('backupsToKeep', 10);
      const removed = await rotateBackups(backupDirectory(service), database, keep);
      void vscode.window.showInformationMessage(`ProntoDB: kept the newest ${keep} backups of '${database}', removed ${removed.length}`);
      return removed;
    }),

    registerCommand(service, 'prontodb.exportData', async (node?: DatabasesNode) => {
      const session = node && 'ref' in node ? await service.session(node.ref) : await service.session();
      const scope = node?.kind === 'project' ? node.project : node?.kind === 'namespace' ? `${node.project}.${node.namespace}` : undefined;
      const label = session.target.databaseName ?? 'database';
      const uri = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? backupDirectory(service), `${label}${scope ? `.${scope}` : ''}.json`)),
        filters: { JSON: ['json'], CSV: ['csv'] },
      });
      if (!uri) return undefined;
      const format = formatFromFileName(uri.fsPath);
      const count = await withProgress(`Exporting ${scope ?? label}`, async (options) => {
        const document = await session.exportEntries(scope, options);
        await fs.promises.writeFile(uri.fsPath, serializeDocument(document, format, { database: session.target.databaseName, exportedAt: new Date() }));
        return document.entries.length;
      });
      void vscode.window.showInformationMessage(`ProntoDB: exported ${count} values to ${path.basename(uri.fsPath)}`);
      return uri;
    }),

    registerCommand(service, 'prontodb.importData', async (file?: string) => {
      const source = typeof file === 'string' ? file : (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'JSON or CSV': ['json', 'csv'] } }))?.[0]?.fsPath;
      if (!source) return undefined;
      const session = await service.session();
      const format = formatFromFileName(source);
      const document = parseDocument(await fs.promises.readFile(source, 'utf8'), format, path.basename(source));
      const target = session.target.cursor?.name ?? session.target.databaseName ?? session.target.file;
      if (!(await confirm(`Import ${document.entries.length} values into '${target}'?`, 'Import', 'Values at the same addresses are replaced. The import is all or nothing.'))) return undefined;
      const count = await withProgress(`Importing ${path.basename(source)}`, (options) => session.importEntries(document.entries, document.ttlNamespaces, options));
      void vscode.window.showInformationMessage(`ProntoDB: imported ${count} values into '${target}'`);
      return count;
    }),
  ];
}
