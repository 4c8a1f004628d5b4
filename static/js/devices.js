// devices.js: cameras, microphones and speakers. It lists them, remembers
// the ones chosen (per browser, in localStorage), opens them with
// fallbacks, and says in words what went wrong with one: which device, and
// whether it was denied, not found or in use. No Vue; the 1:1 call
// (callcontroller.js), the pre-call check (devicepanel.js), rooms (room.js)
// and broadcasts (broadcast.js) use it.
import { t } from './i18n.js';

const storeKey = 'callapp.devices';

// kinds are enumerateDevices' kinds, each with the part of the page's
// words that names it.
export const kinds = { videoinput: 'camera', audioinput: 'microphone', audiooutput: 'speaker' };

// remembered is the chosen device id of each kind ('' for the default).
export function remembered() {
  const r = { videoinput: '', audioinput: '', audiooutput: '' };
  try { Object.assign(r, JSON.parse(localStorage.getItem(storeKey)) || {}); } catch (e) { /* none kept */ }
  return r;
}

export function remember(kind, id) {
  const r = remembered();
  r[kind] = id || '';
  try { localStorage.setItem(storeKey, JSON.stringify(r)); } catch (e) { /* private mode: not kept */ }
}

// listDevices returns the devices of each kind as {id, label}. Browsers
// give labels only once the page may use a device: until then each is
// named by its kind and number.
export async function listDevices() {
  const out = { videoinput: [], audioinput: [], audiooutput: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return out;
  let all = [];
  try { all = await navigator.mediaDevices.enumerateDevices(); } catch (e) { return out; }
  for (const d of all) {
    const list = out[d.kind];
    if (!list || !d.deviceId || list.some((x) => x.id === d.deviceId)) continue;
    list.push({ id: d.deviceId, label: d.label || t(`device.unnamed.${kinds[d.kind]}`, { n: list.length + 1 }) });
  }
  return out;
}

// onDeviceChange calls fn when a device comes or goes; it returns the
// function that stops it.
export function onDeviceChange(fn) {
  const md = navigator.mediaDevices;
  if (!md?.addEventListener) return () => {};
  md.addEventListener('devicechange', fn);
  return () => md.removeEventListener('devicechange', fn);
}

// canPickSpeaker says whether this browser lets a page choose where a
// media element plays (HTMLMediaElement.setSinkId).
export const canPickSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

// constraint is getUserMedia's constraint for kind: the id given, else
// the remembered one, else any. An ideal deviceId would let another
// device do when the remembered one is gone, but Chromium prefers its
// default device over an ideal one: the id is exact, and a device that is
// gone is asked for again without it (anyDevice).
function constraint(kind, id, any = false) {
  const want = id || (any ? '' : remembered()[kind]);
  return want ? { deviceId: { exact: want } } : true;
}

// anyDevice says whether a failure to open a remembered device calls for
// trying any device of its kind instead: it is unplugged or unknown.
function anyDevice(e, kind, id) {
  return !id && !!remembered()[kind] && (e?.name === 'OverconstrainedError' || e?.name === 'NotFoundError');
}

// openMedia asks for the camera and the microphone (either may be left
// out with video: false or audio: false). What it cannot have it tries
// without, so one device's trouble does not cost the other. It returns
// {stream (never null; maybe empty), problems: {camera, microphone}}, each
// problem a reason (problemOf) or ''.
export async function openMedia({ audio = true, video = true } = {}) {
  const problems = { camera: '', microphone: '' };
  if (!navigator.mediaDevices?.getUserMedia) {
    if (video) problems.camera = 'insecure';
    if (audio) problems.microphone = 'insecure';
    return { stream: new MediaStream(), problems };
  }
  const ask = async (a, v, any = false) => {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: a && constraint('audioinput', '', any), video: v && constraint('videoinput', '', any) });
    } catch (e) {
      if (any || !((a && anyDevice(e, 'audioinput')) || (v && anyDevice(e, 'videoinput')))) throw e;
      return ask(a, v, true);
    }
  };
  try {
    if (audio || video) return { stream: await ask(audio, video), problems };
  } catch (e) {
    if (!(audio && video)) {
      problems[audio ? 'microphone' : 'camera'] = problemOf(e);
      return { stream: new MediaStream(), problems };
    }
  }
  // Both were asked for together and that failed: each on its own says
  // which one is the trouble.
  const tracks = [];
  for (const [kind, a, v] of [['microphone', true, false], ['camera', false, true]]) {
    try {
      tracks.push(...(await ask(a, v)).getTracks());
    } catch (e) {
      problems[kind] = problemOf(e);
    }
  }
  return { stream: new MediaStream(tracks), problems };
}

// openTrack opens one device of kind ('videoinput' or 'audioinput'), the
// id given or the remembered one. It throws an Error whose `problem` is the
// reason.
export async function openTrack(kind, id = '') {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('insecure'), { problem: 'insecure' });
  const ask = (any) => {
    const c = constraint(kind, id, any);
    return navigator.mediaDevices.getUserMedia(kind === 'videoinput' ? { video: c } : { audio: c });
  };
  try {
    let s;
    try {
      s = await ask(false);
    } catch (e) {
      if (!anyDevice(e, kind, id)) throw e;
      s = await ask(true);
    }
    return s.getTracks()[0];
  } catch (e) {
    throw Object.assign(new Error(e?.message || String(e)), { problem: problemOf(e) });
  }
}

// problemOf classifies a getUserMedia error.
export function problemOf(e) {
  switch (e?.name) {
    case 'NotAllowedError': case 'SecurityError': return 'denied';
    case 'NotFoundError': case 'OverconstrainedError': return 'notfound';
    case 'NotReadableError': case 'AbortError': return 'inuse';
    default: return 'failed';
  }
}

// problemWords says in words what problems ({camera, microphone}) mean,
// and how to allow a denied device again; '' when there are none.
export function problemWords(problems) {
  const { camera, microphone } = problems;
  const parts = [];
  if (camera && camera === microphone) parts.push(t(`device.${camera}.both`));
  else {
    if (camera) parts.push(t(`device.${camera}.camera`));
    if (microphone) parts.push(t(`device.${microphone}.microphone`));
  }
  if (camera === 'denied' || microphone === 'denied') parts.push(t('device.howto'));
  return parts.join(' ');
}
