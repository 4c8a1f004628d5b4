// callhealth.js: the health of a call's media. MediaWatch restores a broken
// media path by ICE restarts and gives up after the media timeout;
// QualityMeter reads getStats() (quality.js) for the signal bars and sends
// the Call/Stats samples the server keeps. No DOM.
import { Method } from './signal.js';
import { snapshot, figures, sample } from './quality.js';

// Restarts wait restartFirstMs (after `disconnected`, which often heals by
// itself; at once after `failed`), then twice as long each time, at most
// maxRestarts times: the media timeout ends it anyway.
const restartFirstMs = 1000;
const maxRestarts = 4;

// MediaWatch follows one call's connection state. While media has no path
// (from the start until first connected, or after a break) a deadline of
// timeoutMs runs; past it, onFailed. restart, when given, is called for
// each ICE restart (only the side that offers restarts).
//
// hold pauses both while the other party or our own server connection is
// away: a restart's offer cannot reach the other side then, and the time
// would run out while the server still keeps the call for the resume
// grace. release starts them afresh.
export class MediaWatch {
  constructor({ timeoutMs, restart, onFailed }) {
    Object.assign(this, { timeoutMs, restart, onFailed });
    this.deadline = null;
    this.retry = null;
    this.tries = 0;
    this.last = 'new';  // the newest connection state
    this.held = false;
    this.done = false;
    this.arm();
  }

  // state takes an RTCPeerConnection connectionState.
  state(s) {
    this.last = s;
    if (s === 'connected') {
      this.clear();
      this.tries = 0;
      return;
    }
    if (this.held) return;
    this.arm();
    if ((s === 'disconnected' || s === 'failed') && this.restart && !this.retry && this.tries < maxRestarts) {
      const wait = s === 'failed' && this.tries === 0 ? 0 : restartFirstMs * 2 ** this.tries;
      this.retry = setTimeout(() => {
        this.retry = null;
        this.tries++;
        this.restart();
      }, wait);
    }
  }

  hold() {
    this.held = true;
    this.clear();
  }

  // release ends a hold: all the restarts again and, unless media is
  // connected, a new deadline. It restarts nothing itself: the page
  // restarts ICE at once when both sides are back (callresume.js), and the
  // states that follow bring the next tries.
  release() {
    if (!this.held || this.done) return;
    this.held = false;
    this.tries = 0;
    if (this.last !== 'connected') this.arm();
  }

  // arm starts the deadline unless it runs; a timeout of 0 (not known yet)
  // sets none.
  arm() {
    if (this.deadline || !this.timeoutMs || this.done) return;
    this.deadline = setTimeout(() => { this.stop(); this.onFailed(); }, this.timeoutMs);
  }

  clear() {
    clearTimeout(this.deadline);
    clearTimeout(this.retry);
    this.deadline = this.retry = null;
  }

  stop() {
    this.clear();
    this.done = true;
    this.restart = null;
  }
}

// How often the figures are read and how often a sample is sent.
const readEveryMs = 2000;
const reportEveryMs = 10_000;

// QualityMeter reads pc() every readEveryMs and hands the figures to
// onFigures; every reportEveryMs, and once at stop, it sends the figures
// since its last sample as Call/Stats for callId, with setupMs once known.
export class QualityMeter {
  constructor(signal, callId, pc, onFigures) {
    Object.assign(this, { signal, callId, pc, onFigures });
    this.last = null;   // the newest snapshot
    this.prev = null;   // the one before
    this.base = null;   // the snapshot the next sample starts from
    this.setupMs = null;
    this.setupSent = false;
    this.reading = setInterval(() => this.read(), readEveryMs);
    this.reporting = setInterval(() => this.report(), reportEveryMs);
  }

  async read() {
    const pc = this.pc();
    if (!pc || pc.connectionState === 'closed') return;
    let cur;
    try { cur = await snapshot(pc); } catch (e) { return; }
    if (!this.reading) return; // stopped meanwhile
    const f = figures(this.last, cur);
    this.prev = this.last;
    this.last = cur;
    if (!this.base || this.base.pc !== cur.pc) this.base = cur; // a new connection counts from zero
    if (f) this.onFigures(f);
  }

  // firstFrame records the set-up time, sent with the next sample.
  firstFrame(ms) {
    if (this.setupMs === null) this.setupMs = ms;
  }

  // report sends the figures since the last sample; at the end, when a
  // sample was just sent, those of the newest reading instead.
  report(end = false) {
    const f = figures(this.base, this.last) || (end ? figures(this.prev, this.last) : null);
    const d = sample(this.callId, f, this.setupSent ? null : this.setupMs);
    if (!d) return;
    this.base = this.last;
    if (this.signal.send(Method.CallStats, { data: d }) && d.setupMs !== undefined) this.setupSent = true;
  }

  // stop sends the last sample (from the newest snapshot: the call is
  // ending, there is no time to read another) and stops.
  stop() {
    clearInterval(this.reading);
    clearInterval(this.reporting);
    this.reading = this.reporting = null;
    this.report(true);
  }
}
