/** Overview: every database the host offers, with size, keys, last write, health and backups. */
import type { DatabaseSummary } from '../../../src/core/dashboard/protocol';
import { type Page, type PageContext, errorBox } from '../context';
import { clear, h, icon } from '../dom';
import { databaseLabel, formatAge, formatBytes, formatCount, parseIsoTime, readOnlyTitle } from '../format';

export function healthBadge(health: DatabaseSummary['health'], exists = true): HTMLElement {
  if (!exists) return h('span', { class: 'badge badge-none' }, 'not created');
  if (!health) return h('span', { class: 'badge badge-none', title: 'doctor could not run' }, 'unknown');
  const text = health.status === 'ok' ? 'healthy' : health.status === 'warn' ? `${health.warnings} warning${health.warnings === 1 ? '' : 's'}` : `${health.errors} error${health.errors === 1 ? '' : 's'}`;
  const glyph = health.status === 'ok' ? 'pass' : health.status === 'warn' ? 'warning' : 'error';
  return h('span', { class: `badge badge-${health.status}` }, icon(glyph), ' ', text);
}

export function overviewPage(ctx: PageContext): Page {
  const body = h('div', { class: 'page-body' });
  const element = h('section', { class: 'page overview', attrs: { 'aria-labelledby': 'page-title' } }, h('h1', { attrs: { id: 'page-title' } }, 'Databases'), body);

  const render = (databases: DatabaseSummary[]): void => {
    clear(body);
    if (!databases.length) {
      body.appendChild(h('p', { class: 'empty' }, icon('info'), ' No databases yet. Create one with ', h('code', null, 'prontodb db create NAME'), ' or from the ProntoDB view.'));
      return;
    }
    const now = ctx.now();
    const rows = databases.map((db) => {
      const open = (): void => ctx.navigate({ page: 'database', database: db.ref });
      const newestBackup = parseIsoTime(db.status.backups.newest);
      const name = h('button', { class: 'link', attrs: { type: 'button' } }, databaseLabel(db.status));
      name.addEventListener('click', open);
      const row = h(
        'tr',
        { class: 'clickable', attrs: { 'data-ref': db.ref } },
        h('td', { class: 'name' }, icon('database'), ' ', name, db.active ? h('span', { class: 'badge badge-active', title: `In use: ${db.status.chosen_by}` }, 'active') : null, readOnlyBadge(readOnlyTitle(db.status)), db.name ? null : h('div', { class: 'sub' }, db.status.location)),
        h('td', { class: 'num' }, db.status.exists ? formatBytes(db.status.size_bytes) : '–'),
        h('td', { class: 'num' }, db.status.exists ? formatCount(db.status.keys) : '–'),
        h('td', { title: db.status.newest_write ?? '' }, formatAge(parseIsoTime(db.status.newest_write), now)),
        h('td', null, healthBadge(db.health, db.status.exists)),
        h('td', { title: db.status.backups.newest_file ?? 'no backup' }, db.status.backups.count ? `${formatCount(db.status.backups.count)}, newest ${formatAge(newestBackup, now)}` : h('span', { class: 'muted' }, 'none')),
      );
      row.addEventListener('click', open);
      return row;
    });
    body.appendChild(
      h(
        'table',
        { class: 'grid' },
        h('thead', null, h('tr', null, h('th', null, 'Database'), h('th', { class: 'num' }, 'Size'), h('th', { class: 'num' }, 'Keys'), h('th', null, 'Last write'), h('th', null, 'Health'), h('th', null, 'Backups'))),
        h('tbody', null, ...rows),
      ),
    );
  };

  const refresh = async (): Promise<void> => {
    try {
      render((await ctx.request({ type: 'overview' })).databases);
    } catch (error) {
      clear(body);
      body.appendChild(errorBox(error, 'Loading the databases', () => void refresh()));
    }
  };
  return { element, refresh, concerns: () => true, dispose: () => undefined };
}

/** The lock badge of a database this user may not write. */
export function readOnlyBadge(title: string | undefined): HTMLElement | null {
  return title === undefined ? null : h('span', { class: 'badge badge-readonly', title }, icon('lock'), ' read-only');
}
