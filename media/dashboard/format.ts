/**
 * How the dashboard writes numbers, sizes, times and addresses. Pure functions (no DOM): the unit
 * tests run them in Node. Times: the store's timestamps are Unix seconds, the audit log's and the
 * clock's are milliseconds; each function says which it takes.
 */
import type { DatabaseStatus } from '../../src/core/health/status';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; whole bytes below 1 KiB; one decimal below 100 units, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

/** 1234567 → "1,234,567" (the same on every locale, so tests and screenshots agree). */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '–';
  const sign = count < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(count)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A span of seconds, at most two units: 45 → "45 s", 3600 → "1 h", 93600 → "1 d 2 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([amount]) => amount > 0);
  return parts
    .slice(first, first + 2)
    .filter(([amount]) => amount > 0)
    .map(([amount, unit]) => `${amount} ${unit}`)
    .join(' ');
}

/** The largest whole unit of a span, for "ago"/"in": 125 s → "2 min". */
function roughSpan(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** How long ago `thenMs` was: "just now", "5 min ago"; a time in the future: "in 5 min". */
export function formatAge(thenMs: number | null, nowMs: number): string {
  if (thenMs === null || !Number.isFinite(thenMs)) return '–';
  const delta = nowMs - thenMs;
  if (Math.abs(delta) < 5000) return 'just now';
  return delta > 0 ? `${roughSpan(delta)} ago` : `in ${roughSpan(-delta)}`;
}

/** A value's expiry (Unix seconds, null: never): "never", "in 5 min", "expired". */
export function formatExpiry(expiresAtSeconds: number | null, nowMs: number): string {
  if (expiresAtSeconds === null) return 'never';
  const delta = expiresAtSeconds * 1000 - nowMs;
  return delta <= 0 ? 'expired' : `in ${roughSpan(delta)}`;
}

/** An ISO 8601 time (as `status` writes them) in milliseconds, null when absent or unreadable. */
export function parseIsoTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** UTC "2025-01-02 03:04:05", for tooltips and the audit table. */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `project.namespace.key[__context]`, the form `prontodb get` takes back (the default delimiter). */
export function formatAddress(address: { project: string; namespace: string; key: string; context: string | null }): string {
  return `${address.project}.${address.namespace}.${address.key}${address.context === null ? '' : `__${address.context}`}`;
}

/** 0.253 → "25%"; below 1% but not zero: "<1%". */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share > 0 && share < 0.01) return '<1%';
  return `${Math.round(share * 100)}%`;
}

/** Free pages of the file: how many bytes and what share of it a compaction would give back. */
export function fragmentation(status: Pick<DatabaseStatus, 'pages' | 'free_pages' | 'page_size'>): { freeBytes: number; share: number } {
  const share = status.pages > 0 ? status.free_pages / status.pages : 0;
  return { freeBytes: status.free_pages * status.page_size, share };
}

/**
 * The title of a database's read-only badge (this user may not write it: a server role without
 * write privileges, a read-only file), or undefined when it is writable. Hosts older than the
 * field send no `writable`: no badge.
 */
export function readOnlyTitle(status: Partial<Pick<DatabaseStatus, 'writable' | 'read_only_reason'>>): string | undefined {
  return status.writable === false ? `Read-only: ${status.read_only_reason ?? 'this user may not write it'}` : undefined;
}

/** The name people know a database by: its name, else where it is. */
export function databaseLabel(status: Pick<DatabaseStatus, 'database' | 'location'>): string {
  return status.database ?? status.location;
}
