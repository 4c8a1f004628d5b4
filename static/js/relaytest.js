// relaytest.js: the admin's relay self-test. Two peer connections in this
// browser, both forced to relay through the configured TURN servers, open a
// data channel between them. Success proves the credentials, realm, public
// address and ports are right: the usual TURN mistakes.
import { t } from './i18n.js';

export async function relaySelfTest(iceServers, timeoutMs = 10_000) {
  const started = performance.now();
  const conf = { iceServers, iceTransportPolicy: 'relay' };
  const a = new RTCPeerConnection(conf);
  const b = new RTCPeerConnection(conf);
  const relayCandidates = { a: 0, b: 0 };
  const relay = (from, to, key) => (e) => {
    if (!e.candidate) return;
    if (e.candidate.type === 'relay') relayCandidates[key]++;
    to.addIceCandidate(e.candidate).catch(() => {});
  };
  a.onicecandidate = relay(a, b, 'a');
  b.onicecandidate = relay(b, a, 'b');
  b.ondatachannel = (e) => { e.channel.onmessage = (m) => e.channel.send(m.data); }; // echo
  const channel = a.createDataChannel('relay-self-test');
  try {
    const opened = new Promise((resolve) => { channel.onopen = resolve; });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    await withTimeout(opened, timeoutMs);
    const connectMs = Math.round(performance.now() - started);
    const t0 = performance.now();
    const echoed = new Promise((resolve) => { channel.onmessage = resolve; });
    channel.send('ping');
    await withTimeout(echoed, timeoutMs);
    const rttMs = Math.round(performance.now() - t0);
    return { ok: true, connectMs, rttMs, pair: await selectedPair(a) };
  } catch (e) {
    const gathered = relayCandidates.a + relayCandidates.b;
    return {
      ok: false,
      error: gathered === 0
        ? t('admin.relay.no_candidates')
        : t('admin.relay.no_connection', { s: timeoutMs / 1000 }),
    };
  } finally {
    a.close();
    b.close();
  }
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms); })])
    .finally(() => clearTimeout(timer));
}

// selectedPair reports the candidate types of the pair in use, which must
// be relay on both ends.
async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pairId;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
  const pair = pairId && stats.get(pairId);
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return { local: local?.candidateType, remote: remote?.candidateType, protocol: local?.relayProtocol || local?.protocol };
}
