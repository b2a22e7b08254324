import * as vscode from 'vscode';
import type { Cursor } from '../core/cursors';
import { displayLocation } from '../core/location';
import type { ProntoService } from './service';

export type CursorNode = { kind: 'cursor'; cursor: Cursor; active: boolean };

/** The current user's cursors, the active one marked; the view's description names the user. */
export class CursorsTreeProvider implements vscode.TreeDataProvider<CursorNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CursorNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  view: vscode.TreeView<CursorNode> | undefined;

  constructor(private readonly service: ProntoService) {
    this.subscription = service.onDidChangeTarget(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: CursorNode): vscode.TreeItem {
    const { cursor } = node;
    const item = new vscode.TreeItem(cursor.name, vscode.TreeItemCollapsibleState.None);
    item.id = `cursor\u0000${cursor.user}\u0000${cursor.name}`;
    item.iconPath = new vscode.ThemeIcon(node.active ? 'pass-filled' : 'circle-large-outline', node.active ? new vscode.ThemeColor('charts.green') : undefined);
    const target = cursor.databaseName ?? displayLocation(cursor.databasePath);
    item.description = [target, cursor.metaContext ? `meta ${cursor.metaContext}` : undefined, node.active ? 'active' : undefined].filter(Boolean).join(' · ');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${cursor.name}** (user ${cursor.user})\n\n`);
    tooltip.appendMarkdown(`Database: \`${displayLocation(cursor.databasePath)}\`  \n`);
    if (cursor.metaContext) tooltip.appendMarkdown(`Meta context: \`${cursor.metaContext}\`  \n`);
    if (cursor.defaultProject || cursor.defaultNamespace) {
      tooltip.appendMarkdown(`Defaults: \`${cursor.defaultProject ?? 'default'}.${cursor.defaultNamespace ?? 'default'}\`  \n`);
    }
    item.tooltip = tooltip;
    item.contextValue = node.active ? 'activeCursor' : 'cursor';
    if (!node.active) item.command = { command: 'prontodb.useCursor', title: 'Use Cursor', arguments: [node] };
    return item;
  }

  /** A flat list; VS Code needs the method to reveal (select) a row. */
  getParent(): undefined {
    return undefined;
  }

  getChildren(node?: CursorNode): CursorNode[] {
    if (node) return [];
    const user = this.service.user;
    if (this.view) this.view.description = `user: ${user}`;
    let active: string | undefined;
    try {
      const target = this.service.target();
      // Only a cursor of this user is ever marked (the core never hands out another user's).
      active = target.cursor?.user === user ? target.cursor.name : undefined;
    } catch {
      // No active target (e.g. a malformed .prontodb, reported by the service): list without a mark.
    }
    const cursors = this.service.pronto.cursors.list(user);
    void vscode.commands.executeCommand('setContext', 'prontodb.hasCursors', cursors.length > 0);
    return cursors.map((cursor) => ({ kind: 'cursor', cursor, active: cursor.name === active }));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
