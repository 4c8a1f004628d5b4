// home.js: the calling page. Presence, 1:1 calls and the group chat, on
// top of signal.js (protocol) and call.js (WebRTC).
import { createApp } from '/webrtc/static/vendor/vue/vue.esm-browser.prod.js';
import { api, logout } from './api.js';
import { Signal, Code, Method } from './signal.js';
import { PeerCall, getMedia } from './call.js';
import { Ringer } from './ringer.js';
import { formatTime, formatDuration } from './format.js';

const endNotices = {
  hangup: (n) => `${n} hung up.`,
  cancelled: (n) => `Missed call from ${n}.`,
  disconnected: (n) => `${n} disconnected.`,
  timeout: (n) => `Missed call from ${n}.`,
};
const failNotices = {
  busy: (n) => `${n} is busy.`,
  offline: (n) => `${n} is offline.`,
  timeout: (n) => `No answer from ${n}.`,
  self: () => 'You cannot call yourself.',
};

export function mountHome(selector, me) {
  const signal = new Signal();
  const ringer = new Ringer();
  let peer = null;       // the PeerCall of the current call
  let localStream = null;
  let renewTimer = null; // renews TURN credentials during a call
  let pendingInvite = null; // the call whose Call/Invite awaits its 10017

  const app = createApp({
    data: () => ({
      me, conn: 'connecting', users: [], messages: [], draft: '', chatError: '',
      iceServers: [], iceTTL: 0, call: null, notice: '', mediaProblem: '', history: [],
      muted: false, cameraOff: false, now: Date.now(), showChat: true,
    }),
    computed: {
      others() { return this.users.filter((u) => u.id !== this.me.id).sort((a, b) => a.username.localeCompare(b.username)); },
      connLabel() {
        return { open: 'online', connecting: 'connecting…', reconnecting: 'reconnecting…', replaced: 'open in another tab', kicked: 'signed out', closed: 'offline' }[this.conn] || this.conn;
      },
      timer() {
        if (!this.call?.startedAt) return '';
        const s = Math.max(0, Math.floor((this.now - this.call.startedAt) / 1000));
        return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      },
    },
    mounted() {
      bindSignal(this);
      signal.connect();
      setInterval(() => { this.now = Date.now(); }, 1000);
      this.loadHistory();
    },
    methods: {
      logout,
      say(text) { this.notice = text; clearTimeout(this.noticeTimer); this.noticeTimer = setTimeout(() => { this.notice = ''; }, 8000); },
      reconnect() { signal.attempt = 0; signal.connect(); },
      async loadHistory() {
        try { this.history = await api('GET', '/webrtc/api/calls?limit=20'); } catch (e) { /* shown empty */ }
      },
      async startCall(user) {
        if (this.call) return;
        this.call = { phase: 'calling', peer: { id: user.id, username: user.username }, callId: '' };
        const call = this.call;
        const [stream] = await Promise.all([this.openMedia(), this.freshICE()]);
        if (this.call !== call) { dropStream(stream); return; } // cancelled while the browser asked for the camera
        if (!signal.send(Method.Invite, { toId: user.id })) { this.endCall('Not connected to the server.'); return; }
        pendingInvite = call;
        ringer.ringback();
      },
      async accept() {
        const call = this.call;
        ringer.stop();
        call.phase = 'connecting';
        const [stream] = await Promise.all([this.openMedia(), this.freshICE()]);
        if (this.call !== call) { dropStream(stream); return; }
        peer = this.newPeer(true);
        signal.send(Method.Accept, { toId: call.peer.id, data: { callId: call.callId } });
      },
      reject() {
        signal.send(Method.Reject, { toId: this.call.peer.id, data: { callId: this.call.callId } });
        this.endCall('');
      },
      hangup() {
        if (this.call?.callId) signal.send(Method.Hangup, { toId: this.call.peer.id, data: { callId: this.call.callId } });
        this.endCall('');
      },
      async openMedia() {
        const media = await getMedia();
        localStream = media.stream;
        this.mediaProblem = media.problem ? `${media.problem} ${media.mode === 'audio' ? 'Calling with audio only.' : 'You can still see and hear the other side.'}` : '';
        this.cameraOff = media.mode !== 'video';
        this.muted = media.mode === 'receive';
        if (this.$refs.local) this.$refs.local.srcObject = localStream;
        return localStream;
      },
      // freshICE fetches TURN credentials at call time: the welcome's may
      // have expired while the page stayed open.
      async freshICE() {
        try {
          const d = await api('GET', '/webrtc/api/ice-servers');
          this.iceServers = d.iceServers || [];
          this.iceTTL = d.ttlSec || 0;
        } catch (e) { /* keep the welcome's servers */ }
      },
      // renewICE gives a long call new credentials before the old ones
      // expire, and restarts ICE so the relay allocation uses them.
      async renewICE() {
        await this.freshICE();
        if (!peer) return;
        peer.setICEServers(this.iceServers);
        peer.pc.restartIce();
      },
      newPeer(polite) {
        clearInterval(renewTimer);
        if (this.iceTTL > 0) renewTimer = setInterval(() => this.renewICE(), Math.max(60, this.iceTTL * 0.8) * 1000);
        const p = new PeerCall(signal, this.call.peer.id, { iceServers: this.iceServers, polite, stream: localStream, iceTransportPolicy: window.callappICEPolicy || 'all' });
        p.onremotetrack = (stream) => { if (this.$refs.remote && this.$refs.remote.srcObject !== stream) this.$refs.remote.srcObject = stream; };
        p.onstate = (state) => { if (this.call) this.call.media = state; };
        return p;
      },
      endCall(message) {
        ringer.stop();
        clearInterval(renewTimer);
        peer?.close();
        peer = null;
        dropStream(localStream);
        this.call = null;
        this.muted = this.cameraOff = false;
        if (message) this.say(message);
        setTimeout(() => this.loadHistory(), 300);
      },
      toggleMute() {
        this.muted = !this.muted;
        localStream?.getAudioTracks().forEach((t) => { t.enabled = !this.muted; });
      },
      toggleCamera() {
        this.cameraOff = !this.cameraOff;
        localStream?.getVideoTracks().forEach((t) => { t.enabled = !this.cameraOff; });
      },
      sendChat() {
        const text = this.draft.trim();
        if (!text) return;
        this.chatError = '';
        if (signal.send(Method.SendToAll, { message: text })) this.draft = '';
        else this.chatError = 'Not connected; the message was not sent.';
      },
      mine(m) { return m.fromId === this.me.id; },
      time(t) { return formatTime(t); },
      duration(s) { return s ? formatDuration(s) : ''; },
      historyLabel(c) {
        if (c.answered) return c.direction === 'outgoing' ? 'Outgoing' : 'Incoming';
        if (c.direction === 'incoming') return c.endReason === 'rejected' ? 'Declined' : 'Missed';
        return { rejected: 'Rejected', timeout: 'No answer', cancelled: 'Cancelled' }[c.endReason] || 'Not answered';
      },
    },
  });
  const vm = app.mount(selector);
  // For tests and debugging; peer() is the current call's RTCPeerConnection.
  window.callapp = { vm, signal, peer: () => peer?.pc ?? null };
  return vm;

  function bindSignal(vm) {
    signal.on('state', (state) => {
      vm.conn = state;
      if (state === 'kicked') location.href = '/webrtc/login';
      if (state === 'reconnecting' || state === 'replaced') {
        if (vm.call) vm.endCall(state === 'replaced' ? 'The call moved to another tab.' : 'Connection lost; the call ended.');
        api('GET', '/webrtc/api/me').catch((e) => { if (e.status === 401) location.href = '/webrtc/login'; });
      }
    });
    signal.on(Code.Welcome, (d) => { vm.iceServers = d.iceServers || []; vm.me = d.user; });
    signal.on(Code.OnlineUsers, (d) => { vm.users = d || []; });
    signal.on(Code.UserOnline, (u) => { vm.users = vm.users.filter((x) => x.id !== u.id).concat([u]); });
    signal.on(Code.UserStatus, (d) => { const u = vm.users.find((x) => x.id === d.id); if (u) u.status = d.status; });
    signal.on(Code.UserOffline, (d) => { vm.users = vm.users.filter((x) => x.id !== d.fromId); });
    signal.on(Code.Presence, (d) => applyPresence(vm, d));
    signal.on(Code.ChatHistory, (d) => { vm.messages = d || []; scrollChat(vm); });
    signal.on(Code.Chat, (m) => { vm.messages.push(m); if (vm.messages.length > 500) vm.messages.shift(); scrollChat(vm); });
    signal.on(Code.ChatDeleted, (d) => { vm.messages = vm.messages.filter((m) => m.id !== d.id); });
    signal.on(Code.Error, (d, env) => {
      if (d.method === Method.SendToAll) vm.chatError = chatErrors[d.reason] || env.message;
      else vm.say(env.message || d.reason);
    });
    signal.on(Code.IncomingCall, (d) => {
      vm.call = { phase: 'incoming', callId: d.callId, peer: d.user };
      ringer.ring();
    });
    signal.on(Code.CallRinging, (d) => {
      const call = pendingInvite;
      pendingInvite = null;
      if (call && vm.call === call) { call.callId = d.callId; call.phase = 'ringing'; return; }
      // Cancelled before the server answered the invite: without this the
      // callee would ring until the timeout.
      signal.send(Method.Hangup, { toId: d.toId, data: { callId: d.callId } });
    });
    signal.on(Code.CallAccepted, (d) => {
      if (vm.call?.callId !== d.callId) return;
      ringer.stop();
      vm.call.phase = 'active';
      vm.call.startedAt = Date.now();
      peer = vm.newPeer(false);
    });
    signal.on(Code.CallRejected, (d) => { if (vm.call?.callId === d.callId) vm.endCall(`${vm.call.peer.username} rejected the call.`); });
    signal.on(Code.CallEnded, (d) => {
      if (vm.call?.callId !== d.callId) return;
      const f = endNotices[d.reason] || ((n) => `The call with ${n} ended.`);
      vm.endCall(f(vm.call.peer.username));
    });
    signal.on(Code.CallFailed, (d) => {
      pendingInvite = null;
      if (!vm.call || vm.call.peer.id !== d.toId) return;
      const f = failNotices[d.reason] || (() => 'The call could not be made.');
      vm.endCall(f(vm.call.peer.username));
    });
    signal.on(Code.Offer, (d) => onRelay(vm, d, (p) => {
      if (vm.call.phase !== 'active') { vm.call.phase = 'active'; vm.call.startedAt = Date.now(); }
      return p.onDescription(d.data);
    }));
    signal.on(Code.Answer, (d) => onRelay(vm, d, (p) => p.onDescription(d.data)));
    signal.on(Code.Candidate, (d) => onRelay(vm, d, (p) => p.onCandidate(d.data)));
  }

  // dropStream turns a camera/microphone stream off.
  function dropStream(stream) {
    stream?.getTracks().forEach((t) => t.stop());
    if (localStream === stream) localStream = null;
  }

  function onRelay(vm, d, fn) {
    if (!peer || !vm.call || vm.call.peer.id !== d.fromId) return;
    fn(peer).catch((e) => console.error('relay', e));
  }
}

const chatErrors = {
  too_long: 'The message is too long (2000 characters at most).',
  empty: 'The message is empty.',
  rate_limited: 'You are sending messages too fast; wait a moment.',
};

function applyPresence(vm, d) {
  const gone = new Set(d.offline || []);
  const byId = new Map(vm.users.filter((u) => !gone.has(u.id)).map((u) => [u.id, u]));
  for (const u of d.online || []) byId.set(u.id, u);
  for (const s of d.status || []) { const u = byId.get(s.id); if (u) u.status = s.status; }
  vm.users = [...byId.values()];
}

function scrollChat(vm) {
  vm.$nextTick(() => { const el = vm.$refs.chatlog; if (el) el.scrollTop = el.scrollHeight; });
}
