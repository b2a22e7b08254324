/**
 * The dashboard's host side, shared by the VS Code webview panel and `prontodb ui`: answers the
 * protocol's requests (protocol.ts) with the same core calls the CLI and the tree use, refuses
 * writes when read-only, pushes a notice when a database changes, and counts what it served for
 * the Prometheus metrics (metrics.ts). Only the databases it lists can be asked about: a request
 * never names a file.
 */
import { ProntoError, isProntoError, usageError } from '../errors';
import { runDoctor } from '../health/doctor';
import { migrateDatabase } from '../health/migrate';
import { databaseStatus } from '../health/status';
import type { ProntoDB, ResolvedTarget, Session } from '../pronto';
import type { Disposable } from '../types';
import type {
  ChangeNotice,
  DashboardRequest,
  DatabaseRef,
  DatabaseResult,
  DatabaseSummary,
  GetResult,
  HelloResult,
  KeysResult,
  OverviewResult,
  RequestEnvelope,
  RequestType,
  ResponseEnvelope,
} from './protocol';

export interface DashboardServiceOptions {
  host: HelloResult['host'];
  version: string;
  readOnly?: boolean;
  /** The database the host works in now (it may change: the editor's selection, a cursor switched). */
  activeTarget(): ResolvedTarget;
  /** Called after a write this service made (the editor refreshes its tree). */
  afterWrite?(session: Session): void;
}

const WRITES: ReadonlySet<RequestType> = new Set(['set', 'delete', 'migrate']);
const ACTIVE_REF = '@active';
const VALUE_PREVIEW = 200;
const AUDIT_WINDOW_MS = 24 * 3_600_000;

export interface ServedCounts {
  /** Requests answered, by type and outcome. */
  requests: Map<string, number>;
  errors: Map<string, number>;
}

export class DashboardService {
  readonly counts: ServedCounts = { requests: new Map(), errors: new Map() };
  private readonly summaries = new Map<string, Pick<DatabaseSummary, 'status' | 'health'>>();
  private readonly invalidators = new Map<string, Disposable>();

  constructor(
    private readonly pronto: ProntoDB,
    private readonly options: DashboardServiceOptions,
  ) {}

  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /** Every database the page may ask about: the named ones, and the active one when it has no name. */
  targets(): Map<DatabaseRef, ResolvedTarget> {
    const active = this.options.activeTarget();
    const targets = new Map<DatabaseRef, ResolvedTarget>();
    for (const db of this.pronto.listDatabases()) {
      targets.set(db.name, db.name === active.databaseName ? active : this.pronto.resolve({ database: db.name, user: active.user }));
    }
    if (!active.databaseName) targets.set(ACTIVE_REF, active);
    else if (!targets.has(active.databaseName)) targets.set(active.databaseName, active);
    return targets;
  }

  private target(ref: unknown): { ref: DatabaseRef; target: ResolvedTarget } {
    if (typeof ref !== 'string') throw usageError("'database' must name one of the listed databases");
    const target = this.targets().get(ref);
    if (!target) throw new ProntoError('not-found', `No database '${ref}' here`);
    return { ref, target };
  }

  private async session(ref: unknown): Promise<Session> {
    return this.pronto.open(this.target(ref).target);
  }

  /** Answers one request envelope; never throws for a failure the page can show. */
  async handle(envelope: unknown): Promise<ResponseEnvelope> {
    const id = typeof (envelope as RequestEnvelope | null)?.id === 'number' ? (envelope as RequestEnvelope).id : -1;
    const request = (envelope as RequestEnvelope | null)?.request;
    const type = typeof request?.type === 'string' ? request.type : 'invalid';
    try {
      if (!request || typeof request !== 'object') throw usageError('A request must be { id, request: { type, ... } }');
      if (WRITES.has(request.type) || (request.type === 'doctor' && request.fix)) {
        if (this.readOnly) throw new ProntoError('usage', `This dashboard is read-only: '${request.type}${request.type === 'doctor' ? ' --fix' : ''}' is refused`);
      }
      const result = await this.answer(request);
      this.count(this.counts.requests, type);
      return { id, ok: true, result };
    } catch (error) {
      if (!isProntoError(error)) throw error;
      this.count(this.counts.errors, type);
      const code = this.readOnly && /read-only/.test(error.message) ? 'read-only' : error.code;
      return { id, ok: false, error: { code, message: error.message } };
    }
  }

