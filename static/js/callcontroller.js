// callcontroller.js: the home page's 1:1 calls: invite, ring, accept,
// reject, hang up, the local camera and microphone, TURN credentials, the
// relay of offers, answers and candidates to the PeerCall (call.js), and
// the list of recent calls. An accepted call outlives a dropped server
// connection (the media does not need the server): callresume.js carries
// it on when the server is back, or rebuilds it after a reload. Its media's
// health and quality are watched by callhealth.js. The local media (the
// microphone, the camera, a shared screen) is sent by replacing tracks, never
// renegotiating; the other side learns our media state over the call's data
// channel (call.js) and shows it. The page provides `say`, `time`, `me` and
// `conn`, and devicePanel (devicepanel.js) for the pickers.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { PeerCall } from './call.js';
import { t } from './i18n.js';
import { openMedia, openTrack, problemWords, remembered, canPickSpeaker } from './devices.js';
import { LevelMeter } from './level.js';
import { devicePanel } from './devicepanel.js';
import { Ringer } from './ringer.js';
import { endpoints } from './urls.js';
import { MediaWatch, QualityMeter } from './callhealth.js';
import { bars } from './quality.js';
import { bindResume, accepted } from './callresume.js';

// The words of a call's end (10015's reason) and of an invite that could
// not go on (10016's), by reason; others get the .other words.
const endReasons = new Set(['hangup', 'cancelled', 'disconnected', 'timeout', 'media_failed']);
const failReasons = new Set(['busy', 'offline', 'timeout', 'self']);
const endNotice = (reason, name) => t(`call.end.${endReasons.has(reason) ? reason : 'other'}`, { name });
const failNotice = (reason, name) => t(`call.fail.${failReasons.has(reason) ? reason : 'other'}`, { name });
// pathTypes are the types of our selected candidate that have words for
// how media goes.
const pathTypes = new Set(['host', 'srflx', 'prflx', 'relay']);

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

const fitKey = 'callapp.fit';

// failedShowMs is how long a call whose media failed stays on the screen,
// saying so, before it goes.
const failedShowMs = 2500;

// timerMs is how often the call's timer is redrawn.
const timerMs = 1000;

