/**
 * The namespaces of each database as last seen (with the Database page's figures), so the Keys page
 * opened from there fills its namespace list at once instead of asking the host again: on a large
 * database the host takes seconds to count every namespace's keys.
 */
import type { NamespaceSummary } from '../../src/core/dashboard/protocol';

const seen = new Map<string, { at: number; namespaces: NamespaceSummary[] }>();

export function rememberNamespaces(database: string, namespaces: NamespaceSummary[], now = Date.now()): void {
  seen.set(database, { at: now, namespaces });
}

/** The namespaces seen at most `maxAgeMs` ago, else undefined. */
export function recallNamespaces(database: string, maxAgeMs: number, now = Date.now()): NamespaceSummary[] | undefined {
  const entry = seen.get(database);
  return entry && now - entry.at <= maxAgeMs ? entry.namespaces : undefined;
}
