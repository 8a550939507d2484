// Models: the catalog the gateway serves (every provider's models), with category, prices per
// million tokens (or "unpriced") and access; plus the stored pricing overrides.

import { api, withQuery } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, num, perMillion } from '../format.js';
import { empty, fill, pageHead, panel, segmented, table } from '../components.js';

const LABELS = {
  all: 'All', text_generation: 'Text', embedding: 'Embedding', image: 'Image', audio: 'Audio', video: 'Video', utility: 'Utility',
};

function price(value) {
  const text = perMillion(value);
  return text === null ? h('span', { class: 'muted' }, '—') : text;
}

export async function render(root, ctx) {
  const category = ctx.params.get('category') || 'all';
  const search = ctx.params.get('q') || '';
  const tabs = h('div', { class: 'toolbar' });
  const filter = h('input', { type: 'search', placeholder: 'Filter models', 'aria-label': 'Filter models', value: search });
  const catalog = panel('Catalog', filter);
  const overrides = panel('Pricing overrides');
  replace(root,
    pageHead('Models', 'Prices are USD per million tokens; the source says where each price comes from.', tabs),
    catalog.el, overrides.el);

  fill(tabs, api('/models/categories'), (c) => segmented('Category',
    (c.categories || []).filter((x) => x.count > 0 || x.category === 'all')
      .map((x) => [x.category, `${LABELS[x.category] || x.category} (${num(x.count)})`]),
    category, (v) => ctx.go({ category: v, q: filter.value.trim() })), ctx.isCurrent).catch(() => {});

  let models = [];
  const body = h('div');
  const draw = () => {
    const needle = filter.value.trim().toLowerCase();
    const rows = needle ? models.filter((m) => `${m.id} ${m.owned_by || ''} ${m.provider_type}`.toLowerCase().includes(needle)) : models;
    ctx.remember({ category, q: filter.value.trim() });
    replace(body, rows.length ? modelTable(rows) : empty(models.length ? 'No model matches.' : 'No models: the providers have not listed any yet.'));
  };
  filter.addEventListener('input', draw);
  await fill(catalog.body, api(withQuery('/models', { category: category === 'all' ? '' : category })), (data) => {
    models = data.models || [];
    draw();
    return body;
  }, ctx.isCurrent);
  fill(overrides.body, api('/model-pricing-overrides'), (data) => {
    const rows = Array.isArray(data) ? data : [];
    if (!rows.length) {
      return empty('No overrides. PUT /admin/api/v1/model-pricing-overrides sets one (docs/usage.md).');
    }
    return table([
      { label: 'Selector', cell: (r) => h('span', { class: 'mono' }, r.selector) },
      { label: 'Input', num: true, cell: (r) => price(r.pricing && r.pricing.input_per_mtok) },
      { label: 'Output', num: true, cell: (r) => price(r.pricing && r.pricing.output_per_mtok) },
      { label: 'Cached input', num: true, cell: (r) => price(r.pricing && r.pricing.cached_input_per_mtok) },
      { label: 'Updated', cell: (r) => dateTime(r.updated_at_us) },
    ], rows);
  }, ctx.isCurrent);
}

function modelTable(rows) {
  return table([
    { label: 'Model', cell: (m) => h('span', { class: 'mono' }, m.id) },
    { label: 'Provider', cell: (m) => (m.provider_name === m.provider_type ? m.provider_name : `${m.provider_name} (${m.provider_type})`) },
    { label: 'Category', cell: (m) => LABELS[m.category] || m.category },
    { label: 'Context', num: true, cell: (m) => (m.context_window ? num(m.context_window) : '—') },
    { label: 'Input', num: true, cell: (m) => (m.pricing ? price(m.pricing.input_per_mtok) : unpriced()) },
    { label: 'Output', num: true, cell: (m) => price(m.pricing && m.pricing.output_per_mtok) },
    { label: 'Cached input', num: true, cell: (m) => price(m.pricing && m.pricing.cached_input_per_mtok) },
    { label: 'Price source', cell: (m) => (m.pricing ? m.pricing.source || '' : h('span', { class: 'muted' }, 'none')) },
    { label: 'Access', cell: (m) => access(m.access) },
  ], rows);
}

function unpriced() {
  return h('span', { class: 'unpriced', title: 'No price is known: usage of this model is recorded with no cost, never $0.' }, 'unpriced');
}

function access(a) {
  if (!a) return '—';
  const enabled = a.effective_enabled !== false;
  const paths = Array.isArray(a.user_paths) && a.user_paths.length ? ` (${a.user_paths.join(', ')})` : '';
  return h('span', { class: `badge ${enabled ? 'ok' : 'bad'}` }, `${enabled ? 'enabled' : 'disabled'}${paths}`);
}
