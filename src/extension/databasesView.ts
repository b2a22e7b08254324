import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { displayKey, formatAddress } from '../core/address';
import { displayLocation, isUrlLocation, locationStem } from '../core/location';
import { fileWriteAccess } from '../core/fileAccess';
import type { ResolvedTarget, Session } from '../core/pronto';
import type { ListQuery } from '../core/store';
import type { Entry } from '../core/types';
import { databaseUri } from './healthDecorations';
import type { ProntoService } from './service';
import { describeDuration, valueUri } from './valueDocuments';

/** Where a node sits: `database` names a database of the data directory; `file` any database file. */
export interface DatabaseRef {
  database: string;
  /** Set for the active target when it is a file outside the data directory (then `database` is a label). */
  file?: string;
}

export type DatabasesNode =
  /** `missing`: the active target's file does not exist yet (the first write creates it). */
  | { kind: 'database'; ref: DatabaseRef; active: boolean; size?: number; location: string; missing?: boolean; readOnly?: string }
  | { kind: 'project'; ref: DatabaseRef; project: string }
  /** `keys`: how many live keys, counted up to COUNT_LIMIT (`more` when there are more). */
  | { kind: 'namespace'; ref: DatabaseRef; project: string; namespace: string; ttl?: number; keys?: { count: number; more: boolean } }
  | { kind: 'key'; ref: DatabaseRef; entry: Entry }
  | { kind: 'loadMore'; ref: DatabaseRef; project: string; namespace: string; remaining?: { count: number; more: boolean } }
  | { kind: 'message'; id: string; text: string; detail?: string; command?: vscode.Command; icon?: string };

/**
 * Counts shown in the tree stop here ("1,000+"): an exact count of a million keys takes seconds in
 * the WASM engine, and the tree must stay fast on any namespace.
 */
export const COUNT_LIMIT = 1000;

/** How long the tree waits for a server to say whether this user may write it. */
const READ_ONLY_CHECK_MS = 3000;

/** "1 key", "12 keys", "1,000+ keys". */
export function describeCount(counted: { count: number; more: boolean }, noun: string): string {
  const number = `${counted.count.toLocaleString('en-US')}${counted.more ? '+' : ''}`;
  return `${number} ${noun}${counted.count === 1 && !counted.more ? '' : 's'}`;
}

interface PagingState {
  /** How many keys the user has asked to see (grows by a page per "Load more…"). */
  shown: number;
  filter?: string;
}

function nodeId(node: DatabasesNode): string {
  switch (node.kind) {
    case 'database':
      return `db\u0000${node.ref.file ?? node.ref.database}`;
    case 'project':
      return `p\u0000${node.ref.database}\u0000${node.project}`;
    case 'namespace':
      return `n\u0000${node.ref.database}\u0000${node.project}\u0000${node.namespace}`;
    case 'key':
      return `k\u0000${node.ref.database}\u0000${node.entry.project}\u0000${node.entry.namespace}\u0000${node.entry.key}\u0000${node.entry.context ?? '\u0001'}`;
    case 'loadMore':
      return `m\u0000${node.ref.database}\u0000${node.project}\u0000${node.namespace}`;
    case 'message':
      return `msg\u0000${node.id}`;
  }
}

function namespaceKey(ref: DatabaseRef, project: string, namespace: string): string {
  return `${ref.file ?? ref.database}\u0000${project}\u0000${namespace}`;
}

function previewOf(value: string, length: number): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

function timestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/**
 * Databases → projects → namespaces → keys. Keys are fetched a page at a time with keyset paging,
 * so a namespace of a million keys costs what one page costs, and the view holds only what is shown.
 */
