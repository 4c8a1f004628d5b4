// page.js starts the page its template names in <body data-page>. The
// templates hold no inline script: the Content-Security-Policy refuses
// inline scripts, so that markup injected into a page cannot run.
import { endpoints } from './urls.js';
import { load, bindSwitcher } from './i18n.js';

const me = () => JSON.parse(document.getElementById('me').textContent);

const pages = {
  login: async () => (await import('./auth.js')).mountAuthForm('#app', endpoints.login),
  register: async () => (await import('./auth.js')).mountAuthForm('#app', endpoints.register),
  home: async () => (await import('./home.js')).mountHome('#app', me()),
  room: async () => (await import('./room.js')).mountRoom('#app', me()),
  live: async () => (await import('./watch.js')).mountWatch('#app', me()),
  admin: async () => (await import('./admin.js')).mountAdmin('#app', me()),
  error: async () => {}, // server-rendered words and a link: nothing to mount
};

bindSwitcher();
await load();
pages[document.body.dataset.page]();
