// broadcast.js: the broadcaster's side of a live broadcast on the home
// page. Media is pushed (models/protocol.md, "Live broadcasts"): for each
// viewer the hub announces (10032) this page opens one send-only peer
// connection and makes the offer; 10033 closes it. The broadcast outlives a
// dropped connection for the hub's resume grace. A camera or microphone
// that cannot be had is said with a Retry (liveProblem); one allowed later
// is offered to every viewer afresh. A Vue mixin; the page provides `me`
// and `say`.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { openMedia, problemWords } from './devices.js';
import { endpoints } from './urls.js';
import { t } from './i18n.js';

// phaseWords say each phase of the broadcast in words.
const phaseWords = {
  starting: () => t('home.live.phase.starting'),
  live: () => t('home.live.phase.live'),
  reconnecting: () => t('home.live.phase.reconnecting'),
};

// broadcaster returns the mixin that runs this user's broadcast over
// signal, and viewers(), the open connections by viewer id (for tests).
export function broadcaster(signal) {
  const viewers = new Map(); // viewer id -> Viewer
  const joins = new Map();   // viewer id -> the 10032 being answered
  let stream = null;         // the camera and microphone being sent
  let ready = null;          // the promise of stream: viewers may come first
  let iceServers = [];

  const mixin = {
    // live: null, or { phase: 'starting' | 'live' | 'reconnecting', title, liveId, viewers }
    data: () => ({ live: null, liveTitle: '', liveProblems: { camera: '', microphone: '' } }),
    computed: {
      livePhase() { return this.live ? phaseWords[this.live.phase]() : ''; },
      // liveProblem says which device is missing and why, and what the
      // viewers miss without it.
      liveProblem() {
        const words = problemWords(this.liveProblems);
        if (!words) return '';
        const { camera, microphone } = this.liveProblems;
        const then = camera && microphone ? 'home.live.without.both' : camera ? 'home.live.without.camera' : 'home.live.without.microphone';
        return `${words} ${t(then)}`;
      },
    },
    created() {
      bindLive(this);
      bindResume(this);
      bindRelay();
    },
    methods: {
      async goLive() {
        const title = this.liveTitle.trim();
        if (!title || this.live) return;
        this.live = { phase: 'starting', title, liveId: '', viewers: 0 };
        const live = this.live;
        ready = startCamera(this, live);
        [, iceServers] = await Promise.all([ready, loadICE([])]);
        if (this.live !== live) return;
        if (!signal.send(Method.LiveStart, { data: { title } })) this.endLive(t('call.not_connected'));
      },
      stopLive() {
        if (this.live?.liveId) signal.send(Method.LiveStop);
        this.endLive(t('home.live.ended'));
      },
      endLive(message) {
        closeViewers();
        stopStream();
        this.live = null;
        this.liveProblems = { camera: '', microphone: '' };
        if (message) this.say(message);
      },
      // retryLive asks again for the devices that failed. The viewers'
      // connections carry only the kinds there were devices of: with one
      // more, each viewer is offered to afresh.
      async retryLive() {
        const live = this.live;
        const { camera, microphone } = this.liveProblems;
        if (!live || !stream || !(camera || microphone)) return;
        const media = await openMedia({ audio: !!microphone, video: !!camera });
        const got = media.stream.getTracks();
        if (this.live !== live || !stream) { got.forEach((x) => x.stop()); return; }
        this.liveProblems = media.problems;
        if (!got.length) return;
        stream = new MediaStream([...stream.getTracks(), ...got]);
        ready = Promise.resolve(stream);
        if (this.$refs.self) this.$refs.self.srcObject = stream;
        const servers = await loadICE(iceServers);
        if (this.live !== live) return;
        for (const [id, v] of viewers) {
          v.close();
          viewers.set(id, new Viewer(signal, id, stream, servers));
        }
      },
    },
  };
  return { mixin, viewers: () => viewers };

  function bindLive(vm) {
    signal.on(Code.Live, (d) => {
      if (!vm.live || d.fromId !== vm.me.id) return;
      Object.assign(vm.live, { phase: 'live', liveId: d.liveId, viewers: d.viewers });
    });
    signal.on(Code.LiveEnded, (d) => { if (vm.live?.liveId === d.liveId) vm.endLive(t('home.live.ended')); });
    signal.on(Code.Error, (d) => { if (d.method === Method.LiveStart && vm.live?.phase === 'starting') vm.endLive(''); });
    signal.on(Code.LiveViewer, (d) => addViewer(vm, d).catch((e) => console.error('live viewer', e)));
    signal.on(Code.LiveLeft, (d) => {
      joins.delete(d.fromId);
      viewers.get(d.fromId)?.close();
      viewers.delete(d.fromId);
    });
  }

  // bindResume keeps a broadcast through a dropped connection: the hub
  // keeps it for the resume grace and, when this user is back in time,
  // names it in the welcome and announces each current viewer again
  // (10032), to be offered to afresh. Media to the viewers goes on
  // meanwhile; it needs no server.
  function bindResume(vm) {
    signal.on('state', (state) => {
      if (!vm.live || state === 'open') return;
      if (state === 'reconnecting' && vm.live.liveId) vm.live.phase = 'reconnecting';
      else vm.endLive(t('home.live.lost'));
    });
    signal.on(Code.Welcome, (d) => {
      iceServers = d.iceServers || iceServers;
      const kept = d.live;
      if (vm.live?.phase === 'reconnecting') {
        if (kept?.liveId !== vm.live.liveId) { vm.endLive(t('home.live.ended_away')); return; }
        // Viewers who left meanwhile are not announced again: every old
        // connection goes, and the 10032s that follow make the new ones.
        closeViewers();
        Object.assign(vm.live, { phase: 'live', viewers: kept.viewers });
      } else if (kept && !vm.live) {
        // This page was reloaded within the grace: it takes the broadcast
        // back with a camera opened anew.
        vm.live = { phase: 'live', title: kept.title, liveId: kept.liveId, viewers: kept.viewers };
        ready = startCamera(vm, vm.live);
      }
    });
  }

  // addViewer opens the connection to a viewer with TURN credentials
  // fetched now: those of the start expire during a long broadcast. A
  // viewer who left (or came back) meanwhile is not offered to.
  async function addViewer(vm, d) {
    if (vm.live?.liveId !== d.liveId || !ready) return;
    const join = {};
    joins.set(d.fromId, join);
    const [, servers] = await Promise.all([ready, loadICE(iceServers)]);
    // stream, not what ready gave: a Retry may have added a device since.
    if (joins.get(d.fromId) !== join || vm.live?.liveId !== d.liveId || !stream) return;
    viewers.get(d.fromId)?.close();
    viewers.set(d.fromId, new Viewer(signal, d.fromId, stream, servers));
  }

  // startCamera opens the camera and microphone for the broadcast live,
  // and shows them, or says what it could not have; a broadcast that ended
  // meanwhile gets none.
  async function startCamera(vm, live) {
    const media = await openMedia();
    if (vm.live !== live) {
      media.stream.getTracks().forEach((t) => t.stop());
      return null;
    }
    vm.liveProblems = media.problems;
    stream = media.stream;
    if (vm.$refs.self) vm.$refs.self.srcObject = stream;
    return stream;
  }

  // bindRelay hands each viewer's answer and candidates to its connection.
  function bindRelay() {
    signal.on(Code.Answer, (d) => viewers.get(d.fromId)?.answer(d.data));
    signal.on(Code.Candidate, (d) => viewers.get(d.fromId)?.candidate(d.data));
  }

  function closeViewers() {
    for (const v of viewers.values()) v.close();
    viewers.clear();
    joins.clear();
  }

  function stopStream() {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    ready = null;
  }
}

