// call.js: one WebRTC peer connection for a 1:1 call, signaled through a
// Signal. Media flows browser to browser (or through TURN); the server only
// relays offer, answer and candidates between the two parties.
//
// Negotiation follows the "perfect negotiation" pattern so that either side
// may renegotiate: the callee is polite (yields on offer collisions).
import { Method } from './signal.js';

export class PeerCall {
  // peerId: the other user; polite: true for the callee. fresh: this
  // connection replaces one the page lost (a reload): its offers say so
  // until answered, so that the other side drops its old connection.
  // state: the media state to tell the other side ({muted, cameraOff,
  // sharing}), over a data channel both sides make before the offer, so the
  // server neither carries it nor needs to know; onpeerstate gets theirs.
  constructor(signal, peerId, { iceServers = [], polite = false, stream = null, iceTransportPolicy = 'all', fresh = false, state = null } = {}) {
    this.signal = signal;
    this.peerId = peerId;
    this.polite = polite;
    this.fresh = fresh;
    // The caller offers first (from negotiationneeded once its tracks are
    // added); the callee waits for that offer before it may renegotiate.
    this.started = !polite;
    this.makingOffer = false;
    this.needsOffer = false; // an offer was due while the server was away
    this.ignoreOffer = false;
    this.pendingCandidates = [];
    this.remoteStream = new MediaStream();
    this.onremotetrack = null;
    this.onstate = null;
    this.onpeerstate = null;
    // One transport for audio, video and the data channel from the first
    // offer on: fewer candidates to gather and fewer relay allocations.
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy, bundlePolicy: 'max-bundle' });
    this.senders = {}; // kind -> RTCRtpSender
    this.addLocal(stream);
    this.state = state;
    this.channel = this.pc.createDataChannel('state', { negotiated: true, id: 0 });
    this.channel.onopen = () => this.sendState();
    this.channel.onmessage = ({ data }) => {
      try { this.onpeerstate?.(JSON.parse(data)); } catch (e) { console.warn('peer state', e); }
    };
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.signal.send(Method.Candidate, { toId: this.peerId, data: candidate.toJSON() });
    };
    this.pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      this.onremotetrack?.(this.remoteStream);
    };
    this.pc.onconnectionstatechange = () => this.onstate?.(this.pc.connectionState);
    this.pc.onnegotiationneeded = () => this.negotiate();
  }

  // addLocal sends our tracks. A kind we have no track for still gets a
  // sending transceiver (sending nothing yet), so that a camera allowed
  // later, or a shared screen, is sent by replaceTrack without a new offer.
  // The side that answers first takes the offer's transceiver for it
  // (sendMissing), or the other side would get a second one of the kind.
  addLocal(stream) {
    for (const track of stream ? stream.getTracks() : []) {
      if (!this.senders[track.kind]) this.senders[track.kind] = this.pc.addTrack(track, stream);
    }
    if (this.started) this.sendMissing();
  }

  sendMissing() {
    for (const kind of ['audio', 'video']) {
      if (this.senders[kind]) continue;
      const mine = new Set(Object.values(this.senders));
      const tr = this.pc.getTransceivers().find((x) => x.mid !== null && x.receiver.track.kind === kind && !mine.has(x.sender));
      if (tr) tr.direction = 'sendrecv';
      this.senders[kind] = tr ? tr.sender : this.pc.addTransceiver(kind, { direction: 'sendrecv' }).sender;
    }
  }

  // replaceTrack sends track (or nothing, for null) in place of what the
  // kind's sender sends, without renegotiating.
  replaceTrack(kind, track) {
    return this.senders[kind].replaceTrack(track);
  }

  // setState tells the other side our media state, now if the channel is
  // open, else when it opens.
  setState(state) {
    this.state = state;
    this.sendState();
  }

  sendState() {
    if (this.state && this.channel.readyState === 'open') this.channel.send(JSON.stringify(this.state));
  }

  async negotiate() {
    if (!this.started) return; // the callee waits for the caller's offer
    // Without the server an offer cannot reach the other side; the page
    // calls restartICE once it is back, which offers then.
    if (this.signal.state !== 'open') { this.needsOffer = true; return; }
    this.needsOffer = false;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const data = this.pc.localDescription.toJSON();
      if (this.fresh) data.fresh = true;
      // An offer the server never got would leave us waiting for an answer
      // that cannot come, and no later restart could start: take it back.
      if (!this.signal.send(Method.Offer, { toId: this.peerId, data })) await this.rollback();
    } catch (e) {
      console.error('negotiate', e);
    } finally {
      this.makingOffer = false;
    }
  }

  // onDescription handles a relayed offer (10010) or answer (10011).
  async onDescription(desc) {
    if (!desc || !desc.type) return;
    const collision = desc.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await this.pc.setRemoteDescription({ type: desc.type, sdp: desc.sdp });
    if (!this.started) this.sendMissing(); // before the first answer
    this.started = true; // from now on either side may renegotiate
    this.fresh = false;  // the other side holds this connection now
    for (const c of this.pendingCandidates.splice(0)) await this.addCandidate(c);
    if (desc.type === 'offer') {
      await this.pc.setLocalDescription();
      this.signal.send(Method.Answer, { toId: this.peerId, data: this.pc.localDescription.toJSON() });
    }
  }

  // onCandidate handles a relayed candidate (10009).
  async onCandidate(candidate) {
    if (!this.pc.remoteDescription) {
      this.pendingCandidates.push(candidate);
      return;
    }
    await this.addCandidate(candidate);
  }

  async addCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (e) {
      if (!this.ignoreOffer) console.warn('candidate', e);
    }
  }

  // restartICE looks for a new media path (new ICE credentials, gathered
  // afresh): the offer it causes is sent from negotiate. An offer of ours
  // still unanswered (sent while the other side was away) is taken back
  // first, or no new one could be made.
  async restartICE() {
    if (this.pc.signalingState === 'closed') return;
    if (this.pc.signalingState === 'have-local-offer') await this.rollback();
    this.pc.restartIce();
    // negotiationneeded does not fire again for an offer still owed.
    if (this.needsOffer) this.negotiate();
  }

  async rollback() {
    try {
      await this.pc.setLocalDescription({ type: 'rollback' });
    } catch (e) {
      console.warn('rollback', e);
    }
  }

  // connected says whether media has a working path now.
  connected() { return this.pc.connectionState === 'connected'; }

  // setICEServers applies renewed TURN credentials to the live connection.
  setICEServers(iceServers) {
    const conf = this.pc.getConfiguration();
    this.pc.setConfiguration({ ...conf, iceServers });
  }

  close() {
    this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = this.pc.onnegotiationneeded = null;
    this.channel.onopen = this.channel.onmessage = null;
    this.pc.close();
  }
}