// callController returns the Vue mixin that runs calls over signal, and
// peer(), the current call's RTCPeerConnection (for tests and debugging).
export function callController(signal) {
  const ringer = new Ringer();
  // st is the call's state outside Vue, shared with callresume.js.
  const st = {
    peer: null,          // the PeerCall of the current call
    mic: null,           // the microphone's track, or null
    cam: null,           // the camera's track, or null (off or not allowed)
    screen: null,        // the shared screen's track, or null
    meters: [],          // the speaking rings' LevelMeters
    watch: null,         // the MediaWatch of the current call
    meter: null,         // the QualityMeter of the current call
    mediaTimeoutMs: 0,   // from the welcome
    abandoned: null,     // {callId, peerId, reason}: a hang-up the server did not get
  };
  let resume = null;     // callresume.js's side, once bound
  let renewTimer = null; // renews TURN credentials during a call
  let pendingInvite = null; // the call whose Call/Invite awaits its 10017
  let ticker = null;     // redraws the call's timer during a call

  const mixin = {
    // The pickers of the call's devices panel, and the pre-call check
    // with them (a page that takes calls has both).
    mixins: [devicePanel()],
    data: () => ({
      iceServers: [], iceTTL: 0, call: null, history: [],
      muted: false, cameraOff: false, callNow: Date.now(), quality: null, showFigures: false,
      sharing: false, problems: { camera: '', microphone: '' }, showDevices: false,
      remoteState: { muted: false, cameraOff: false, sharing: false },
      speaking: { self: false, remote: false },
      fit: localStorage.getItem(fitKey) === 'contain' ? 'contain' : 'cover', fullscreen: false,
      canShare: !!navigator.mediaDevices?.getDisplayMedia, canFullscreen: !!document.fullscreenEnabled,
    }),
    computed: {
      timer() {
        if (!this.call?.startedAt) return '';
        const s = Math.max(0, Math.floor((this.callNow - this.call.startedAt) / 1000));
        return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      },
      // callState is the accepted call's connection state in words.
      callState() {
        const c = this.call;
        if (!accepted(c)) return null;
        if (c.failed) return { key: 'failed', text: t('call.state.failed') };
        if (this.conn !== 'open') return { key: 'reconnecting', text: t('call.state.reconnecting') };
        if (c.peerAway) return { key: 'reconnecting', text: t('call.state.peer_away', { name: c.peer.username }) };
        if (c.media === 'connected') return { key: 'connected', text: t('call.state.connected') };
        if (c.media === 'disconnected' || c.media === 'failed') return { key: 'reconnecting', text: t('call.state.media') };
        return { key: 'connecting', text: t('call.state.connecting') };
      },
      qualityBars() { return bars(this.quality); },
      // localState is what the other side is told of our media.
      localState() { return { muted: this.muted, cameraOff: this.cameraOff, sharing: this.sharing }; },
      // mediaProblem says which device is missing and why, and what the
      // call does without it.
      mediaProblem() {
        const words = problemWords(this.problems);
        if (!words) return '';
        const { camera, microphone } = this.problems;
        const then = camera && microphone ? 'call.without.both' : camera ? 'call.without.camera' : 'call.without.microphone';
        return `${words} ${t(then)}`;
      },
      // initial is the letter of an avatar.
      peerInitial() { return initial(this.call?.peer.username); },
      myInitial() { return initial(this.me?.username); },
      qualityLabel() { return t('call.quality.label', { words: t(`call.quality.bars.${this.qualityBars}`) }); },
    },
    created() {
      bindConnection(this);
      bindCallEvents(this);
      bindRelay(this);
      resume = bindResume(signal, this, st);
    },
    watch: {
      localState(s) { st.peer?.setState(s); },
      // The timer ticks only while there is a call: each tick redraws the
      // page, which an idle page has no need of. Its clock is its own, so
      // the page's times said relative to now are not redrawn with it.
      call(c) {
        if (!c) { clearInterval(ticker); ticker = null; return; }
        if (ticker) return;
        this.callNow = Date.now();
        ticker = setInterval(() => { this.callNow = Date.now(); }, timerMs);
      },
    },
    mounted() {
      document.addEventListener('fullscreenchange', () => { this.fullscreen = !!document.fullscreenElement; });
      this.loadHistory();
    },
    methods: {
      t,
      async loadHistory() {
        try { this.history = await api('GET', endpoints.calls(20)); } catch (e) { /* shown empty */ }
      },
      async startCall(user) {
        if (this.call) return;
        this.call = { phase: 'calling', peer: { id: user.id, username: user.username }, callId: '', setupFrom: Date.now() };
        const call = this.call;
        const [stream] = await Promise.all([this.openMedia(call), this.freshICE()]);
        if (this.call !== call) { dropStream(stream); return; } // cancelled while the browser asked for the camera
        if (!signal.send(Method.Invite, { toId: user.id })) { this.endCall(t('call.not_connected')); return; }
        pendingInvite = call;
        ringer.ringback();
      },
      async accept() {
        const call = this.call;
        ringer.stop();
        call.phase = 'connecting';
        const [stream] = await Promise.all([this.openMedia(call), this.freshICE()]);
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
      // openMedia opens the camera and microphone for call; what it
      // cannot have is said (mediaProblem) and shown off. A call that is no
      // longer the page's when the browser answers gets nothing: its
      // tracks stop, and the page's current call, if any, keeps its own.
      async openMedia(call) {
        const media = await openMedia();
        if (this.call !== call) { dropStream(media.stream); return media.stream; }
        st.mic = media.stream.getAudioTracks()[0] || null;
        st.cam = media.stream.getVideoTracks()[0] || null;
        this.problems = media.problems;
        this.muted = !st.mic;
        this.cameraOff = !st.cam;
        this.$nextTick(() => { this.showSelf(); this.meterSelf(); });
        return media.stream;
      },
      // retryMedia asks again for the devices that failed.
      async retryMedia() {
        if (this.problems.microphone) await this.openDevice('audioinput');
        if (this.problems.camera) await this.openDevice('videoinput');
      },
      // openDevice turns on the microphone or camera (the remembered one,
      // or id) and sends it in place of what was sent; the old track stops.
      // A device that will not open twice (a phone's cameras) is let go of
      // first and tried again.
      async openDevice(kind, id = '') {
        const key = kind === 'videoinput' ? 'camera' : 'microphone';
        const call = this.call;
        const old = kind === 'videoinput' ? st.cam : st.mic;
        let track;
        let stopped = false;
        try {
          try {
            track = await openTrack(kind, id);
          } catch (e) {
            if (e.problem !== 'inuse' || !old) throw e;
            old.stop();
            stopped = true;
            track = await openTrack(kind, id);
          }
        } catch (e) {
          this.problems = { ...this.problems, [key]: e.problem };
          if (stopped && this.call === call) this.lostDevice(kind, old);
          return;
        }
        if (this.call !== call) { track.stop(); return; }
        this.problems = { ...this.problems, [key]: '' };
        // The old track stops once the new one is sent.
        let sent;
        if (kind === 'videoinput') {
          st.cam = track;
          this.cameraOff = false;
          sent = this.sendVideo();
        } else {
          st.mic = track;
          track.enabled = !this.muted || !old; // a first microphone comes unmuted
          this.muted = !track.enabled;
          sent = st.peer?.replaceTrack('audio', track).catch((e) => console.warn('replace track', e));
          this.meterSelf();
        }
        this.showSelf();
        await sent;
        old?.stop();
      },
      // lostDevice gives up a track stopped to free its device when no
      // other could be opened: nothing is sent in its place, and the
      // camera shows off or the microphone muted, here and (localState) on
      // the other side, as the toggles do; turning it on asks again.
      lostDevice(kind, old) {
        if (kind === 'videoinput') {
          if (st.cam !== old) return;
          st.cam = null;
          this.cameraOff = true;
          this.sendVideo();
          return;
        }
        if (st.mic !== old) return;
        st.mic = null;
        this.muted = true;
        st.peer?.replaceTrack('audio', null).catch((e) => console.warn('replace track', e));
        this.meterSelf();
      },
      // switchDevice puts a device picked during the call to use.
      async switchDevice(kind, id) {
        if (kind === 'audiooutput') { this.setSpeaker(); return; }
        if (kind === 'videoinput' && !st.cam) return; // the camera is off: used when it is turned on
        if (kind === 'audioinput' && !st.mic) return;
        await this.openDevice(kind, id);
      },
      // setSpeaker plays the call on the chosen speaker; '' is the
      // system's default, and is set too, or going back to the default
      // during a call would keep the last speaker picked.
      setSpeaker() {
        const id = remembered().audiooutput;
        const v = this.$refs.remote;
        if (canPickSpeaker && v) v.setSinkId(id).catch((e) => console.warn('speaker', e));
      },
      // sendVideo sends the shared screen, else the camera, else nothing.
      sendVideo() {
        this.showSelf();
        return st.peer?.replaceTrack('video', st.screen || st.cam || null).catch((e) => console.warn('replace track', e));
      },
      // showSelf shows in the self-view what is sent.
      showSelf() {
        const v = this.$refs.local;
        const track = st.screen || st.cam;
        if (v && v.srcObject?.getVideoTracks()[0] !== track) v.srcObject = track ? new MediaStream([track]) : null;
      },
      meterSelf() {
        st.meters.find((m) => m.who === 'self')?.stop();
        st.meters = st.meters.filter((m) => m.who !== 'self');
        if (st.mic) st.meters.push(meter('self', st.mic, this));
      },
      async toggleShare() {
        if (st.screen) { this.stopShare(); return; }
        let s;
        try {
          s = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        } catch (e) {
          if (e?.name !== 'NotAllowedError') this.say(t('call.shareFailed')); // NotAllowed: the user chose nothing
          return;
        }
        const track = s.getVideoTracks()[0];
        if (!this.call) { track.stop(); return; }
        track.contentHint = 'detail';
        track.onended = () => { if (st.screen === track) this.stopShare(); };
        st.screen = track;
        this.sharing = true;
        this.sendVideo();
      },
      stopShare() {
        if (!st.screen) return;
        st.screen.onended = null;
        st.screen.stop();
        st.screen = null;
        this.sharing = false;
        this.sendVideo();
      },
      toggleFit() {
        this.fit = this.fit === 'cover' ? 'contain' : 'cover';
        try { localStorage.setItem(fitKey, this.fit); } catch (e) { /* not kept */ }
      },
      toggleFullscreen() {
        if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
        else this.$refs.stage?.requestFullscreen().catch((e) => console.warn('fullscreen', e));
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
        const stream = new MediaStream([st.mic, st.screen || st.cam].filter(Boolean));
        const p = new PeerCall(signal, this.call.peer.id, {
          iceServers: this.iceServers, polite, stream, iceTransportPolicy: window.callappICEPolicy || 'all', fresh, state: this.localState,
        });
        p.onremotetrack = (stream) => {
          const v = this.$refs.remote;
          if (v && v.srcObject !== stream) { v.srcObject = stream; this.setSpeaker(); }
          this.timeSetup(v);
          this.meterRemote(stream);
        };
        p.onpeerstate = (s) => {
          if (st.peer === p) this.remoteState = { muted: !!s.muted, cameraOff: !!s.cameraOff, sharing: !!s.sharing };
        };
        p.onstate = (state) => {
          if (!this.call || st.peer !== p) return;
          this.call.media = state;
          st.watch?.state(state);
        };
        this.watchMedia();
        return p;
      },
      // meterRemote rings the remote video while the other side speaks.
      meterRemote(stream) {
        const track = stream.getAudioTracks()[0];
        const m = st.meters.find((x) => x.who === 'remote');
        if (!track || m?.track === track) return;
        m?.stop();
        st.meters = st.meters.filter((x) => x !== m);
        st.meters.push(meter('remote', track, this));
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
        call.failed = endNotice('media_failed', call.peer.username);
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
        st.meters.forEach((m) => m.stop());
        st.meters = [];
        for (const track of [st.mic, st.cam, st.screen]) track?.stop();
        st.mic = st.cam = st.screen = null;
        if (document.fullscreenElement && this.$refs.stage?.contains(document.fullscreenElement)) document.exitFullscreen().catch(() => {});
        this.call = null;
        this.quality = null;
        this.showFigures = this.showDevices = false;
        this.muted = this.cameraOff = this.sharing = false;
        this.problems = { camera: '', microphone: '' };
        this.remoteState = { muted: false, cameraOff: false, sharing: false };
        this.speaking = { self: false, remote: false };
        if (message) this.say(message);
        setTimeout(() => this.loadHistory(), 300);
      },
      dropStream, // for callresume.js
      // toggleMute mutes (the track sends silence) or unmutes; without a
      // microphone it asks for one again.
      toggleMute() {
        if (!st.mic) { this.openDevice('audioinput'); return; }
        this.muted = !this.muted;
        st.mic.enabled = !this.muted;
      },
      // toggleCamera turns the camera off (the track stops: its light goes
      // out) or on again.
      toggleCamera() {
        if (!st.cam) { this.openDevice('videoinput'); return; }
        st.cam.stop();
        st.cam = null;
        this.cameraOff = true;
        this.sendVideo();
      },
      historyLabel(c) {
        if (c.answered) return t(c.direction === 'outgoing' ? 'call.history.outgoing' : 'call.history.incoming');
        if (c.direction === 'incoming') return t(c.endReason === 'rejected' ? 'call.history.declined' : 'call.history.missed');
        const unanswered = { rejected: 'call.history.rejected', timeout: 'call.history.no_answer', cancelled: 'call.history.cancelled' };
        return t(unanswered[c.endReason] || 'call.history.not_answered');
      },
      // figure formats a quality figure for the panel.
      figure(v, unit) { return Number.isFinite(v) ? `${Math.round(v)} ${unit}` : '–'; },
      pathWords(path) { return pathTypes.has(path) ? t(`call.path.${path}`) : '–'; },
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
    signal.on(Code.CallRejected, (d) => { if (vm.call?.callId === d.callId) vm.endCall(t('call.end.rejected', { name: vm.call.peer.username })); });
    bindCallEnds(vm);
  }

  function bindCallEnds(vm) {
    signal.on(Code.CallEnded, (d) => {
      if (vm.call?.callId !== d.callId) return;
      vm.endCall(endNotice(d.reason, vm.call.peer.username));
    });
    signal.on(Code.CallFailed, (d) => {
      pendingInvite = null;
      if (!vm.call || vm.call.peer.id !== d.toId) return;
      vm.endCall(failNotice(d.reason, vm.call.peer.username));
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

  // dropStream turns a camera/microphone stream off: the call it was
  // opened for ended while the browser asked.
  function dropStream(stream) {
    for (const track of stream?.getTracks() || []) {
      track.stop();
      if (st.mic === track) st.mic = null;
      if (st.cam === track) st.cam = null;
    }
  }
}

// meter is a LevelMeter that shows who ('self' or 'remote') speaks in
// vm.speaking.
function meter(who, track, vm) {
  const m = new LevelMeter(track, (level, speaking) => {
    if (vm.speaking[who] !== speaking) vm.speaking = { ...vm.speaking, [who]: speaking };
  });
  return Object.assign(m, { who, track });
}

function initial(name) {
  return name ? Array.from(name)[0].toUpperCase() : '';
}
