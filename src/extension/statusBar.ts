import { displayLocation } from '../core/location';
import * as vscode from 'vscode';
import { type ActiveDatabaseStatus, describeStatusMarkdown } from './activeStatus';
import type { ProntoService } from './service';

/**
 * Shows the active cursor/database and user; clicking switches cursor. The tooltip adds the
 * database's status (keys, size, schema, backups), which `status` computes off the activation path
 * and refreshes on changes. The item is returned for tests.
 */
export function registerStatusBar(service: ProntoService, status: ActiveDatabaseStatus): { item: vscode.StatusBarItem; disposable: vscode.Disposable } {
  const item = vscode.window.createStatusBarItem('prontodb.active', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ProntoDB';
  item.command = 'prontodb.switchCursor';
  const update = () => {
    try {
      const target = service.target();
      const name = target.cursor?.name ?? target.databaseName ?? displayLocation(target.location);
      item.text = `$(database) ${name}${target.user === 'default' ? '' : ` · ${target.user}`}`;
      const tooltip = new vscode.MarkdownString(`**ProntoDB** — ${target.cursor ? `cursor \`${target.cursor.name}\`` : `database \`${name}\``}\n\n`, true);
      tooltip.appendMarkdown(`Location: \`${displayLocation(target.location)}\`  \nUser: \`${target.user}\`  \nChosen by: ${target.source}`);
      if (target.metaContext) tooltip.appendMarkdown(`  \nMeta context: \`${target.metaContext}\``);
      // The status of this target only: one of the previous target is not shown while the new one is read.
      const snapshot = status.current?.location === service.pronto.canonicalLocation(target.location) ? status.current : undefined;
      tooltip.appendMarkdown(`\n\n${describeStatusMarkdown(snapshot)}`);
      tooltip.appendMarkdown('\n\nClick to switch cursor.');
      item.tooltip = tooltip;
      item.command = 'prontodb.switchCursor';
      item.backgroundColor = undefined;
      if (service.connections.isLost(service.pronto.canonicalLocation(target.location))) {
        // The server went away: other machines' writes are not heard until the connection is back.
        item.text = `$(debug-disconnect) ${name} · reconnecting…`;
        tooltip.appendMarkdown('\n\n$(warning) **Disconnected**: the connection to the server was lost; reconnecting (the ProntoDB log says when it is back).');
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      }
    } catch (error) {
      item.text = '$(database) ProntoDB: error';
      // A file at fault (a malformed .prontodb) is one click away.
      const file = (error as { file?: unknown }).file;
      item.tooltip = `${(error as Error).message}${typeof file === 'string' ? '\n\nClick to open it.' : ''}`;
      item.command = typeof file === 'string' ? { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.file(file)] } : 'prontodb.switchCursor';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    }
    item.show();
  };
  // Resolving reads cursor files: keep it off the activation path.
  setImmediate(update);
  return { item, disposable: vscode.Disposable.from(item, service.onDidChangeTarget(update), status.onDidChange(update), service.connections.onDidChange(update)) };
}
