// Throwaway extension proving the harness: one command with a result, one tree view.
'use strict';
const vscode = require('vscode');

class ItemsProvider {
  constructor() {
    this._onDidChange = new vscode.EventEmitter();
    this.onDidChangeTreeData = this._onDidChange.event;
    this.roots = ['alpha', 'beta', 'gamma'];
  }
  refresh() { this._onDidChange.fire(undefined); }
  getTreeItem(el) {
    const isRoot = !el.includes('.');
    const item = new vscode.TreeItem(el,
      isRoot ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(isRoot ? 'folder' : 'key');
    item.description = isRoot ? 'namespace' : `value of ${el}`;
    item.tooltip = `address: ${el}`;
    return item;
  }
  getChildren(el) {
    if (!el) return this.roots;
    if (el.includes('.')) return [];
    return [1, 2, 3].map((i) => `${el}.key${i}`);
  }
}

function activate(context) {
  const provider = new ItemsProvider();
  const view = vscode.window.createTreeView('harnessSample.items', { treeDataProvider: provider, showCollapseAll: true });
  context.subscriptions.push(
    view,
    vscode.commands.registerCommand('harnessSample.hello', (name) => {
      const text = `Hello, ${name || 'world'}!`;
      vscode.window.setStatusBarMessage(text, 3000);
      return text;
    }),
    vscode.commands.registerCommand('harnessSample.refresh', () => provider.refresh()),
  );
  // The API returned here is what tests get from extension.exports.
  return { provider, view };
}

function deactivate() {}

module.exports = { activate, deactivate };
