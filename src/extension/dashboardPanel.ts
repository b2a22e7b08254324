/**
 * "ProntoDB: Open Dashboard": the dashboard app (media/) in a WebviewPanel. The page talks to the
 * same host side as `prontodb ui` (core/dashboard/service.ts) over postMessage: requests in,
 * responses and change notices out. Strict CSP (a nonce per load, resources only from media/),
 * and a serializer so a reload brings the panel back (the page restores its own place).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { dashboardHtml } from '../core/dashboard/html';
import { DashboardService } from '../core/dashboard/service';
import type { Disposable } from '../core/types';
import { registerCommand } from './commands/ui';
import type { DatabasesNode } from './databasesView';
import type { ProntoService } from './service';

export const DASHBOARD_VIEW_TYPE = 'prontodb.dashboard';

/** The open panel, if any: the command reveals it rather than opening a second one. */
let current: DashboardPanel | undefined;

class DashboardPanel implements vscode.Disposable {
  private dashboard: DashboardService;
  private watching: Disposable | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  /**
   * A database chosen in the tree that the page has not asked for yet. A webview that is not live
   * (a background tab being restored, a page still loading) drops messages, so the host repeats it
   * after the page's hello and forgets it once the page requests that database.
   */
  private pendingShow: string | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly service: ProntoService,
    private readonly extensionUri: vscode.Uri,
    private readonly version: string,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'prontodb.svg');
    this.dashboard = this.makeDashboard();
    panel.webview.html = this.html();
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((message: unknown) => void this.answer(message)),
      // Another database or engine (settings, selection, cursor): the page asks again.
      service.onDidChangeTarget(() => this.restart()),
      service.onDidChangeDatabases(() => this.restart()),
      panel.onDidDispose(() => this.dispose()),
    );
    this.watch();
  }

  private makeDashboard(): DashboardService {
    return new DashboardService(this.service.pronto, {
      host: 'vscode',
      version: this.version,
      activeTarget: () => this.service.target(),
      afterWrite: (session) => this.service.afterWrite(session),
    });
  }

  private html(): string {
    const asset = (name: string): string => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'dist', name)).toString();
    return dashboardHtml({
      scriptUri: asset('dashboard.js'),
      styleUri: asset('dashboard.css'),
      codiconsUri: asset('codicon.css'),
      nonce: randomBytes(16).toString('base64'),
      cspSource: this.panel.webview.cspSource,
      title: 'ProntoDB Dashboard',
    });
  }

  showDatabase(database: string): void {
    this.pendingShow = database;
    void this.panel.webview.postMessage({ type: 'show', database });
  }

  private async answer(message: unknown): Promise<void> {
    const request = (message as { request?: { type?: unknown; database?: unknown } } | undefined)?.request;
    if (request?.type === 'database' && request.database === this.pendingShow) this.pendingShow = undefined;
    try {
      await this.panel.webview.postMessage(await this.dashboard.handle(message));
      // The page shows a notice that comes after its hello as a click; one before it would be lost.
      if (request?.type === 'hello' && this.pendingShow) void this.panel.webview.postMessage({ type: 'show', database: this.pendingShow });
    } catch (error) {
      // A bug, not a failure the page can show: the log has it, and the page's request times out.
      this.service.log.error(`dashboard: ${(error as Error)?.stack ?? String(error)}`);
    }
  }

  private watch(): void {
    this.watching?.dispose();
    this.watching = this.dashboard.watch((notice) => void this.panel.webview.postMessage(notice));
  }

  private restart(): void {
    this.dashboard.dispose();
    this.dashboard = this.makeDashboard();
    this.watch();
    for (const ref of this.dashboard.targets().keys()) void this.panel.webview.postMessage({ type: 'changed', database: ref });
  }

  dispose(): void {
    if (current === this) current = undefined;
    this.watching?.dispose();
    this.dashboard.dispose();
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.panel.dispose();
  }
}

export function registerDashboard(service: ProntoService, context: vscode.ExtensionContext, version: string): vscode.Disposable[] {
  const open = (database?: string): DashboardPanel => {
    if (current) {
      current.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'ProntoDB Dashboard', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')],
      });
      current = new DashboardPanel(panel, service, context.extensionUri, version);
    }
    // A database chosen in the tree: the page opens it (the page treats this like a click).
    if (database) current.showDatabase(database);
    return current;
  };
  return [
    registerCommand(service, 'prontodb.openDashboard', (node?: DatabasesNode) => {
      open(node?.kind === 'database' ? (node.ref.file ? '@active' : node.ref.database) : undefined);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        current?.dispose();
        current = new DashboardPanel(panel, service, context.extensionUri, version);
      },
    }),
    { dispose: () => current?.dispose() },
  ];
}
