// admin.js: the admin dashboard. It polls the admin APIs; the live figures
// are the hub's own counters, and with several nodes each node's as it last
// reported them.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, logout } from './api.js';
import { formatTime, formatDuration } from './format.js';
import { relaySelfTest } from './relaytest.js';
import { pages, endpoints } from './urls.js';

const pageSize = 20;
const pollMs = 3000;

// End reasons the raw word would not explain to an operator.
const endWords = { media_failed: 'connection failed' };

export function mountAdmin(selector, me) {
  return createApp({
    data: () => ({
      me, error: '', stats: {}, online: [], rooms: [], broadcasts: [], calls: [], messages: [], quality: {},
      users: [], total: 0, page: 1, q: '', rate: '–', last: null,
      relay: { stats: {} }, relayTesting: false, relayResult: null,
      cluster: { clustered: false, nodes: [], totals: {} },
    }),
    computed: {
      pages() { return Math.max(1, Math.ceil(this.total / pageSize)); },
      uptime() {
        const s = this.stats.uptimeSec;
        if (s === undefined) return '–';
        const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
        return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
      },
    },
    mounted() {
      this.loadUsers(1);
      this.poll();
      setInterval(() => this.poll(), pollMs);
    },
    methods: {
      logout,
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
          this.quality = quality;
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
      share(x) { return this.quality.answered ? `${Math.round(x * 100)}%` : '–'; },
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
}
