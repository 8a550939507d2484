// Providers: status summary, one card per provider (status, config with the key masked by the
// server, model-list fetches, recent traffic and the last error), and a manual runtime refresh.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, ms, num } from '../format.js';
import { empty, errorBox, fill, keyValues, pageHead, panel, stat, table } from '../components.js';

const STATUS_CLASS = { healthy: 'ok', degraded: 'warn', unhealthy: 'bad', unknown: '' };

/** A timestamp of unknown shape (RFC 3339 text, or unix seconds / ms / µs) as local time. */
export function when(value) {
  if (value === null || value === undefined || value === '') return '—';
  let epochMs;
  if (typeof value === 'number') epochMs = value > 1e14 ? value / 1000 : value > 1e11 ? value : value * 1000;
  else epochMs = Date.parse(value);
  return Number.isNaN(epochMs) ? String(value) : dateTime(epochMs * 1000);
}

export function statusBadge(status) {
  return h('span', { class: `badge ${STATUS_CLASS[status] ?? ''}` }, status || 'unknown');
}

/** One provider's card; `compact` leaves out the configuration (Overview). */
export function providerCard(p, { compact = false } = {}) {
  const rt = p.runtime || {};
  const cfg = p.config || {};
  const rows = [
    ['Type', p.type],
    p.reason ? ['Status reason', p.reason] : null,
    ['Models', num(rt.model_count)],
    ['Recent requests', rt.recent_requests === undefined ? null : `${num(rt.recent_requests)} (${num(rt.recent_errors || 0)} failed)`],
    ['Last request', when(rt.last_request_at)],
  ];
  if (!compact) {
    rows.push(
      ['Base URL', cfg.base_url ? h('span', { class: 'mono' }, cfg.base_url) : null],
      ['API key', cfg.api_key ? h('span', { class: 'mono' }, cfg.api_key) : 'none'],
      cfg.models && cfg.models.length ? ['Configured models', cfg.models.join(', ')] : null,
      ['Model list fetched', when(rt.last_model_fetch_success_at || rt.last_model_fetch_at)],
      rt.last_model_fetch_error ? ['Model list error', h('span', { class: 'error-text' }, rt.last_model_fetch_error)] : null,
      ['Last error at', when(rt.last_error_at)],
    );
  }
  return h('article', { class: 'panel provider-card', dataset: { provider: p.name } },
    h('div', { class: 'title' }, h('strong', null, p.name), statusBadge(p.status)),
    keyValues(rows),
    p.last_error ? h('div', { class: 'small' }, h('h3', null, 'Last error'), h('div', { class: 'error-text' }, p.last_error)) : null);
}

export async function render(root, ctx) {
  const summary = h('div', { class: 'grid cards' });
  const list = panel('Providers');
  const refreshOut = h('div');
  const load = () => {
    const status = api('/providers/status');
    fill(summary, status, (s) => {
      const sum = s.summary || {};
      return [
        stat('Overall', statusBadge(sum.overall_status)),
        stat('Healthy', num(sum.healthy)),
        stat('Degraded', num(sum.degraded)),
        stat('Unhealthy', num(sum.unhealthy)),
        stat('Unknown', num(sum.unknown)),
      ];
    }, ctx.isCurrent);
    return fill(list.body, status, (s) => (s.providers && s.providers.length
      ? h('div', { class: 'grid providers' }, s.providers.map((p) => providerCard(p)))
      : empty('No providers are configured: set OPENAI_API_KEY, ANTHROPIC_API_KEY, ... (docs/configuration.md).')), ctx.isCurrent);
  };
  const refresh = h('button', {
    type: 'button', class: 'primary', onclick: () => runRefresh(refresh, refreshOut, ctx).then(load),
  }, 'Refresh models and providers');
  replace(root,
    pageHead('Providers', 'Status from recent traffic and model-list fetches.', refresh),
    refreshOut, summary, list.el);
  await load();
}

/** POST runtime/refresh and show its report (steps and their outcome). */
async function runRefresh(button, out, ctx) {
  button.disabled = true;
  replace(out, h('div', { class: 'panel empty' }, 'Refreshing…'));
  try {
    const report = await api('/runtime/refresh', { method: 'POST', body: {} });
    if (!ctx.isCurrent()) return;
    replace(out, h('section', { class: 'panel', dataset: { refresh: report.status } },
      h('div', { class: 'panel-head' }, h('h2', null, `Refresh: ${report.status}`),
        h('span', { class: 'muted small' }, `${ms(report.duration_ms)} · ${num(report.model_count)} models from ${num(report.provider_count)} providers`)),
      table([
        { label: 'Step', cell: (s) => s.name },
        { label: 'Status', cell: (s) => s.status },
        { label: 'Detail', cell: (s) => s.detail || '', wrap: true },
      ], report.steps || [])));
  } catch (err) {
    if (!err.isAuth && ctx.isCurrent()) replace(out, h('div', { class: 'panel' }, errorBox(err)));
  } finally {
    button.disabled = false;
  }
}
