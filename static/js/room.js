// room.js: the room page. It joins the room named in the URL when the
// signaling connection opens, keeps the member list and the room's state in
// words (the original design's state machine), shows one video per member
// over the full mesh (mesh.js), and carries the room's text messages
// (not stored; the draft is draft.js's: the hub sends a message back to
// every member, its sender included, as 10025).
//
// A dropped connection keeps our seat for the hub's resume grace: the page
// keeps the mesh meanwhile (media needs no server), and when the hub gives
// the seat back (10020 after the welcome) it rebuilds the mesh as a
// newcomer: the others offer to it afresh (models/protocol.md, Resume).
import { createApp, markRaw } from '../vendor/vue/vue.esm-browser.prod.js';
import { api, reasonText } from './api.js';
import { Signal, Code, Method } from './signal.js';
import { openMedia, openTrack, problemWords } from './devices.js';
import { Mesh } from './mesh.js';
import { releaseStray } from './stray.js';
import { messageDraft } from './draft.js';
import { formatTime, connLabel } from './format.js';
import { t } from './i18n.js';
import { pages, endpoints } from './urls.js';

// stateWords are what the page says in each state of the room.
const stateWords = {
  joining: () => t('room.state.joining'),
  waiting: () => t('room.state.waiting'),
  connected: () => t('room.state.connected'),
  bye: (vm) => t('room.state.bye', { name: vm.byeName }),
  full: (vm) => t('room.state.full', { capacity: vm.capacity }),
  refused: (vm) => vm.refusal,
  away: () => t('room.state.away'),
  reconnecting: () => t('room.state.reconnecting'),
  lost: () => t('room.state.lost'),
  replaced: () => t('room.state.replaced'),
};

// mediaWords are the states of the media connection to a member
// (RTCPeerConnection.connectionState) other than connected, in words.
const mediaWords = {
  new: () => t('room.media.new'),
  connecting: () => t('room.media.connecting'),
  disconnected: () => t('room.media.disconnected'),
  failed: () => t('room.media.failed'),
  closed: () => t('room.media.closed'),
};

// seatWaitMs is how long the page waits, after the welcome of a
// reconnect, for the hub to give its seat back (10020 follows the welcome
// at once when it does) before it says the seat is gone.
const seatWaitMs = 3000;

// refusals are the hub's reasons for not letting us in, in words.
const refusals = {
  already_in_room: () => t('room.refused.already_in_room'),
  already_in_call: () => t('room.refused.already_in_call'),
  already_live: () => t('room.refused.already_live'),
  already_watching: () => t('room.refused.already_watching'),
  bad_room: () => t('room.refused.bad_room'),
};

// keep is how many messages the room's log holds before the oldest go.
const keep = 500;

// mountRoom mounts the room page on selector for the user me.
export function mountRoom(selector, me) {
  const signal = new Signal();
  const room = decodeURIComponent(location.pathname.split('/').pop()).toLowerCase();
  const mesh = new Mesh(signal, (id) => vm.members.some((m) => m.id === id));
  releaseStray(signal, { room });
  const app = createApp({
    mixins: [messageDraft(signal, Method.RoomMsg, (message) => ({ data: { room, message } }))],
    data: () => ({
      me, room, conn: 'connecting', state: 'joining', seated: false, strayRoom: '', capacity: 0, byeName: '', refusal: '',
      members: [], messages: [], notice: '', problems: { camera: '', microphone: '' },
      local: null, hasMic: false, hasCam: false, muted: false, cameraOff: false,
    }),
    computed: {
      stateText() { return stateWords[this.state](this); },
      tiles() { return this.members.length + 1; },
      // canMessage says whether the room's messages can be sent: we hold
      // a seat, alone or not.
      canMessage() { return ['connected', 'waiting', 'bye'].includes(this.state); },
      // mediaProblem says which device is missing and why, and what the
      // others miss without it.
      mediaProblem() {
        const words = problemWords(this.problems);
        if (!words) return '';
        const { camera, microphone } = this.problems;
        const then = camera && microphone ? 'room.without.both' : camera ? 'room.without.camera' : 'room.without.microphone';
        return `${words} ${t(then)}`;
      },
    },
    async mounted() {
      await this.openMedia();
      signal.connect();
    },
    methods: roomMethods(signal, mesh),
  });
  app.directive('stream', { mounted: setStream, updated: setStream });
  const vm = app.mount(selector);
  bindRoom(vm, signal, mesh);
  // For tests and debugging: the peer connection of each member.
  window.callapp = { vm, signal, peers: () => mesh.connections() };
  return vm;
}

