// Small SVG charts drawn here rather than a vendored library: bars (grouped or stacked) and
// lines over one category axis, themed by CSS variables, redrawn at the container's real width
// (ResizeObserver) so text never scales. Each chart carries `data-chart` and `data-points`
// (the number of non-empty values), which the browser test reads.

import { h, s, replace } from './dom.js';
import { compact } from './format.js';

const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 26, left: 48 };

/** A series' colour class: its own `cls` (s1..s4), else by position. */
function seriesClass(series, index) {
  return series.cls || `s${(index % 4) + 1}`;
}

/** The smallest "nice" number (1, 2, 2.5, 5 × 10^k) at or above `value`. */
function niceCeil(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/**
 * A chart element. `spec`:
 * - `labels`: category names along x (dates, hours);
 * - `series`: `[{ name, values: (number|null)[], cls? }]`; null is "no value" (a gap, not a
 *   zero); `cls` picks the colour (s1 blue, s2 teal, s3 amber, s4 red);
 * - `kind`: `bar` or `line`; `stacked`: stack bars;
 * - `format`: value → tooltip text; `axis`: value → axis label (default compact numbers);
 * - `empty`: tooltip text for a null value; `emptyText`: the message of a chart with no data;
 * - `name`: what the chart shows, for `data-chart` and the accessible label.
 */
export function chart(spec) {
  const points = spec.series.reduce(
    (n, series) => n + series.values.filter((v) => v !== null && v !== undefined && v !== 0).length, 0);
  const svg = s('svg', { role: 'img', 'aria-label': spec.name });
  const tip = h('div', { class: 'chart-tip', hidden: true });
  const legend = spec.series.length > 1
    ? h('div', { class: 'legend' }, spec.series.map((series, i) => h('span', null,
      h('span', { class: `key ${seriesClass(series, i)}` }), series.name)))
    : null;
  const root = h('div', {
    class: 'chart', dataset: { chart: spec.name, points: String(points) },
  }, svg, tip, legend);
  let width = 0;
  const observer = new ResizeObserver((entries) => {
    const next = Math.floor(entries[0].contentRect.width);
    if (next > 0 && next !== width) {
      width = next;
      draw(svg, tip, spec, width);
    }
  });
  observer.observe(root);
  return root;
}

function draw(svg, tip, spec, width) {
  const { labels, series } = spec;
  const kind = spec.kind || 'bar';
  const format = spec.format || ((v) => String(v));
  const axis = spec.axis || compact;
  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const n = labels.length;
  const value = (v) => (typeof v === 'number' ? v : 0);
  let max = 0;
  for (let i = 0; i < n; i++) {
    if (kind === 'bar' && spec.stacked) {
      max = Math.max(max, series.reduce((sum, se) => sum + value(se.values[i]), 0));
    } else {
      for (const se of series) max = Math.max(max, value(se.values[i]));
    }
  }
  const top = niceCeil(max);
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, n);
  const xCenter = (i) => PAD.left + slot * i + slot / 2;

  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  svg.setAttribute('height', String(HEIGHT));
  const nodes = [];
  // An empty chart keeps its frame but labels only the zero line.
  for (let t = 0; t <= (max === 0 ? 0 : 4); t++) {
    const v = (top / 4) * t;
    nodes.push(s('line', { class: 'grid-line', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
    nodes.push(s('text', { class: 'axis-label', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, axis(v)));
  }
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 70))));
  for (let i = 0; i < n; i += every) {
    nodes.push(s('text', { class: 'axis-label', x: xCenter(i), y: HEIGHT - 8, 'text-anchor': 'middle' },
      spec.shortLabel ? spec.shortLabel(labels[i]) : labels[i]));
  }
  if (max === 0) {
    nodes.push(s('text', { class: 'axis-label', x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, 'text-anchor': 'middle' },
      spec.emptyText || 'No data in this range'));
  }
  if (kind === 'bar') nodes.push(...bars(spec, n, slot, y, xCenter));
  else nodes.push(...lines(spec, n, y, xCenter));
  const guide = s('line', { class: 'guide', y1: PAD.top, y2: PAD.top + plotH, visibility: 'hidden' });
  const hit = s('rect', { x: PAD.left, y: PAD.top, width: plotW, height: plotH, fill: 'transparent' });
  nodes.push(guide, hit);
  replace(svg, ...nodes);

  hit.addEventListener('mousemove', (event) => {
    const box = svg.getBoundingClientRect();
    const i = Math.min(n - 1, Math.max(0, Math.floor((event.clientX - box.left - PAD.left) / slot)));
    guide.setAttribute('x1', xCenter(i));
    guide.setAttribute('x2', xCenter(i));
    guide.setAttribute('visibility', 'visible');
    replace(tip, h('strong', null, labels[i]), ...series.map((se) => h('div', null,
      `${se.name}: `, se.values[i] === null || se.values[i] === undefined ? (spec.empty || '—') : format(se.values[i]))));
    tip.hidden = false;
    const left = Math.min(xCenter(i) + 12, width - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${PAD.top}px`;
  });
  hit.addEventListener('mouseleave', () => {
    guide.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  });
}

function bars(spec, n, slot, y, xCenter) {
  const { series } = spec;
  const out = [];
  const groupW = Math.max(2, Math.min(48, slot * 0.7));
  const stacked = spec.stacked || series.length === 1;
  const barW = stacked ? groupW : groupW / series.length;
  for (let i = 0; i < n; i++) {
    let base = 0;
    series.forEach((se, k) => {
      const v = se.values[i];
      if (typeof v !== 'number' || v <= 0) return;
      const x = stacked ? xCenter(i) - groupW / 2 : xCenter(i) - groupW / 2 + k * barW;
      const y0 = stacked ? y(base) : y(0);
      const y1 = stacked ? y(base + v) : y(v);
      out.push(s('rect', {
        class: `bar series ${seriesClass(se, k)}`, x, y: y1, width: barW, height: Math.max(1, y0 - y1), rx: 2,
      }));
      if (stacked) base += v;
    });
  }
  return out;
}

function lines(spec, n, y, xCenter) {
  const out = [];
  spec.series.forEach((se, k) => {
    const cls = seriesClass(se, k);
    let d = '';
    let open = false;
    for (let i = 0; i < n; i++) {
      const v = se.values[i];
      if (typeof v !== 'number') {
        open = false;
        continue;
      }
      d += `${open ? 'L' : 'M'}${xCenter(i).toFixed(1)},${y(v).toFixed(1)}`;
      open = true;
      if (n <= 48) out.push(s('circle', { class: `series ${cls}`, cx: xCenter(i), cy: y(v), r: 3 }));
    }
    if (d) out.unshift(s('path', { class: `series-line series ${cls}`, d }));
  });
  return out;
}
