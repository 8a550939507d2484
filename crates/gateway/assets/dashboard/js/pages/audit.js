// Audit log: every audited request with filters; a drawer with headers and bodies (pretty JSON,
// as text) and the conversation thread around an entry (linked by response ids). `#/audit?id=`
// opens an entry directly.

import { api, withQuery } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, messageText, ms } from '../format.js';
import {
  closeDrawer, drawer, empty, errorBox, fill, filterForm, filterInput, filterSelect, jsonBlock,
  keyValues, pageHead, pager, panel, rangePicker, statusBadge, table,
} from '../components.js';

const LIMIT = 50;
const FILTERS = ['search', 'model', 'provider', 'method', 'path', 'status_code', 'stream', 'user_path', 'error_type'];

export async function render(root, ctx) {
  const p = ctx.params;
  const state = { days: Number(p.get('days')) || 7, offset: Number(p.get('offset')) || 0 };
  for (const name of FILTERS) state[name] = p.get(name) || '';
  const go = (change) => ctx.go({ ...state, offset: 0, ...change });
  const open = (entry) => {
    ctx.remember({ ...state, id: entry.id });
    showEntry(entry, ctx, () => ctx.remember(state));
  };

  const form = filterForm([
    filterInput('search', 'Search (request id, model, path)', state.search, { wide: true }),
    filterInput('model', 'Model', state.model),
    filterInput('provider', 'Provider', state.provider),
    filterSelect('method', 'Method', [['', 'Any method'], ['GET', 'GET'], ['POST', 'POST'], ['PUT', 'PUT'], ['DELETE', 'DELETE']], state.method),
    filterInput('path', 'Path', state.path),
    filterInput('status_code', 'Status', state.status_code),
    filterSelect('stream', 'Streaming', [['', 'Streamed or not'], ['true', 'Streamed'], ['false', 'Not streamed']], state.stream),
    filterInput('user_path', 'User path', state.user_path),
    filterInput('error_type', 'Error type', state.error_type),
  ], (values) => go(values));
  const list = panel('Entries');
  const off = ctx.config.LOGGING_ENABLED === 'off'
    ? h('div', { class: 'notice' }, 'The audit log is off (LOGGING_ENABLED=false): new requests are not recorded here.')
    : null;
  replace(root,
    pageHead('Audit log', 'What crossed the gateway: headers and bodies (credentials redacted).',
      rangePicker(state.days, (d) => go({ days: d }))),
    off, form, list.el);

  const id = p.get('id');
  if (id) {
    api(withQuery('/audit/conversation', { log_id: id, limit: 1 })).then((thread) => {
      const entry = (thread.entries || []).find((e) => e.id === id);
      if (entry && ctx.isCurrent()) showEntry(entry, ctx, () => ctx.remember(state));
    }).catch(() => {});
  }
  await fill(list.body, api(withQuery('/audit/log', { ...state, limit: LIMIT })), (page) => {
    const rows = page.entries || [];
    if (!rows.length) return empty('No entries match.');
    return h('div', null,
      table([
        { label: 'Time', cell: (r) => dateTime(r.ts_us) },
        { label: 'Method', cell: (r) => r.method },
        { label: 'Path', cell: (r) => r.path },
        { label: 'Model', cell: (r) => r.requested_model || '—' },
        { label: 'Provider', cell: (r) => r.provider_name || '—' },
        { label: 'Status', cell: (r) => statusBadge(r.status_code) },
        { label: 'Duration', num: true, cell: (r) => ms(r.duration_ms) },
        { label: 'Stream', cell: (r) => (r.stream ? 'yes' : '') },
        { label: 'User path', cell: (r) => r.user_path },
      ], rows, { onRow: open }),
      pager(state.offset, LIMIT, page.total || 0, (offset) => ctx.go({ ...state, offset })));
  }, ctx.isCurrent);
}

