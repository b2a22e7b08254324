/** "Copy Database To…" on a database of the ProntoDB view: the CLI's `copy` (core/copy.ts) with a picker and a cancellable progress notification. */
import * as vscode from 'vscode';
import { copyDatabase, type CopyLocation, type CopyResult, resolveCopyLocation } from '../../core/copy';
import { isProntoError, ProntoError } from '../../core/errors';
import type { DatabasesNode } from '../databasesView';
import { describeTarget, targetOfNode } from '../databaseTargets';
import type { ProntoService } from '../service';
import { newDatabaseNameProblem } from './databaseCommands';
import { ask, confirm, registerCommand, validateWith, withProgress } from './ui';

/** Where to copy to, as the command line would take it: another database, a new name, or a URL or path typed in. */
async function chooseDestination(service: ProntoService, source: CopyLocation): Promise<string | undefined> {
  const others = service.pronto.listDatabases().filter((db) => service.pronto.canonicalLocation(db.location) !== source.location);
  const NEW = '$(add) New Database…';
  const TYPED = '$(globe) PostgreSQL URL or File Path…';
  const picked = await vscode.window.showQuickPick(
    [
      ...others.map((db) => ({ label: db.name, description: 'replace this database', detail: db.file })),
      { label: NEW, description: 'copy into a new database of the data directory' },
      { label: TYPED, description: 'postgres://user@host/db[?prontodb=NAME], or a .prdb file' },
    ],
    { placeHolder: `Copy ${source.shown} to…`, matchOnDetail: true },
  );
  if (!picked) return undefined;
  if (picked.label === NEW) {
    return ask({ prompt: 'Name of the new database', placeHolder: 'letters, digits, _ - .', validateInput: (text) => newDatabaseNameProblem(service, text) });
  }
  if (picked.label === TYPED) {
    return ask({
      prompt: 'Copy to this PostgreSQL URL or file path (the password comes from PGPASSWORD or the URL)',
      placeHolder: 'postgres://me@db.example/team  or  /path/to/copy.prdb',
      validateInput: validateWith((text) => resolveCopyLocation(service.pronto, text, 'target')),
    });
  }
  return picked.label;
}

export function registerCopyCommands(service: ProntoService): vscode.Disposable[] {
  return [
    /**
     * `destination` (a database name, path or URL) and `replace` skip the picker and the question;
     * without them the user chooses, and a target holding data is replaced only once confirmed.
     */
    registerCommand(service, 'prontodb.copyDatabase', async (node?: DatabasesNode, destination?: string, replace?: boolean): Promise<CopyResult | undefined> => {
      const from = targetOfNode(service, node);
      const source = resolveCopyLocation(service.pronto, from.location, 'source');
      source.shown = describeTarget(from);
      const text = typeof destination === 'string' ? destination : await chooseDestination(service, source);
      if (text === undefined) return undefined;
      const target = resolveCopyLocation(service.pronto, text, 'target');
      const run = (replacing: boolean) =>
        withProgress(`Copying ${source.shown} to ${target.shown}`, (options) =>
          copyDatabase(service.pronto, source, target, {
            replace: replacing,
            signal: options.signal,
            onProgress: ({ done, total }) => options.onProgress?.(total === 0 ? 1 : done / total, `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows`),
            actor: { user: service.user, cursor: from.cursor?.name },
          }),
        );
      let result: CopyResult;
      try {
        result = await run(replace === true);
      } catch (error) {
        if (!isProntoError(error, 'conflict') || replace !== undefined || !/not empty/.test(error.message)) throw error;
        const question = `${target.shown} already holds data. Replace its contents with ${source.shown}?`;
        if (!(await confirm(question, 'Replace', 'Everything it holds is replaced in one commit: all or nothing.'))) throw new ProntoError('cancelled', 'Cancelled');
        result = await run(true);
      }
      service.log.info(`Copied ${result.entries} values and ${result.ttlNamespaces} TTL namespaces from ${source.shown} to ${target.shown}`);
      service.reset();
      void vscode.window.showInformationMessage(`ProntoDB: copied ${result.entries} values from ${source.shown} to ${target.shown}`);
      return result;
    }),
  ];
}
