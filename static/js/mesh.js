// mesh.js: a room's media, one PeerCall (call.js) per other member. Who
// offers is fixed so that each pair makes one connection: a member already
// in the room offers to a newcomer (on 10021); the newcomer only answers,
// so its PeerCall for a member is made when that member's first relay comes.
//
// Every connection has a sender of each kind, sending nothing for a device
// we lack (call.js), so a device allowed later is sent by replacing tracks:
// stream is what we send, and sync puts it on each connection.
import { Code } from './signal.js';
import { PeerCall } from './call.js';

export class Mesh {
  // isMember says whether a user id is in the room now: relays from anyone
  // else are ignored (the server refuses them too).
  constructor(signal, isMember) {
    this.signal = signal;
    this.isMember = isMember;
    this.peers = new Map(); // member id -> PeerCall
    this.stream = null;     // our camera and microphone, or null
    this.iceServers = [];
    this.onremotestream = null; // (id, MediaStream)
    this.onstate = null;        // (id, connectionState)
    signal.on(Code.Offer, (d) => this.relay(d, (p) => p.onDescription(d.data)));
    signal.on(Code.Answer, (d) => this.relay(d, (p) => p.onDescription(d.data)));
    signal.on(Code.Candidate, (d) => this.relay(d, (p) => p.onCandidate(d.data)));
  }

  // offerTo connects to a newcomer: we make the offer.
  offerTo(id) { return this.open(id, false); }

  open(id, polite) {
    this.drop(id);
    const p = new PeerCall(this.signal, id, {
      iceServers: this.iceServers, polite, stream: this.stream, iceTransportPolicy: window.callappICEPolicy || 'all',
    });
    p.onremotetrack = (stream) => this.onremotestream?.(id, stream);
    p.onstate = (state) => this.onstate?.(id, state);
    this.peers.set(id, p);
    return p;
  }

  // relay hands a member's offer, answer or candidate to its PeerCall; the
  // first one from a member we did not offer to is its offer to us.
  relay(d, fn) {
    let p = this.peers.get(d.fromId);
    if (!p) {
      if (!this.isMember(d.fromId)) return;
      p = this.open(d.fromId, true);
    }
    // The first offer makes the senders of a connection we answer; a
    // device allowed before then is sent once they are there.
    fn(p).then(() => this.sync(p)).catch((e) => console.error('room relay', e));
  }

  // sync sends stream's tracks on the connection p, or on every one.
  sync(p) {
    if (!p) { this.peers.forEach((q) => this.sync(q)); return; }
    for (const track of this.stream ? this.stream.getTracks() : []) {
      const sender = p.senders[track.kind];
      if (sender && sender.track !== track) p.replaceTrack(track.kind, track).catch((e) => console.warn('replace track', e));
    }
  }

  drop(id) {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  closeAll() {
    for (const id of [...this.peers.keys()]) this.drop(id);
  }

  // connections maps member ids to their RTCPeerConnections (for tests and
  // debugging).
  connections() {
    return new Map([...this.peers].map(([id, p]) => [id, p.pc]));
  }
}
