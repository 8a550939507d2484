// The admin API client. The key lives in sessionStorage (this tab only, gone when it closes) and
// goes out as `Authorization: Bearer`. A 401 or 403 calls the handler main.js registers, which
// forgets the key and shows the server's message on the sign-in panel.

import { timeZone } from './format.js';

const KEY_STORAGE = 'gomodel.adminKey';

function meta(name) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return el ? el.getAttribute('content') : '';
}

/** The BASE_PATH prefix the gateway wrote into the page: "" at the root, else "/prefix". */
export const basePath = meta('gomodel-base');
/** "key" when GOMODEL_MASTER_KEY is set; "loopback" when the admin API is open to loopback. */
export const authMode = meta('gomodel-auth') === 'loopback' ? 'loopback' : 'key';
export const apiRoot = `${basePath}/admin/api/v1`;

export function getKey() {
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

export function setKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** An admin API error, with the server's message from the OpenAI-style envelope. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || null;
  }

  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

let onAuthFailure = () => {};

export function setAuthFailureHandler(handler) {
  onAuthFailure = handler;
}

/** Builds `path?query`, leaving out empty values. */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Calls the admin API; resolves to the parsed JSON, rejects with an ApiError. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json', 'X-GoModel-Timezone': timeZone() };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiRoot + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, `The gateway did not answer (${err.message}).`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const envelope = data && data.error;
    const message = (envelope && envelope.message) || text || `${response.status} ${response.statusText}`;
    const error = new ApiError(response.status, message, envelope && envelope.code);
    if (error.isAuth) onAuthFailure(error);
    throw error;
  }
  return data;
}