// setStream is the v-stream directive: a MediaStream is a DOM property of
// a <video>, not an attribute.
function setStream(el, { value }) {
  if (el.srcObject !== value) el.srcObject = value || null;
}

function roomMethods(signal, mesh) {
  return {
    // openMedia opens the camera and microphone; what it cannot have is
    // said (mediaProblem) and shown off.
    async openMedia() {
      const media = await openMedia();
      this.problems = media.problems;
      this.send(media.stream.getTracks());
      this.muted = !this.hasMic;
      this.cameraOff = !this.hasCam;
    },
    // retryMedia asks again for the devices that failed; one that opens
    // is sent to every member, turned on.
    async retryMedia() {
      for (const [key, kind] of [['microphone', 'audioinput'], ['camera', 'videoinput']]) {
        if (!this.problems[key]) continue;
        try {
          const track = await openTrack(kind);
          this.problems = { ...this.problems, [key]: '' };
          this.send([...this.local.getTracks().filter((x) => x.kind !== track.kind), track]);
          if (kind === 'audioinput') this.muted = false;
          else this.cameraOff = false;
        } catch (e) {
          this.problems = { ...this.problems, [key]: e.problem };
        }
      }
    },
    // send makes tracks what the self-view shows and the mesh sends.
    send(tracks) {
      const stream = new MediaStream(tracks);
      this.local = markRaw(stream);
      this.hasMic = tracks.some((x) => x.kind === 'audio');
      this.hasCam = tracks.some((x) => x.kind === 'video');
      mesh.stream = stream;
      mesh.sync();
    },
    join() {
      this.state = 'joining';
      signal.send(Method.RoomJoin, { data: { room: this.room } });
    },
    leave() {
      mesh.closeAll();
      // Go home on 10023, or at once when the server cannot be told: the
      // hub keeps the seat for the grace, and the home page gives it back.
      if (!this.seated || !signal.send(Method.RoomLeave, { data: { room: this.room } })) this.goHome();
      setTimeout(() => this.goHome(), 2000);
    },
    goHome() {
      signal.close();
      location.href = pages.home;
    },
    async copyLink() {
      try {
        await navigator.clipboard.writeText(location.href);
        this.say(t('room.copied'));
      } catch (e) {
        this.say(t('room.copy_this', { url: location.href }));
      }
    },
    toggleMute() {
      this.muted = !this.muted;
      this.local?.getAudioTracks().forEach((t) => { t.enabled = !this.muted; });
    },
    toggleCamera() {
      this.cameraOff = !this.cameraOff;
      this.local?.getVideoTracks().forEach((t) => { t.enabled = !this.cameraOff; });
    },
    say(text) { this.notice = text; clearTimeout(this.noticeTimer); this.noticeTimer = setTimeout(() => { this.notice = ''; }, 8000); },
    time(at) { return formatTime(at); },
    t,
    connLabel,
    mediaLabel(state) { return mediaWords[state]?.() ?? state; },
    mine(m) { return m.fromId === this.me.id; },
  };
}