export class DatabasesTreeProvider implements vscode.TreeDataProvider<DatabasesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DatabasesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly paging = new Map<string, PagingState>();
  private readonly subscriptions: vscode.Disposable[];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly service: ProntoService) {
    this.subscriptions = [
      this.changed,
      service.onDidChangeTarget(() => this.refresh()),
      service.onDidChangeDatabases(() => this.refresh()),
      service.onDidChangeData(() => this.refreshSoon()),
    ];
  }

  private get pageSize(): number {
    return Math.max(10, vscode.workspace.getConfiguration('prontodb').get<number>('pageSize', 200));
  }

  refresh(): void {
    clearTimeout(this.refreshTimer);
    this.changed.fire(undefined);
  }

  /** Bursts of writes (an agent setting 100 keys) become one refresh. */
  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.changed.fire(undefined), 150);
  }

  private pagingOf(ref: DatabaseRef, project: string, namespace: string): PagingState {
    const key = namespaceKey(ref, project, namespace);
    let state = this.paging.get(key);
    if (!state) {
      state = { shown: this.pageSize };
      this.paging.set(key, state);
    }
    return state;
  }

  /** Namespace nodes by id: VS Code refreshes one element only when handed the object it was given. */
  private readonly namespaceNodes = new Map<string, DatabasesNode>();

  loadMore(node: Extract<DatabasesNode, { kind: 'loadMore' | 'namespace' }>): void {
    this.pagingOf(node.ref, node.project, node.namespace).shown += this.pageSize;
    this.changed.fire(this.namespaceNodes.get(nodeId({ ...node, kind: 'namespace' })));
  }

  setFilter(node: Extract<DatabasesNode, { kind: 'namespace' }>, filter: string | undefined): void {
    const state = this.pagingOf(node.ref, node.project, node.namespace);
    state.filter = filter || undefined;
    state.shown = this.pageSize;
    this.changed.fire(this.namespaceNodes.get(nodeId(node)));
  }

  filterOf(node: Extract<DatabasesNode, { kind: 'namespace' }>): string | undefined {
    return this.paging.get(namespaceKey(node.ref, node.project, node.namespace))?.filter;
  }

  getTreeItem(node: DatabasesNode): vscode.TreeItem {
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.kind) {
      case 'database': {
        const state = node.missing ? vscode.TreeItemCollapsibleState.None : node.active ? vscode.TreeItemCollapsibleState.Expanded : Collapsed;
        const item = new vscode.TreeItem(node.ref.database, state);
        item.id = nodeId(node);
        item.iconPath = new vscode.ThemeIcon('database', node.active ? new vscode.ThemeColor('charts.green') : undefined);
        const facts = [node.active ? 'active' : undefined, node.readOnly !== undefined ? 'read-only' : undefined, node.missing ? 'not created yet' : node.size === undefined ? undefined : formatSize(node.size)].filter(
          (fact): fact is string => fact !== undefined,
        );
        item.description = facts.join(' · ');
        item.tooltip = [
          displayLocation(node.location),
          ...(node.missing ? ['Not created yet: the first value written creates it.'] : []),
          ...(node.readOnly !== undefined ? [`Read-only: ${node.readOnly}`] : []),
        ].join('\n\n');
        // Screen readers read the name and the facts, not the file path of the tooltip.
        item.accessibilityInformation = { label: [node.ref.database, ...facts].join(', '), role: 'treeitem' };
        // The ReadOnly suffix hides the menu's writing actions (package.json: the `when` clauses end in `$`).
        item.contextValue = `${node.active ? 'activeDatabase' : 'database'}${node.readOnly !== undefined ? 'ReadOnly' : ''}`;
        // Health marks (healthDecorations.ts) attach to this URI.
        item.resourceUri = databaseUri(node.ref);
        return item;
      }
      case 'project': {
        const item = new vscode.TreeItem(node.project, Collapsed);
        item.id = nodeId(node);
        item.iconPath = new vscode.ThemeIcon('project');
        item.contextValue = 'project';
        return item;
      }
      case 'namespace': {
        const item = new vscode.TreeItem(node.namespace, Collapsed);
        item.id = nodeId(node);
        const filter = this.filterOf(node);
        item.iconPath = new vscode.ThemeIcon(node.ttl ? 'watch' : 'symbol-namespace');
        item.description = [
          node.keys ? describeCount(node.keys, 'key') : undefined,
          node.ttl ? `TTL ${describeDuration(node.ttl)}` : undefined,
          filter ? `filter: ${filter}*` : undefined,
        ]
          .filter(Boolean)
          .join(' · ');
        item.tooltip = node.ttl ? `TTL namespace: values expire ${describeDuration(node.ttl)} after they are written` : undefined;
        item.contextValue = `${node.ttl ? 'ttlNamespace' : 'namespace'}${filter ? 'Filtered' : ''}`;
        return item;
      }
      case 'key': {
        const { entry } = node;
        const item = new vscode.TreeItem(displayKey(entry), vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        const expiring = entry.expiresAt !== null;
        item.iconPath = new vscode.ThemeIcon(expiring ? 'watch' : 'key');
        const left = expiring ? describeDuration(Math.max(0, entry.expiresAt! - Math.floor(Date.now() / 1000))) : undefined;
        item.description = expiring ? `expires in ${left}` : previewOf(entry.value, 60);
        const tooltip = new vscode.MarkdownString();
        tooltip.appendMarkdown(`**${formatAddress(entry)}**\n\n`);
        tooltip.appendCodeblock(entry.value.length > 1000 ? `${entry.value.slice(0, 1000)}\n…` : entry.value, 'text');
        tooltip.appendMarkdown(`\n\nCreated ${timestamp(entry.createdAt)}  \nUpdated ${timestamp(entry.updatedAt)}`);
        if (expiring) tooltip.appendMarkdown(`  \nExpires ${timestamp(entry.expiresAt!)} (in ${left})`);
        item.tooltip = tooltip;
        item.contextValue = 'key';
        item.command = { command: 'prontodb.openValue', title: 'Open Value', arguments: [node] };
        item.resourceUri = valueUri(node.ref, entry);
        return item;
      }
      case 'loadMore': {
        const label = node.remaining ? `Load more… (${node.remaining.count.toLocaleString('en-US')}${node.remaining.more ? '+' : ''} more)` : 'Load more…';
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'prontodb.loadMore', title: 'Load More', arguments: [node] };
        item.contextValue = 'loadMore';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        item.iconPath = new vscode.ThemeIcon(node.icon ?? 'warning');
        item.tooltip = node.detail;
        item.command = node.command;
        return item;
      }
    }
  }

  /** Lets VS Code reveal (select, focus) any row: the parent is built from the child's own fields. */
  getParent(node: DatabasesNode): DatabasesNode | undefined {
    switch (node.kind) {
      case 'project':
        return { kind: 'database', ref: node.ref, active: false, location: this.service.fileOf(node.ref) };
      case 'namespace':
        return { kind: 'project', ref: node.ref, project: node.project };
      case 'key':
      case 'loadMore': {
        const project = node.kind === 'key' ? node.entry.project : node.project;
        const namespace = node.kind === 'key' ? node.entry.namespace : node.namespace;
        const parent: DatabasesNode = { kind: 'namespace', ref: node.ref, project, namespace };
        return this.namespaceNodes.get(nodeId(parent)) ?? parent;
      }
      default:
        return undefined;
    }
  }

  async getChildren(node?: DatabasesNode): Promise<DatabasesNode[]> {
    try {
      return await this.children(node);
    } catch (error) {
      const message = (error as Error).message;
      this.service.log.error(message);
      // A server that wants a password: asked once, then the tree reads again.
      this.service.afterFailure(error, node && 'ref' in node ? this.service.fileOf(node.ref) : undefined);
      return [{ kind: 'message', id: `${node ? nodeId(node) : 'root'}`, text: message.length > 80 ? `${message.slice(0, 80)}…` : message, detail: message }];
    }
  }

  private async children(node?: DatabasesNode): Promise<DatabasesNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'database': {
        // Opening a database file that does not exist would create its folder: nothing to show, nothing made.
        const location = this.service.fileOf(node.ref);
        if (!isUrlLocation(location) && !fs.existsSync(location)) return [];
        const session = await this.sessionOf(node.ref);
        return (await session.projects()).map((project) => ({ kind: 'project', ref: node.ref, project }));
      }
      case 'project': {
        const session = await this.sessionOf(node.ref);
        const ttl = new Map((await session.ttlNamespaces()).filter((ns) => ns.project === node.project).map((ns) => [ns.namespace, ns.defaultTtl]));
        const namespaces = await session.namespaces(node.project);
        return Promise.all(
          namespaces.map(async (namespace) => {
            const keys = await countKeys(session, { project: node.project, namespace });
            const child: DatabasesNode = { kind: 'namespace', ref: node.ref, project: node.project, namespace, ttl: ttl.get(namespace), keys };
            this.namespaceNodes.set(nodeId(child), child);
            return child;
          }),
        );
      }
      case 'namespace': {
        const session = await this.sessionOf(node.ref);
        const state = this.pagingOf(node.ref, node.project, node.namespace);
        const page = await session.page({ project: node.project, namespace: node.namespace, keyPrefix: state.filter, limit: state.shown });
        const keys: DatabasesNode[] = page.entries.map((entry) => ({ kind: 'key', ref: node.ref, entry }));
        if (page.next) {
          const remaining = await countKeys(session, { project: node.project, namespace: node.namespace, keyPrefix: state.filter, after: page.next });
          keys.push({ kind: 'loadMore', ref: node.ref, project: node.project, namespace: node.namespace, remaining });
        }
        if (keys.length === 0 && state.filter) keys.push({ kind: 'message', id: `empty:${nodeId(node)}`, text: `No keys start with '${state.filter}'` });
        return keys;
      }
      default:
        return [];
    }
  }

  /**
   * Every database, the active one marked. With no database at all and nothing chosen, the view is
   * empty, so VS Code shows its welcome content; nothing is created on disk until the user writes.
   */
  private async roots(): Promise<DatabasesNode[]> {
    this.namespaceNodes.clear();
    const databases = this.service.pronto.listDatabases();
    void vscode.commands.executeCommand('setContext', 'prontodb.hasDatabases', databases.length > 0);
    let target: ResolvedTarget | undefined;
    let problem: DatabasesNode | undefined;
    try {
      target = this.service.target();
    } catch (error) {
      // E.g. a malformed .prontodb: no database is active until it is fixed, as for the command line.
      const message = (error as Error).message;
      const file = (error as { file?: string }).file;
      problem = {
        kind: 'message',
        id: 'target',
        text: message.length > 80 ? `${message.slice(0, 80)}…` : message,
        detail: message,
        command: file ? { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(file)] } : undefined,
      };
    }
    const { pronto } = this.service;
    const activeLocation = target && pronto.canonicalLocation(target.location);
    const nodes: DatabasesNode[] = databases.map((db) => ({
      kind: 'database',
      ref: { database: db.name },
      active: activeLocation !== undefined && pronto.canonicalLocation(db.location) === activeLocation,
      size: db.size,
      location: db.location,
    }));
    if (target && !nodes.some((node) => node.kind === 'database' && node.active)) {
      // The active target lives outside the data directory (a cursor or .prontodb path, a server), or is not created yet.
      const exists = isUrlLocation(target.location) || fs.existsSync(target.location);
      // `main` that nobody chose and nobody created is no database: the welcome view says what to do.
      if (exists || target.source !== 'default') {
        const label = target.databaseName ?? target.cursor?.name ?? locationStem(target.location);
        const ref = target.databaseName && this.service.fileOf({ database: target.databaseName }) === activeLocation ? { database: label } : { database: label, file: target.location };
        nodes.unshift({ kind: 'database', ref, active: true, location: target.location, missing: !exists });
      }
    }
    await Promise.all(
      nodes.map(async (node) => {
        if (node.kind === 'database') node.readOnly = await this.readOnlyReason(node.location);
      }),
    );
    if (problem) nodes.unshift(problem);
    const ignored = this.service.ignoredWorkdirFile();
    if (ignored) {
      // Restricted Mode: say why the folder's .prontodb does not choose the database, and where to trust it.
      nodes.unshift({
        kind: 'message',
        id: 'untrusted-workdir',
        text: '.prontodb ignored (Restricted Mode)',
        detail: `${ignored} is ignored because this workspace is in Restricted Mode: a file in a folder you have not trusted could send your writes elsewhere. Trust the workspace to use it (click to manage workspace trust).`,
        command: { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' },
        icon: 'workspace-untrusted',
      });
    }
    return nodes;
  }

  /**
   * Why this user may not write the database, or undefined (writable, or not known in time). A file
   * asks the file system; a server its catalog, through the store the view uses anyway, at most
   * READ_ONLY_CHECK_MS so an unreachable server does not hold up the tree (its rows say what failed).
   */
  private async readOnlyReason(location: string): Promise<string | undefined> {
    if (!isUrlLocation(location)) {
      const access = fileWriteAccess(location);
      return access.writable ? undefined : access.reason;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const asked = (async () => (await this.service.pronto.store(location)).writeAccess())();
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), READ_ONLY_CHECK_MS)));
      const access = await Promise.race([asked, late]);
      return access && !access.writable ? access.reason : undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The view shows stored projects as they are, meta prefixes included. */
  private sessionOf(ref: DatabaseRef) {
    return this.service.session(ref);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** Live keys matching `query`, counted up to COUNT_LIMIT (the engine stops counting there; no value is read). */
export async function countKeys(session: Session, query: Omit<ListQuery, 'limit'>): Promise<{ count: number; more: boolean }> {
  const count = await session.count(query, { limit: COUNT_LIMIT + 1 });
  return { count: Math.min(count, COUNT_LIMIT), more: count > COUNT_LIMIT };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
