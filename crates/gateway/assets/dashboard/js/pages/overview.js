// Overview: totals for the range, requests / tokens / cost per day (usage/daily), errors and
// latency over time (bucketed here from the newest usage rows), provider status cards and the
// state of the record writers.

import { api, withQuery } from '../api.js';
import { h, replace } from '../dom.js';
import { chart } from '../charts.js';
import {
  bucketRows, compact, cost, dayKey, dayKeys, fillDays, hourKey, hourKeys, ms, num, timeZone, usd,
} from '../format.js';
import { empty, errorBox, fill, keyValues, pageHead, panel, rangePicker, stat } from '../components.js';
import { providerCard } from './providers.js';

const LOG_LIMIT = 1000;

export async function render(root, ctx) {
  const days = Number(ctx.params.get('days')) || 7;
  const zone = timeZone();
  const today = dayKey(Date.now(), zone);
  const keys = days === 1 ? hourKeys(today) : dayKeys(today, days);
  const shortLabel = days === 1 ? (k) => `${k.slice(11)}:00` : (k) => k.slice(5);

  const cards = h('div', { class: 'grid cards' }, h('div', { class: 'panel empty' }, 'Loading…'));
  const requests = panel('Requests');
  const tokens = panel('Tokens');
  const costs = panel('Cost');
  const errors = panel('Errors');
  const latency = panel('Latency');
  const system = panel('Gateway');
  const providerPanel = panel('Providers', h('a', { href: '#/providers' }, 'Details'));
  replace(root,
    pageHead('Overview', `All times in ${zone}.`, rangePicker(days, (d) => ctx.go({ days: d }))),
    cards,
    h('div', { class: 'grid two' }, requests.el, tokens.el, costs.el, errors.el, latency.el, system.el),
    providerPanel.el);

  const range = { days };
  const summary = api(withQuery('/usage/summary', range));
  const daily = api(withQuery('/usage/daily', { ...range, interval: 'daily' }));
  const log = recentRows(days);
  const current = ctx.isCurrent;

  fill(cards, Promise.all([summary, log.catch(() => null)]), ([s, rows]) => totals(s, rows), current);
  const periods = daily.then((d) => fillDays(d.data, days === 1 ? [today] : keys));
  const periodLabels = (rows) => rows.map((r) => r.date);
  const dayShort = days === 1 ? undefined : (k) => k.slice(5);
  fill(requests.body, periods, (rows) => chart({
    name: 'requests', labels: periodLabels(rows), shortLabel: dayShort, format: num,
    series: [{ name: 'Requests', values: rows.map((r) => r.requests) }],
  }), current);
  fill(tokens.body, periods, (rows) => chart({
    name: 'tokens', labels: periodLabels(rows), shortLabel: dayShort, stacked: true, format: num,
    series: [
      { name: 'Input', values: rows.map((r) => r.input_tokens) },
      { name: 'Output', values: rows.map((r) => r.output_tokens) },
    ],
  }), current);
  fill(costs.body, periods, (rows) => costChart(rows, dayShort), current);
  const buckets = log.then((l) => ({
    ...l,
    buckets: bucketRows(l.rows, keys, (r) => (days === 1 ? hourKey : dayKey)(r.ts_us / 1000, zone)),
  }));
  fill(errors.body, buckets, (b) => h('div', null, chart({
    name: 'errors', labels: keys, shortLabel, stacked: true, format: num,
    series: [
      { name: 'Succeeded', values: b.buckets.map((x) => x.requests - x.errors) },
      { name: 'Failed (4xx/5xx)', values: b.buckets.map((x) => x.errors), cls: 's4' },
    ],
  }), sourceNote(b)), current);
  fill(latency.body, buckets, (b) => h('div', null, chart({
    name: 'latency', kind: 'line', labels: keys, shortLabel, format: ms, axis: (v) => `${compact(v)} ms`,
    series: [
      { name: 'p50', values: b.buckets.map((x) => x.p50) },
      { name: 'p95', values: b.buckets.map((x) => x.p95) },
    ],
  }), sourceNote(b)), current);
  const storage = api('/storage/status').catch((err) => ({ error: err }));
  fill(system.body, storage, (s) => gatewayState(ctx.config, s), current);
  fill(providerPanel.body, api('/providers/status'), (p) => (p.providers && p.providers.length
    ? h('div', { class: 'grid providers' }, p.providers.map((pr) => providerCard(pr, { compact: true })))
    : empty('No providers are configured.')), current);
}

