// callcontroller.js: the home page's 1:1 calls: invite, ring, accept,
// reject, hang up, the local camera and microphone, TURN credentials, the
// relay of offers, answers and candidates to the PeerCall (call.js), and
// the list of recent calls. An accepted call outlives a dropped server
// connection (the media does not need the server): callresume.js carries
// it on when the server is back, or rebuilds it after a reload. Its media's
// health and quality are watched by callhealth.js. The page provides `say`,
// `time`, `me` and `conn`.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { PeerCall, getMedia } from './call.js';
import { Ringer } from './ringer.js';
import { endpoints } from './urls.js';
import { MediaWatch, QualityMeter } from './callhealth.js';
import { bars, barWords } from './quality.js';
import { bindResume, accepted } from './callresume.js';

const endNotices = {
  hangup: (n) => `${n} hung up.`,
  cancelled: (n) => `Missed call from ${n}.`,
  disconnected: (n) => `${n} disconnected.`,
  timeout: (n) => `Missed call from ${n}.`,
  media_failed: (n) => `Connection failed: no media path to ${n}; the call ended.`,
};
// pathNames say how media goes, by the type of our selected candidate.
const pathNames = {
  host: 'direct (host)', srflx: 'direct, through NAT (srflx)', prflx: 'direct, through NAT (prflx)', relay: 'through the relay (relay)',
};
const failNotices = {
  busy: (n) => `${n} is busy.`,
  offline: (n) => `${n} is offline.`,
  timeout: (n) => `No answer from ${n}.`,
  self: () => 'You cannot call yourself.',
};

// isQuietCallError says whether a 10001 is none of the user's business: a
// quality sample refused, a relay refused (not_in_call: candidates still
// trickling as the call ends; one to a party who is away is not refused
// but dropped without a word), or a hang-up that crossed the call's end
// (both sides give up a failed call at about the same time).
export function isQuietCallError(d) {
  if (quietMethods.has(d?.method)) { console.warn('call', d.method, d.reason); return true; }
  return d?.method === Method.Hangup && d?.reason === 'unknown_call';
}
const quietMethods = new Set([Method.CallStats, Method.Offer, Method.Answer, Method.Candidate]);

// failedShowMs is how long a call whose media failed stays on the screen,
// saying so, before it goes.
const failedShowMs = 2500;

