// home.js: the calling page. It mounts one Vue app over one Signal
// (signal.js) made of the online list (online.js), the call controller
// (callcontroller.js) with its incoming-call sheet (incoming.js), the group
// chat (chat.js), the live broadcasts (lives.js) and this user's own
// broadcast (broadcast.js), and keeps what they share: the connection
// state, the user and the notices.
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, logout, reasonText } from './api.js';
import { Signal, Code } from './signal.js';
import { formatTime, formatAgo, formatDuration, connLabel } from './format.js';
import { t } from './i18n.js';
import { pages, endpoints } from './urls.js';
import { onlineList } from './online.js';
import { callController, isQuietCallError } from './callcontroller.js';
import { incomingSheet } from './incoming.js';
import { groupChat, isChatError } from './chat.js';
import { liveList } from './lives.js';
import { broadcaster } from './broadcast.js';
import { isRoomName, randomRoomName } from './roomname.js';
import { releaseStray } from './stray.js';

// noticeMs is how long a notice stays up.
const noticeMs = 8000;

// clockMs is how often times said relative to now ("5 minutes ago") are
// said again.
const clockMs = 30000;

// statusWords are the online list's presence states in words.
const statusWords = {
  online: () => t('home.status.online'),
  in_call: () => t('home.status.in_call'),
  in_room: () => t('home.status.in_room'),
};

// mountHome mounts the page on selector for the user me.
export function mountHome(selector, me) {
  const signal = new Signal();
  const calls = callController(signal);
  const live = broadcaster(signal);
  // This page carries on a kept call and broadcast itself, never a room.
  releaseStray(signal, { call: true, live: true });
  const vm = createApp({
    mixins: [onlineList(signal), calls.mixin, incomingSheet(), groupChat(signal), liveList(signal), live.mixin],
    data: () => ({ me, conn: 'connecting', notice: '', roomName: '', roomError: '', now: Date.now() }),
    computed: {
      connLabel() { return connLabel(this.conn); },
    },
    created() { bindConnection(this, signal); },
    mounted() {
      signal.connect();
      setInterval(() => { this.now = Date.now(); }, clockMs);
    },
    methods: {
      t,
      logout,
      say(text) { this.notice = text; clearTimeout(this.noticeTimer); this.noticeTimer = setTimeout(() => { this.notice = ''; }, noticeMs); },
      reconnect() { signal.attempt = 0; signal.connect(); },
      time(at) { return formatTime(at); },
      ago(at) { return formatAgo(at, this.now); },
      statusLabel(status) { return statusWords[status]?.() ?? status; },
      duration(s) { return s ? formatDuration(s) : ''; },
      // newRoom copies a fresh room's link, then opens it. A browser that
      // neither copies nor refuses soon does not hold the user back.
      async newRoom() {
        const path = pages.room(randomRoomName());
        const copied = navigator.clipboard?.writeText(location.origin + path).catch(() => {});
        await Promise.race([copied, new Promise((r) => { setTimeout(r, 1000); })]);
        location.href = path;
      },
      joinRoom() {
        const name = this.roomName.trim();
        this.roomError = isRoomName(name) ? '' : t('err.bad_room');
        if (!this.roomError) location.href = pages.room(name);
      },
    },
  }).mount(selector);
  // For tests and debugging; peer() is the current call's RTCPeerConnection,
  // viewers() the broadcast's connections by viewer id.
  window.callapp = { vm, signal, peer: calls.peer, viewers: live.viewers };
  return vm;
}

// bindConnection shows the connection state, leaves for the login page
// once the session is gone, and shows the hub's errors as notices.
function bindConnection(vm, signal) {
  signal.on('state', (state) => {
    vm.conn = state;
    if (state === 'kicked') location.href = pages.login;
    if (state === 'reconnecting' || state === 'replaced') {
      api('GET', endpoints.me).catch((e) => { if (e.status === 401) location.href = pages.login; });
    }
  });
  signal.on(Code.Welcome, (d) => { vm.me = d.user; });
  signal.on(Code.Error, (d, env) => { if (!isChatError(d) && !isQuietCallError(d)) vm.say(reasonText(d.reason, env.message)); });
}
