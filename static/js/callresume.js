// callresume.js: an accepted 1:1 call across a lost server connection. The
// page keeps its PeerCall while the socket is down (media flows browser to
// browser); the server keeps the call for a grace and says in the welcome
// whether it still runs. A page that was reloaded rebuilds the call with an
// offer marked `fresh`, and the other side replaces its connection for it.
// Used by callcontroller.js, whose state (st) it shares.
import { Code, Method } from './signal.js';
import { t } from './i18n.js';

// accepted says whether call is past ringing: the server keeps such a call
// when a connection drops, and ends any other.
export function accepted(call) {
  return !!call && (call.phase === 'active' || call.phase === 'connecting');
}

// bindResume follows the connection for the call controller vm; it returns
// freshOffer, for the relay's offers marked fresh.
export function bindResume(signal, vm, st) {
  // pendingFresh is a fresh offer that came while we rebuilt the call
  // ourselves: {callId, d}.
  let pendingFresh = null;

  signal.on('state', (state) => {
    if (!vm.call) return;
    if (state !== 'open') st.watch?.hold();
    if (state === 'replaced') vm.endCall(t('home.resume.moved'));
    else if (state === 'reconnecting' && !accepted(vm.call)) vm.endCall(t('home.resume.lost'));
  });
  signal.on(Code.Welcome, (d) => onWelcome(d.call || null));
  signal.on(Code.PeerAway, (d) => {
    if (!d.callId || vm.call?.callId !== d.callId) return;
    vm.call.peerAway = true;
    st.watch?.hold();
  });
  signal.on(Code.PeerBack, (d) => {
    if (!d.callId || vm.call?.callId !== d.callId) return;
    vm.call.peerAway = false;
    carryOn();
  });

  // onWelcome compares the call the server kept for us (c, or null) with
  // the one the page holds.
  function onWelcome(c) {
    const gone = st.abandoned;
    st.abandoned = null;
    if (c && gone?.callId === c.callId) {
      const data = gone.reason ? { callId: c.callId, reason: gone.reason } : { callId: c.callId };
      signal.send(Method.Hangup, { toId: c.peerId, data });
      return;
    }
    if (accepted(vm.call)) {
      if (c?.callId === vm.call.callId) {
        // The server tells us again (10040) if the other party is away.
        vm.call.peerAway = false;
        carryOn();
        return;
      }
      vm.endCall(vm.call.failed || t('home.resume.ended_away'));
    }
    if (c && !vm.call) rejoin(c);
  }

  // carryOn resumes the watch over the media once both sides are back
  // and looks for a new media path if the old one went meanwhile; the side
  // that offers does.
  function carryOn() {
    if (signal.state !== 'open' || vm.call.peerAway) return;
    st.watch?.release();
    if (st.peer && !st.peer.polite && !st.peer.connected()) st.peer.restartICE();
  }

  // rejoin rebuilds a call this page lost (a reload): media, a new
  // connection, and an offer that tells the other side to drop its old one.
  async function rejoin(c) {
    vm.call = { phase: 'active', callId: c.callId, peer: c.peer, startedAt: Date.parse(c.startedAt) || Date.now(), media: 'new' };
    const call = vm.call;
    const [stream] = await Promise.all([vm.openMedia(call), vm.freshICE()]);
    if (vm.call !== call) { vm.dropStream(stream); return; } // ended while the browser asked for the camera
    // One parked for a call that ended meanwhile is not for this one.
    const offer = pendingFresh?.callId === call.callId ? pendingFresh.d : null;
    pendingFresh = null;
    if (offer) { answerFresh(offer); return; }
    st.peer = vm.newPeer(false, true);
  }

  // freshOffer takes an offer marked fresh from the call's peer: it
  // rebuilt the call, so our connection goes and a new one answers. When
  // both sides rebuilt at once, the lower user id's offer wins.
  function freshOffer(d) {
    if (!accepted(vm.call)) return;
    if (!st.peer) { pendingFresh = { callId: vm.call.callId, d }; return; } // rejoin is getting media: it answers this
    if (st.peer.fresh && vm.me.id < vm.call.peer.id) return;
    answerFresh(d);
  }

  function answerFresh(d) {
    st.peer?.close();
    st.peer = vm.newPeer(true);
    if (vm.$refs.remote) vm.$refs.remote.srcObject = null;
    st.peer.onDescription(d.data).catch((e) => console.error('fresh offer', e));
  }

  return { freshOffer };
}
