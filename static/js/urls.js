// urls.js: every server path the scripts use, in one table, so that moving
// the app under another prefix is one edit here (and the templates' links).
const base = '/webrtc';
const q = (params) => new URLSearchParams(params).toString();

// pages are the server-rendered pages.
export const pages = Object.freeze({
  login: `${base}/login`,
  register: `${base}/register`,
  home: `${base}/in`,
  admin: `${base}/admin`,
  room: (name) => `${base}/room/${encodeURIComponent(name)}`,
  live: (liveId) => `${base}/live/${encodeURIComponent(liveId)}`,
});

// endpoints are the form posts, the JSON API and the websocket.
export const endpoints = Object.freeze({
  login: `${base}/login`,
  register: `${base}/register`,
  logout: `${base}/logout`,
  socket: `${base}/wss`,
  me: `${base}/api/me`,
  iceServers: `${base}/api/ice-servers`,
  calls: (limit) => `${base}/api/calls?${q({ limit })}`,
  messages: (limit, before) => `${base}/api/messages?${q(before ? { limit, before } : { limit })}`,
  adminLive: `${base}/api/admin/live`,
  adminCluster: `${base}/api/admin/cluster`,
  adminRelay: `${base}/api/admin/relay`,
  adminCalls: (limit) => `${base}/api/admin/calls?${q({ limit })}`,
  adminQuality: `${base}/api/admin/calls/quality`,
  adminUsers: (page, size, search) => `${base}/api/admin/users?${q({ page, size, q: search })}`,
  adminUser: (id) => `${base}/api/admin/users/${encodeURIComponent(id)}`,
  adminMessage: (id) => `${base}/api/admin/messages/${encodeURIComponent(id)}`,
});