  private count(counts: Map<string, number>, type: string): void {
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }

  private async answer(request: DashboardRequest): Promise<unknown> {
    switch (request.type) {
      case 'hello':
        return { host: this.options.host, version: this.options.version, readOnly: this.readOnly } satisfies HelloResult;
      case 'overview':
        return this.overview();
      case 'database':
        return this.database(request.database);
      case 'keys':
        return this.keys(request);
      case 'get': {
        const session = await this.session(request.database);
        const entry = await session.get(this.address(request.address));
        return { entry: entry ? { value: entry.value, updatedAt: entry.updatedAt, expiresAt: entry.expiresAt } : null } satisfies GetResult;
      }
      case 'set': {
        const session = await this.session(request.database);
        if (typeof request.value !== 'string') throw usageError("'value' must be text");
        const expected = request.expected === undefined ? undefined : { value: request.expected.value ?? undefined };
        await session.set(this.address(request.address), request.value, { expected, keepExpiry: true });
        this.options.afterWrite?.(session);
        return { ok: true };
      }
      case 'delete': {
        const session = await this.session(request.database);
        const deleted = await session.delete(this.address(request.address), request.expected ? { expected: { value: request.expected.value } } : undefined);
        this.options.afterWrite?.(session);
        return { deleted };
      }
      case 'doctor': {
        const { target } = this.target(request.database);
        return runDoctor(this.pronto, target, { fix: request.fix === true });
      }
      case 'migrate': {
        const { target } = this.target(request.database);
        return migrateDatabase(this.pronto, target, { dryRun: request.dryRun === true });
      }
      default:
        throw usageError(`Unknown request '${(request as { type?: unknown }).type as string}'`);
    }
  }

  private address(parts: unknown): { project: string; namespace: string; key: string; context: string | null } {
    const address = parts as { project?: unknown; namespace?: unknown; key?: unknown; context?: unknown } | null;
    if (!address || typeof address.project !== 'string' || typeof address.namespace !== 'string' || typeof address.key !== 'string') {
      throw usageError("'address' must be { project, namespace, key, context }");
    }
    if (address.context !== null && address.context !== undefined && typeof address.context !== 'string') throw usageError("'address.context' must be text or null");
    return { project: address.project, namespace: address.namespace, key: address.key, context: (address.context as string | null | undefined) ?? null };
  }

  /**
   * A database's status and doctor verdict, kept until the database changes: counting a million
   * keys and its integrity check take seconds, and the overview asks for every database each time
   * it is shown or anything changes.
   */
  async summary(target: ResolvedTarget): Promise<Pick<DatabaseSummary, 'status' | 'health'>> {
    const cached = this.summaries.get(target.location);
    if (cached) return cached;
    const status = await databaseStatus(this.pronto, target);
    let health: DatabaseSummary['health'] = null;
    if (status.exists) {
      try {
        const report = await runDoctor(this.pronto, target);
        health = {
          status: report.status,
          errors: report.checks.filter((check) => check.status === 'error').length,
          warnings: report.checks.filter((check) => check.status === 'warn').length,
        };
        if (!this.invalidators.has(target.location)) {
          const store = await this.pronto.store(target.location);
          this.invalidators.set(target.location, store.onDidChange(() => this.summaries.delete(target.location)));
        }
        this.summaries.set(target.location, { status, health });
      } catch (error) {
        if (!isProntoError(error)) throw error;
      }
    }
    return { status, health };
  }

  private async overview(): Promise<OverviewResult> {
    const active = this.options.activeTarget();
    const databases: DatabaseSummary[] = [];
    for (const [ref, target] of this.targets()) {
      databases.push({ ref, name: target.databaseName ?? null, active: target.location === active.location, ...(await this.summary(target)) });
    }
    return { databases };
  }

