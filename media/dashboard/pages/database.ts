/**
 * Database: what one database holds (keys per namespace and project, TTL namespaces and what
 * expires soon), how it is (expired values not purged, free pages, schema version, backups) and,
 * with the audit log on, who wrote how much over the last day and the latest writes.
 */
import type { AuditRecord } from '../../../src/core/audit';
import type { DatabaseResult } from '../../../src/core/dashboard/protocol';
import { barChart, emptyNote, writesChart } from '../chart';
import { type Page, type PageContext, errorBox } from '../context';
import { rememberNamespaces } from '../namespaceCache';
import { append, clear, h, icon } from '../dom';
import { readOnlyBadge } from './overview';
import { databaseLabel, readOnlyTitle, formatAddress, formatAge, formatBytes, formatCount, formatDuration, formatPercent, formatTimestamp, fragmentation, parseIsoTime } from '../format';
import { namespaceBars, projectBars, ttlNamespaces, writesSeries } from '../series';

function tile(label: string, value: string, detail?: string | Node, tone?: 'warn' | 'error'): HTMLElement {
  return h('div', { class: `tile${tone ? ` tile-${tone}` : ''}` }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), detail ? h('div', { class: 'tile-detail' }, detail) : null);
}

function section(title: string, ...content: Array<Node | null>): HTMLElement {
  const element = h('section', { class: 'card' }, h('h2', null, title));
  append(element, ...content);
  return element;
}

function auditAddress(record: AuditRecord): string {
  if (record.project === null) return '';
  if (record.namespace === null) return record.project;
  if (record.key === null) return `${record.project}.${record.namespace}`;
  return formatAddress({ project: record.project, namespace: record.namespace, key: record.key, context: record.context });
}

