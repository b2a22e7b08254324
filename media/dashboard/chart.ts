/**
 * The charts: horizontal bars in plain HTML (keys per namespace and per project: categories with
 * long names read best as labelled rows), and uPlot for the audit log's writes per hour by client
 * (a time series, stacked bars). Colours come from the theme's --vscode-charts-* variables, read
 * when drawn.
 */
import uPlot from 'uplot';
import { h, icon } from './dom';
import { formatCount } from './format';
import { type Bar, type WritesSeries, stack } from './series';

export function barChart(bars: Bar[], options: { label: string; onSelect?: (bar: Bar) => void }): HTMLElement {
  const list = h('div', { class: 'bars', attrs: { role: 'list', 'aria-label': options.label } });
  for (const bar of bars) {
    const clickable = options.onSelect && bar.namespace !== undefined;
    const fill = h('span', { class: 'bar-fill' });
    // CSSOM, not a style attribute: the CSP allows the one, not the other.
    fill.style.width = `${Math.max(bar.value > 0 ? 0.5 : 0, bar.share * 100)}%`;
    const row = h(
      clickable ? 'button' : 'div',
      { class: `bar-row${clickable ? ' clickable' : ''}`, attrs: { role: 'listitem', ...(clickable ? { type: 'button', title: `Show the keys of ${bar.label}` } : {}) } },
      h('span', { class: 'bar-label' }, bar.label),
      h('span', { class: 'bar-track' }, fill),
      h('span', { class: 'bar-value' }, formatCount(bar.value)),
    );
    if (clickable) row.addEventListener('click', () => options.onSelect!(bar));
    list.appendChild(row);
  }
  return list;
}

const CLIENT_COLOURS: Record<string, string> = {
  cli: '--vscode-charts-blue',
  extension: '--vscode-charts-purple',
  mcp: '--vscode-charts-orange',
  ui: '--vscode-charts-green',
};
const OTHER_COLOURS = ['--vscode-charts-yellow', '--vscode-charts-red', '--vscode-charts-foreground'];

function cssColour(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

/** Stacked bars of writes per hour; the legend shows each client's own count for the hour under the cursor. */
export function writesChart(series: WritesSeries): { element: HTMLElement; dispose(): void } {
  const element = h('div', { class: 'chart', attrs: { role: 'img', 'aria-label': `Writes per hour over the last ${series.hours.length} hours by client: ${formatCount(series.total)} in all` } });
  const used = series.clients.map((client, i) => ({ client, i })).filter(({ i }) => series.writes[i].some((n) => n > 0) || series.clients[i] in CLIENT_COLOURS);
  const sums = stack(used.map(({ i }) => series.writes[i]));
  const foreground = cssColour('--vscode-foreground', '#888');
  const grid = cssColour('--vscode-charts-lines', 'rgba(128,128,128,0.25)');
  let other = 0;
  const colours = used.map(({ client }) => cssColour(CLIENT_COLOURS[client] ?? OTHER_COLOURS[other++ % OTHER_COLOURS.length], foreground));
  const bars = uPlot.paths.bars!({ size: [0.7, 24], align: 0 });
  // Drawn tallest stack first, so each client's own part stays visible on top of the ones before it.
  const order = used.map((_, k) => k).reverse();
  const options: uPlot.Options = {
    width: 600,
    height: 220,
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    legend: { live: true },
    // Half an hour either side: the first and last bars are centred on their hour and drawn whole.
    scales: { x: { time: true, range: (_u, min, max) => [min - 1800, max + 1800] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [
      { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? formatCount(t) : '')) },
    ],
    series: [
      { label: 'Hour', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })) },
      ...order.map((k) => ({
        label: used[k].client,
        stroke: colours[k],
        fill: colours[k],
        width: 0,
        paths: bars,
        points: { show: false },
        value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) => (idx === null ? '–' : formatCount(series.writes[used[k].i][idx])),
      })),
    ],
  };
  const plot = new uPlot(options, [series.hours, ...order.map((k) => sums[k])], element);
  const resize = new ResizeObserver(() => {
    const width = Math.max(240, Math.floor(element.clientWidth));
    if (width !== plot.width) plot.setSize({ width, height: 220 });
  });
  resize.observe(element);
  return {
    element,
    dispose: () => {
      resize.disconnect();
      plot.destroy();
    },
  };
}

export function emptyNote(text: string, iconName = 'info'): HTMLElement {
  return h('p', { class: 'empty' }, icon(iconName), ' ', text);
}
