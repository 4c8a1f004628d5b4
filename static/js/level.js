// level.js: how loud a microphone (or a remote party) is, for the level
// meter of the pre-call check and the speaking rings of a call. One
// AudioContext serves the page; each meter is an AnalyserNode on one audio
// track, read every everyMs (not every frame: a ring needs no more) until
// stop() takes it off.
let ctx = null;

// speakingLevel is the level above which someone counts as speaking; the
// ring stays holdMs after, so it does not flicker between words.
export const speakingLevel = 0.02;
const holdMs = 400;

export class LevelMeter {
  // onLevel gets the level (0 to 1, the RMS of the samples) and whether
  // that is speaking.
  constructor(track, onLevel, everyMs = 100) {
    this.timer = null;
    this.source = null;
    try {
      ctx ||= new AudioContext();
      if (ctx.state === 'suspended') ctx.resume().catch(() => {});
      this.source = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      // The window read covers most of the time between two reads, so a
      // short sound (a word's first syllable, a beep) is not missed
      // between them.
      analyser.fftSize = 4096;
      this.source.connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      let loudAt = 0;
      this.timer = setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const level = Math.min(1, Math.sqrt(sum / buf.length));
        const now = performance.now();
        if (level > speakingLevel) loudAt = now;
        onLevel(level, now - loudAt < holdMs);
      }, everyMs);
    } catch (e) {
      console.warn('level meter', e); // no WebAudio: no ring, nothing else lost
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.source?.disconnect();
    this.source = null;
  }
}
