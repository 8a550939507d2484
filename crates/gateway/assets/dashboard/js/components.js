// Shared page pieces: headers, toggles, stat cards, tables, pagers, the details drawer, JSON
// blocks and cost cells. All text goes in as text nodes (dom.js).

import { h, replace } from './dom.js';
import { cost } from './format.js';

export function pageHead(title, subtitle, ...tools) {
  return h('div', { class: 'page-head' },
    h('div', null, h('h1', null, title), subtitle ? h('div', { class: 'muted' }, subtitle) : null),
    h('div', { class: 'toolbar' }, ...tools));
}

/** A row of toggle buttons; `options` is `[[value, label], ...]`. */
export function segmented(label, options, current, onChange) {
  return h('div', { class: 'segmented', role: 'group', 'aria-label': label },
    options.map(([value, text]) => h('button', {
      type: 'button', 'aria-pressed': String(String(value) === String(current)),
      dataset: { value: String(value) },
      onclick: () => onChange(value),
    }, text)));
}

export const RANGES = [[1, 'Today'], [7, '7 days'], [30, '30 days'], [90, '90 days']];

export function rangePicker(days, onChange) {
  return segmented('Date range', RANGES, days, onChange);
}

export function stat(label, value, sub, extraClass) {
  return h('div', { class: 'panel stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: `value ${extraClass || ''}` }, value),
    sub ? h('div', { class: 'sub' }, sub) : null);
}

/** A panel with a title whose body is filled later (`fill`). */
export function panel(title, ...tools) {
  const body = h('div', { class: 'panel-body' }, h('div', { class: 'empty' }, 'Loading…'));
  const el = h('section', { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', null, title), tools.length ? h('div', { class: 'toolbar' }, ...tools) : null),
    body);
  return { el, body };
}

/**
 * Awaits `promise` and puts `build(result)` in `body`; an error shows its message there (auth
 * errors are handled globally by main.js, which leaves the page). `isCurrent` guards against a
 * page that was left while the data was loading.
 */
export async function fill(body, promise, build, isCurrent = () => true) {
  try {
    const data = await promise;
    if (!isCurrent()) return;
    replace(body, build(data));
  } catch (err) {
    if (!isCurrent() || err.isAuth) return;
    replace(body, errorBox(err));
  }
}

export function errorBox(err) {
  const hint = err.status === 404
    ? 'This gateway does not serve that admin endpoint (an older version, or the feature is off).'
    : err.status === 503 ? 'Usage storage is off or unreachable: see STORAGE_TYPE, USAGE_ENABLED and the gateway log.' : null;
  return h('div', { class: 'empty' },
    h('div', { class: 'error-text' }, err.message || String(err)),
    hint ? h('div', { class: 'small muted' }, hint) : null);
}

export function empty(text) {
  return h('div', { class: 'empty' }, text);
}

/** A cost span: "unpriced" (styled as such) rather than $0 when nothing was priced. */
export function costCell(value, unpriced, requests) {
  const c = cost(value, unpriced, requests);
  return h('span', {
    class: c.unpriced ? 'unpriced' : null,
    title: c.unpriced ? 'No price is known for some or all of these requests; they are not counted as $0.' : null,
  }, c.text);
}

export function statusBadge(code) {
  const cls = code >= 500 ? 'bad' : code >= 400 ? 'warn' : 'ok';
  return h('span', { class: `badge ${cls}` }, String(code));
}

/**
 * A table. `columns`: `[{ label, cell: row → node|text, num?, wrap? }]`. `onRow` makes rows
 * clickable (and keyboard-activatable).
 */
export function table(columns, rows, { onRow, rowClass } = {}) {
  const head = h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label))));
  const body = h('tbody', null, rows.map((row) => {
    const tr = h('tr', {
      class: [onRow ? 'clickable' : '', rowClass ? rowClass(row) : ''].join(' ').trim() || null,
      tabindex: onRow ? '0' : null,
    }, columns.map((c) => h('td', { class: [c.num ? 'num' : '', c.wrap ? 'wrap' : ''].join(' ').trim() || null }, c.cell(row))));
    if (onRow) {
      tr.addEventListener('click', () => onRow(row, tr));
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') onRow(row, tr);
      });
    }
    return tr;
  }));
  return h('div', { class: 'table-wrap' }, h('table', null, head, body));
}