// callController returns the Vue mixin that runs calls over signal, and
// peer(), the current call's RTCPeerConnection (for tests and debugging).
export function callController(signal) {
  const ringer = new Ringer();
  // st is the call's state outside Vue, shared with callresume.js.
  const st = {
    peer: null,          // the PeerCall of the current call
    localStream: null,
    watch: null,         // the MediaWatch of the current call
    meter: null,         // the QualityMeter of the current call
    mediaTimeoutMs: 0,   // from the welcome
    abandoned: null,     // {callId, peerId, reason}: a hang-up the server did not get
  };
  let resume = null;     // callresume.js's side, once bound
  let renewTimer = null; // renews TURN credentials during a call
  let pendingInvite = null; // the call whose Call/Invite awaits its 10017

  const mixin = {
    data: () => ({
      iceServers: [], iceTTL: 0, call: null, mediaProblem: '', history: [],
      muted: false, cameraOff: false, now: Date.now(), quality: null, showFigures: false,
    }),
    computed: {
      timer() {
        if (!this.call?.startedAt) return '';
        const s = Math.max(0, Math.floor((this.now - this.call.startedAt) / 1000));
        return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      },
      // callState is the accepted call's connection state in words.
      callState() {
        const c = this.call;
        if (!accepted(c)) return null;
        if (c.failed) return { key: 'failed', text: 'Connection failed' };
        if (this.conn !== 'open') return { key: 'reconnecting', text: 'Reconnecting…' };
        if (c.peerAway) return { key: 'reconnecting', text: `${c.peer.username} is reconnecting…` };
        if (c.media === 'connected') return { key: 'connected', text: 'Connected' };
        if (c.media === 'disconnected' || c.media === 'failed') return { key: 'reconnecting', text: 'Reconnecting media…' };
        return { key: 'connecting', text: 'Connecting…' };
      },
      qualityBars() { return bars(this.quality); },
      qualityLabel() { return `Connection quality: ${barWords[this.qualityBars]}. Show the figures.`; },
    },
    created() {
      bindConnection(this);
      bindCallEvents(this);
      bindRelay(this);
      resume = bindResume(signal, this, st);
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
        this.call = { phase: 'calling', peer: { id: user.id, username: user.username }, callId: '', setupFrom: Date.now() };
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
        st.peer = this.newPeer(true);
        signal.send(Method.Accept, { toId: call.peer.id, data: { callId: call.callId } });
      },
      reject() {
        signal.send(Method.Reject, { toId: this.call.peer.id, data: { callId: this.call.callId } });
        this.endCall('');
      },
      hangup() {
        if (this.call?.callId && !this.call.failed) this.sendHangup(''); // a failed call was hung up already
        this.endCall('');
      },
      // sendHangup ends the call at the server, after its last quality
      // sample; one the server cannot get now is sent when it is back, or
      // the resumed call would come back to a page that left it.
      sendHangup(reason) {
        const { callId, peer } = this.call;
        st.meter?.stop();
        st.meter = null;
        const data = reason ? { callId, reason } : { callId };
        if (!signal.send(Method.Hangup, { toId: peer.id, data })) st.abandoned = { callId, peerId: peer.id, reason };
      },
      async openMedia() {
        const media = await getMedia();
        st.localStream = media.stream;
        this.mediaProblem = media.problem ? `${media.problem} ${media.mode === 'audio' ? 'Calling with audio only.' : 'You can still see and hear the other side.'}` : '';
        this.cameraOff = media.mode !== 'video';
        this.muted = media.mode === 'receive';
        if (this.$refs.local) this.$refs.local.srcObject = st.localStream;
        return st.localStream;
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
        if (!st.peer) return;
        st.peer.setICEServers(this.iceServers);
        st.peer.restartICE();
      },
      // newPeer makes the call's PeerCall (fresh: it replaces one a reload
      // lost) and, with the first, the watch over its media.
      newPeer(polite, fresh = false) {
        clearInterval(renewTimer);
        if (this.iceTTL > 0) renewTimer = setInterval(() => this.renewICE(), Math.max(60, this.iceTTL * 0.8) * 1000);
        const p = new PeerCall(signal, this.call.peer.id, { iceServers: this.iceServers, polite, stream: st.localStream, iceTransportPolicy: window.callappICEPolicy || 'all', fresh });
        p.onremotetrack = (stream) => {
          const v = this.$refs.remote;
          if (v && v.srcObject !== stream) v.srcObject = stream;
          this.timeSetup(v);
        };
        p.onstate = (state) => {
          if (!this.call || st.peer !== p) return;
          this.call.media = state;
          st.watch?.state(state);
        };
        this.watchMedia();
        return p;
      },
      watchMedia() {
        if (st.watch) return;
        const call = this.call;
        st.watch = new MediaWatch({
          timeoutMs: st.mediaTimeoutMs,
          // The side that offers restarts; the other answers its offers.
          restart: () => { if (st.peer && !st.peer.polite) st.peer.restartICE(); },
          onFailed: () => { if (this.call === call) this.mediaFailed(); },
        });
        // A page rebuilding its call may learn before this that the other
        // party is away (callresume.js holds the watch then).
        if (call.peerAway || signal.state !== 'open') st.watch.hold();
        st.meter = new QualityMeter(signal, call.callId, () => st.peer?.pc, (f) => { if (this.call === call) this.quality = f; });
      },
      // timeSetup measures invite (or incoming call) to the first remote
      // video frame shown, once per call.
      timeSetup(video) {
        const call = this.call;
        if (!video?.requestVideoFrameCallback || !call?.setupFrom || call.setupTimed) return;
        call.setupTimed = true;
        video.requestVideoFrameCallback(() => { if (this.call === call) st.meter?.firstFrame(Date.now() - call.setupFrom); });
      },
      // mediaFailed gives the call up: no media path came back in time. The
      // call view says "Connection failed" for a moment, then goes; failed
      // holds the notice left after it.
      mediaFailed() {
        const call = this.call;
        call.failed = `Connection failed: no media path to ${call.peer.username}; the call ended.`;
        this.sendHangup('media_failed');
        setTimeout(() => { if (this.call === call) this.endCall(call.failed); }, failedShowMs);
      },
      endCall(message) {
        ringer.stop();
        clearInterval(renewTimer);
        st.meter?.stop();
        st.watch?.stop();
        st.peer?.close();
        st.peer = st.watch = st.meter = null;
        dropStream(st.localStream);
        this.call = null;
        this.quality = null;
        this.showFigures = false;
        this.muted = this.cameraOff = false;
        if (message) this.say(message);
        setTimeout(() => this.loadHistory(), 300);
      },
      dropStream, // for callresume.js
      toggleMute() {
        this.muted = !this.muted;
        st.localStream?.getAudioTracks().forEach((t) => { t.enabled = !this.muted; });
      },
      toggleCamera() {
        this.cameraOff = !this.cameraOff;
        st.localStream?.getVideoTracks().forEach((t) => { t.enabled = !this.cameraOff; });
      },
      historyLabel(c) {
        if (c.answered) return c.direction === 'outgoing' ? 'Outgoing' : 'Incoming';
        if (c.direction === 'incoming') return c.endReason === 'rejected' ? 'Declined' : 'Missed';
        return { rejected: 'Rejected', timeout: 'No answer', cancelled: 'Cancelled' }[c.endReason] || 'Not answered';
      },
      // figure formats a quality figure for the panel.
      figure(v, unit) { return Number.isFinite(v) ? `${Math.round(v)} ${unit}` : '–'; },
      pathWords(path) { return pathNames[path] || '–'; },
    },
  };
  return { mixin, peer: () => st.peer?.pc ?? null };

  // bindConnection takes the welcome's ICE servers and media timeout.
  // What a dropped connection does to a call is callresume.js's.
  function bindConnection(vm) {
    signal.on(Code.Welcome, (d) => {
      vm.iceServers = d.iceServers || [];
      st.mediaTimeoutMs = (d.mediaTimeoutSec || 0) * 1000;
    });
  }

  function bindCallEvents(vm) {
    signal.on(Code.IncomingCall, (d) => {
      if (vm.call?.failed) vm.endCall(vm.call.failed); // the server has ended it already
      vm.call = { phase: 'incoming', callId: d.callId, peer: d.user, setupFrom: Date.now() };
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
      st.peer = vm.newPeer(false);
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
  // call's peer to its PeerCall; an offer that rebuilds the call after a
  // reload goes to callresume.js.
  function bindRelay(vm) {
    signal.on(Code.Offer, (d) => {
      if (!vm.call || vm.call.peer.id !== d.fromId) return;
      if (vm.call.phase !== 'active') { vm.call.phase = 'active'; vm.call.startedAt = Date.now(); }
      if (d.data?.fresh) { resume.freshOffer(d); return; }
      onRelay(vm, d, (p) => p.onDescription(d.data));
    });
    signal.on(Code.Answer, (d) => onRelay(vm, d, (p) => p.onDescription(d.data)));
    signal.on(Code.Candidate, (d) => onRelay(vm, d, (p) => p.onCandidate(d.data)));
  }

  function onRelay(vm, d, fn) {
    if (!st.peer || !vm.call || vm.call.peer.id !== d.fromId) return;
    fn(st.peer).catch((e) => console.error('relay', e));
  }

  // dropStream turns a camera/microphone stream off.
  function dropStream(stream) {
    stream?.getTracks().forEach((t) => t.stop());
    if (st.localStream === stream) st.localStream = null;
  }
}