function showEntry(entry, ctx, onClose) {
  const data = entry.data || {};
  const threadBox = h('div', { class: 'thread-box' });
  const threadButton = h('button', {
    type: 'button', class: 'primary',
    onclick: () => loadThread(entry, threadBox, threadButton, ctx, onClose),
  }, 'Show conversation');
  const section = (title, value, open) => (value === undefined || value === null ? null
    : h('details', { class: 'section', open: open || null, dataset: { section: title } },
      h('summary', null, title), jsonBlock(value)));
  drawer('Audit entry', h('div', { class: 'audit-entry', dataset: { id: entry.id } },
    keyValues([
      ['Time', dateTime(entry.ts_us)],
      ['Request', `${entry.method} ${entry.path}`],
      ['Status', statusBadge(entry.status_code)],
      ['Duration', ms(entry.duration_ms)],
      ['Requested model', entry.requested_model],
      ['Resolved model', entry.resolved_model],
      ['Provider', entry.provider_name ? `${entry.provider_name} (${entry.provider_type})` : null],
      ['User path', entry.user_path],
      ['Streamed', entry.stream ? 'yes' : 'no'],
      ['Client', entry.client_ip],
      ['User agent', data.user_agent],
      ['Request id', h('span', { class: 'mono' }, entry.request_id)],
      entry.response_id ? ['Response id', h('span', { class: 'mono' }, entry.response_id)] : null,
      entry.previous_response_id ? ['Continues', h('span', { class: 'mono' }, entry.previous_response_id)] : null,
      entry.error_type ? ['Error type', h('span', { class: 'error-text' }, entry.error_type)] : null,
      data.error_message ? ['Error', h('span', { class: 'error-text' }, data.error_message)] : null,
    ]),
    h('div', { class: 'toolbar' }, threadButton),
    threadBox,
    section('Request body', data.request_body, true),
    section('Response body', data.response_body, true),
    section('Usage', data.usage),
    section('Request headers', data.request_headers),
    section('Response headers', data.response_headers),
    data.request_body === undefined && data.response_body === undefined
      ? h('p', { class: 'muted small' }, 'No bodies were recorded (LOGGING_LOG_BODIES=false, or the request had none).')
      : null), onClose);
}

async function loadThread(entry, box, button, ctx, onClose) {
  button.disabled = true;
  replace(box, h('div', { class: 'muted' }, 'Loading the conversation…'));
  try {
    const thread = await api(withQuery('/audit/conversation', { log_id: entry.id }));
    const entries = thread.entries || [];
    replace(box, h('h3', null, `Conversation (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'})`),
      entries.length <= 1
        ? h('p', { class: 'muted small' }, 'No other entry continues or precedes this one (requests are linked by previous_response_id and the response id).')
        : null,
      h('div', { class: 'thread' }, entries.map((e, i) => turn(e, i, e.id === entry.id, () => {
        closeDrawer();
        ctx.remember({ ...Object.fromEntries(ctx.params), id: e.id });
        showEntry(e, ctx, onClose);
      }))));
  } catch (err) {
    if (!err.isAuth) replace(box, errorBox(err));
  } finally {
    button.disabled = false;
  }
}

/** One request/response pair of the thread: the messages new in this request, then the reply. */
function turn(e, index, current, onOpen) {
  const body = (e.data && e.data.request_body) || {};
  const messages = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  // Later turns repeat the history; show what this request added after the last reply.
  let start = 0;
  if (index > 0) {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i] && messages[i].role === 'assistant') {
        start = i + 1;
        break;
      }
    }
  }
  const asked = messages.slice(start).map((m) => message(m.role || 'user', messageText(m.content)));
  if (typeof body.input === 'string') asked.push(message('user', body.input));
  if (body.system) asked.unshift(message('system', messageText(body.system)));
  return h('div', { class: `turn${current ? ' current' : ''}`, dataset: { id: e.id } },
    h('div', { class: 'turn-head' },
      h('span', null, `${dateTime(e.ts_us)} · ${e.requested_model || e.path} · `, statusBadge(e.status_code)),
      current ? h('strong', null, 'this entry') : h('button', { type: 'button', class: 'ghost', onclick: onOpen }, 'Open')),
    asked,
    reply(e));
}

function message(role, text) {
  return h('div', { class: `msg ${role}` }, h('span', { class: 'role' }, role), text);
}

function reply(e) {
  const data = e.data || {};
  const body = data.response_body;
  if (!body) return data.error_message ? h('div', { class: 'msg error-text' }, data.error_message) : null;
  if (Array.isArray(body.choices) && body.choices[0]) {
    const m = body.choices[0].message || body.choices[0].delta || {};
    const calls = (m.tool_calls || []).map((c) => `→ ${c.function ? c.function.name : 'tool'}(${c.function ? c.function.arguments : ''})`);
    return message('assistant', [messageText(m.content), ...calls].filter(Boolean).join('\n'));
  }
  if (Array.isArray(body.content)) return message('assistant', messageText(body.content));
  if (Array.isArray(body.output)) {
    return message('assistant', body.output.map((o) => messageText(o.content || o.text || '')).join('\n'));
  }
  return null;
}
