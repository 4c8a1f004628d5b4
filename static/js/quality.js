// quality.js: what getStats() says about a call's media, as figures a
// person can read and as the Call/Stats sample the server keeps. No DOM.
//
// A snapshot holds the connection's running totals at one moment; figures
// are the rates between two snapshots of the same connection.

// limits are the ranges the server takes for each Call/Stats value
// (models/protocol.md): a value outside is refused, so values are clamped.
const limits = {
  rttMs: 60000, jitterMs: 60000, lossPct: 100, kbpsIn: 1000000, kbpsOut: 1000000, setupMs: 600000,
};

// paths are the candidate types the server knows.
const paths = new Set(['host', 'srflx', 'prflx', 'relay']);

// snapshot reads pc's stats: totals of bytes, packets and frames, and the
// selected candidate pair's round trip and local candidate type.
export async function snapshot(pc) {
  const stats = await pc.getStats();
  const s = { pc, t: performance.now(), bytesIn: 0, bytesOut: 0, lost: 0, received: 0, frames: 0, jitterMs: 0, rttMs: null, path: '' };
  let pair = null;
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId) || pair;
    if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' && !pair) pair = r;
    if (r.type === 'inbound-rtp') {
      s.bytesIn += r.bytesReceived || 0;
      s.lost += Math.max(0, r.packetsLost || 0);
      s.received += r.packetsReceived || 0;
      s.jitterMs = Math.max(s.jitterMs, (r.jitter || 0) * 1000);
      if (r.kind === 'video') s.frames += r.framesDecoded || 0;
    }
    if (r.type === 'outbound-rtp') s.bytesOut += r.bytesSent || 0;
  });
  if (pair) {
    if (Number.isFinite(pair.currentRoundTripTime)) s.rttMs = pair.currentRoundTripTime * 1000;
    s.path = stats.get(pair.localCandidateId)?.candidateType || '';
  }
  return s;
}

// figures are the rates from prev to cur, or null when they cannot be
// told (no earlier snapshot of this connection, or no time between).
export function figures(prev, cur) {
  if (!prev || !cur || prev.pc !== cur.pc) return null;
  const ms = cur.t - prev.t;
  if (ms <= 0) return null;
  const lost = Math.max(0, cur.lost - prev.lost);
  const got = Math.max(0, cur.received - prev.received);
  return {
    rttMs: cur.rttMs,
    lossPct: lost + got > 0 ? (100 * lost) / (lost + got) : 0,
    jitterMs: cur.jitterMs,
    // bytes per millisecond times 8 is kilobits per second
    kbpsIn: (8 * Math.max(0, cur.bytesIn - prev.bytesIn)) / ms,
    kbpsOut: (8 * Math.max(0, cur.bytesOut - prev.bytesOut)) / ms,
    fps: (1000 * Math.max(0, cur.frames - prev.frames)) / ms,
    path: cur.path,
  };
}

// bars rates figures 0 (nothing known or nothing arriving) to 4.
export function bars(f) {
  if (!f || f.rttMs === null || f.kbpsIn <= 0) return 0;
  if (f.lossPct < 2 && f.rttMs < 150) return 4;
  if (f.lossPct < 5 && f.rttMs < 300) return 3;
  if (f.lossPct < 10 && f.rttMs < 600) return 2;
  return 1;
}

// sample is the Call/Stats data for callId from figures, within the
// server's ranges; null when the path or the round trip is not known yet
// (media never flowed, or no check answered yet): a round trip sent as 0
// would pull the stored median down. The figures then go with a later
// sample.
export function sample(callId, f, setupMs) {
  if (!f || !paths.has(f.path) || !Number.isFinite(f.rttMs)) return null;
  const d = { callId, path: f.path };
  for (const k of ['rttMs', 'lossPct', 'jitterMs', 'kbpsIn', 'kbpsOut']) d[k] = clamp(f[k], limits[k]);
  if (setupMs !== undefined && setupMs !== null) d.setupMs = clamp(setupMs, limits.setupMs);
  return d;
}

function clamp(v, max) {
  if (!Number.isFinite(v)) return 0;
  return Math.round(Math.min(max, Math.max(0, v)) * 10) / 10;
}
