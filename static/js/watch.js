// watch.js: the viewer's page of a live broadcast, /webrtc/live/<liveId>.
// It asks to watch on every (re)connect, answers the broadcaster's offer
// receive-only (no camera is asked for), shows the video, and says in
// words when the broadcast is full, ended or unknown, and while the
// broadcaster's connection is away (the hub keeps the broadcast for the
// resume grace, and the broadcaster offers afresh when it is back).
import { createApp } from '../vendor/vue/vue.esm-browser.prod.js';
import { logout } from './api.js';
import { Signal, Code, Method } from './signal.js';
import { releaseStray } from './stray.js';
import { pages } from './urls.js';
import { connLabel } from './format.js';
import { t } from './i18n.js';

// The reasons a page stops waiting, in words.
const endings = {
  full: (d) => t('live.full', { max: d.maxViewers }),
  ended: () => t('live.ended'),
  unknown: () => t('live.unknown'),
};

// mountWatch mounts the page on selector for the user me.
export function mountWatch(selector, me) {
  const liveId = decodeURIComponent(location.pathname.split('/').pop());
  const signal = new Signal();
  const link = new Receiver(signal);
  releaseStray(signal);
  const vm = createApp({
    data: () => ({ me, liveId, conn: 'connecting', info: null, phase: 'waiting', ending: '', away: false }),
    created() { bindWatch(this, signal, link); },
    mounted() {
      link.onstream = (s) => { this.phase = 'playing'; this.$refs.remote.srcObject = s; };
      signal.connect();
    },
    methods: {
      t,
      connLabel,
      logout,
      leave() {
        if (this.phase !== 'over') signal.send(Method.LiveLeave, { data: { liveId } });
        link.close();
        location.href = pages.home;
      },
      finish(why, d) {
        this.phase = 'over';
        this.away = false;
        this.ending = endings[why](d || {});
        link.close();
      },
    },
  }).mount(selector);
  window.callapp = { vm, signal, peer: () => link.pc };
  return vm;
}

// bindWatch asks to watch once connected and follows the broadcast.
function bindWatch(vm, signal, link) {
  signal.on('state', (state) => {
    vm.conn = state;
    if (state === 'kicked') location.href = pages.login;
  });
  // While this page was away itself, it may have missed the 10041 that
  // ends `away`: a welcome or an offer from the broadcaster ends it too.
  signal.on(Code.Welcome, (d) => {
    vm.away = false;
    link.iceServers = d.iceServers || [];
    if (vm.phase !== 'over') signal.send(Method.LiveWatch, { data: { liveId: vm.liveId } });
  });
  const mine = (d) => d.liveId === vm.liveId;
  signal.on(Code.LiveList, (list) => { vm.info = (list || []).find(mine) || vm.info; });
  signal.on(Code.Live, (d) => { if (mine(d)) vm.info = d; });
  signal.on(Code.LiveFull, (d) => { if (mine(d)) vm.finish('full', d); });
  signal.on(Code.LiveEnded, (d) => { if (mine(d)) vm.finish('ended'); });
  signal.on(Code.Error, (d) => { if (d.method === Method.LiveWatch && d.reason === 'no_such_live') vm.finish('unknown'); });
  signal.on(Code.PeerAway, (d) => { if (mine(d) && vm.phase !== 'over') vm.away = true; });
  signal.on(Code.PeerBack, (d) => { if (mine(d)) vm.away = false; });
  signal.on(Code.Offer, (d) => {
    if (vm.phase === 'over' || d.fromId !== vm.info?.fromId) return;
    vm.away = false;
    link.offer(d.fromId, d.data).catch((e) => console.error('live offer', e));
  });
  signal.on(Code.Candidate, (d) => { if (d.fromId === link.from) link.candidate(d.data); });
}

// Receiver is the receive-only connection from the broadcaster, who offers.
class Receiver {
  constructor(signal) {
    this.signal = signal;
    this.iceServers = [];
    this.pc = null;
    this.from = 0;
    this.pending = [];
    this.onstream = null;
  }

  // offer answers the broadcaster's offer; a new offer (the broadcaster
  // came back, or this page watches again after a reconnect) replaces the
  // old connection.
  async offer(from, desc) {
    this.close();
    this.from = from;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: window.callappICEPolicy || 'all' });
    this.pc = pc;
    const stream = new MediaStream();
    pc.ontrack = ({ track }) => { stream.addTrack(track); this.onstream?.(stream); };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.signal.send(Method.Candidate, { toId: from, data: candidate.toJSON() });
    };
    await pc.setRemoteDescription(desc);
    await pc.setLocalDescription();
    if (this.pc !== pc) return; // a newer offer came meanwhile
    this.signal.send(Method.Answer, { toId: from, data: pc.localDescription.toJSON() });
    for (const c of this.pending.splice(0)) await this.candidate(c);
  }

  async candidate(c) {
    if (!this.pc?.remoteDescription) { this.pending.push(c); return; }
    try { await this.pc.addIceCandidate(c); } catch (e) { console.warn('live candidate', e); }
  }

  close() {
    if (!this.pc) return;
    this.pc.ontrack = this.pc.onicecandidate = null;
    this.pc.close();
    this.pc = null;
  }
}
