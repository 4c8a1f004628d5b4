// ringer.js: ring and ringback tones made with WebAudio, so no sound file
// has to be shipped, and the vibration of a ringing phone. Browsers keep
// audio silent until the user has interacted with the page: the page's one
// AudioContext is made when the page starts and unlocked by the first click
// or key press, and whoever shows a ring can ask soundBlocked() to tell the
// user that a click will make it heard. Between rings the context is
// suspended: a running one keeps the audio device (and a phone's battery)
// busy playing silence.
let ctx = null;
let unlocked = false; // the context has run: a gesture (or the browser's policy) allowed it
let playing = false;  // a ring or ringback wants sound now
const listeners = new Set();

// unlockAudio makes the page's AudioContext and resumes it on the first
// user gesture. Call it early, at page start, so that any click counts.
export function unlockAudio() {
  if (ctx || typeof AudioContext === 'undefined') return;
  try { ctx = new AudioContext(); } catch (e) { return; } // no audio device: rings stay silent
  const events = ['pointerdown', 'keydown'];
  const resume = () => { ctx.resume().catch(() => {}); };
  events.forEach((e) => window.addEventListener(e, resume, { capture: true, passive: true }));
  const changed = () => {
    if (ctx.state !== 'running') return;
    if (!unlocked) {
      unlocked = true;
      events.forEach((e) => window.removeEventListener(e, resume, { capture: true }));
      listeners.forEach((fn) => fn());
    }
    if (!playing) ctx.suspend().catch(() => {});
  };
  ctx.onstatechange = changed;
  changed();
}

// soundBlocked says whether rings are silent for want of a user gesture
// (not for want of an audio device: nothing the user can click for).
export function soundBlocked() { return !!ctx && !unlocked; }

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
    playing = true;
    ctx?.resume().catch(() => {}); // stays suspended until a gesture unlocks it
    const beep = () => {
      if (vibrate) this.vibrating = navigator.vibrate?.(vibration) || this.vibrating;
      // Tones wait on the context's clock while it resumes.
      if (!unlocked) return;
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
    if (playing && ctx?.state === 'running') ctx.suspend().catch(() => {});
    playing = false;
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
