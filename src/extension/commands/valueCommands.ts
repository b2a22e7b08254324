import * as vscode from 'vscode';
import { formatAddress, MAX_TTL_SECONDS, parseAddress, parseNamespacePath, validateTtlSeconds } from '../../core/address';
import { ProntoError, usageError } from '../../core/errors';
import type { Session } from '../../core/pronto';
import type { Address } from '../../core/types';
import type { DatabaseRef, DatabasesNode, DatabasesTreeProvider } from '../databasesView';
import type { ProntoService } from '../service';
import { describeDuration, languageFromContent, remainingSeconds, valueUri } from '../valueDocuments';
import { ask, confirm, registerCommand, validateWith } from './ui';

type NodeOf<K extends DatabasesNode['kind']> = Extract<DatabasesNode, { kind: K }>;

/** The session a command acts on: the clicked node's database (raw), else the active target. */
function sessionFor(service: ProntoService, node?: DatabasesNode): Promise<Session> {
  return node && 'ref' in node ? service.session(node.ref) : service.session();
}

/** How a session's database reads in prompts: `database 'main'`, `cursor 'wk' (database 'work', meta acme)`. */
export function describeSessionTarget(session: Session): string {
  const target = session.target;
  const database = target.databaseName ? `database '${target.databaseName}'` : target.file;
  if (!target.cursor) return database;
  return `cursor '${target.cursor.name}' (${database}${target.metaContext ? `, meta ${target.metaContext}` : ''})`;
}

/**
 * Input-box check of a TTL: whole seconds from `min` up to the engine's maximum (the same rule the
 * command line applies), or empty where empty means the namespace default.
 */
