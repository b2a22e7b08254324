/**
 * What the Database page draws, computed from a DatabaseResult: keys per namespace and per project
 * (bars), the TTL namespaces with what expires soon, and the audit log's writes per hour by client
 * (uPlot's column-oriented series). Pure (no DOM): unit-tested in Node.
 */
import type { DatabaseResult, NamespaceSummary } from '../../src/core/dashboard/protocol';

export interface Bar {
  label: string;
  value: number;
  /** Of the largest bar, 0..1 (the bar's drawn length). */
  share: number;
  /** Set on a namespace bar: where clicking leads. */
  project?: string;
  namespace?: string;
}

function withShares(rows: Array<Omit<Bar, 'share'>>): Bar[] {
  const max = rows.reduce((most, row) => Math.max(most, row.value), 0);
  return rows.map((row) => ({ ...row, share: max > 0 ? row.value / max : 0 }));
}

/**
 * Namespaces by live keys, largest first (ties by name), at most `limit` of them; the rest summed
 * into one last bar ("N more namespaces") so a database with hundreds stays readable.
 */
export function namespaceBars(namespaces: NamespaceSummary[], limit = 12): Bar[] {
  const sorted = [...namespaces].sort((a, b) => b.keys - a.keys || `${a.project}.${a.namespace}`.localeCompare(`${b.project}.${b.namespace}`));
  const shown: Array<Omit<Bar, 'share'>> = sorted.slice(0, limit).map((ns) => ({ label: `${ns.project}.${ns.namespace}`, value: ns.keys, project: ns.project, namespace: ns.namespace }));
  const rest = sorted.slice(limit);
  if (rest.length) shown.push({ label: `${rest.length} more namespace${rest.length === 1 ? '' : 's'}`, value: rest.reduce((sum, ns) => sum + ns.keys, 0) });
  return withShares(shown);
}

/** Live keys per project, largest first. */
export function projectBars(namespaces: NamespaceSummary[]): Bar[] {
  const totals = new Map<string, number>();
  for (const ns of namespaces) totals.set(ns.project, (totals.get(ns.project) ?? 0) + ns.keys);
  return withShares([...totals].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label)));
}

/** The TTL namespaces (a default TTL), soonest-expiring first. */
export function ttlNamespaces(namespaces: NamespaceSummary[]): NamespaceSummary[] {
  return namespaces
    .filter((ns) => ns.ttlSeconds !== null)
    .sort((a, b) => b.expiring.minute - a.expiring.minute || b.expiring.hour - a.expiring.hour || b.expiring.day - a.expiring.day || `${a.project}.${a.namespace}`.localeCompare(`${b.project}.${b.namespace}`));
}

/** The clients ProntoDB itself records, in this order; others (and 'unknown') follow by name. */
export const KNOWN_CLIENTS = ['cli', 'extension', 'mcp', 'ui'];

export interface WritesSeries {
  /** Start of each hour, in seconds (uPlot's x values), oldest first. */
  hours: number[];
  clients: string[];
  /** writes[i][j]: writes by clients[i] in the hour hours[j]. */
  writes: number[][];
  total: number;
}

const HOUR_MS = 3_600_000;

/**
 * Writes per hour by client over the `hours` hours ending with the current one, zero-filled: every
 * client that wrote gets a series (the known ones even when silent, so colours stay put), buckets
 * outside the window are left out.
 */
export function writesSeries(byClient: DatabaseResult['audit']['byClient'], nowMs: number, hours = 24): WritesSeries {
  const last = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const first = last - (hours - 1) * HOUR_MS;
  const hourStarts = Array.from({ length: hours }, (_, i) => first + i * HOUR_MS);
  const others = [...new Set(byClient.map((b) => b.client))].filter((c) => !KNOWN_CLIENTS.includes(c)).sort();
  const clients = [...KNOWN_CLIENTS, ...others];
  const writes = clients.map(() => new Array<number>(hours).fill(0));
  let total = 0;
  for (const bucket of byClient) {
    const slot = Math.round((bucket.hourStart - first) / HOUR_MS);
    if (slot < 0 || slot >= hours) continue;
    writes[clients.indexOf(bucket.client)][slot] += bucket.writes;
    total += bucket.writes;
  }
  return { hours: hourStarts.map((ms) => ms / 1000), clients, writes, total };
}

/** Stacks series for a stacked bar/area chart: each row is the running sum of the rows before it and itself. */
export function stack(rows: number[][]): number[][] {
  const sums: number[][] = [];
  rows.forEach((row, i) => sums.push(row.map((value, j) => value + (i > 0 ? sums[i - 1][j] : 0))));
  return sums;
}
