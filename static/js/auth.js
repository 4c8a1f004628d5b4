// auth.js: the login and register forms. Messages come from the server and
// are shown next to the field they name.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api } from './api.js';
import { pages } from './urls.js';

export function mountAuthForm(selector, endpoint) {
  return createApp({
    data: () => ({ username: '', password: '', busy: false, errors: {} }),
    methods: {
      async submit() {
        this.busy = true;
        this.errors = {};
        try {
          await api('POST', endpoint, { username: this.username, password: this.password });
          location.href = pages.home;
        } catch (e) {
          const message = e.field === 'form' ? e.message : e.message.replace(/^\w+:\s*/, '');
          this.errors = { [e.field]: message };
        } finally {
          this.busy = false;
        }
      },
    },
  }).mount(selector);
}
