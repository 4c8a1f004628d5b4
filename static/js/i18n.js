// i18n.js: the page's words. The server picks the page's language (the
// "lang" cookie, else Accept-Language) and names its table in
// <meta name="i18n-table">; the same table gave the server-rendered
// words, so scripts and markup always agree. load() must finish before
// t() is called: page.js awaits it before mounting a page.
let table = {};

// lang is the page's language tag, as <html lang> says it.
export const lang = document.documentElement.lang || 'en';

export async function load() {
  const meta = document.querySelector('meta[name="i18n-table"]');
  if (!meta) return;
  try {
    const res = await fetch(meta.content, { credentials: 'same-origin' });
    if (res.ok) table = await res.json();
  } catch (e) { /* keys show instead of words: still usable, and tests catch it */ }
}

// t is key's words with each {name} replaced by params[name]. With a
// numeric params.count, key.one or key.other is taken when the table has
// it (the language's plural rules decide).
export function t(key, params = {}) {
  let s = table[key];
  if (typeof params.count === 'number') {
    const form = `${key}.${new Intl.PluralRules(lang).select(params.count)}`;
    s = table[form] ?? table[`${key}.other`] ?? s;
  }
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// has says whether the table has key, for words that may be missing
// (a server reason code the page does not know yet).
export function has(key) { return key in table; }

// bindSwitcher makes the page's language <select> remember the choice in
// the cookie it names, and reload the page in that language. It listens
// on the document: on most pages the <select> is inside the Vue app,
// whose mount replaces the element the server rendered.
export function bindSwitcher() {
  document.addEventListener('change', (e) => {
    const select = e.target;
    if (select.id !== 'lang') return;
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${select.dataset.cookie}=${encodeURIComponent(select.value)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
    location.reload();
  });
}
