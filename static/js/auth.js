// auth.js: the login and register forms. The server checks every field
// and names each broken rule by a reason code; the form says each in a
// sentence next to its field, all at once. The register form also checks
// a field as the user leaves it, with the same rules (static/js/limits.js),
// but always lets the server decide.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, reasonText, limitParams } from './api.js';
import { t, lang } from './i18n.js';
import { Limits } from './limits.js';
import { pages } from './urls.js';

const utf8 = new TextEncoder();
const usernameChars = /^[\p{L}\p{N}_.-][\p{L}\p{M}\p{N}_.-]*$/u;

// fieldText is the sentence for a field's reason. A password too long for
// bcrypt but of few enough characters is explained: letters outside ASCII
// take several of its bytes.
export function fieldText(reason, value = '') {
  if (reason === 'password_too_long' && [...value].length <= Limits.PasswordMaxLen) {
    return t('form.password.too_long_bytes', { pwMax: Limits.PasswordMaxLen });
  }
  return reasonText(reason, '');
}

// checkUsername and checkPassword are the server's first rules, as reason
// codes ('' when they pass); the server also refuses look-alike names.
function checkUsername(name) {
  const n = [...name.trim()].length;
  if (n < Limits.UsernameMinLen || n > Limits.UsernameMaxLen) return 'username_length';
  return usernameChars.test(name.trim()) ? '' : 'username_chars';
}

function checkPassword(pw) {
  if ([...pw].length < Limits.PasswordMinLen) return 'password_too_short';
  return utf8.encode(pw).length > Limits.PasswordMaxLen ? 'password_too_long' : '';
}

// waitWords says a wait of sec seconds as the page's language would
// ("in 2 minutes", "2分钟后").
export function waitWords(sec) {
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'always' });
  if (sec >= 5400) return rtf.format(Math.round(sec / 3600), 'hour');
  if (sec >= 60) return rtf.format(Math.round(sec / 60), 'minute');
  return rtf.format(Math.max(1, sec), 'second');
}

export function mountAuthForm(selector, endpoint) {
  const register = document.body.dataset.page === 'register';
  return createApp({
    data: () => ({ username: '', password: '', busy: false, errors: {}, waitReason: '', retryAt: 0, now: Date.now(), limits: limitParams }),
    computed: {
      waiting() { return this.retryAt > this.now; },
      // formError is the form-wide sentence; a throttled answer says how
      // long to wait, counting down.
      formError() {
        if (this.waiting) return t(`auth.wait.${this.waitReason}`, { when: waitWords(Math.ceil((this.retryAt - this.now) / 1000)) });
        return this.errors.form || '';
      },
    },
    methods: {
      t,
      // check shows a field's rule as the user leaves it (register only).
      check(field) {
        if (!register) return;
        const reason = field === 'username' ? checkUsername(this.username) : checkPassword(this.password);
        const errors = { ...this.errors };
        if (reason && this[field]) errors[field] = fieldText(reason, this[field]);
        else delete errors[field];
        this.errors = errors;
      },
      async submit() {
        if (this.waiting) return;
        this.busy = true;
        this.errors = {};
        try {
          await api('POST', endpoint, { username: this.username, password: this.password });
          location.href = pages.home;
        } catch (e) {
          this.showError(e);
        } finally {
          this.busy = false;
        }
      },
      showError(e) {
        const errors = {};
        for (const [field, reason] of Object.entries(e.fields || {})) {
          if (field === 'username' || field === 'password') errors[field] = fieldText(reason, this[field]);
        }
        if (!Object.keys(errors).length) errors.form = e.message;
        this.errors = errors;
        if (e.retryAfter) this.countDown(e.reason, e.retryAfter);
        this.$nextTick(() => this.focusFirstError());
      },
      countDown(reason, sec) {
        this.waitReason = reason === 'too_many_attempts' ? 'too_many_attempts' : 'server_busy';
        this.retryAt = Date.now() + sec * 1000;
        this.now = Date.now();
        clearInterval(this.timer);
        this.timer = setInterval(() => {
          this.now = Date.now();
          if (!this.waiting) { clearInterval(this.timer); this.errors = {}; }
        }, 1000);
      },
      focusFirstError() {
        const field = ['username', 'password'].find((f) => this.errors[f]);
        if (field) document.getElementById(field)?.focus();
      },
    },
  }).mount(selector);
}
