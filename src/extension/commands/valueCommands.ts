import * as vscode from 'vscode';
import { formatAddress, parseAddress, parseNamespacePath } from '../../core/address';
import type { Session } from '../../core/pronto';
import type { Address } from '../../core/types';
import type { DatabasesNode, DatabasesTreeProvider } from '../databasesView';
import type { ProntoService } from '../service';
import { valueUri } from '../valueDocuments';
import { ask, confirm, registerCommand, validateWith } from './ui';

type NodeOf<K extends DatabasesNode['kind']> = Extract<DatabasesNode, { kind: K }>;

/** The session a command acts on: the clicked node's database (raw), else the active target. */
function sessionFor(service: ProntoService, node?: DatabasesNode): Promise<Session> {
  return node && 'ref' in node ? service.session(node.ref) : service.session();
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
  return { session, address: await askAddress(session, `Address of the value to ${verb}`, addressPrefix(node)) };
}

export function registerValueCommands(service: ProntoService, tree: DatabasesTreeProvider): vscode.Disposable[] {
  return [
    registerCommand(service, 'prontodb.refresh', () => service.reset()),

    registerCommand(service, 'prontodb.setValue', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const address = await askAddress(session, 'Address to set', addressPrefix(node));
      const current = await session.get(address);
      const value = await ask({ prompt: `Value for ${address}`, value: current?.value ?? '' });
      const ttlNamespaces = await session.ttlNamespaces();
      const parsed = session.parse(address);
      let ttlSeconds: number | undefined;
      if (ttlNamespaces.some((ns) => ns.project === parsed.project && ns.namespace === parsed.namespace)) {
        const ttl = await ask({
          prompt: 'TTL in seconds (empty: the namespace default)',
          validateInput: (text) => (text === '' || /^\d+$/.test(text) ? undefined : 'A whole number of seconds, or empty'),
        });
        ttlSeconds = ttl === '' ? undefined : Number(ttl);
      }
      await session.set(address, value, { ttlSeconds });
      void vscode.window.setStatusBarMessage(`ProntoDB: set ${address}`, 3000);
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
      if (choice === 'Open') await vscode.window.showTextDocument(valueUri(refOf(service, session), storedAddress(session, entry)));
      return entry.value;
    }),

    registerCommand(service, 'prontodb.openValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'open');
      const entry = await session.get(address);
      if (!entry) throw new Error(`Nothing stored at ${address}`);
      const uri = node && 'ref' in node ? valueUri(node.ref, entry) : valueUri(refOf(service, session), storedAddress(session, entry));
      return vscode.window.showTextDocument(uri, { preview: true });
    }),

    registerCommand(service, 'prontodb.copyValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'copy');
      const entry = await session.get(address);
      if (!entry) throw new Error(`Nothing stored at ${address}`);
      await vscode.env.clipboard.writeText(entry.value);
    }),

    registerCommand(service, 'prontodb.copyAddress', async (node?: NodeOf<'key'>) => {
      if (node?.kind !== 'key') throw new Error('Choose a key in the ProntoDB view to copy its address');
      await vscode.env.clipboard.writeText(formatAddress(node.entry));
      void vscode.window.setStatusBarMessage(`ProntoDB: copied ${formatAddress(node.entry)}`, 3000);
    }),

    registerCommand(service, 'prontodb.deleteValue', async (node?: DatabasesNode) => {
      const { session, address } = await pickKeyNode(service, node, 'delete');
      if (!(await confirm(`Delete the value at ${address}?`, 'Delete'))) return false;
      const deleted = await session.delete(address);
      if (!deleted) void vscode.window.showInformationMessage(`ProntoDB: nothing was stored at ${address}`);
      return deleted;
    }),

    registerCommand(service, 'prontodb.filterKeys', async (node?: NodeOf<'namespace'>) => {
      if (node?.kind !== 'namespace') throw new Error('Choose a namespace in the ProntoDB view to filter its keys');
      const filter = await ask({ prompt: `Show keys of ${node.project}.${node.namespace} starting with (exact, case-sensitive)`, value: tree.filterOf(node) ?? '' });
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
        validateInput: (text) => (/^\d+$/.test(text) && Number(text) > 0 ? undefined : 'A whole number of seconds greater than 0'),
      });
      await session.createCache(namespacePath, Number(seconds));
    }),

    registerCommand(service, 'prontodb.removeCache', async (node?: DatabasesNode) => {
      const session = await sessionFor(service, node);
      const namespacePath =
        node?.kind === 'namespace'
          ? `${node.project}.${node.namespace}`
          : await ask({ prompt: 'Namespace to stop being a TTL cache (project.namespace)', validateInput: validateWith((text) => parseNamespacePath(text)) });
      if (!(await confirm(`Stop ${namespacePath} being a TTL cache?`, 'Remove TTL', 'Values already written keep their expiry.'))) return;
      if (!(await session.removeCache(namespacePath))) throw new Error(`${namespacePath} is not a TTL namespace`);
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
function refOf(service: ProntoService, session: Session): { database: string; file?: string } {
  const name = session.target.databaseName;
  if (name && service.fileOf({ database: name }) === session.store.location) return { database: name };
  return { database: name ?? session.target.cursor?.name ?? 'database', file: session.store.location };
}

/** Value URIs address stored rows, so a meta context's prefix goes back onto the project. */
function storedAddress(session: Session, address: Address): Address {
  const meta = session.target.metaContext;
  return meta === null ? address : { ...address, project: `${meta}.${address.project}` };
}
