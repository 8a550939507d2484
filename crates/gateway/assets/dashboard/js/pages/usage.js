// Usage: tokens or costs per period (daily, weekly, monthly, yearly), by model and by user path.
// Costs of requests without a known price are never summed as $0: they show as "unpriced".

import { api, withQuery } from '../api.js';
import { h, replace } from '../dom.js';
import { chart } from '../charts.js';
import { cost, dayKey, dayKeys, fillDays, num, timeZone, usd } from '../format.js';
import {
  costCell, empty, fill, pageHead, panel, rangePicker, segmented, share, table,
} from '../components.js';

const INTERVALS = [['daily', 'Daily'], ['weekly', 'Weekly'], ['monthly', 'Monthly'], ['yearly', 'Yearly']];
const METRICS = [['tokens', 'Tokens'], ['costs', 'Costs']];

export async function render(root, ctx) {
  const p = ctx.params;
  const days = Number(p.get('days')) || 30;
  const interval = p.get('interval') || 'daily';
  const metric = p.get('metric') === 'costs' ? 'costs' : 'tokens';
  const userPath = p.get('user_path') || '';
  const state = { days, interval, metric, user_path: userPath };
  const go = (change) => ctx.go({ ...state, ...change });

  const pathFilter = h('form', { class: 'toolbar', role: 'search' },
    h('input', { type: 'search', name: 'user_path', class: 'wide', placeholder: 'User path subtree, e.g. /team', 'aria-label': 'User path', value: userPath }),
    h('button', { type: 'submit' }, 'Apply'));
  pathFilter.addEventListener('submit', (event) => {
    event.preventDefault();
    go({ user_path: pathFilter.elements.user_path.value.trim() });
  });
  const periods = panel('By period',
    segmented('Interval', INTERVALS, interval, (v) => go({ interval: v })));
  const byModel = panel('By model');
  const byPath = panel('By user path');
  const periodTable = panel('Periods');
  replace(root,
    pageHead('Usage', userPath ? `Under ${userPath}. All times in ${timeZone()}.` : `All times in ${timeZone()}.`,
      segmented('Metric', METRICS, metric, (v) => go({ metric: v })),
      rangePicker(days, (d) => go({ days: d }))),
    h('div', { class: 'filters' }, pathFilter),
    periods.el,
    byModel.el,
    h('div', { class: 'grid two' }, byPath.el, periodTable.el));

  const query = { days, user_path: userPath };
  const current = ctx.isCurrent;
  const daily = api(withQuery('/usage/daily', { ...query, interval })).then((d) => (interval === 'daily'
    ? fillDays(d.data, dayKeys(dayKey(Date.now()), days))
    : d.data));
  fill(periods.body, daily, (rows) => periodChart(rows, metric, interval), current);
  fill(periodTable.body, daily, (rows) => periodRows(rows.slice().reverse()), current);
  fill(byModel.body, api(withQuery('/usage/models', query)), (rows) => modelTable(rows, metric), current);
  fill(byPath.body, api(withQuery('/usage/user-paths', query)), (rows) => pathTable(rows, metric, go), current);
}

function periodChart(rows, metric, interval) {
  const labels = rows.map((r) => r.date);
  const shortLabel = interval === 'daily' ? (k) => k.slice(5) : undefined;
  if (metric === 'tokens') {
    return chart({
      name: 'usage-tokens', labels, shortLabel, stacked: true, format: num,
      series: [
        { name: 'Input tokens', values: rows.map((r) => r.input_tokens) },
        { name: 'Output tokens', values: rows.map((r) => r.output_tokens) },
      ],
    });
  }
  const unpriced = rows.reduce((n, r) => n + r.unpriced_requests, 0);
  const allUnpriced = (r) => r.requests > 0 && r.unpriced_requests >= r.requests;
  return h('div', null,
    chart({
      name: 'usage-costs', labels, shortLabel, stacked: true, format: usd, axis: usd, empty: 'unpriced',
      emptyText: unpriced ? 'Nothing priced in this range' : undefined,
      series: [
        { name: 'Input cost', values: rows.map((r) => (allUnpriced(r) ? null : r.input_cost)) },
        { name: 'Output cost', values: rows.map((r) => (allUnpriced(r) ? null : r.output_cost)) },
      ],
    }),
    unpriced ? h('div', { class: 'small muted' }, h('span', { class: 'unpriced' }, `${num(unpriced)} unpriced request(s)`),
      ' are not included in these costs (no price is known; never counted as $0).') : null);
}

/** The value a row is ranked and shared by: total tokens, or cost (unpriced rows count 0). */
function measure(row, metric) {
  return metric === 'costs' ? (cost(row.total_cost, row.unpriced_requests, row.requests).text === 'unpriced' ? 0 : row.total_cost) : row.total_tokens;
}

function modelTable(rows, metric) {
  if (!rows.length) return empty('No usage in this range.');
  const sorted = rows.slice().sort((a, b) => measure(b, metric) - measure(a, metric));
  const total = sorted.reduce((n, r) => n + measure(r, metric), 0) || 1;
  return table([
    { label: 'Model', cell: (r) => share(r.model, measure(r, metric) / total) },
    { label: 'Provider', cell: (r) => r.provider_name || r.provider },
    { label: 'Requests', num: true, cell: (r) => num(r.requests) },
    { label: 'Input', num: true, cell: (r) => num(r.input_tokens) },
    { label: 'Output', num: true, cell: (r) => num(r.output_tokens) },
    { label: 'Cost', num: true, cell: (r) => costCell(r.total_cost, r.unpriced_requests, r.requests) },
  ], sorted);
}

function pathTable(rows, metric, go) {
  if (!rows.length) return empty('No usage in this range.');
  const sorted = rows.slice().sort((a, b) => measure(b, metric) - measure(a, metric));
  const total = sorted.reduce((n, r) => n + measure(r, metric), 0) || 1;
  return table([
    { label: 'User path', cell: (r) => share(r.user_path, measure(r, metric) / total) },
    { label: 'Requests', num: true, cell: (r) => num(r.requests) },
    { label: 'Tokens', num: true, cell: (r) => num(r.total_tokens) },
    { label: 'Cost', num: true, cell: (r) => costCell(r.total_cost, r.unpriced_requests, r.requests) },
  ], sorted, { onRow: (r) => go({ user_path: r.user_path }) });
}

function periodRows(rows) {
  const used = rows.filter((r) => r.requests > 0);
  if (!used.length) return empty('No usage in this range.');
  return table([
    { label: 'Period', cell: (r) => r.date },
    { label: 'Requests', num: true, cell: (r) => num(r.requests) },
    { label: 'Input', num: true, cell: (r) => num(r.input_tokens) },
    { label: 'Output', num: true, cell: (r) => num(r.output_tokens) },
    { label: 'Cost', num: true, cell: (r) => costCell(r.total_cost, r.unpriced_requests, r.requests) },
  ], used);
}
