/**
 * Keys: one namespace's keys, a page at a time (keyset paging: the host never counts or loads the
 * whole namespace), filtered by an exact key prefix. A key opens in full; edits are compare-and-set
 * against the value shown, so a change by someone else in between is refused, not overwritten;
 * deletes are confirmed (and also conditional on the value shown).
 */
import type { AddressParts, KeyRow, NamespaceSummary } from '../../../src/core/dashboard/protocol';
import { emptyNote } from '../chart';
import { type Page, type PageContext, describeError, errorBox } from '../context';
import { busy, button, clear, confirmDialog, copyText, h, icon, toast } from '../dom';
import { formatAddress, formatAge, formatCount, formatExpiry, formatTimestamp } from '../format';
import { KeyPager } from '../paging';
import { recallNamespaces, rememberNamespaces } from '../namespaceCache';
import { LatestOnly } from '../requests';

const PAGE_SIZE = 100;
const PREFIX_PAUSE_MS = 250;

interface Shown {
  address: AddressParts;
  /** The full value as last read; the `expected` of an edit or delete. */
  value: string | null;
  updatedAt: number;
  expiresAt: number | null;
}

export function keysPage(ctx: PageContext): Page {
  const database = ctx.state.database!;
  let project = ctx.state.project;
  let namespace = ctx.state.namespace;
  let prefix = ctx.state.prefix ?? '';
  const writable = !ctx.hello.readOnly;
  const pager = new KeyPager();
  const latest = new LatestOnly();

  const namespaceSelect = h('select', { attrs: { 'aria-label': 'Namespace' } });
  const prefixInput = h('input', { attrs: { type: 'search', placeholder: 'Key prefix (exact, case-sensitive)', 'aria-label': 'Key prefix', spellcheck: 'false' } });
  prefixInput.value = prefix;
  const pageLabel = h('span', { class: 'page-number' });
  const previous = button('Previous page', () => void go(() => pager.previous()), { icon: 'chevron-left', kind: 'icon' });
  const next = button('Next page', () => void go(() => pager.next()), { icon: 'chevron-right', kind: 'icon' });
  const info = h('span', { class: 'muted timing' });
  const tableHolder = h('div', { class: 'table-holder' });
  const detail = h('aside', { class: 'detail card', attrs: { 'aria-label': 'Value' } });
  const layout = h('div', { class: 'keys-layout' }, tableHolder, detail);
  const showDetail = (visible: boolean): void => {
    detail.hidden = !visible;
    // A class, not a :has() rule: those make every change in the table restyle the whole layout.
    layout.classList.toggle('with-detail', visible);
  };
  showDetail(false);
  const element = h(
    'section',
    { class: 'page keys', attrs: { 'aria-labelledby': 'page-title' } },
    h('h1', { attrs: { id: 'page-title' } }, 'Keys'),
    h('div', { class: 'toolbar' }, namespaceSelect, h('div', { class: 'search' }, icon('search'), prefixInput), h('div', { class: 'pager' }, previous, pageLabel, next), info),
    layout,
  );

  let rows: KeyRow[] = [];
  let selected: { key: string; context: string | null } | undefined;
  let shown: Shown | undefined;
  let editor: HTMLTextAreaElement | undefined;
  let editorNote: HTMLElement | undefined;

  const addressOf = (row: { key: string; context: string | null }): AddressParts => ({ project: project!, namespace: namespace!, key: row.key, context: row.context });
  const sameKey = (a: { key: string; context: string | null } | undefined, b: { key: string; context: string | null }): boolean => !!a && a.key === b.key && a.context === b.context;

  // ---- namespaces ----------------------------------------------------------------------------
  // The list comes with the database's figures ('database'), which count every key: on a large
  // database that takes seconds, during which the host answers nothing else. So the keys are asked
  // for first; the list is taken from the Database page when it was just there, else asked for
  // after the first page is shown, and again when the user opens the list after a while.
  const fillNamespaces = (namespaces: NamespaceSummary[] | undefined): void => {
    const current = project !== undefined ? `${project}\u0000${namespace}` : '';
    clear(namespaceSelect);
    const known = new Set((namespaces ?? []).map((ns) => `${ns.project}\u0000${ns.namespace}`));
    if (current && !known.has(current)) namespaceSelect.appendChild(h('option', { attrs: { value: current } }, `${project}.${namespace}${namespaces ? ' (no keys)' : ''}`));
    if (!namespaces) namespaceSelect.appendChild(h('option', { attrs: { value: '', disabled: '' } }, 'Loading the other namespaces…'));
    for (const ns of [...(namespaces ?? [])].sort((a, b) => `${a.project}.${a.namespace}`.localeCompare(`${b.project}.${b.namespace}`))) {
      namespaceSelect.appendChild(h('option', { attrs: { value: `${ns.project}\u0000${ns.namespace}` } }, `${ns.project}.${ns.namespace} — ${formatCount(ns.keys)}${ns.ttlSeconds !== null ? ' (TTL)' : ''}`));
    }
    namespaceSelect.value = current;
  };

  let namespacesLoaded = 0;
  let namespacesLoading: Promise<void> | undefined;
  const NAMESPACES_FRESH_MS = 30_000;
  const ensureNamespaces = (): Promise<void> => {
    if (namespacesLoading) return namespacesLoading;
    if (Date.now() - namespacesLoaded < NAMESPACES_FRESH_MS) return Promise.resolve();
    namespacesLoading = loadNamespaces().finally(() => (namespacesLoading = undefined));
    return namespacesLoading;
  };
  const onNamespaceList = (): void => {
    ensureNamespaces().catch((error: unknown) => ctx.showError(error, 'Loading the namespaces'));
  };
  namespaceSelect.addEventListener('focus', onNamespaceList);
  namespaceSelect.addEventListener('pointerdown', onNamespaceList);

  namespaceSelect.addEventListener('change', () => {
    const [p, n] = namespaceSelect.value.split('\u0000');
    project = p;
    namespace = n;
    pager.reset();
    closeDetail();
    ctx.update({ page: 'keys', database, project, namespace, prefix: prefix || undefined });
    void loadKeys();
  });

  let prefixTimer: ReturnType<typeof setTimeout> | undefined;
  prefixInput.addEventListener('input', () => {
    clearTimeout(prefixTimer);
    prefixTimer = setTimeout(() => {
      if (prefixInput.value === prefix) return;
      prefix = prefixInput.value;
      pager.reset();
      ctx.update({ page: 'keys', database, project, namespace, prefix: prefix || undefined });
      void loadKeys();
    }, PREFIX_PAUSE_MS);
  });

  const loadNamespaces = async (): Promise<void> => {
    const result = await ctx.request({ type: 'database', database });
    namespacesLoaded = Date.now();
    rememberNamespaces(database, result.namespaces, namespacesLoaded);
    if (project === undefined && result.namespaces.length) {
      const biggest = [...result.namespaces].sort((a, b) => b.keys - a.keys)[0];
      project = biggest.project;
      namespace = biggest.namespace;
      ctx.update({ page: 'keys', database, project, namespace, prefix: prefix || undefined });
    }
    fillNamespaces(result.namespaces);
  };

  // ---- the table -----------------------------------------------------------------------------
  const go = async (move: () => boolean): Promise<void> => {
    if (move()) await loadKeys();
  };

  const updatePager = (): void => {
    previous.disabled = !pager.hasPrevious;
    next.disabled = !pager.hasNext;
    pageLabel.textContent = `Page ${pager.pageNumber}`;
  };

  const loadKeys = async (): Promise<void> => {
    if (project === undefined || namespace === undefined) return;
    const ticket = latest.begin();
    const started = performance.now();
    try {
      const result = await ctx.request({ type: 'keys', database, project, namespace, prefix: prefix || undefined, after: pager.after, limit: PAGE_SIZE });
      if (!latest.isCurrent(ticket)) return;
      pager.loaded(result);
      rows = result.entries;
      renderTable();
      // From the request to the rows in the table (bench/dashboardKeys.mjs reads it).
      const ms = Math.round(performance.now() - started);
      info.textContent = `${formatCount(rows.length)} key${rows.length === 1 ? '' : 's'} · ${ms} ms`;
      tableHolder.dataset.loadMs = String(ms);
    } catch (error) {
      if (!latest.isCurrent(ticket)) return;
      clear(tableHolder);
      tableHolder.appendChild(errorBox(error, 'Loading the keys', () => void loadKeys()));
      info.textContent = '';
    }
    updatePager();
  };

  const renderTable = (): void => {
    clear(tableHolder);
    if (!rows.length) {
      tableHolder.appendChild(emptyNote(pager.hasPrevious ? 'No more keys.' : prefix ? `No key starts with '${prefix}'.` : 'No keys in this namespace.'));
      return;
    }
    const now = ctx.now();
    const body = h('tbody');
    for (const row of rows) {
      const cut = row.valueLength > row.value.length;
      const actions = h('td', { class: 'actions' }, button('Copy address', () => void copyAddress(row), { icon: 'copy', kind: 'icon' }), writable ? button('Delete…', () => void remove(row), { icon: 'trash', kind: 'icon' }) : null);
      const tr = h(
        'tr',
        { class: `clickable${sameKey(selected, row) ? ' selected' : ''}`, attrs: { tabindex: '0' } },
        h('td', { class: 'mono key' }, row.key, row.context !== null ? h('span', { class: 'context' }, `__${row.context}`) : null),
        h('td', { class: 'mono value', title: cut ? `${formatCount(row.valueLength)} characters; open to see all` : '' }, row.value, cut ? h('span', { class: 'cut' }, ` … (${formatCount(row.valueLength)} chars)`) : null),
        h('td', { title: formatTimestamp(row.updatedAt * 1000) }, formatAge(row.updatedAt * 1000, now)),
        h('td', { title: row.expiresAt === null ? '' : formatTimestamp(row.expiresAt * 1000) }, formatExpiry(row.expiresAt, now)),
        actions,
      );
      tr.addEventListener('click', () => void open(row));
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') void open(row);
      });
      body.appendChild(tr);
    }
    tableHolder.appendChild(h('table', { class: 'grid keys-table' }, h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, 'Updated'), h('th', null, 'Expires'), h('th', { class: 'actions' }, ''))), body));
    if (pager.hasPrevious || pager.hasNext) {
      // The same moves below a long page, so nobody scrolls back up for them.
      tableHolder.appendChild(
        h(
          'div',
          { class: 'pager-bottom' },
          button('Previous', () => void go(() => pager.previous()).then(() => element.scrollIntoView()), { icon: 'chevron-left', disabled: !pager.hasPrevious }),
          h('span', { class: 'page-number' }, `Page ${pager.pageNumber}`),
          button('Next', () => void go(() => pager.next()).then(() => element.scrollIntoView()), { icon: 'chevron-right', disabled: !pager.hasNext }),
        ),
      );
    }
  };

  // ---- one value -----------------------------------------------------------------------------
  const copyAddress = async (row: { key: string; context: string | null }): Promise<void> => {
    const address = formatAddress(addressOf(row));
    try {
      await copyText(address);
      toast(`Copied ${address}`);
    } catch (error) {
      ctx.showError(error, 'Copying the address');
    }
  };

  const closeDetail = (): void => {
    selected = undefined;
    shown = undefined;
    editor = undefined;
    showDetail(false);
    clear(detail);
    for (const tr of tableHolder.querySelectorAll('tr.selected')) tr.classList.remove('selected');
  };

  const open = async (row: { key: string; context: string | null }): Promise<void> => {
    selected = { key: row.key, context: row.context };
    editor = undefined;
    renderTable();
    await loadDetail();
  };

  const loadDetail = async (): Promise<void> => {
    if (!selected) return;
    const address = addressOf(selected);
    try {
      const { entry } = await ctx.request({ type: 'get', database, address });
      if (!selected || !sameKey(selected, address)) return;
      if (editor) {
        // Someone wrote while the user edits: say so now, rather than only when the save is refused.
        const changed = (entry?.value ?? null) !== shown?.value;
        if (editorNote) editorNote.hidden = !changed;
        return;
      }
      shown = entry ? { address, value: entry.value, updatedAt: entry.updatedAt, expiresAt: entry.expiresAt } : { address, value: null, updatedAt: 0, expiresAt: null };
      renderDetail();
    } catch (error) {
      clear(detail);
      showDetail(true);
      detail.appendChild(errorBox(error, 'Reading the value', () => void loadDetail()));
    }
  };

  const renderDetail = (): void => {
    if (!shown) return;
    const current = shown;
    clear(detail);
    showDetail(true);
    const address = formatAddress(current.address);
    const header = h('div', { class: 'detail-header' }, h('h2', { class: 'mono' }, address), button('Close', closeDetail, { icon: 'close', kind: 'icon' }));
    detail.appendChild(header);
    if (current.value === null) {
      detail.appendChild(emptyNote('Nothing is stored here now: the value was deleted or has expired.', 'warning'));
      return;
    }
    const now = ctx.now();
    detail.appendChild(
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Updated'),
        h('dd', { title: formatTimestamp(current.updatedAt * 1000) }, formatAge(current.updatedAt * 1000, now)),
        h('dt', null, 'Expires'),
        h('dd', { title: current.expiresAt === null ? '' : formatTimestamp(current.expiresAt * 1000) }, formatExpiry(current.expiresAt, now)),
        h('dt', null, 'Length'),
        h('dd', null, `${formatCount(current.value.length)} characters`),
      ),
    );
    if (editor) {
      renderEditor(current);
      return;
    }
    detail.appendChild(h('pre', { class: 'value-full' }, current.value));
    detail.appendChild(
      h(
        'div',
        { class: 'detail-buttons' },
        button('Copy address', () => void copyAddress(current.address), { icon: 'copy' }),
        writable ? button('Edit', () => startEdit(current), { icon: 'edit', kind: 'primary' }) : null,
        writable ? button('Delete…', () => void remove(current.address, current.value!), { icon: 'trash', kind: 'danger' }) : null,
      ),
    );
  };

  const startEdit = (current: Shown): void => {
    editor = h('textarea', { class: 'value-editor mono', attrs: { 'aria-label': 'New value', spellcheck: 'false' } });
    editor.value = current.value ?? '';
    renderDetail();
    editor.focus();
  };

  const renderEditor = (current: Shown): void => {
    const area = editor!;
    editorNote = h('p', { class: 'warning-note', attrs: { role: 'alert' } }, icon('warning'), ' Someone changed this value since you opened it: saving will be refused. Cancel to see the new value.');
    editorNote.hidden = true;
    const save = button(
      'Save',
      () =>
        void busy(save, async () => {
          try {
            // Compare-and-set: only over the value this editor started from.
            await ctx.request({ type: 'set', database, address: current.address, value: area.value, expected: { value: current.value } });
            editor = undefined;
            toast(`Saved ${formatAddress(current.address)}`);
            await Promise.all([loadDetail(), loadKeys()]);
          } catch (error) {
            if (describeError(error).code === 'condition-failed') editorNote!.hidden = false;
            else ctx.showError(error, 'Saving the value');
          }
        }),
      { icon: 'save', kind: 'primary' },
    );
    const cancel = button('Cancel', () => {
      editor = undefined;
      void loadDetail();
    });
    detail.append(area, editorNote, h('div', { class: 'detail-buttons' }, save, cancel));
  };

  const remove = async (target: KeyRow | AddressParts, knownValue?: string): Promise<void> => {
    const address = 'project' in target ? target : addressOf(target);
    let value = knownValue;
    if (value === undefined && !('project' in target) && target.valueLength === target.value.length) value = target.value;
    try {
      if (value === undefined) {
        const { entry } = await ctx.request({ type: 'get', database, address });
        if (!entry) {
          toast('Already gone: deleted or expired');
          await loadKeys();
          return;
        }
        value = entry.value;
      }
      const text = formatAddress(address);
      const ok = await confirmDialog({ title: 'Delete this value?', message: h('span', null, 'Delete ', h('code', null, text), ' from ', h('strong', null, database), '? This cannot be undone (a backup or the audit log may hold the old value).'), confirm: 'Delete', danger: true });
      if (!ok) return;
      // Only the value the user saw: if it changed in between, the host refuses and nothing is lost.
      await ctx.request({ type: 'delete', database, address, expected: { value } });
      toast(`Deleted ${text}`);
      if (sameKey(selected, address)) closeDetail();
      await loadKeys();
    } catch (error) {
      if (describeError(error).code === 'condition-failed') ctx.showError(new Error('The value changed since it was shown, so it was not deleted. Look at it again and retry.'), 'Deleting the value');
      else ctx.showError(error, 'Deleting the value');
    }
  };

  const refresh = async (): Promise<void> => {
    updatePager();
    if (project !== undefined) {
      if (!namespacesLoaded) {
        const recent = recallNamespaces(database, NAMESPACES_FRESH_MS);
        if (recent) namespacesLoaded = Date.now();
        fillNamespaces(recent);
      }
      await Promise.all([loadKeys(), loadDetail()]);
      if (!namespacesLoaded) onNamespaceList();
      return;
    }
    try {
      await ensureNamespaces();
    } catch (error) {
      clear(tableHolder);
      tableHolder.appendChild(errorBox(error, 'Loading the namespaces', () => void refresh()));
      return;
    }
    if (project === undefined) {
      clear(tableHolder);
      tableHolder.appendChild(emptyNote('No keys stored in this database yet.'));
    } else await loadKeys();
  };

  return { element, refresh, concerns: (ref) => ref === database, dispose: () => clearTimeout(prefixTimer) };
}