export function databasePage(ctx: PageContext): Page {
  const database = ctx.state.database!;
  const body = h('div', { class: 'page-body' });
  const title = h('h1', { attrs: { id: 'page-title' } }, database);
  const element = h('section', { class: 'page database', attrs: { 'aria-labelledby': 'page-title' } }, title, body);
  let disposeChart: (() => void) | undefined;

  const render = (result: DatabaseResult): void => {
    disposeChart?.();
    disposeChart = undefined;
    clear(body);
    const { status } = result;
    title.textContent = databaseLabel(status);
    body.appendChild(h('p', { class: 'sub' }, `${status.location} · ${status.backend} · chosen by ${status.chosen_by}`, readOnlyBadge(readOnlyTitle(status))));
    if (!status.exists) {
      body.appendChild(emptyNote('This database does not exist yet: the first write creates it.'));
      return;
    }
    const now = ctx.now();
    const free = fragmentation(status);
    const newestBackup = parseIsoTime(status.backups.newest);
    const schema =
      status.schema_version > status.latest_schema_version
        ? tile('Schema', `v${status.schema_version}`, `newer than this ProntoDB (v${status.latest_schema_version}): read only`, 'error')
        : status.migration_available
          ? tile('Schema', `v${status.schema_version}`, healthLink(`v${status.latest_schema_version} available: migrate`), 'warn')
          : tile('Schema', `v${status.schema_version}`, 'the latest');
    body.appendChild(
      h(
        'div',
        { class: 'tiles' },
        tile('Size', formatBytes(status.size_bytes), `${formatCount(status.pages)} pages of ${formatBytes(status.page_size)}`),
        tile('Keys', formatCount(status.keys), `${formatCount(status.projects)} project${status.projects === 1 ? '' : 's'}, ${formatCount(status.namespaces)} namespace${status.namespaces === 1 ? '' : 's'}`),
        tile('Expired, not purged', formatCount(status.expired_entries), status.expired_entries ? 'prontodb purge removes them' : 'nothing to purge', status.expired_entries ? 'warn' : undefined),
        tile('Fragmentation', formatPercent(free.share), `${formatBytes(free.freeBytes)} free (compact gives it back)`, free.share >= 0.25 && free.freeBytes >= 1024 * 1024 ? 'warn' : undefined),
        schema,
        tile('Last write', formatAge(parseIsoTime(status.newest_write), now), status.newest_write ?? 'nothing stored'),
        tile('Backups', formatCount(status.backups.count), status.backups.count ? `newest ${formatAge(newestBackup, now)}, ${formatBytes(status.backups.total_bytes)} in all` : 'none yet', status.backups.count ? undefined : 'warn'),
        status.duplicate_rows ? tile('Duplicate rows', formatCount(status.duplicate_rows), healthLink('left by the Rust CLI: migrate'), 'warn') : null,
      ),
    );

    const openKeys = (project: string, namespace: string): void => ctx.navigate({ page: 'keys', database, project, namespace });
    const projects = projectBars(result.namespaces);
    body.appendChild(
      h(
        'div',
        { class: 'columns' },
        section(
          'Keys per namespace',
          result.namespaces.length
            ? barChart(namespaceBars(result.namespaces), { label: 'Live keys per namespace', onSelect: (bar) => openKeys(bar.project!, bar.namespace!) })
            : emptyNote('No keys stored.'),
        ),
        projects.length > 1 ? section('Keys per project', barChart(projects, { label: 'Live keys per project' })) : null,
      ),
    );

    const ttl = ttlNamespaces(result.namespaces);
    body.appendChild(
      section(
        'TTL namespaces',
        ttl.length
          ? h(
              'table',
              { class: 'grid' },
              h(
                'thead',
                null,
                h('tr', null, h('th', null, 'Namespace'), h('th', { class: 'num' }, 'Default TTL'), h('th', { class: 'num' }, 'Keys'), h('th', { class: 'num' }, 'Expire in 1 min'), h('th', { class: 'num' }, 'in 1 hour'), h('th', { class: 'num' }, 'in 1 day')),
              ),
              h(
                'tbody',
                null,
                ...ttl.map((ns) => {
                  const row = h(
                    'tr',
                    { class: 'clickable' },
                    h('td', null, icon('watch'), ' ', `${ns.project}.${ns.namespace}`),
                    h('td', { class: 'num' }, formatDuration(ns.ttlSeconds!)),
                    h('td', { class: 'num' }, formatCount(ns.keys)),
                    h('td', { class: 'num' }, formatCount(ns.expiring.minute)),
                    h('td', { class: 'num' }, formatCount(ns.expiring.hour)),
                    h('td', { class: 'num' }, formatCount(ns.expiring.day)),
                  );
                  row.addEventListener('click', () => openKeys(ns.project, ns.namespace));
                  return row;
                }),
              ),
            )
          : emptyNote('No TTL namespaces (prontodb create-cache makes one).'),
      ),
    );

    if (!result.audit.enabled) {
      body.appendChild(section('Writes', emptyNote('The audit log is off, so writes are not counted. prontodb audit on records who writes what.', 'circle-slash')));
      return;
    }
    const series = writesSeries(result.audit.byClient, now);
    const chartSection = section('Writes per hour by client (last 24 hours)', h('p', { class: 'sub' }, `${formatCount(series.total)} writes recorded`));
    body.appendChild(chartSection);
    const chart = writesChart(series);
    chartSection.appendChild(chart.element);
    disposeChart = chart.dispose;
    body.appendChild(
      section(
        'Latest writes',
        result.audit.latest.length
          ? h(
              'table',
              { class: 'grid' },
              h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Client'), h('th', null, 'User'), h('th', null, 'Operation'), h('th', null, 'Address'))),
              h(
                'tbody',
                null,
                ...result.audit.latest.map((record) =>
                  h(
                    'tr',
                    null,
                    h('td', { title: formatTimestamp(record.at) }, formatAge(record.at, now)),
                    h('td', null, h('span', { class: `client client-${record.client ?? 'unknown'}` }, record.client ?? 'unknown')),
                    h('td', null, record.user ?? ''),
                    h('td', null, record.operation),
                    h('td', { class: 'mono' }, auditAddress(record)),
                  ),
                ),
              ),
            )
          : emptyNote('Nothing recorded yet.'),
      ),
    );
  };

  function healthLink(text: string): HTMLElement {
    const link = h('button', { class: 'link', attrs: { type: 'button' } }, text);
    link.addEventListener('click', () => ctx.navigate({ page: 'health', database }));
    return link;
  }

  const refresh = async (): Promise<void> => {
    try {
      const result = await ctx.request({ type: 'database', database });
      rememberNamespaces(database, result.namespaces);
      render(result);
    } catch (error) {
      disposeChart?.();
      disposeChart = undefined;
      clear(body);
      body.appendChild(errorBox(error, 'Loading the database', () => void refresh()));
    }
  };
  return { element, refresh, concerns: (ref) => ref === database, dispose: () => disposeChart?.() };
}
