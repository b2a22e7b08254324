/**
 * How the page reaches its host, the only part that differs between the two:
 * - in a VS Code webview (`acquireVsCodeApi` exists): postMessage both ways; the view state is the
 *   webview's saved state (restored with the panel);
 * - in a browser (`prontodb ui`): `POST /api` with the token from the page's URL as a bearer token,
 *   Server-Sent Events from `/events?token=…` for notices; the view state is the URL hash.
 * Both feed one RequestTracker, so the pages call `request(...)` the same way everywhere.
 */
import type { RequestEnvelope } from '../../src/core/dashboard/protocol';
import { DashboardRequestError, RequestTracker, isResponseEnvelope } from './requests';
import { type ViewState, hashToState, normalizeState, stateToHash } from './viewState';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export type Connection = 'live' | 'reconnecting' | 'closed';

export interface Transport {
  kind: 'vscode' | 'browser';
  tracker: RequestTracker;
  loadState(): ViewState;
  /** `push`: a new place (the browser's Back returns from it); otherwise the current place is refined. */
  saveState(state: ViewState, push: boolean): void;
  /** The user went elsewhere without the page (the browser's Back and Forward). */
  onExternalNavigation(listener: (state: ViewState) => void): void;
  /** Notices' channel state; `live` after a reconnect means notices may have been missed. */
  onConnection(listener: (connection: Connection) => void): void;
}

export function createTransport(): Transport {
  return typeof acquireVsCodeApi === 'function' ? webviewTransport(acquireVsCodeApi()) : browserTransport();
}

function webviewTransport(vscode: VsCodeApi): Transport {
  const tracker = new RequestTracker((envelope) => vscode.postMessage(envelope));
  window.addEventListener('message', (event: MessageEvent) => tracker.receive(event.data));
  return {
    kind: 'vscode',
    tracker,
    loadState: () => normalizeState(vscode.getState()),
    saveState: (state) => vscode.setState(normalizeState(state)),
    onExternalNavigation: () => undefined,
    // postMessage has no connection to lose.
    onConnection: (listener) => listener('live'),
  };
}

function browserTransport(): Transport {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const connectionListeners = new Set<(connection: Connection) => void>();
  let connection: Connection = 'reconnecting';
  const setConnection = (next: Connection): void => {
    connection = next;
    for (const listener of connectionListeners) listener(next);
  };

  const post = async (envelope: RequestEnvelope): Promise<void> => {
    let response: Response;
    try {
      response = await fetch('/api', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(envelope),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      // fetch says only "Failed to fetch": say what it means here.
      throw new DashboardRequestError('network', `'${envelope.request.type}' got no answer: the server is not reachable (is prontodb ui still running?)`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    // The server answers refusals (read-only: 403) with an envelope too: its message is the one to show.
    if (isResponseEnvelope(body)) return tracker.receive(body);
    throw new DashboardRequestError(`http-${response.status}`, `The server answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`);
  };
  const tracker = new RequestTracker(post);

  if (token) {
    const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
    events.addEventListener('open', () => setConnection('live'));
    events.addEventListener('error', () => setConnection(events.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    events.addEventListener('message', (event: MessageEvent<string>) => {
      try {
        tracker.receive(JSON.parse(event.data));
      } catch {
        // not JSON: nothing of ours
      }
    });
  } else setConnection('closed');

  return {
    kind: 'browser',
    tracker,
    loadState: () => hashToState(location.hash),
    saveState: (state, push) => {
      const hash = stateToHash(state);
      if (hash === location.hash || (hash === '#/' && !location.hash)) return;
      const url = `${location.pathname}${location.search}${hash}`;
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    },
    onExternalNavigation: (listener) => window.addEventListener('popstate', () => listener(hashToState(location.hash))),
    onConnection: (listener) => {
      connectionListeners.add(listener);
      listener(connection);
    },
  };
}
