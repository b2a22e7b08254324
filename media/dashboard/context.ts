/** What every page gets from the app (main.ts), and what the app needs from a page. */
import type { HelloResult, RequestType } from '../../src/core/dashboard/protocol';
import { h, icon } from './dom';
import { DashboardRequestError, type RequestOf, type ResultOf } from './requests';
import type { ViewState } from './viewState';

export interface PageContext {
  request<K extends RequestType>(request: RequestOf<K>): Promise<ResultOf[K]>;
  hello: HelloResult;
  state: ViewState;
  /** Go to another place (a new history entry in a browser). */
  navigate(state: ViewState): void;
  /** Refine the current place (a prefix typed): saved, no new history entry, no re-render. */
  update(state: ViewState): void;
  /** A failed action, shown in the banner above the page. */
  showError(error: unknown, what: string): void;
  now(): number;
}

export interface Page {
  element: HTMLElement;
  /** Loads (again). Called once when shown and on notices for `concerns`. */
  refresh(): Promise<void>;
  /** Whether a change in this database changes what the page shows. */
  concerns(database: string): boolean;
  dispose(): void;
}

/** The message of anything thrown, with the host's error code when there is one. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof DashboardRequestError) return { code: error.code, message: error.message };
  return { code: 'error', message: error instanceof Error ? error.message : String(error) };
}

/** An error in place of what could not be loaded, with a way to try again. */
export function errorBox(error: unknown, what: string, retry?: () => void): HTMLElement {
  const { code, message } = describeError(error);
  const box = h(
    'div',
    { class: 'error-box', attrs: { role: 'alert' } },
    icon('error'),
    h('div', null, h('strong', null, `${what} failed`), h('span', { class: 'error-code' }, code), h('p', null, message)),
  );
  if (retry) {
    const again = h('button', { class: 'btn btn-secondary', attrs: { type: 'button' } }, icon('refresh'), h('span', null, 'Try again'));
    again.addEventListener('click', retry);
    box.appendChild(again);
  }
  return box;
}
