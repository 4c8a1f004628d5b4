// signal.js: the signaling protocol client, and nothing else (no DOM, no
// Vue). It keeps one authenticated websocket to the server open, reconnects
// with exponential backoff and jitter after a drop, sends User/Connect on
// every (re)connect, and hands server envelopes to listeners by code. A
// reconnect after a welcome says `resume`: the page still holds its call,
// room or broadcast, which the server then hands to the new connection.
//
// Envelopes: client -> server {method, type, message, toId, data};
// server -> client {method, type, message, code, data}. See models/protocol.md.
// Code, Method and Close mirror the constants in models/envelope.go, and
// models/signaljs_test.go fails when the two disagree: keep each table a
// frozen object of Name: literal pairs, which that test reads.

import { endpoints } from './urls.js';

export const Code = Object.freeze({
  OnlineUsers: 10000, Error: 10001, Welcome: 10002, Replaced: 10003,
  ChatHistory: 10004, Chat: 10005, UserOnline: 10006, UserStatus: 10007,
  UserOffline: 10008, Candidate: 10009, Offer: 10010, Answer: 10011,
  IncomingCall: 10012, CallAccepted: 10013, CallRejected: 10014, CallEnded: 10015,
  CallFailed: 10016, CallRinging: 10017, Presence: 10018, ChatDeleted: 10019,
  RoomJoined: 10020, RoomOther: 10021, RoomFull: 10022, RoomLeft: 10023,
  RoomBye: 10024, RoomMessage: 10025,
  Live: 10030, LiveEnded: 10031, LiveViewer: 10032, LiveLeft: 10033,
  LiveFull: 10034, LiveList: 10035, PeerAway: 10040, PeerBack: 10041,
});

export const Method = Object.freeze({
  Connect: 'User/Connect', Offer: 'Message/Offer', Answer: 'Message/Answer',
  Candidate: 'Message/Candidate', SendToAll: 'Message/SendToAll',
  Invite: 'Call/Invite', Accept: 'Call/Accept', Reject: 'Call/Reject', Hangup: 'Call/Hangup',
  RoomJoin: 'Room/Join', RoomLeave: 'Room/Leave', RoomMsg: 'Room/Message',
  LiveStart: 'Live/Start', LiveStop: 'Live/Stop', LiveWatch: 'Live/Watch', LiveLeave: 'Live/Leave',
  CallStats: 'Call/Stats',
});

// Close codes the page acts on: after Kicked and Replaced reconnecting
// would be wrong; after ServiceRestart it should be at once.
export const Close = Object.freeze({
  ServiceRestart: 1012, // the server is restarting
  Kicked: 4001,         // account disabled or session revoked
  Replaced: 4002,       // another tab or device took over
});

// restartJitterMs spreads the reconnects after a restart, so that the
// server is not met by every page in the same instant.
const restartJitterMs = 300;

export class Signal {
  constructor(url = defaultURL(), { minDelay = 500, maxDelay = 30000 } = {}) {
    this.url = url;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.state = 'idle'; // idle, connecting, open, reconnecting, replaced, kicked, closed
    this.attempt = 0;
    this.handlers = new Map(); // code or 'state' -> Set of functions
    this.ws = null;
    this.timer = null;
    // welcomed: a connection of this Signal was welcomed, so the page may
    // hold something to resume. Until then its retries are a first
    // connect, which must not take a call from the tab holding it.
    this.welcomed = false;
  }

  // on registers fn for a code (or 'state'); it returns an unsubscribe.
  on(code, fn) {
    if (!this.handlers.has(code)) this.handlers.set(code, new Set());
    this.handlers.get(code).add(fn);
    return () => this.handlers.get(code).delete(fn);
  }

  emit(code, ...args) {
    for (const fn of this.handlers.get(code) || []) {
      try { fn(...args); } catch (e) { console.error('signal handler', code, e); }
    }
  }

  setState(state, detail) {
    this.state = state;
    this.emit('state', state, detail);
  }

  // connect opens the socket. resume (set on the page's own reconnects
  // once welcomed, never on a page load or a "use here") asks the server to
  // hand over what a previous connection of this page held.
  connect(resume = false) {
    clearTimeout(this.timer);
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      this.send(Method.Connect, resume ? { data: { resume: true } } : {});
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  receive(text) {
    let env;
    try { env = JSON.parse(text); } catch (e) { return; }
    if (env.code === Code.Replaced) this.replaced = true;
    if (env.code === Code.Welcome) this.welcomed = true;
    this.emit(env.code, env.data, env);
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    this.ws = null;
    if (this.state === 'closed') return;
    if (this.replaced || ev.code === Close.Replaced) {
      this.replaced = false;
      this.welcomed = false; // the page gave up what it held
      this.setState('replaced');
      return;
    }
    if (ev.code === Close.Kicked) {
      this.setState('kicked', ev.reason);
      return;
    }
    // A restarting server is back in moments: waiting out a back-off
    // would only lengthen the outage. Should it not be back yet, the
    // back-off starts again from its shortest delay.
    if (ev.code === Close.ServiceRestart) this.attempt = 0;
    this.scheduleReconnect(ev.code === Close.ServiceRestart);
  }

  // scheduleReconnect waits min(max, min*2^n) scaled by a random 0.5-1.5
  // so that a server restart is not met by every client at once; soon, only
  // the jitter.
  scheduleReconnect(soon = false) {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    const delay = Math.round(soon ? restartJitterMs * Math.random() : base * (0.5 + Math.random()));
    this.attempt++;
    this.setState('reconnecting', { delay });
    this.timer = setTimeout(() => this.connect(this.welcomed), delay);
  }

  // send queues an envelope; it returns false when the socket is not open.
  send(method, { toId, data, message } = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    const env = { method, type: method === Method.SendToAll ? 1 : 0 };
    if (toId !== undefined) env.toId = toId;
    if (message !== undefined) env.message = message;
    if (data !== undefined) env.data = data;
    this.ws.send(JSON.stringify(env));
    return true;
  }

  close() {
    this.setState('closed');
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}

export function defaultURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${endpoints.socket}`;
}