// loadICE fetches STUN/TURN servers with fresh credentials, or returns
// fallback when the server does not answer.
async function loadICE(fallback) {
  try { return (await api('GET', endpoints.iceServers)).iceServers || []; } catch (e) { return fallback; }
}

// Viewer is the send-only connection to one viewer; this side offers.
class Viewer {
  constructor(signal, id, stream, iceServers) {
    this.signal = signal;
    this.id = id;
    this.pending = [];
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: window.callappICEPolicy || 'all' });
    const tracks = stream ? stream.getTracks() : [];
    for (const track of tracks) this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) signal.send(Method.Candidate, { toId: id, data: candidate.toJSON() });
    };
    // With nothing to send there is nothing to connect: a Retry that opens
    // a device offers then.
    if (tracks.length) this.offer().catch((e) => console.error('live offer', e));
  }

  async offer() {
    await this.pc.setLocalDescription();
    this.signal.send(Method.Offer, { toId: this.id, data: this.pc.localDescription.toJSON() });
  }

  async answer(desc) {
    if (desc?.type !== 'answer' || this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription(desc);
    for (const c of this.pending.splice(0)) await this.candidate(c);
  }

  async candidate(c) {
    if (!this.pc.remoteDescription) { this.pending.push(c); return; }
    try { await this.pc.addIceCandidate(c); } catch (e) { console.warn('live candidate', e); }
  }

  close() {
    this.pc.onicecandidate = null;
    this.pc.close();
  }
}
