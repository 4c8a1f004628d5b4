// broadcast.js: the broadcaster's side of a live broadcast on the home
// page. Media is pushed (models/protocol.md, "Live broadcasts"): for each
// viewer the hub announces (10032) this page opens one send-only peer
// connection and makes the offer; 10033 closes it. A Vue mixin; the page
// provides `me` and `say`.
import { api } from './api.js';
import { Code, Method } from './signal.js';
import { getMedia } from './call.js';
import { endpoints } from './urls.js';

// broadcaster returns the mixin that runs this user's broadcast over
// signal, and viewers(), the open connections by viewer id (for tests).
export function broadcaster(signal) {
  const viewers = new Map(); // viewer id -> Viewer
  const joins = new Map();   // viewer id -> the 10032 being answered
  let stream = null;         // the camera and microphone being sent
  let iceServers = [];

  const mixin = {
    // live: null, or { phase: 'starting' | 'live', title, liveId, viewers }
    data: () => ({ live: null, liveTitle: '' }),
    created() {
      bindLive(this);
      bindRelay();
    },
    methods: {
      async goLive() {
        const title = this.liveTitle.trim();
        if (!title || this.live) return;
        this.live = { phase: 'starting', title, liveId: '', viewers: 0 };
        const live = this.live;
        [stream, iceServers] = await Promise.all([openCamera(this), loadICE([])]);
        if (this.live !== live) { stopStream(); return; }
        if (this.$refs.self) this.$refs.self.srcObject = stream;
        if (!signal.send(Method.LiveStart, { data: { title } })) this.endLive('Not connected to the server.');
      },
      stopLive() {
        if (this.live?.liveId) signal.send(Method.LiveStop);
        this.endLive('Your broadcast has ended.');
      },
      endLive(message) {
        for (const v of viewers.values()) v.close();
        viewers.clear();
        joins.clear();
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
    signal.on(Code.LiveEnded, (d) => { if (vm.live?.liveId === d.liveId) vm.endLive('Your broadcast has ended.'); });
    signal.on(Code.Error, (d) => { if (d.method === Method.LiveStart && vm.live?.phase === 'starting') vm.endLive(''); });
    // The hub ends a broadcast whose connection goes.
    signal.on('state', (state) => { if (state !== 'open' && vm.live) vm.endLive('Connection lost; your broadcast ended.'); });
    signal.on(Code.LiveViewer, (d) => addViewer(vm, d).catch((e) => console.error('live viewer', e)));
    signal.on(Code.LiveLeft, (d) => {
      joins.delete(d.fromId);
      viewers.get(d.fromId)?.close();
      viewers.delete(d.fromId);
    });
  }

  // addViewer opens the connection to a viewer with TURN credentials
  // fetched now: those of the start expire during a long broadcast. A
  // viewer who left (or came back) meanwhile is not offered to.
  async function addViewer(vm, d) {
    if (vm.live?.liveId !== d.liveId || !stream) return;
    const join = {};
    joins.set(d.fromId, join);
    const servers = await loadICE(iceServers);
    if (joins.get(d.fromId) !== join || vm.live?.liveId !== d.liveId) return;
    viewers.get(d.fromId)?.close();
    viewers.set(d.fromId, new Viewer(signal, d.fromId, stream, servers));
  }

  // bindRelay hands each viewer's answer and candidates to its connection.
  function bindRelay() {
    signal.on(Code.Answer, (d) => viewers.get(d.fromId)?.answer(d.data));
    signal.on(Code.Candidate, (d) => viewers.get(d.fromId)?.candidate(d.data));
  }

  function stopStream() {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
  }
}

// openCamera gets the camera and microphone, saying what went wrong.
async function openCamera(vm) {
  const media = await getMedia();
  if (media.problem) vm.say(`${media.problem} Viewers will not see you.`);
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
