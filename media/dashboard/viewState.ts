/**
 * Where the user is in the dashboard, so a reload (or VS Code restoring the panel) comes back to the
 * same place: the page, the database, and on the Keys page the namespace and prefix. In a browser it
 * lives in the URL hash (`#/keys/work/app/cache?prefix=user%3A`), in a webview in its saved state.
 * Pure (no DOM).
 */

export const PAGES = ['overview', 'database', 'keys', 'health'] as const;
export type PageName = (typeof PAGES)[number];

export interface ViewState {
  page: PageName;
  database?: string;
  project?: string;
  namespace?: string;
  prefix?: string;
}

export const HOME: ViewState = { page: 'overview' };

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A well-formed state from anything (a saved state from an older version, a hand-edited hash):
 * unknown pages go home, a page that needs a database without one goes home, a namespace needs its
 * project, fields that do not belong to the page are dropped, an empty prefix is no prefix.
 */
export function normalizeState(value: unknown): ViewState {
  const raw = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const page = PAGES.find((name) => name === raw.page);
  const database = text(raw.database);
  if (!page || page === 'overview' || !database) return { ...HOME };
  if (page !== 'keys') return { page, database };
  const state: ViewState = { page, database };
  const project = text(raw.project);
  const namespace = text(raw.namespace);
  if (project !== undefined && namespace !== undefined) {
    state.project = project;
    state.namespace = namespace;
    const prefix = text(raw.prefix);
    if (prefix) state.prefix = prefix;
  }
  return state;
}

/** `#/page/database[/project/namespace][?prefix=…]`, every part percent-encoded. */
export function stateToHash(state: ViewState): string {
  const s = normalizeState(state);
  if (s.page === 'overview') return '#/';
  const parts = [s.page, s.database!];
  if (s.project !== undefined && s.namespace !== undefined) parts.push(s.project, s.namespace);
  const query = s.prefix ? `?prefix=${encodeURIComponent(s.prefix)}` : '';
  return `#/${parts.map(encodeURIComponent).join('/')}${query}`;
}

/** The state a hash names; anything malformed is the overview. */
export function hashToState(hash: string): ViewState {
  const body = hash.replace(/^#\/?/, '');
  const [path, query = ''] = body.split('?', 2);
  let parts: string[];
  let prefix: string | undefined;
  try {
    parts = path ? path.split('/').map(decodeURIComponent) : [];
    const match = /(?:^|&)prefix=([^&]*)/.exec(query);
    prefix = match ? decodeURIComponent(match[1]) : undefined;
  } catch {
    return { ...HOME };
  }
  const [page, database, project, namespace] = parts;
  if (parts.length > 4 || parts.length === 3) return { ...HOME };
  return normalizeState({ page, database, project, namespace, prefix });
}

export function sameState(a: ViewState, b: ViewState): boolean {
  return stateToHash(a) === stateToHash(b);
}
