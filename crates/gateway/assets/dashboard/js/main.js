// The dashboard shell: theme, sign-in, and hash routing (#/overview, #/usage, #/requests,
// #/audit, #/models, #/providers, each with its filters as a query: #/audit?search=abc).
// Pages are modules exporting `render(root, ctx)`.

import { api, authMode, clearKey, getKey, setAuthFailureHandler, setKey } from './api.js';
import { h, replace } from './dom.js';
import { closeDrawer, errorBox, hashFor } from './components.js';
import * as overview from './pages/overview.js';
import * as usage from './pages/usage.js';
import * as requests from './pages/requests.js';
import * as audit from './pages/audit.js';
import * as models from './pages/models.js';
import * as providers from './pages/providers.js';

const PAGES = { overview, usage, requests, audit, models, providers };
const THEME_STORAGE = 'gomodel.theme';

const $ = (id) => document.getElementById(id);
let renderToken = 0;
let config = {};
let started = false;

// --- Theme: the system preference unless the toggle stored a choice. ---------------------

function effectiveTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  const button = $('theme-toggle');
  button.textContent = next === 'dark' ? 'Dark theme' : 'Light theme';
  button.setAttribute('aria-label', `Switch to ${next} theme`);
}

function toggleTheme() {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  localStorage.setItem(THEME_STORAGE, next);
  applyTheme(next);
}

// --- Sign-in ------------------------------------------------------------------------------

function showLogin(message) {
  closeDrawer();
  started = false;
  renderToken += 1;
  $('app').hidden = true;
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  if (authMode === 'loopback') {
    // No master key on the server: a key cannot help, only setting one can.
    $('login-key').closest('form').querySelectorAll('label, input, button').forEach((el) => { el.hidden = true; });
    $('login-form').querySelector('p.muted').textContent = 'This gateway has no GOMODEL_MASTER_KEY, so its admin API only answers '
      + 'clients on the same machine (loopback). To use the dashboard from here, set GOMODEL_MASTER_KEY in the '
      + 'gateway\'s environment (or server.master_key in config.yaml), restart it, and sign in with that key.';
  } else {
    $('login-key').value = '';
    $('login-key').focus();
  }
}

function onAuthFailure(err) {
  clearKey();
  const hint = err.status === 401
    ? 'The admin API refused the key'
    : 'The admin API refused this request';
  showLogin(`${hint} (${err.status}): ${err.message}`);
}

async function signIn(event) {
  event.preventDefault();
  const key = $('login-key').value.trim();
  if (!key) return;
  setKey(key);
  const button = $('login-form').querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await start();
  } finally {
    button.disabled = false;
  }
}

function signOut() {
  clearKey();
  showLogin(null);
}

// --- Start-up and routing -------------------------------------------------------------------

async function start() {
  try {
    config = (await api('/dashboard/config')) || {};
  } catch (err) {
    if (err.isAuth) return;
    config = {};
  }
  started = true;
  $('login').hidden = true;
  $('app').hidden = false;
  $('version').textContent = config.version ? `GoModel ${config.version}` : '';
  const notice = $('notice');
  const noKey = authMode === 'loopback' || config.master_key_set === false;
  notice.hidden = !noKey;
  notice.textContent = noKey
    ? 'No GOMODEL_MASTER_KEY is set: the admin API answers loopback clients only, and model routes are '
      + 'unauthenticated. Set GOMODEL_MASTER_KEY to protect the gateway and to use this dashboard remotely.'
    : '';
  route();
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query] = raw.split('?');
  return { name: PAGES[name] ? name : 'overview', params: new URLSearchParams(query || '') };
}

async function route() {
  if (!started) return;
  closeDrawer();
  const { name, params } = parseHash();
  const token = ++renderToken;
  for (const link of document.querySelectorAll('.sidebar a[data-page]')) {
    link.classList.toggle('active', link.dataset.page === name);
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = $('page');
  replace(root);
  root.dataset.page = name;
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · GoModel`;
  const ctx = {
    params,
    config,
    isCurrent: () => token === renderToken,
    /** Navigates to this page with new parameters (re-renders). */
    go: (next) => { location.hash = hashFor(name, next); },
    /** Records parameters in the URL without re-rendering (an opened drawer). */
    remember: (next) => { history.replaceState(null, '', hashFor(name, next)); },
  };
  try {
    await PAGES[name].render(root, ctx);
  } catch (err) {
    if (!ctx.isCurrent() || err.isAuth) return;
    replace(root, h('div', { class: 'panel' }, errorBox(err)));
  }
}

function boot() {
  applyTheme(localStorage.getItem(THEME_STORAGE));
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme(null));
  $('theme-toggle').addEventListener('click', toggleTheme);
  $('sign-out').addEventListener('click', signOut);
  $('login-form').addEventListener('submit', signIn);
  setAuthFailureHandler(onAuthFailure);
  window.addEventListener('hashchange', route);
  if (authMode === 'key') $('sign-out').hidden = false;
  else $('sign-out').hidden = true;
  if (authMode === 'key' && !getKey()) showLogin(null);
  else start();
}

boot();
