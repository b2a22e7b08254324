/**
 * Small DOM helpers. Everything the dashboard shows is built with these: text always goes in as
 * text (never as HTML), and no element carries an inline handler or style attribute, so the
 * page's Content-Security-Policy holds.
 */

type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  /** Other attributes (aria-*, type, value, …). */
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props?.class) element.className = props.class;
  if (props?.title) element.title = props.title;
  for (const [name, value] of Object.entries(props?.attrs ?? {})) element.setAttribute(name, value);
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** A codicon (the font of @vscode/codicons). */
export function icon(name: string, label?: string): HTMLSpanElement {
  const span = h('span', { class: `codicon codicon-${name}` });
  if (label) {
    span.setAttribute('role', 'img');
    span.setAttribute('aria-label', label);
  } else span.setAttribute('aria-hidden', 'true');
  return span;
}

export function button(label: string, onClick: () => void, options: { icon?: string; kind?: 'primary' | 'secondary' | 'danger' | 'icon'; title?: string; disabled?: boolean } = {}): HTMLButtonElement {
  const kind = options.kind ?? 'secondary';
  const element = h(
    'button',
    { class: `btn btn-${kind}`, title: options.title ?? (kind === 'icon' ? label : undefined), attrs: { type: 'button' } },
    options.icon ? icon(options.icon) : null,
    kind === 'icon' ? null : h('span', null, label),
  );
  if (kind === 'icon') element.setAttribute('aria-label', label);
  element.disabled = options.disabled === true;
  element.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick();
  });
  return element;
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

/** Runs `work` with `control` disabled and showing that it is busy; re-enables it afterwards. */
export async function busy<T>(control: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  control.disabled = true;
  control.classList.add('busy');
  try {
    return await work();
  } finally {
    control.disabled = false;
    control.classList.remove('busy');
  }
}

/**
 * Asks before something that cannot be undone. A modal <dialog> of the page: a webview's sandbox
 * blocks window.confirm.
 */
export function confirmDialog(options: { title: string; message: string | Node; confirm: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', attrs: { 'aria-labelledby': 'confirm-title' } });
    const finish = (answer: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const ok = button(options.confirm, () => finish(true), { kind: options.danger ? 'danger' : 'primary' });
    append(
      dialog,
      h('h2', { attrs: { id: 'confirm-title' } }, options.title),
      h('div', { class: 'confirm-message' }, options.message),
      h('div', { class: 'confirm-buttons' }, button('Cancel', () => finish(false)), ok),
    );
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    ok.focus();
  });
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** A short message at the bottom that goes away by itself. */
export function toast(message: string): void {
  let element = document.getElementById('toast');
  if (!element) {
    element = h('div', { attrs: { id: 'toast', role: 'status', 'aria-live': 'polite' } });
    document.body.appendChild(element);
  }
  element.textContent = message;
  element.classList.add('visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => element.classList.remove('visible'), 2500);
}

/** Copies text; the Clipboard API where the page may use it, else a hidden text area. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // not allowed here (an insecure origin, or a webview that withholds the permission)
  }
  const area = h('textarea', { class: 'offscreen', attrs: { readonly: '' } });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('The clipboard is not available here');
}
