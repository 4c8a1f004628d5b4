// ringer.js: ring and ringback tones made with WebAudio, so no sound file
// has to be shipped, and the vibration of a ringing phone. Browsers keep
// audio silent until the user has interacted with the page: the page's one
// AudioContext is made when the page starts and resumed by the first click
// or key press, and whoever shows a ring can ask soundBlocked() to tell the
// user that a click will make it heard.
let ctx = null;
const listeners = new Set();

// unlockAudio makes the page's AudioContext and resumes it on the first
// user gesture. Call it early, at page start, so that any click counts.
export function unlockAudio() {
  if (ctx || typeof AudioContext === 'undefined') return;
  try { ctx = new AudioContext(); } catch (e) { return; } // no audio device: rings stay silent
  const resume = () => { ctx.resume().catch(() => {}); };
  const events = ['pointerdown', 'keydown'];
  events.forEach((e) => window.addEventListener(e, resume, { capture: true, passive: true }));
  ctx.onstatechange = () => {
    if (ctx.state === 'running') events.forEach((e) => window.removeEventListener(e, resume, { capture: true }));
    listeners.forEach((fn) => fn());
  };
}

// soundBlocked says whether rings are silent for want of a user gesture
// (not for want of an audio device: nothing the user can click for).
export function soundBlocked() { return !!ctx && ctx.state !== 'running'; }

// onSoundChange calls fn whenever soundBlocked() may have changed.
export function onSoundChange(fn) { listeners.add(fn); }

// vibration is the pattern of one ring on a phone: two buzzes, like the tones.
const vibration = [400, 200, 400];

export class Ringer {
  constructor() { this.timer = null; this.vibrating = false; unlockAudio(); }

  ring() { this.play([880, 660], 2000, true); } // incoming: two tones every 2 s
  ringback() { this.play([440], 4000, false); } // outgoing: one long tone every 4 s

  play(freqs, period, vibrate) {
    this.stop();
    const beep = () => {
      if (vibrate) this.vibrating = navigator.vibrate?.(vibration) || this.vibrating;
      if (!ctx || ctx.state !== 'running') return; // silent until a gesture resumes it
      try {
        freqs.forEach((f, i) => tone(f, i * 0.35, 0.3));
      } catch (e) { /* no audio: the dialog is enough */ }
    };
    beep();
    this.timer = setInterval(beep, period);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.vibrating) navigator.vibrate(0);
    this.vibrating = false;
  }
}

function tone(freq, start, length) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = freq;
  gain.gain.value = 0.08;
  osc.connect(gain).connect(ctx.destination);
  const t = ctx.currentTime + start;
  osc.start(t);
  osc.stop(t + length);
}