/** A proportional bar under a table cell, for "share of the total". */
export function share(content, fraction) {
  const bar = h('span', { class: 'share-bar' });
  bar.style.width = `${Math.max(0, Math.min(1, fraction || 0)) * 100}%`;
  return h('div', { class: 'share' }, content, bar);
}

export function pager(offset, limit, total, onChange) {
  const last = Math.min(total, offset + limit);
  return h('div', { class: 'pager' },
    h('span', { class: 'muted small' }, total === 0 ? 'No rows' : `${offset + 1}–${last} of ${total}`),
    h('button', { type: 'button', disabled: offset === 0, onclick: () => onChange(Math.max(0, offset - limit)) }, 'Previous'),
    h('button', { type: 'button', disabled: last >= total, onclick: () => onChange(offset + limit) }, 'Next'));
}

/** Pretty JSON in a <pre>, as text. */
export function jsonBlock(value) {
  let text;
  if (typeof value === 'string') {
    try {
      text = JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      text = value;
    }
  } else {
    text = JSON.stringify(value, null, 2);
  }
  return h('pre', { class: 'json' }, text);
}

export function keyValues(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '—')]));
}

let openDrawer = null;

/** Opens the details drawer (one at a time); Escape or the backdrop closes it. */
export function drawer(title, content, onClose) {
  closeDrawer();
  const close = () => {
    closeDrawer();
    if (onClose) onClose();
  };
  const backdrop = h('div', { class: 'drawer-backdrop', onclick: close });
  const panelEl = h('aside', { class: 'drawer', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
    h('div', { class: 'drawer-head' }, h('h2', null, title),
      h('button', { type: 'button', class: 'drawer-close', onclick: close }, 'Close')),
    content);
  const onKey = (event) => {
    if (event.key === 'Escape') close();
  };
  document.addEventListener('keydown', onKey);
  document.body.append(backdrop, panelEl);
  openDrawer = { backdrop, panelEl, onKey };
  panelEl.querySelector('.drawer-close').focus();
  return panelEl;
}

export function closeDrawer() {
  if (!openDrawer) return;
  openDrawer.backdrop.remove();
  openDrawer.panelEl.remove();
  document.removeEventListener('keydown', openDrawer.onKey);
  openDrawer = null;
}

/** A text filter input bound to a URL parameter. */
export function filterInput(name, label, value, { wide } = {}) {
  return h('input', {
    type: 'search', name, placeholder: label, 'aria-label': label, value: value || '',
    class: wide ? 'wide' : null,
  });
}

export function filterSelect(name, label, options, value) {
  return h('select', { name, 'aria-label': label },
    options.map(([v, text]) => {
      const opt = h('option', { value: v }, text);
      if (v === (value || '')) opt.selected = true;
      return opt;
    }));
}

/** A filter form: on submit, the named fields become the page's URL parameters. */
export function filterForm(fields, onApply) {
  const form = h('form', { class: 'filters', role: 'search' }, ...fields,
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('button', { type: 'reset' }, 'Clear'));
  const collect = () => {
    const values = {};
    for (const el of form.elements) {
      if (el.name) values[el.name] = el.value.trim();
    }
    return values;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply(collect());
  });
  form.addEventListener('reset', () => {
    setTimeout(() => {
      for (const el of form.elements) {
        if (el.name) el.value = '';
      }
      onApply(collect());
    });
  });
  return form;
}

/** The hash for a page and parameters (empty values dropped): `#/audit?search=abc`. */
export function hashFor(name, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== '') query.set(k, String(v));
  }
  const text = query.toString();
  return `#/${name}${text ? `?${text}` : ''}`;
}
