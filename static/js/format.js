// format.js: how times, durations and the connection's state read on
// every page, in the page's language (i18n.js).
import { t, lang } from './i18n.js';

const clock = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
const dated = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });

const dayMs = 24 * 60 * 60 * 1000;

// formatTime is a moment as the reader's clock shows it: the time alone
// today, "Yesterday" and the time the day before, else the date and time.
export function formatTime(at, now = Date.now()) {
  const d = new Date(at);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return clock.format(d);
  if (d.toDateString() === new Date(today.getTime() - dayMs).toDateString()) return t('time.yesterday', { time: clock.format(d) });
  return dated.format(d);
}

// formatAgo is a recent moment relative to now ("just now", "5 minutes
// ago"), and an older one as formatTime has it. A page that shows it
// re-renders as now moves on.
export function formatAgo(at, now = Date.now()) {
  const minutes = Math.floor((now - new Date(at).getTime()) / 60000);
  if (minutes < 1) return t('time.just_now');
  if (minutes < 60) return t('time.minutes_ago', { count: minutes });
  return formatTime(at, now);
}

// formatDuration is a length of time as a clock reads it, m:ss or
// h:mm:ss, the same in every language.
export function formatDuration(sec) {
  const s = Math.max(0, Math.floor(sec));
  const two = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return h ? `${h}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
}

// connWords are the signaling connection's states (signal.js) in words.
const connWords = {
  open: () => t('conn.open'),
  idle: () => t('conn.connecting'),
  connecting: () => t('conn.connecting'),
  reconnecting: () => t('conn.reconnecting'),
  replaced: () => t('conn.replaced'),
  kicked: () => t('conn.kicked'),
  closed: () => t('conn.closed'),
};

// connLabel is the connection state in words, for the badge in the top bar.
export function connLabel(state) {
  return connWords[state]?.() ?? state;
}
