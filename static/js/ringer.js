// ringer.js: ring and ringback tones made with WebAudio, so no sound file
// has to be shipped. Browsers may keep audio muted until the user has
// interacted with the page; the dialog shows the call either way.
export class Ringer {
  constructor() { this.timer = null; this.ctx = null; }

  ring() { this.play([880, 660], 2000); }      // incoming: two tones every 2 s
  ringback() { this.play([440], 4000); }       // outgoing: one long tone every 4 s

  play(freqs, period) {
    this.stop();
    const beep = () => {
      try {
        this.ctx ||= new AudioContext();
        freqs.forEach((f, i) => this.tone(f, i * 0.35, 0.3));
      } catch (e) { /* no audio: the dialog is enough */ }
    };
    beep();
    this.timer = setInterval(beep, period);
  }

  tone(freq, start, length) {
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(this.ctx.destination);
    const t = this.ctx.currentTime + start;
    osc.start(t);
    osc.stop(t + length);
  }

  stop() { clearInterval(this.timer); this.timer = null; }
}