// bindRoom follows the room's state machine over signal's events.
function bindRoom(vm, signal, mesh) {
  bindConnection(vm, signal, mesh);
  const ours = (d) => d?.room === vm.room;
  const member = (id) => vm.members.find((m) => m.id === id);
  signal.on(Code.RoomJoined, (d) => {
    // Another room's seat, kept for us from a page we left, is given back
    // (stray.js); ours is asked for again once it is.
    if (!ours(d)) { vm.strayRoom = d.room; return; }
    // After a reconnect this is our seat given back: the others offer to
    // us afresh, so the connections we kept through the outage go.
    clearTimeout(vm.seatTimer);
    mesh.closeAll();
    vm.seated = true;
    vm.capacity = d.capacity;
    vm.members = (d.members || []).map(newMember);
    vm.state = vm.members.length ? 'connected' : 'waiting';
  });
  signal.on(Code.RoomOther, (d) => {
    if (!ours(d)) return;
    // A member who came back (within the grace, or in a newer tab) is
    // offered to afresh, in the tile it had: one tile per member.
    const m = member(d.user.id);
    if (m) Object.assign(m, newMember(d.user));
    else vm.members.push(newMember(d.user));
    vm.state = 'connected';
    mesh.offerTo(d.user.id);
  });
  // A member whose connection went keeps its seat, and maybe its media,
  // for the grace; the tile says so until it is back or gone (10024).
  signal.on(Code.PeerAway, (d) => { const m = ours(d) && member(d.fromId); if (m) m.away = true; });
  signal.on(Code.PeerBack, (d) => { const m = ours(d) && member(d.fromId); if (m) m.away = false; });
  signal.on(Code.RoomFull, (d) => { if (ours(d)) { vm.capacity = d.capacity; vm.state = 'full'; } });
  signal.on(Code.RoomBye, (d) => { if (ours(d)) bye(vm, mesh, d.fromId); });
  signal.on(Code.RoomLeft, (d) => {
    if (ours(d)) { vm.seated = false; vm.goHome(); }
    if (d.room === vm.strayRoom) { vm.strayRoom = ''; if (!vm.seated) vm.join(); }
  });
  signal.on(Code.RoomMessage, (m) => {
    if (!ours(m)) return;
    vm.messages.push(m);
    if (vm.mine(m)) vm.echoed(m.message);
    if (vm.messages.length > keep) vm.messages.shift();
    vm.$nextTick(() => { const log = vm.$refs.log; if (log) log.scrollTop = log.scrollHeight; });
  });
  signal.on(Code.Error, (d, env) => showError(vm, d, env));
  mesh.onremotestream = (id, stream) => { const m = member(id); if (m) m.stream = markRaw(stream); };
  mesh.onstate = (id, state) => { const m = member(id); if (m) m.media = state; };
}

function newMember(u) {
  return { id: u.id, username: u.username, stream: null, media: 'new', away: false };
}

// bye removes a member who left; alone again, we wait for others.
function bye(vm, mesh, id) {
  const gone = vm.members.find((m) => m.id === id);
  mesh.drop(id);
  vm.members = vm.members.filter((m) => m.id !== id);
  if (!gone) return;
  if (vm.members.length) vm.say(t('room.left', { name: gone.username }));
  else { vm.byeName = gone.username; vm.state = 'bye'; }
}

// bindConnection joins when the connection opens. A drop keeps our seat
// for the grace: the mesh stays up meanwhile, and the welcome of the
// reconnect is followed by the seat (10020) or by nothing, when the grace
// passed or the server forgot the room.
function bindConnection(vm, signal, mesh) {
  signal.on(Code.Welcome, (d) => {
    mesh.iceServers = d.iceServers || [];
    vm.me = d.user;
    if (vm.seated) awaitSeat(vm, mesh);
    else if (vm.state !== 'lost') vm.join();
  });
  signal.on('state', (state) => {
    vm.conn = state;
    if (state === 'kicked') location.href = pages.login;
    if (state === 'replaced') {
      unseat(vm, mesh);
      vm.state = 'replaced';
    } else if (state === 'reconnecting') {
      if (vm.seated) vm.state = 'reconnecting';
      else if (vm.state !== 'lost') vm.state = 'away';
    } else return;
    api('GET', endpoints.me).catch((e) => { if (e.status === 401) location.href = pages.login; });
  });
}

// awaitSeat gives the hub a moment to hand our seat back after the
// welcome; without it we are out of the room, and say so rather than take
// a seat again unasked (the room may have filled meanwhile).
function awaitSeat(vm, mesh) {
  clearTimeout(vm.seatTimer);
  vm.seatTimer = setTimeout(() => {
    unseat(vm, mesh);
    vm.state = 'lost';
  }, seatWaitMs);
}

function unseat(vm, mesh) {
  clearTimeout(vm.seatTimer);
  vm.seated = false;
  mesh.closeAll();
  vm.members = [];
}

// relays are the mesh's own methods: the hub refuses one to a member whose
// connection just went, which the member's tile already says.
const relays = new Set([Method.Offer, Method.Answer, Method.Candidate]);

function showError(vm, d, env) {
  const reason = d?.reason;
  if (relays.has(d?.method)) { console.warn('room relay refused', reason); return; }
  if (d?.method === Method.RoomMsg) return; // said beside the box (draft.js)
  // A reload within the grace is given its seat (or another room's, being
  // given back) before the answer to its own Room/Join comes: no news.
  if (reason === 'already_in_room' && (vm.seated || vm.strayRoom)) return;
  if (refusals[reason] && vm.state === 'joining') { vm.refusal = refusals[reason](); vm.state = 'refused'; return; }
  vm.say(reason ? reasonText(reason, env.message) : t('room.refused.other'));
}