  /** Stops watching for changes (the summaries' invalidation). */
  dispose(): void {
    for (const subscription of this.invalidators.values()) subscription.dispose();
    this.invalidators.clear();
    this.summaries.clear();
  }

  private async database(ref: unknown): Promise<DatabaseResult> {
    const { ref: checked, target } = this.target(ref);
    const status = await databaseStatus(this.pronto, target);
    if (!status.exists) return { ref: checked, status, namespaces: [], audit: { enabled: false, byClient: [], latest: [] } };
    const session = await this.pronto.open(target);
    const ttl = new Map((await session.store.ttlNamespaces()).map((ns) => [`${ns.project}\u0000${ns.namespace}`, ns.defaultTtl]));
    const namespaces = (await session.store.namespaceStats()).map((ns) => ({
      project: ns.project,
      namespace: ns.namespace,
      keys: ns.entries,
      ttlSeconds: ttl.get(`${ns.project}\u0000${ns.namespace}`) ?? null,
      expiring: ns.expiring,
    }));
    const settings = await session.auditSettings();
    const since = Date.now() - AUDIT_WINDOW_MS;
    const recent = settings.enabled ? await session.store.auditRecords({ since, limit: 50_000 }) : [];
    const buckets = new Map<string, { hourStart: number; client: string; writes: number }>();
    for (const record of recent) {
      const hourStart = Math.floor(record.at / 3_600_000) * 3_600_000;
      const client = record.client ?? 'unknown';
      const key = `${hourStart}\u0000${client}`;
      const bucket = buckets.get(key) ?? { hourStart, client, writes: 0 };
      bucket.writes++;
      buckets.set(key, bucket);
    }
    return {
      ref: checked,
      status,
      namespaces,
      audit: {
        enabled: settings.enabled,
        byClient: [...buckets.values()].sort((a, b) => a.hourStart - b.hourStart || a.client.localeCompare(b.client)),
        latest: settings.enabled ? await session.store.auditRecords({ limit: 20 }) : [],
      },
    };
  }

  private async keys(request: Extract<DashboardRequest, { type: 'keys' }>): Promise<KeysResult> {
    const session = await this.session(request.database);
    if (typeof request.project !== 'string' || typeof request.namespace !== 'string') throw usageError("'project' and 'namespace' must be text");
    const limit = request.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw usageError("'limit' must be from 1 to 1000");
    const page = await session.page({ project: request.project, namespace: request.namespace, keyPrefix: request.prefix || undefined, after: request.after, limit });
    return {
      entries: page.entries.map((entry) => ({
        key: entry.key,
        context: entry.context,
        value: entry.value.length > VALUE_PREVIEW ? entry.value.slice(0, VALUE_PREVIEW) : entry.value,
        valueLength: entry.value.length,
        updatedAt: entry.updatedAt,
        expiresAt: entry.expiresAt,
      })),
      next: page.next,
    };
  }

  /**
   * Pushes a notice whenever one of the listed databases changes (another process's commit, or
   * ours). Databases created later are picked up on the next overview request.
   */
  watch(listener: (notice: ChangeNotice) => void): Disposable & { ready: Promise<void> } {
    const subscriptions = new Map<DatabaseRef, Disposable>();
    let disposed = false;
    const refresh = async (): Promise<void> => {
      for (const [ref, target] of this.targets()) {
        if (subscriptions.has(ref) || disposed) continue;
        try {
          const store = await this.pronto.store(target.location);
          if (disposed) return;
          subscriptions.set(ref, store.onDidChange(() => listener({ type: 'changed', database: ref })));
        } catch (error) {
          if (!isProntoError(error)) throw error;
        }
      }
    };
    const ready = refresh();
    const timer = setInterval(() => void refresh(), 5000);
    timer.unref?.();
    return {
      ready,
      dispose: () => {
        disposed = true;
        clearInterval(timer);
        for (const subscription of subscriptions.values()) subscription.dispose();
      },
    };
  }
}
