// callcontroller.js: the home page's 1:1 calls: invite, ring, accept,
// reject, hang up, the local camera and microphone, TURN credentials, the
// relay of offers, answers and candidates to the PeerCall (call.js), and
// the list of recent calls. The page provides `say` and `time`.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { PeerCall, getMedia } from './call.js';
import { Ringer } from './ringer.js';
import { endpoints } from './urls.js';

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

// callController returns the Vue mixin that runs calls over signal, and
// peer(), the current call's RTCPeerConnection (for tests and debugging).
export function callController(signal) {
  const ringer = new Ringer();
  let peer = null;       // the PeerCall of the current call
  let localStream = null;
  let renewTimer = null; // renews TURN credentials during a call
  let pendingInvite = null; // the call whose Call/Invite awaits its 10017

  const mixin = {
    data: () => ({
      iceServers: [], iceTTL: 0, call: null, mediaProblem: '', history: [],
      muted: false, cameraOff: false, now: Date.now(),
    }),
    computed: {
      timer() {
        if (!this.call?.startedAt) return '';
        const s = Math.max(0, Math.floor((this.now - this.call.startedAt) / 1000));
        return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      },
    },
    created() {
      bindConnection(this);
      bindCallEvents(this);
      bindRelay(this);
    },
    mounted() {
      setInterval(() => { this.now = Date.now(); }, 1000);
      this.loadHistory();
    },
    methods: {
      async loadHistory() {
        try { this.history = await api('GET', endpoints.calls(20)); } catch (e) { /* shown empty */ }
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
          const d = await api('GET', endpoints.iceServers);
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
      historyLabel(c) {
        if (c.answered) return c.direction === 'outgoing' ? 'Outgoing' : 'Incoming';
        if (c.direction === 'incoming') return c.endReason === 'rejected' ? 'Declined' : 'Missed';
        return { rejected: 'Rejected', timeout: 'No answer', cancelled: 'Cancelled' }[c.endReason] || 'Not answered';
      },
    },
  };
  return { mixin, peer: () => peer?.pc ?? null };

  // bindConnection ends the call when the socket it was signaled on goes:
  // the other side hears of it from the server.
  function bindConnection(vm) {
    signal.on('state', (state) => {
      if ((state === 'reconnecting' || state === 'replaced') && vm.call) {
        vm.endCall(state === 'replaced' ? 'The call moved to another tab.' : 'Connection lost; the call ended.');
      }
    });
    signal.on(Code.Welcome, (d) => { vm.iceServers = d.iceServers || []; });
  }

  function bindCallEvents(vm) {
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
    bindCallEnds(vm);
  }

  function bindCallEnds(vm) {
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
  }

  // bindRelay hands the offers, answers and candidates of the current
  // call's peer to its PeerCall.
  function bindRelay(vm) {
    signal.on(Code.Offer, (d) => onRelay(vm, d, (p) => {
      if (vm.call.phase !== 'active') { vm.call.phase = 'active'; vm.call.startedAt = Date.now(); }
      return p.onDescription(d.data);
    }));
    signal.on(Code.Answer, (d) => onRelay(vm, d, (p) => p.onDescription(d.data)));
    signal.on(Code.Candidate, (d) => onRelay(vm, d, (p) => p.onCandidate(d.data)));
  }

  function onRelay(vm, d, fn) {
    if (!peer || !vm.call || vm.call.peer.id !== d.fromId) return;
    fn(peer).catch((e) => console.error('relay', e));
  }

  // dropStream turns a camera/microphone stream off.
  function dropStream(stream) {
    stream?.getTracks().forEach((t) => t.stop());
    if (localStream === stream) localStream = null;
  }
}
