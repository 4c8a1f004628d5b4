// api.js: the one way pages call the JSON API. Every answer is
// {code, message, data}; a failure throws an ApiError carrying the status.
import { pages, endpoints } from './urls.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
  // field names the input the server's message is about ("username: ...").
  get field() {
    const m = /^(username|password|role|message):/.exec(this.message);
    return m ? m[1] : 'form';
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
    throw new ApiError(0, 'The server cannot be reached. Check your connection.');
  }
  let payload = {};
  try { payload = await res.json(); } catch (e) { /* non-JSON error page */ }
  if (!res.ok || payload.code !== 0) {
    const err = new ApiError(res.status, payload.message || `Request failed (${res.status})`);
    if (res.status === 429) err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  return payload.data;
}

export async function logout() {
  try { await api('POST', endpoints.logout); } finally { location.href = pages.login; }
}
