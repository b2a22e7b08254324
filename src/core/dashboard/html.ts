/**
 * The dashboard's HTML page, the same for both hosts (the VS Code webview panel and `prontodb ui`):
 * a shell that loads the bundled app (media/dist) under a strict Content-Security-Policy. Nothing
 * runs without the per-load nonce, nothing loads from anywhere but `cspSource`, and the page holds
 * no inline handlers or inline styles; the app builds everything with DOM calls.
 */

export interface DashboardHtmlOptions {
  /** media/dist/dashboard.js as the host serves it (a webview URI, or a path with the token). */
  scriptUri: string;
  /** media/dist/dashboard.css. */
  styleUri: string;
  /** media/dist/codicon.css (it loads codicon.ttf beside it). */
  codiconsUri: string;
  /** A fresh random value per page load (base64 or hex). */
  nonce: string;
  /** Where styles, fonts and images may come from: `webview.cspSource`, or `'self'` in a browser. */
  cspSource: string;
  /** Where the page may connect (fetch, EventSource): `'self'` in a browser; omitted in a webview (postMessage needs none). */
  connectSource?: string;
  title: string;
}

const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
/** A CSP source list: no `;` or `,` (would start another directive or policy), no quotes beyond keywords, no newlines. */
const SOURCE_LIST = /^(?:'[a-z0-9-]+'|[^\s;,'"]+)(?: (?:'[a-z0-9-]+'|[^\s;,'"]+))*$/;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function sourceList(value: string, what: string): string {
  if (!SOURCE_LIST.test(value)) throw new Error(`dashboardHtml: ${what} '${value}' is not a CSP source list`);
  return value;
}

/** The Content-Security-Policy of the page (also useful as an HTTP header). */
export function dashboardCsp(options: Pick<DashboardHtmlOptions, 'nonce' | 'cspSource' | 'connectSource'>): string {
  if (!NONCE.test(options.nonce)) throw new Error('dashboardHtml: the nonce must be at least 16 base64 or hex characters');
  const source = sourceList(options.cspSource, 'cspSource');
  const connect = options.connectSource === undefined ? "'none'" : sourceList(options.connectSource, 'connectSource');
  return [
    "default-src 'none'",
    `script-src 'nonce-${options.nonce}'`,
    `style-src ${source} 'nonce-${options.nonce}'`,
    `font-src ${source}`,
    `img-src ${source} data:`,
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function dashboardHtml(options: DashboardHtmlOptions): string {
  const csp = dashboardCsp(options);
  const nonce = escapeHtml(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(options.codiconsUri)}">
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(options.styleUri)}">
</head>
<body>
<div id="app"><p class="loading">Loading the dashboard…</p></div>
<noscript>The ProntoDB dashboard needs JavaScript.</noscript>
<script nonce="${nonce}" src="${escapeHtml(options.scriptUri)}"></script>
</body>
</html>
`;
}
