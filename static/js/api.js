// api.js: the one way pages call the JSON API. Every answer is
// {code, message, data}; a failure throws an ApiError carrying the
// status, the server's reason code and, when fields broke rules, each
// field's reason. Its message is the reason in the page's language.
import { pages, endpoints } from './urls.js';
import { t, has, lang } from './i18n.js';
import { Limits } from './limits.js';

// limitParams fill the limits into the sentences that state them.
export const limitParams = Object.freeze({
  min: Limits.UsernameMinLen, max: Limits.UsernameMaxLen,
  pwMin: Limits.PasswordMinLen, pwMax: Limits.PasswordMaxLen,
  chatMax: Limits.ChatMaxRunes.toLocaleString(lang),
});

// reasonText is a server reason code (HTTP or websocket 10001) in the
// page's language: the table's err.<reason>, else fallback (the server's
// English message), else a general sentence.
export function reasonText(reason, fallback, params) {
  if (reason && has(`err.${reason}`)) return t(`err.${reason}`, { ...limitParams, ...params });
  return fallback || t('err.internal');
}

export class ApiError extends Error {
  // serverMessage is the server's English message, for logs; fields maps
  // a field name to its reason code.
  constructor(status, reason, serverMessage, fields = {}) {
    super(reasonText(reason, serverMessage));
    this.status = status;
    this.reason = reason || '';
    this.serverMessage = serverMessage || '';
    this.fields = fields;
  }
}

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', '');
  }
  let payload = {};
  try { payload = await res.json(); } catch (e) { /* non-JSON error page */ }
  if (!res.ok || payload.code !== 0) {
    const err = new ApiError(res.status, payload.reason, payload.message || t('err.status', { status: res.status }), payload.fields);
    // Retry-After in seconds (the server sends no dates).
    if (res.status === 429 || res.status === 503) err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  return payload.data;
}

export async function logout() {
  try { await api('POST', endpoints.logout); } finally { location.href = pages.login; }
}