/**
 * The newest usage rows in range (one per upstream call, failed ones included). Not the audit
 * log: its rows carry whole request and response bodies, far too much to fetch a thousand of.
 */
async function recentRows(days) {
  const page = await api(withQuery('/usage/log', { days, limit: LOG_LIMIT }));
  return { rows: page.entries || [], total: page.total || 0, source: 'usage log' };
}

function sourceNote(b) {
  const partial = b.total > b.rows.length ? ` (the newest ${num(b.rows.length)} of ${num(b.total)})` : '';
  return h('div', { class: 'small muted' }, `From the ${b.source}${partial}.`);
}

function totals(s, log) {
  const c = cost(s.total_cost, s.unpriced_requests, s.total_requests);
  let failed = null;
  let p50 = null;
  if (log) {
    failed = log.rows.filter((r) => r.status_code >= 400).length;
    const sorted = log.rows.map((r) => r.latency_ms ?? r.duration_ms).filter((v) => typeof v === 'number').sort((a, b) => a - b);
    p50 = sorted.length ? sorted[Math.ceil(sorted.length / 2) - 1] : null;
  }
  return [
    stat('Requests', num(s.total_requests)),
    stat('Input tokens', num(s.total_input_tokens), s.total_cached_input_tokens ? `${num(s.total_cached_input_tokens)} cached` : null),
    stat('Output tokens', num(s.total_output_tokens)),
    stat('Cost', c.text === 'unpriced' ? 'unpriced' : usd(s.total_cost),
      s.unpriced_requests
        ? h('span', { class: 'unpriced' }, `+ ${num(s.unpriced_requests)} unpriced request(s), not counted`)
        : s.total_requests ? 'every request priced' : null,
      c.text === 'unpriced' ? 'unpriced' : ''),
    stat('Errors', failed === null ? '—' : num(failed), log && log.rows.length ? `of the newest ${num(log.rows.length)} in the ${log.source}` : null,
      failed ? 'error-text' : ''),
    stat('Median latency', ms(p50)),
  ];
}

function costChart(rows, shortLabel) {
  const unpriced = rows.reduce((n, r) => n + r.unpriced_requests, 0);
  const values = rows.map((r) => (r.requests > 0 && r.unpriced_requests >= r.requests ? null : r.total_cost));
  return h('div', null,
    chart({
      name: 'cost', labels: rows.map((r) => r.date), shortLabel, format: usd, axis: (v) => usd(v), empty: 'unpriced',
      emptyText: unpriced ? 'Nothing priced in this range' : undefined,
      series: [{ name: 'Cost (USD)', values }],
    }),
    unpriced ? h('div', { class: 'small muted' }, h('span', { class: 'unpriced' }, `${num(unpriced)} unpriced request(s)`),
      ' in this range are not included (no price is known; they are never counted as $0).') : null);
}

function gatewayState(config, storage) {
  const flags = ['LOGGING_ENABLED', 'USAGE_ENABLED', 'CACHE_ENABLED', 'GUARDRAILS_ENABLED', 'BUDGETS_ENABLED', 'FEATURE_FALLBACK_MODE']
    .filter((k) => config[k] !== undefined)
    .map((k) => [k, config[k]]);
  const writer = (w) => (w ? `${num(w.written)} written, ${num(w.dropped)} dropped, queue ${num(w.queue_depth)}` : 'off');
  const store = storage.error
    ? [['Storage', errorBox(storage.error)]]
    : [
      ['Storage', storage.backend ? `${storage.backend} (${storage.reachable ? 'reachable' : 'unreachable'})` : 'off'],
      ['Usage writer', writer(storage.usage)],
      ['Audit writer', writer(storage.audit)],
    ];
  return keyValues([
    config.version ? ['Version', config.version] : null,
    config.base_path ? ['Base path', config.base_path] : null,
    ...store,
    ...flags,
  ]);
}
