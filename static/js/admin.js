// admin.js: the admin dashboard. It polls the admin APIs; the live figures
// are the hub's own counters, and with several nodes each node's as it last
// reported them. Like the home page it keeps the admin online over a
// Signal (signal.js) and takes calls there: the call controller
// (callcontroller.js) with its incoming-call sheet (incoming.js), its stage
// shown only during a call.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, logout, reasonText } from './api.js';
import { t, has } from './i18n.js';
import { confirmDialog } from './confirm.js';
import { Signal, Code } from './signal.js';
import { callController, isQuietCallError } from './callcontroller.js';
import { incomingSheet } from './incoming.js';
import { releaseStray } from './stray.js';
import { formatTime, formatDuration, connLabel } from './format.js';
import { relaySelfTest } from './relaytest.js';
import { pages, endpoints } from './urls.js';

const pageSize = 20;
const pollMs = 3000;

// clipAt is how many characters of a chat message the moderation table
// shows before a "more" toggle.
const clipAt = 280;

// noticeMs is how long a call's notice stays up.
const noticeMs = 8000;

export function mountAdmin(selector, me) {
  const signal = new Signal();
  const controller = callController(signal);
  // This page carries on a kept call, never a broadcast or a room.
  releaseStray(signal, { call: true });
  const vm = createApp({
    mixins: [confirmDialog(), controller.mixin, incomingSheet()],
    data: () => ({
      me, conn: 'connecting', notice: '',
      error: '', stats: {}, online: [], rooms: [], broadcasts: [], calls: [], messages: [], quality24h: {},
      users: [], total: 0, page: 1, q: '', rate: '–', last: null,
      relay: { stats: {} }, relayTesting: false, relayResult: null,
      cluster: { clustered: false, nodes: [], totals: {} },
      expanded: {}, // chat message id: shown whole
    }),
    computed: {
      connLabel() { return connLabel(this.conn); },
      pages() { return Math.max(1, Math.ceil(this.total / pageSize)); },
      uptime() {
        const s = this.stats.uptimeSec;
        if (s === undefined) return '–';
        const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
        if (d) return t('admin.uptime.days', { d, h });
        return h ? t('admin.uptime.hours', { h, m }) : t('admin.uptime.minutes', { m, s: s % 60 });
      },
    },
    created() { bindSignal(this, signal); },
    mounted() {
      signal.connect();
      this.loadUsers(1);
      this.poll();
      setInterval(() => this.poll(), pollMs);
    },
    methods: {
      logout,
      t,
      say(text) { this.notice = text; clearTimeout(this.noticeTimer); this.noticeTimer = setTimeout(() => { this.notice = ''; }, noticeMs); },
      reconnect() { signal.attempt = 0; signal.connect(); },
      time: formatTime,
      duration: formatDuration,
      async guard(fn) {
        try { await fn(); this.error = ''; } catch (e) {
          if (e.status === 401) location.href = pages.login;
          this.error = e.message;
        }
      },
      poll() {
        return this.guard(async () => {
          const [live, calls, messages, relay, quality, cluster] = await Promise.all([
            api('GET', endpoints.adminLive),
            api('GET', endpoints.adminCalls(20)),
            api('GET', endpoints.messages(50)),
            api('GET', endpoints.adminRelay),
            api('GET', endpoints.adminQuality),
            api('GET', endpoints.adminCluster),
          ]);
          this.relay = relay;
          this.quality24h = quality;
          this.cluster = cluster;
          this.updateRate(live.stats);
          Object.assign(this, { stats: live.stats, online: live.online, rooms: live.rooms || [], broadcasts: live.broadcasts || [], calls, messages: messages.reverse() });
        });
      },
      // endReason says how a call ended in words; a reason this page
      // does not know yet shows as the server wrote it.
      endReason(c) {
        if (!c.endedAt) return c.answeredAt ? t('admin.call.in_progress') : t('admin.call.ringing');
        return has(`admin.end.${c.endReason}`) ? t(`admin.end.${c.endReason}`) : c.endReason;
      },
      // callQuality sums up what the pages of a call reported, for its row.
      callQuality(c) {
        const q = c.quality || {};
        const parts = [];
        if (q.samples) {
          parts.push(t('admin.quality.rtt', { ms: Math.round(q.rttMedianMs), worst: Math.round(q.rttWorstMs) }), t('admin.quality.loss', { pct: q.lossWorstPct }));
          parts.push(q.usedRelay ? t('admin.quality.relay') : t('admin.quality.direct'));
        }
        if (q.setupMs != null) parts.push(t('admin.quality.setup', { s: (q.setupMs / 1000).toFixed(1) }));
        if (c.resumes) parts.push(t('admin.quality.resumed', { n: c.resumes }));
        return parts.join(' · ') || '–';
      },
      share(x) { return this.quality24h.answered ? `${Math.round(x * 100)}%` : '–'; },
      // updateRate derives messages per second from two samples of the
      // hub's message counters.
      updateRate(stats) {
        const now = { t: Date.now(), n: stats.messagesIn + stats.messagesOut };
        if (this.last && now.t > this.last.t) this.rate = ((now.n - this.last.n) * 1000 / (now.t - this.last.t)).toFixed(1);
        this.last = now;
      },
      loadUsers(page) {
        return this.guard(async () => {
          const res = await api('GET', endpoints.adminUsers(page, pageSize, this.q));
          Object.assign(this, { users: res.users, total: res.total, page });
        });
      },
      // updateUser asks before disabling a user or changing a role
      // (enabling again needs no second thought), then applies change.
      async updateUser(u, change) {
        const name = u.username;
        let box = null;
        if (change.disabled) box = { text: t('admin.confirm.disable', { name }), ok: t('admin.users.disable'), danger: true };
        else if (change.role === 'admin') box = { text: t('admin.confirm.make_admin', { name }), ok: t('admin.users.make_admin') };
        else if (change.role === 'user') box = { text: t('admin.confirm.make_user', { name }), ok: t('admin.users.make_user'), danger: true };
        if (box && !await this.confirmAsk(box)) return;
        await this.guard(async () => { await api('PATCH', endpoints.adminUser(u.id), change); await this.loadUsers(this.page); });
      },
      async testRelay() {
        this.relayTesting = true;
        this.relayResult = null;
        try {
          const ice = await api('GET', endpoints.iceServers);
          const turn = ice.iceServers.filter((s) => s.urls.some((u) => u.startsWith('turn')));
          this.relayResult = turn.length
            ? await relaySelfTest(turn)
            : { ok: false, error: t('admin.relay.none') };
        } catch (e) {
          this.relayResult = { ok: false, error: e.message };
        } finally {
          this.relayTesting = false;
          this.poll(); // the test's allocations show in the relay counts
        }
      },
      async deleteMessage(m) {
        const box = { text: t('admin.confirm.delete_message', { name: m.username, text: clip(m.message, 60) }), ok: t('admin.messages.delete'), danger: true };
        if (!await this.confirmAsk(box)) return;
        await this.guard(async () => { await api('DELETE', endpoints.adminMessage(m.id)); this.messages = this.messages.filter((x) => x.id !== m.id); });
      },
      // long and shown say whether a chat message is clipped in the table,
      // and what of it shows.
      long(m) { return [...m.message].length > clipAt; },
      shown(m) { return this.long(m) && !this.expanded[m.id] ? clip(m.message, clipAt) : m.message; },
      toggle(m) { this.expanded = { ...this.expanded, [m.id]: !this.expanded[m.id] }; },
    },
  }).mount(selector);
  // For tests and debugging, as on the home page.
  window.callapp = { vm, signal, peer: controller.peer };
  return vm;
}

// bindSignal shows the connection's state, leaves for the login page once
// the session is gone, and shows the hub's errors about calls as notices.
function bindSignal(vm, signal) {
  signal.on('state', (state) => {
    vm.conn = state;
    if (state === 'kicked') location.href = pages.login;
  });
  signal.on(Code.Welcome, (d) => { vm.me = d.user; });
  signal.on(Code.Error, (d, env) => { if (!isQuietCallError(d)) vm.say(reasonText(d.reason, env.message)); });
}

// clip is text cut to n characters (code points, so that no emoji is
// split), with an ellipsis when it was longer.
function clip(text, n) {
  const chars = [...text];
  return chars.length > n ? `${chars.slice(0, n).join('')}…` : text;
}
