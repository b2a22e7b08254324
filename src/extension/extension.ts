import * as vscode from 'vscode';
import { ActiveDatabaseStatus } from './activeStatus';
import { registerAuditCommands } from './commands/auditCommands';
import { registerCursorCommands } from './commands/cursorCommands';
import { registerCopyCommands } from './commands/copyCommands';
import { registerDatabaseCommands } from './commands/databaseCommands';
import { registerHealthCommands } from './commands/healthCommands';
import { registerTreeKeyCommands } from './commands/treeKeys';
import { registerCommand } from './commands/ui';
import { registerValueCommands } from './commands/valueCommands';
import { type CursorNode, CursorsTreeProvider } from './cursorsView';
import { registerDashboard } from './dashboardPanel';
import { type DatabasesNode, DatabasesTreeProvider } from './databasesView';
import { registerGettingStarted } from './gettingStarted';
import { DatabaseHealthDecorations } from './healthDecorations';
import { registerLanguageModelTools } from './lmTools';
import { registerMcpServerProvider } from './mcpServerProvider';
import { ProntoService } from './service';
import { registerStatusBar } from './statusBar';
import { registerTerminalEnvironment } from './terminalEnvironment';
import { VALUE_SCHEME, ValueFileSystemProvider } from './valueDocuments';
import { ValueHistoryReader } from './valueHistory';

declare const PRONTODB_VERSION: string | undefined;

/** What `activate` returns: used by the integration tests, and by other extensions if they wish. */
export interface ProntoExtensionApi {
  service: ProntoService;
  databases: DatabasesTreeProvider;
  cursors: CursorsTreeProvider;
  /** The environment integrated terminals get (`prontodb` on PATH, the active database/cursor/user). */
  terminalEnvironment: vscode.GlobalEnvironmentVariableCollection;
  /** The two tree views of the ProntoDB container. */
  views: { databases: vscode.TreeView<DatabasesNode>; cursors: vscode.TreeView<CursorNode> };
  /** The status bar item showing the active database/cursor. */
  statusBar: vscode.StatusBarItem;
  /** The active database's status (the status bar's tooltip) and the Databases view's health marks. */
  health: { status: ActiveDatabaseStatus; decorations: DatabaseHealthDecorations };
  /** How long `activate` took, in milliseconds. */
  activationMs: number;
}

/**
 * Registers every feature. Nothing here touches the disk or loads the WASM engine: views and
 * commands reach the core on first use.
 */
export function activate(context: vscode.ExtensionContext): ProntoExtensionApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('ProntoDB', { log: true });
  const service = new ProntoService(context, log);
  const databases = new DatabasesTreeProvider(service);
  const cursors = new CursorsTreeProvider(service);
  const databasesView = vscode.window.createTreeView('prontodb.databases', { treeDataProvider: databases, showCollapseAll: true });
  const cursorsView = vscode.window.createTreeView('prontodb.cursors', { treeDataProvider: cursors });
  cursors.view = cursorsView;
  const values = new ValueFileSystemProvider(service, new ValueHistoryReader(service));
  const version = typeof PRONTODB_VERSION === 'string' ? PRONTODB_VERSION : 'dev';
  const status = new ActiveDatabaseStatus(service);
  const statusBar = registerStatusBar(service, status);
  const decorations = new DatabaseHealthDecorations(service, databasesView, databases);

  context.subscriptions.push(
    log,
    service,
    databases,
    cursors,
    databasesView,
    cursorsView,
    values,
    vscode.workspace.registerFileSystemProvider(VALUE_SCHEME, values, { isCaseSensitive: true }),
    ...registerValueCommands(service, databases),
    ...registerDatabaseCommands(service),
    ...registerCopyCommands(service),
    ...registerCursorCommands(service),
    status,
    decorations,
    ...registerHealthCommands(service, { status, decorations, tree: databases }),
    ...registerAuditCommands(service),
    ...registerTreeKeyCommands(service, { databases: databasesView, cursors: cursorsView }),
    registerCommand(service, 'prontodb.showVersion', () => {
      void vscode.window.showInformationMessage(`ProntoDB ${version}`);
      return version;
    }),
    registerCommand(service, 'prontodb.openLog', () => log.show()),
    registerCommand(service, 'prontodb.forgetServerPassword', async () => {
      let active: string | undefined;
      try {
        active = service.target().location;
      } catch {
        active = undefined;
      }
      const forgotten = await service.passwords.forget(active);
      // Open connections logged in with it: start over, so the next read asks again.
      if (forgotten) service.reset();
      return forgotten;
    }),
    statusBar.disposable,
    registerTerminalEnvironment(context, service),
    registerLanguageModelTools(service),
    ...registerDashboard(service, context, version),
    ...registerGettingStarted(service),
  );
  // VS Code 1.101 and later only (feature-detected): offers `prontodb mcp` to the editor's MCP client.
  const mcpServerProvider = registerMcpServerProvider(service, context, version);
  if (mcpServerProvider) context.subscriptions.push(mcpServerProvider);
  void vscode.commands.executeCommand('setContext', 'prontodb.ready', true);
  const activationMs = performance.now() - started;
  log.info(`ProntoDB ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    service,
    databases,
    cursors,
    views: { databases: databasesView, cursors: cursorsView },
    terminalEnvironment: context.environmentVariableCollection,
    statusBar: statusBar.item,
    health: { status, decorations },
    activationMs,
  };
}

export function deactivate(): void {
  // Subscriptions close the engine; writes already resolved are on disk.
}
