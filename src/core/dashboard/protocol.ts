/**
 * The one message protocol between the dashboard (media/, the same app in a VS Code webview and in
 * a browser) and its host (the extension, or `prontodb ui`). The page sends requests with an id and
 * gets one response each; the host also pushes notices (a database changed). Transports: webview
 * `postMessage` both ways; in a browser, `POST /api` (a request envelope in, a response envelope
 * out) and `GET /events` (Server-Sent Events carrying notices). Types only: both sides import them.
 */
import type { AuditRecord } from '../audit';
import type { CheckStatus, DoctorReport } from '../health/doctor';
import type { MigrateResult } from '../health/migrate';
import type { DatabaseStatus } from '../health/status';

/** A database the host offers, by an opaque reference (the page never names files or URLs itself). */
export type DatabaseRef = string;

export interface AddressParts {
  project: string;
  namespace: string;
  key: string;
  context: string | null;
}

export type DashboardRequest =
  | { type: 'hello' }
  | { type: 'overview' }
  | { type: 'database'; database: DatabaseRef }
  | {
      type: 'keys';
      database: DatabaseRef;
      project: string;
      namespace: string;
      /** Exact, case-sensitive key prefix. */
      prefix?: string;
      /** Keyset paging: the `next` of the previous page. */
      after?: { key: string; context: string | null };
      /** Default 100, at most 1000. */
      limit?: number;
    }
  | { type: 'get'; database: DatabaseRef; address: AddressParts }
  /** `expected.value` null: only if nothing is stored; omitted: unconditional. */
  | { type: 'set'; database: DatabaseRef; address: AddressParts; value: string; expected?: { value: string | null } }
  | { type: 'delete'; database: DatabaseRef; address: AddressParts; expected?: { value: string } }
  | { type: 'doctor'; database: DatabaseRef; fix?: boolean }
  | { type: 'migrate'; database: DatabaseRef; dryRun?: boolean };

export type RequestType = DashboardRequest['type'];

export interface RequestEnvelope {
  id: number;
  request: DashboardRequest;
}

export interface ErrorBody {
  /** The core's error code ('usage', 'condition-failed', 'read-only', 'not-found', …). */
  code: string;
  message: string;
}

export type ResponseEnvelope = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorBody };

/** Pushed by the host: something changed in a database (another process, the editor, this page). */
export interface ChangeNotice {
  type: 'changed';
  database: DatabaseRef;
}

/** Pushed by the VS Code host: the user chose this database in the tree ("Open Dashboard" on it); the page shows it. */
export interface ShowNotice {
  type: 'show';
  database: DatabaseRef;
}

export interface HelloResult {
  host: 'vscode' | 'browser';
  version: string;
  /** Writes (set, delete, fixes, migrate) are refused by the host. */
  readOnly: boolean;
}

export interface DatabaseSummary {
  ref: DatabaseRef;
  /** The named database, or null for a file given by path. */
  name: string | null;
  /** The one the host works in (resolution: flags, .prontodb, cursor, selection). */
  active: boolean;
  status: DatabaseStatus;
  /** doctor's verdict (null when it could not run); counts of checks by status. */
  health: { status: CheckStatus; errors: number; warnings: number } | null;
}

export interface OverviewResult {
  databases: DatabaseSummary[];
}

export interface NamespaceSummary {
  project: string;
  namespace: string;
  /** Live rows. */
  keys: number;
  /** Default TTL in seconds for a TTL namespace, else null. */
  ttlSeconds: number | null;
  /** Live values expiring within the next minute, hour and day. */
  expiring: { minute: number; hour: number; day: number };
}

export interface DatabaseResult {
  ref: DatabaseRef;
  status: DatabaseStatus;
  namespaces: NamespaceSummary[];
  audit: {
    enabled: boolean;
    /** Writes per hour and client over the last 24 hours (hourStart: ms since the epoch). */
    byClient: Array<{ hourStart: number; client: string; writes: number }>;
    /** The newest records, newest first. */
    latest: AuditRecord[];
  };
}

export interface KeyRow {
  key: string;
  context: string | null;
  /** The value, cut to 200 characters for the table; `valueLength` tells whether it was cut. */
  value: string;
  valueLength: number;
  updatedAt: number;
  expiresAt: number | null;
}

export interface KeysResult {
  entries: KeyRow[];
  next?: { key: string; context: string | null };
}

export interface GetResult {
  entry: { value: string; updatedAt: number; expiresAt: number | null } | null;
}

export type DoctorResult = DoctorReport;
export type MigrateResultBody = MigrateResult;
