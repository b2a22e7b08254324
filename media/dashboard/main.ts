/**
 * The dashboard app: one page at a time (Overview, Database, Keys, Health), the same in a VS Code
 * webview and in a browser (transport.ts hides the difference). The place is saved so a reload
 * comes back to it; the host's change notices reload what the visible page shows.
 */
import type { HelloResult } from '../../src/core/dashboard/protocol';
import { type Page, type PageContext, describeError, errorBox } from './context';
import { button, clear, h, icon } from './dom';
import { databasePage } from './pages/database';
import { healthPage } from './pages/health';
import { keysPage } from './pages/keys';
import { overviewPage } from './pages/overview';
import { type Connection, createTransport } from './transport';
import { type PageName, type ViewState, sameState } from './viewState';
// Stylesheets, in cascade order: esbuild writes them to dashboard.css beside the script.
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';

/** Notices come in bursts (a writer's every commit): reload at most this often. */
const REFRESH_SPACING_MS = 750;

const PAGE_TITLES: Record<PageName, string> = { overview: 'Overview', database: 'Database', keys: 'Keys', health: 'Health' };
const PAGE_ICONS: Record<PageName, string> = { overview: 'home', database: 'database', keys: 'symbol-key', health: 'pulse' };

class App {
  private readonly transport = createTransport();
  private state: ViewState;
  private hello: HelloResult | undefined;
  private page: Page | undefined;
  private readonly root: HTMLElement;
  private readonly main = h('main', { attrs: { id: 'main' } });
  private readonly nav = h('nav', { attrs: { 'aria-label': 'Pages' } });
  private readonly banner = h('div', { class: 'banner', attrs: { role: 'alert' } });
  private readonly connection = h('span', { class: 'connection' });
  private readonly badges = h('span', { class: 'badges' });
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private lastRefresh = 0;

  constructor(root: HTMLElement) {
    this.root = root;
    this.state = this.transport.loadState();
    document.documentElement.classList.add(this.transport.kind === 'vscode' ? 'host-vscode' : 'host-browser');
    this.banner.hidden = true;
    this.transport.tracker.onNotice((notice) => {
      if (notice.type === 'show') {
        // Before the host said hello the page is not shown yet: start there instead.
        if (this.hello) this.show({ page: 'database', database: notice.database }, true);
        else this.state = { page: 'database', database: notice.database };
      } else if (this.page?.concerns(notice.database)) this.scheduleRefresh();
    });
    this.transport.onConnection((connection) => this.showConnection(connection));
    this.transport.onExternalNavigation((state) => this.show(state, false));
    // The theme changed (VS Code's body classes, the system's dark mode): charts read colours when drawn.
    new MutationObserver(() => this.scheduleRefresh()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.scheduleRefresh());
  }

  async start(): Promise<void> {
    clear(this.root);
    const reload = button('Reload this page\'s data', () => void this.runRefresh(), { icon: 'refresh', kind: 'icon' });
    this.root.append(h('header', { class: 'top' }, h('span', { class: 'brand' }, icon('database'), ' ProntoDB'), this.nav, this.badges, this.connection, reload), this.banner, this.main);
    try {
      this.hello = await this.transport.tracker.request({ type: 'hello' });
    } catch (error) {
      this.main.appendChild(errorBox(error, 'Connecting to the host', () => void this.start()));
      return;
    }
    clear(this.badges);
    if (this.hello.readOnly) this.badges.appendChild(h('span', { class: 'badge badge-readonly', title: 'The host refuses writes' }, icon('lock'), ' read-only'));
    this.badges.appendChild(h('span', { class: 'muted version' }, `v${this.hello.version}`));
    this.show(this.state, false);
  }

  private context(state: ViewState): PageContext {
    const tracker = this.transport.tracker;
    return {
      request: (request) => tracker.request(request),
      hello: this.hello!,
      state,
      navigate: (next) => this.show(next, true),
      update: (next) => {
        this.state = next;
        this.transport.saveState(next, false);
        this.renderNav();
      },
      showError: (error, what) => this.showError(error, what),
      now: () => Date.now(),
    };
  }

  private show(state: ViewState, push: boolean): void {
    if (!this.hello) return;
    if (this.page && sameState(state, this.state) && push) return;
    this.page?.dispose();
    this.state = state;
    this.transport.saveState(state, push);
    this.hideError();
    const ctx = this.context(state);
    this.page = state.page === 'database' ? databasePage(ctx) : state.page === 'keys' ? keysPage(ctx) : state.page === 'health' ? healthPage(ctx) : overviewPage(ctx);
    clear(this.main);
    this.main.appendChild(this.page.element);
    this.renderNav();
    document.title = state.database ? `ProntoDB: ${state.database} · ${PAGE_TITLES[state.page]}` : 'ProntoDB';
    void this.runRefresh();
  }

  private renderNav(): void {
    clear(this.nav);
    const tabs: PageName[] = this.state.database ? ['overview', 'database', 'keys', 'health'] : ['overview'];
    for (const name of tabs) {
      const label = name === 'database' ? this.state.database! : PAGE_TITLES[name];
      const tab = h('button', { class: `tab${name === this.state.page ? ' current' : ''}`, attrs: { type: 'button', ...(name === this.state.page ? { 'aria-current': 'page' } : {}) } }, icon(PAGE_ICONS[name]), h('span', null, label));
      tab.addEventListener('click', () => this.show(name === 'overview' ? { page: 'overview' } : { page: name, database: this.state.database }, true));
      this.nav.appendChild(tab);
    }
  }

  /** Coalesces notices: one reload now (or after the spacing), one more if notices came during it. */
  private scheduleRefresh(): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    if (this.refreshTimer !== undefined) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_SPACING_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.runRefresh();
    }, wait);
  }

  private async runRefresh(): Promise<void> {
    const page = this.page;
    if (!page) return;
    this.refreshing = true;
    this.refreshAgain = false;
    try {
      await page.refresh();
    } finally {
      this.refreshing = false;
      this.lastRefresh = Date.now();
    }
    this.root.dataset.refreshed = String(this.lastRefresh);
    if (this.refreshAgain && page === this.page) this.scheduleRefresh();
  }

  private showConnection(connection: Connection): void {
    const wasLost = this.connection.dataset.state === 'reconnecting' || this.connection.dataset.state === 'closed';
    this.connection.dataset.state = connection;
    clear(this.connection);
    if (this.transport.kind === 'vscode') return;
    const [glyph, text, title] =
      connection === 'live'
        ? ['circle-filled', 'live', 'Updates appear as other programs write']
        : connection === 'reconnecting'
          ? ['sync', 'reconnecting…', 'The live updates are interrupted; retrying']
          : ['debug-disconnect', 'not live', 'No live updates: reload the page (is prontodb ui still running?)'];
    this.connection.title = title;
    this.connection.append(icon(glyph), ` ${text}`);
    // Notices may have been missed while the connection was down.
    if (connection === 'live' && wasLost && this.page) this.scheduleRefresh();
  }

  private showError(error: unknown, what: string): void {
    const { code, message } = describeError(error);
    clear(this.banner);
    this.banner.append(
      icon('error'),
      h('div', null, h('strong', null, `${what} failed`), h('span', { class: 'error-code' }, code), h('p', null, message)),
      button('Dismiss', () => this.hideError(), { icon: 'close', kind: 'icon' }),
    );
    this.banner.hidden = false;
  }

  private hideError(): void {
    this.banner.hidden = true;
    clear(this.banner);
  }
}

void new App(document.getElementById('app')!).start();
