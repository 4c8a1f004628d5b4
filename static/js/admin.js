// admin.js: the admin dashboard. It polls the admin APIs; the live figures
// are the hub's own counters, and with several nodes each node's as it last
// reported them. Like the home page it keeps the admin online over a
// Signal (signal.js) and takes calls there: the call controller
// (callcontroller.js) with its incoming-call sheet (incoming.js), its stage
// shown only during a call.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, logout } from './api.js';
import { Signal, Code } from './signal.js';
import { callController, isQuietCallError } from './callcontroller.js';
import { incomingSheet } from './incoming.js';
import { releaseStray } from './stray.js';
import { t } from './i18n.js';
import { formatTime, formatDuration } from './format.js';
import { relaySelfTest } from './relaytest.js';
import { pages, endpoints } from './urls.js';

const pageSize = 20;
const pollMs = 3000;

// End reasons the raw word would not explain to an operator.
const endWords = { media_failed: 'connection failed' };

// connWords names the words of the connection's states that have none
// of their own.
const connWords = { idle: 'connecting', kicked: 'closed' };

// noticeMs is how long a call's notice stays up.
const noticeMs = 8000;

export function mountAdmin(selector, me) {
  const signal = new Signal();
  const controller = callController(signal);
  // This page carries on a kept call, never a broadcast or a room.
  releaseStray(signal, { call: true });
  const vm = createApp({
    mixins: [controller.mixin, incomingSheet()],
    data: () => ({
      me, conn: 'connecting', notice: '',
      error: '', stats: {}, online: [], rooms: [], broadcasts: [], calls: [], messages: [], quality24h: {},
      users: [], total: 0, page: 1, q: '', rate: '–', last: null,
      relay: { stats: {} }, relayTesting: false, relayResult: null,
      cluster: { clustered: false, nodes: [], totals: {} },
    }),
    computed: {
      connLabel() { return t(`ring.conn.${connWords[this.conn] || this.conn}`); },
      pages() { return Math.max(1, Math.ceil(this.total / pageSize)); },
      uptime() {
        const s = this.stats.uptimeSec;
        if (s === undefined) return '–';
        const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
        return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
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
      endReason(c) {
        if (!c.endedAt) return c.answeredAt ? 'in progress' : 'ringing';
        return endWords[c.endReason] || c.endReason;
      },
      // callQuality sums up what the pages of a call reported, for its row.
      callQuality(c) {
        const q = c.quality || {};
        const parts = [];
        if (q.samples) {
          parts.push(`rtt ${Math.round(q.rttMedianMs)} ms (worst ${Math.round(q.rttWorstMs)})`, `loss ≤ ${q.lossWorstPct}%`);
          parts.push(q.usedRelay ? 'relay' : 'direct');
        }
        if (q.setupMs != null) parts.push(`set-up ${(q.setupMs / 1000).toFixed(1)} s`);
        if (c.resumes) parts.push(`resumed ${c.resumes}×`);
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
      updateUser(u, change) {
        return this.guard(async () => { await api('PATCH', endpoints.adminUser(u.id), change); await this.loadUsers(this.page); });
      },
      async testRelay() {
        this.relayTesting = true;
        this.relayResult = null;
        try {
          const ice = await api('GET', endpoints.iceServers);
          const turn = ice.iceServers.filter((s) => s.urls.some((u) => u.startsWith('turn')));
          this.relayResult = turn.length
            ? await relaySelfTest(turn)
            : { ok: false, error: 'No TURN server is configured (set TURN_ENABLED or TURN_URLS).' };
        } catch (e) {
          this.relayResult = { ok: false, error: e.message };
        } finally {
          this.relayTesting = false;
          this.poll(); // the test's allocations show in the relay counts
        }
      },
      deleteMessage(m) {
        return this.guard(async () => { await api('DELETE', endpoints.adminMessage(m.id)); this.messages = this.messages.filter((x) => x.id !== m.id); });
      },
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
  signal.on(Code.Error, (d, env) => { if (!isQuietCallError(d)) vm.say(env.message || d.reason); });
}
