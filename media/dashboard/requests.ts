/**
 * Request/response matching for the dashboard's one protocol (src/core/dashboard/protocol.ts),
 * whatever carries the messages (postMessage in a webview, fetch + Server-Sent Events in a browser).
 * Each request gets a fresh id; the response with that id settles it; a response that never comes
 * rejects after a timeout (and a late one is then ignored). Notices go to their listeners. Pure: the
 * transport hands it a `send` and feeds it what arrives.
 */
import type {
  ChangeNotice,
  DashboardRequest,
  DatabaseResult,
  DoctorResult,
  GetResult,
  HelloResult,
  KeysResult,
  MigrateResultBody,
  OverviewResult,
  RequestEnvelope,
  RequestType,
  ResponseEnvelope,
  ShowNotice,
} from '../../src/core/dashboard/protocol';

/** What the host pushes unasked: a database changed, or (VS Code) the user chose one in the tree. */
export type Notice = ChangeNotice | ShowNotice;

/** What each request answers (the service's `answer`; set and delete have no named type in protocol.ts). */
export interface ResultOf {
  hello: HelloResult;
  overview: OverviewResult;
  database: DatabaseResult;
  keys: KeysResult;
  get: GetResult;
  set: { ok: true };
  delete: { deleted: boolean };
  doctor: DoctorResult;
  migrate: MigrateResultBody;
}

export type RequestOf<K extends RequestType> = Extract<DashboardRequest, { type: K }>;

/** A failed request: the host's error code ('condition-failed', 'read-only', 'not-found', …) or ours ('timeout', 'network', 'closed'). */
export class DashboardRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DashboardRequestError';
  }
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface TrackerOptions {
  /** Milliseconds to wait for a response, by request type (default: 30 s; doctor and migrate 5 min: they may rewrite a large file). */
  timeoutMs?(type: RequestType): number;
  timers?: Timers;
}

const SLOW: ReadonlySet<RequestType> = new Set(['doctor', 'migrate']);

export function defaultTimeoutMs(type: RequestType): number {
  return SLOW.has(type) ? 300_000 : 30_000;
}

const REAL_TIMERS: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Pending {
  type: RequestType;
  resolve(result: unknown): void;
  reject(error: DashboardRequestError): void;
  timer: unknown;
}

export function isResponseEnvelope(message: unknown): message is ResponseEnvelope {
  const m = message as Partial<ResponseEnvelope> | null;
  if (!m || typeof m !== 'object' || typeof m.id !== 'number' || typeof m.ok !== 'boolean') return false;
  if (m.ok) return 'result' in m;
  const error = (m as { error?: { code?: unknown; message?: unknown } }).error;
  return !!error && typeof error.code === 'string' && typeof error.message === 'string';
}

export function isNotice(message: unknown): message is Notice {
  const m = message as Partial<Notice> | null;
  return !!m && typeof m === 'object' && (m.type === 'changed' || m.type === 'show') && typeof m.database === 'string';
}

export class RequestTracker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(notice: Notice) => void>();
  private readonly timeoutMs: (type: RequestType) => number;
  private readonly timers: Timers;
  private closed = false;

  constructor(
    private readonly send: (envelope: RequestEnvelope) => void | Promise<void>,
    options: TrackerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.timers = options.timers ?? REAL_TIMERS;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  request<K extends RequestType>(request: RequestOf<K>): Promise<ResultOf[K]> {
    if (this.closed) return Promise.reject(new DashboardRequestError('closed', 'The dashboard is closed'));
    const id = this.nextId++;
    const type = request.type as K;
    return new Promise<ResultOf[K]>((resolve, reject) => {
      const timer = this.timers.set(() => {
        if (!this.pending.delete(id)) return;
        reject(new DashboardRequestError('timeout', `No answer to '${type}' within ${Math.round(this.timeoutMs(type) / 1000)} s`));
      }, this.timeoutMs(type));
      this.pending.set(id, { type, resolve: resolve as (result: unknown) => void, reject, timer });
      try {
        const sent = this.send({ id, request });
        if (sent && typeof sent.then === 'function') sent.then(undefined, (error: unknown) => this.fail(id, error));
      } catch (error) {
        this.fail(id, error);
      }
    });
  }

  /** A message from the host: a response settles its request; a notice goes to the listeners; anything else is ignored. */
  receive(message: unknown): void {
    if (isNotice(message)) {
      for (const listener of [...this.listeners]) listener(message);
      return;
    }
    if (!isResponseEnvelope(message)) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    this.timers.clear(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new DashboardRequestError(message.error.code, message.error.message));
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rejects what is still waiting (the page goes away, or the connection is lost for good). */
  close(reason = 'The dashboard is closed'): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.fail(id, new DashboardRequestError('closed', reason));
  }

  private fail(id: number, error: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    this.timers.clear(pending.timer);
    pending.reject(error instanceof DashboardRequestError ? error : new DashboardRequestError('network', `'${pending.type}' could not be sent: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/**
 * Keeps only the newest of overlapping loads (typing a prefix sends a request per pause; an older
 * answer arriving last must not overwrite a newer one).
 */
export class LatestOnly {
  private generation = 0;

  begin(): number {
    return ++this.generation;
  }

  isCurrent(ticket: number): boolean {
    return ticket === this.generation;
  }
}
