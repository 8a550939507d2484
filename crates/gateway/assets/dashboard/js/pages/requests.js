// Request log: the usage rows (one per upstream call), newest first, with filters, paging and a
// details drawer that links to the matching audit entry.

import { api, withQuery } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, ms, num } from '../format.js';
import {
  costCell, drawer, empty, fill, filterForm, filterInput, hashFor, jsonBlock, keyValues, pageHead,
  pager, panel, rangePicker, statusBadge, table,
} from '../components.js';

const LIMIT = 50;
const FILTERS = ['model', 'provider', 'user_path', 'search'];

export async function render(root, ctx) {
  const p = ctx.params;
  const state = { days: Number(p.get('days')) || 7, offset: Number(p.get('offset')) || 0 };
  for (const name of FILTERS) state[name] = p.get(name) || '';
  const go = (change) => ctx.go({ ...state, offset: 0, ...change });

  const form = filterForm([
    filterInput('search', 'Search (request id, model, path)', state.search, { wide: true }),
    filterInput('model', 'Model', state.model),
    filterInput('provider', 'Provider', state.provider),
    filterInput('user_path', 'User path', state.user_path),
  ], (values) => go(values));
  const list = panel('Requests');
  replace(root,
    pageHead('Request log', 'One row per upstream call: tokens, cost, latency.', rangePicker(state.days, (d) => go({ days: d }))),
    form, list.el);

  const query = { ...state, limit: LIMIT };
  fill(list.body, api(withQuery('/usage/log', query)), (page) => {
    const rows = page.entries || [];
    if (!rows.length) return empty('No requests match.');
    return h('div', null,
      table([
        { label: 'Time', cell: (r) => dateTime(r.ts_us) },
        { label: 'Model', cell: (r) => modelName(r) },
        { label: 'Provider', cell: (r) => r.provider_name },
        { label: 'User path', cell: (r) => r.user_path },
        { label: 'Status', cell: (r) => statusBadge(r.status_code) },
        { label: 'Latency', num: true, cell: (r) => ms(r.latency_ms) },
        { label: 'In', num: true, cell: (r) => num(r.input_tokens) },
        { label: 'Out', num: true, cell: (r) => num(r.output_tokens) },
        { label: 'Cost', num: true, cell: (r) => rowCost(r) },
      ], rows, { onRow: (row) => showRequest(row) }),
      pager(state.offset, LIMIT, page.total || 0, (offset) => ctx.go({ ...state, offset })));
  }, ctx.isCurrent);
}

function modelName(r) {
  return r.requested_model && r.requested_model !== r.model && r.requested_model !== `${r.provider_name}/${r.model}`
    ? `${r.requested_model} → ${r.model}` : r.model;
}

/** A failed call with no tokens has no cost to speak of; anything else unpriced says so. */
function rowCost(r) {
  if (r.status_code >= 400 && !r.total_tokens) return h('span', { class: 'muted', title: 'Failed request: no usage' }, '—');
  return costCell(r.total_cost, r.cost_source === 'unpriced' ? 1 : 0, 1);
}

function showRequest(r) {
  drawer('Request', h('div', null,
    keyValues([
      ['Time', dateTime(r.ts_us)],
      ['Request id', h('span', { class: 'mono' }, r.request_id)],
      ['Endpoint', r.endpoint],
      ['Requested model', r.requested_model],
      ['Model', r.model],
      ['Provider', `${r.provider_name} (${r.provider_type})`],
      ['User path', r.user_path],
      ['Status', statusBadge(r.status_code)],
      r.error_code ? ['Error', h('span', { class: 'error-text' }, r.error_code)] : null,
      ['Streamed', r.stream ? 'yes' : 'no'],
      ['Latency', ms(r.latency_ms)],
      r.ttfb_ms !== null && r.ttfb_ms !== undefined ? ['Time to first byte', ms(r.ttfb_ms)] : null,
      ['Tokens', `${num(r.input_tokens)} in (${num(r.cached_input_tokens)} cached, ${num(r.cache_write_tokens)} cache write), `
        + `${num(r.output_tokens)} out (${num(r.reasoning_tokens)} reasoning)`],
      ['Cost', rowCost(r)],
      ['Cost source', r.cost_source],
      r.cost_caveat ? ['Cost note', r.cost_caveat] : null,
      r.provider_response_id ? ['Provider response id', h('span', { class: 'mono' }, r.provider_response_id)] : null,
    ]),
    h('p', null, h('a', { href: hashFor('audit', { search: r.request_id, days: 90 }) }, 'Find this request in the audit log')),
    h('details', { class: 'section' }, h('summary', null, 'Provider usage object'), jsonBlock(r.raw_usage ?? null)),
    h('details', { class: 'section' }, h('summary', null, 'Whole row'), jsonBlock(r))));
}
