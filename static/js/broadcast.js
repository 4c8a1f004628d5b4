// broadcast.js: the broadcaster's side of a live broadcast on the home
// page. Media is pushed (models/protocol.md, "Live broadcasts"): for each
// viewer the hub announces (10032) this page opens one send-only peer
// connection and makes the offer; 10033 closes it. The broadcast outlives a
// dropped connection for the hub's resume grace. A Vue mixin; the page
// provides `me` and `say`.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { getMedia } from './call.js';
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
    data: () => ({ live: null, liveTitle: '' }),
    computed: {
      livePhase() { return this.live ? phaseWords[this.live.phase]() : ''; },
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
        if (!signal.send(Method.LiveStart, { data: { title } })) this.endLive(t('home.live.not_connected'));
      },
      stopLive() {
        if (this.live?.liveId) signal.send(Method.LiveStop);
        this.endLive(t('home.live.ended'));
      },
      endLive(message) {
        closeViewers();
        stopStream();
        this.live = null;
        if (message) this.say(message);
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
    const [media, servers] = await Promise.all([ready, loadICE(iceServers)]);
    if (joins.get(d.fromId) !== join || vm.live?.liveId !== d.liveId || !media) return;
    viewers.get(d.fromId)?.close();
    viewers.set(d.fromId, new Viewer(signal, d.fromId, media, servers));
  }

  // startCamera opens the camera for the broadcast live, and shows it; a
  // broadcast that ended meanwhile gets none.
  async function startCamera(vm, live) {
    const media = await openCamera(vm);
    if (vm.live !== live) {
      media?.getTracks().forEach((t) => t.stop());
      return null;
    }
    stream = media;
    if (vm.$refs.self) vm.$refs.self.srcObject = media;
    return media;
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

// openCamera gets the camera and microphone, saying what went wrong.
async function openCamera(vm) {
  const media = await getMedia();
  if (media.problem) vm.say(t('home.live.no_camera', { problem: media.problem }));
  return media.stream;
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
    for (const track of stream ? stream.getTracks() : []) this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) signal.send(Method.Candidate, { toId: id, data: candidate.toJSON() });
    };
    this.offer().catch((e) => console.error('live offer', e));
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