export function ttlInputProblem(text: string, { min, allowEmpty }: { min: number; allowEmpty: boolean }): string | undefined {
  if (text === '') return allowEmpty ? undefined : `A whole number of seconds from ${min} to ${MAX_TTL_SECONDS}`;
  if (!/^\d+$/.test(text)) return `A whole number of seconds from ${min} to ${MAX_TTL_SECONDS}${allowEmpty ? ', or empty for the namespace default' : ''}`;
  try {
    validateTtlSeconds(Number(text), 'TTL', { min });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** What an address input starts with when launched from a node: its project and namespace. */
function addressPrefix(node?: DatabasesNode): string {
  if (!node) return '';
  switch (node.kind) {
    case 'project':
      return `${node.project}.`;
    case 'namespace':
      return `${node.project}.${node.namespace}.`;
    case 'key':
      return formatAddress(node.entry);
    default:
      return '';
  }
}

async function askAddress(session: Session, prompt: string, value: string): Promise<string> {
  return ask({
    prompt,
    value,
    valueSelection: [value.length, value.length],
    placeHolder: 'project.namespace.key, namespace.key or key, optionally __context',
    validateInput: validateWith((text) => parseAddress(text, session.defaults)),
  });
}

async function pickKeyNode(service: ProntoService, node: DatabasesNode | undefined, verb: string): Promise<{ session: Session; address: string }> {
  const session = await sessionFor(service, node);
  if (node?.kind === 'key') return { session, address: formatAddress(node.entry) };
  return { session, address: await askAddress(session, `Address of the value to ${verb} in ${describeSessionTarget(session)}`, addressPrefix(node)) };
}

/** Single quotes for a POSIX shell, so a copied command line pastes as it reads. */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command line that reads a key's value from its database, wherever it runs. */
export function getCommandFor(ref: DatabaseRef, entry: Address): string {
  const address = shellQuote(formatAddress(entry));
  return ref.file ? `PRONTODB_DATABASE_PATH=${shellQuote(ref.file)} prontodb get ${address}` : `prontodb --database ${shellQuote(ref.database)} get ${address}`;
}

/**
 * Deletes the given values (and TTL settings) in one commit: every delete is issued in the same
 * turn, so the store's group commit writes them together, all or nothing.
 */
function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

export function registerValueCommands(service: ProntoService, tree: DatabasesTreeProvider): vscode.Disposable[] {
  /** Opens a value as a document (empty, and created on save, when nothing is stored there yet). */
  const openDocument = async (session: Session, address: Address, node?: DatabasesNode, preserveFocus = false): Promise<vscode.TextEditor> => {
    const entry = await session.get(address);
    const uri = node && 'ref' in node ? valueUri(node.ref, address, { create: !entry }) : valueUri(refOf(service, session), storedAddress(session, address), { create: !entry });
    const editor = await vscode.window.showTextDocument(uri, { preview: entry !== undefined, preserveFocus });
    await languageFromContent(editor.document);
    return vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : editor;
  };

  return [
    registerCommand(service, 'prontodb.refresh', () => service.reset()),

    registerCommand(service, 'prontodb.setValue', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const where = describeSessionTarget(session);
      const address = session.parse(await askAddress(session, `Address to set in ${where}`, addressPrefix(node)));
      const shown = formatAddress(address);
      const current = await session.get(address);
      if (current?.value.includes('\n')) {
        // An input box holds one line: a value of several lines is edited as a document instead.
        void vscode.window.setStatusBarMessage(`ProntoDB: ${shown} has several lines; edit it here and save to store it`, 5000);
        return openDocument(session, address, node);
      }
      const value = await ask({
        prompt: `Value for ${shown} in ${where} (one line; for several lines use "Set Value in Editor…")`,
        value: current?.value ?? '',
      });
      const ttlNamespace = (await session.ttlNamespaces()).find((ns) => ns.project === address.project && ns.namespace === address.namespace);
      let ttlSeconds: number | undefined;
      if (ttlNamespace) {
        const left = current ? remainingSeconds(current) : undefined;
        const fallback = `empty: the namespace default, ${describeDuration(ttlNamespace.defaultTtl)}`;
        const ttl = await ask({
          prompt: left === undefined ? `TTL in seconds (${fallback})` : `TTL in seconds: ${describeDuration(left)} left, kept unless you change it (${fallback})`,
          value: left === undefined ? '' : String(left),
          validateInput: (text) => ttlInputProblem(text, { min: 1, allowEmpty: true }),
        });
        ttlSeconds = ttl === '' ? undefined : Number(ttl);
      }
      await session.set(address, value, { ttlSeconds });
      service.afterWrite(session);
      void vscode.window.setStatusBarMessage(`ProntoDB: set ${shown} in ${where}`, 3000);
      return address;
    }),

    registerCommand(service, 'prontodb.editValue', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const text =
        node?.kind === 'key'
          ? formatAddress(node.entry)
          : await askAddress(session, `Address of the value to edit in ${describeSessionTarget(session)} (saving the document stores it)`, addressPrefix(node));
      return openDocument(session, session.parse(text), node);
    }),

    registerCommand(service, 'prontodb.getValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'get');
      const entry = await session.get(address);
      if (!entry) {
        void vscode.window.showInformationMessage(`ProntoDB: nothing stored at ${address}`);
        return undefined;
      }
      const choice = await vscode.window.showInformationMessage(
        `${address} = ${entry.value.length > 200 ? `${entry.value.slice(0, 200)}…` : entry.value}`,
        'Copy',
        'Open',
      );
      if (choice === 'Copy') await vscode.env.clipboard.writeText(entry.value);
      if (choice === 'Open') await openDocument(session, entry, node);
      return entry.value;
    }),

    registerCommand(service, 'prontodb.openValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'open');
      const entry = await session.get(address);
      if (!entry) throw new ProntoError('not-found', `Nothing stored at ${address}`);
      // A click on a key previews it and leaves the focus in the tree (as the Explorer does), so the
      // keyboard keeps working there (arrows, Delete, F2).
      return openDocument(session, entry, node, node?.kind === 'key');
    }),

    registerCommand(service, 'prontodb.copyValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'copy');
      const entry = await session.get(address);
      if (!entry) throw new ProntoError('not-found', `Nothing stored at ${address}`);
      await vscode.env.clipboard.writeText(entry.value);
    }),

    registerCommand(service, 'prontodb.copyAddress', async (node?: NodeOf<'key'>) => {
      if (node?.kind !== 'key') throw usageError('Choose a key in the ProntoDB view to copy its address');
      const address = formatAddress(node.entry);
      await vscode.env.clipboard.writeText(address);
      void vscode.window.setStatusBarMessage(`ProntoDB: copied ${address}`, 3000);
      return address;
    }),

    registerCommand(service, 'prontodb.copyGetCommand', async (node?: NodeOf<'key'>) => {
      if (node?.kind !== 'key') throw usageError('Choose a key in the ProntoDB view to copy a command that reads it');
      const command = getCommandFor(node.ref, node.entry);
      await vscode.env.clipboard.writeText(command);
      void vscode.window.setStatusBarMessage(`ProntoDB: copied ${command}`, 3000);
      return command;
    }),

    registerCommand(service, 'prontodb.deleteValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'delete');
      const where = describeSessionTarget(session);
      if (!(await session.get(address))) {
        void vscode.window.showInformationMessage(`ProntoDB: nothing is stored at ${address} in ${where}; nothing to delete`);
        return false;
      }
      if (!(await confirm(`Delete the value at ${address} in ${where}?`, 'Delete'))) return false;
      const deleted = await session.delete(address);
      if (!deleted) void vscode.window.showInformationMessage(`ProntoDB: nothing was stored at ${address} any more`);
      return deleted;
    }),

    registerCommand(service, 'prontodb.renameKey', async (node?: NodeOf<'key'>) => {
      if (node?.kind !== 'key') throw usageError('Choose a key in the ProntoDB view to rename it');
      const session = await service.session(node.ref);
      const where = describeSessionTarget(session);
      const from = node.entry;
      const fromText = formatAddress(from);
      const keyStart = fromText.length - (from.context === null ? from.key.length : from.key.length + 2 + from.context.length);
      const toText = await ask({
        prompt: `New address for ${fromText} in ${where}`,
        value: fromText,
        valueSelection: [keyStart, fromText.length],
        validateInput: validateWith((text) => {
          if (formatAddress(session.parse(text)) === fromText) throw usageError('That is its address now');
        }),
      });
      const to = session.parse(toText);
      // One commit: the new address must be free, the old value unchanged since the tree showed it,
      // and the value keeps its expiry; no other writer can slip in between.
      await session.rename(from, to, { expected: { value: from.value } }).catch((error) => {
        if (error instanceof ProntoError && error.code === 'conflict' && /already holds/.test(error.message)) {
          throw new ProntoError('conflict', `${formatAddress(to)} already holds a value; delete it first or choose another address`);
        }
        if (error instanceof ProntoError && error.code === 'condition-failed') throw new ProntoError('conflict', `${fromText} changed since it was shown; nothing was renamed`);
        throw error;
      });
      return to;
    }),

    registerCommand(service, 'prontodb.deleteNamespace', async (node?: NodeOf<'namespace'>) => {
      if (node?.kind !== 'namespace') throw usageError('Choose a namespace in the ProntoDB view to delete it');
      const session = await service.session(node.ref);
      const scope = `${node.project}.${node.namespace}`;
      const values = await session.count({ project: node.project, namespace: node.namespace });
      const ttl = (await session.ttlNamespaces()).some((ns) => ns.project === node.project && ns.namespace === node.namespace);
      const what = `${plural(values, 'value')}${ttl ? ' and its TTL setting' : ''}`;
      if (!(await confirm(`Delete namespace ${scope} from ${describeSessionTarget(session)}: ${what}?`, 'Delete', 'It cannot be undone; back the database up first if in doubt.'))) return undefined;
      const deleted = await session.deleteScope(scope);
      void vscode.window.setStatusBarMessage(`ProntoDB: deleted namespace ${scope} (${plural(deleted, 'value')})`, 5000);
      return deleted;
    }),

    registerCommand(service, 'prontodb.deleteProject', async (node?: NodeOf<'project'>) => {
      if (node?.kind !== 'project') throw usageError('Choose a project in the ProntoDB view to delete it');
      const session = await service.session(node.ref);
      const namespaces = await session.namespaces(node.project);
      const counts = await Promise.all(namespaces.map((namespace) => session.count({ project: node.project, namespace })));
      const values = counts.reduce((sum, count) => sum + count, 0);
      const ttlSettings = (await session.ttlNamespaces()).filter((ns) => ns.project === node.project).length;
      const what = `${plural(values, 'value')} in ${plural(namespaces.length, 'namespace')}${ttlSettings ? `, and ${plural(ttlSettings, 'TTL setting')}` : ''}`;
      if (!(await confirm(`Delete project ${node.project} from ${describeSessionTarget(session)}: ${what}?`, 'Delete', 'It cannot be undone; back the database up first if in doubt.'))) return undefined;
      const deleted = await session.deleteScope(node.project);
      void vscode.window.setStatusBarMessage(`ProntoDB: deleted project ${node.project} (${plural(deleted, 'value')})`, 5000);
      return deleted;
    }),

    registerCommand(service, 'prontodb.filterKeys', async (node?: NodeOf<'namespace'>) => {
      if (node?.kind !== 'namespace') throw usageError('Choose a namespace in the ProntoDB view to filter its keys');
      const filter = await ask({
        prompt: `Show keys of ${node.project}.${node.namespace} starting with (exact, case-sensitive; empty: all keys)`,
        value: tree.filterOf(node) ?? '',
      });
      tree.setFilter(node, filter);
    }),

    registerCommand(service, 'prontodb.clearFilter', (node?: NodeOf<'namespace'>) => {
      if (node?.kind === 'namespace') tree.setFilter(node, undefined);
    }),

    registerCommand(service, 'prontodb.loadMore', (node?: NodeOf<'loadMore'>) => {
      if (node?.kind === 'loadMore') tree.loadMore(node);
    }),

    registerCommand(service, 'prontodb.createCache', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const initial = node?.kind === 'namespace' ? `${node.project}.${node.namespace}` : node?.kind === 'project' ? `${node.project}.` : '';
      const namespacePath = await ask({ prompt: 'TTL namespace (project.namespace)', value: initial, validateInput: validateWith((text) => parseNamespacePath(text)) });
      const seconds = await ask({
        prompt: `Default time to live for values in ${namespacePath}, in seconds`,
        value: '3600',
        validateInput: (text) => ttlInputProblem(text, { min: 1, allowEmpty: false }),
      });
      await session.createCache(namespacePath, Number(seconds));
      service.afterWrite(session);
    }),

    registerCommand(service, 'prontodb.removeCache', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const namespacePath =
        node?.kind === 'namespace'
          ? `${node.project}.${node.namespace}`
          : await ask({ prompt: 'Namespace to stop being a TTL cache (project.namespace)', validateInput: validateWith((text) => parseNamespacePath(text)) });
      if (!(await confirm(`Stop ${namespacePath} being a TTL cache?`, 'Remove TTL', 'Values already written keep their expiry.'))) return;
      if (!(await session.removeCache(namespacePath))) throw usageError(`${namespacePath} is not a TTL namespace`);
    }),

    registerCommand(service, 'prontodb.purgeExpired', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const removed = await session.purgeExpired();
      void vscode.window.showInformationMessage(`ProntoDB: purged ${removed} expired value${removed === 1 ? '' : 's'}`);
      return removed;
    }),
  ];
}

/** A view reference for a session's database, for value URIs opened from the palette. */
export function refOf(service: ProntoService, session: Session): DatabaseRef {
  const name = session.target.databaseName;
  if (name && service.fileOf({ database: name }) === session.store.location) return { database: name };
  return { database: name ?? session.target.cursor?.name ?? 'database', file: session.store.location };
}

/** Value URIs address stored rows, so a meta context's prefix goes back onto the project. */
export function storedAddress(session: Session, address: Address): Address {
  const meta = session.target.metaContext;
  return meta === null ? address : { ...address, project: `${meta}.${address.project}` };
}
