// devicepanel.js: the device pickers (camera, microphone, speaker) and the
// pre-call check of the home page: a mirrored preview, a microphone level
// meter and a speaker test tone. A Vue mixin; the pickers' markup is the
// "device-pickers" partial (www/devices.html). A choice is remembered for
// the next call (devices.js); during a call it also switches the device at
// once, through the page's switchDevice (callcontroller.js).
import { markRaw } from '../vendor/vue/vue.esm-browser.prod.js';
import { t } from './i18n.js';
import { listDevices, onDeviceChange, remembered, remember, openMedia, openTrack, problemWords, canPickSpeaker } from './devices.js';
import { LevelMeter } from './level.js';

// toneMs is how long the speaker test plays.
const toneMs = 700;

export function devicePanel() {
  let stopWatch = () => {};
  let meter = null;     // the check's LevelMeter
  let checkStream = null;
  // runs counts reopenCheck's runs, the whole check's and each device's:
  // a run overtaken by a later one (Done, then Check again, while the
  // browser asks) stops what it opened instead of taking the check's place.
  const runs = { all: 0, videoinput: 0, audioinput: 0 };

  return {
    data: () => ({
      devices: { videoinput: [], audioinput: [], audiooutput: [] },
      choice: remembered(),
      canPickSpeaker,
      checking: false,     // the pre-call check is open
      checkProblem: '',
      checkLevel: 0,
      toneOn: false,
    }),
    watch: {
      call(c) { if (c) this.closeCheck(); }, // the call has the devices now
    },
    mounted() {
      this.refreshDevices();
      stopWatch = onDeviceChange(() => this.refreshDevices());
    },
    unmounted() { stopWatch(); this.closeCheck(); },
    methods: {
      async refreshDevices() { this.devices = await listDevices(); },
      // pickDevice remembers a choice and puts it to use.
      async pickDevice(kind, id) {
        remember(kind, id);
        this.choice = remembered();
        if (this.call) { await this.switchDevice?.(kind, id); return; }
        if (this.checking && kind !== 'audiooutput') await this.reopenCheck(kind, id);
      },
      async toggleCheck() {
        if (this.checking) { this.closeCheck(); return; }
        this.checking = true;
        await this.reopenCheck();
      },
      // reopenCheck opens the camera and microphone for the check (or the
      // one device of kind just picked), and lists the devices again: their
      // names show once access is allowed.
      async reopenCheck(kind = '', id = '') {
        // A device picked while the whole check still opens opens it all
        // again with the choice, or the check would show that one alone.
        if (kind && !checkStream) kind = '';
        const all = kind ? runs.all : ++runs.all;
        const mine = kind ? ++runs[kind] : 0;
        const current = () => runs.all === all && (!kind || runs[kind] === mine);
        this.checkProblem = '';
        try {
          if (kind) {
            const track = await openTrack(kind, id);
            if (!current()) { track.stop(); return; }
            const old = checkStream?.getTracks().find((x) => x.kind === track.kind);
            if (old) { checkStream.removeTrack(old); old.stop(); }
            checkStream ||= new MediaStream();
            checkStream.addTrack(track);
          } else {
            this.dropCheck();
            const m = await openMedia();
            if (!current()) { m.stream.getTracks().forEach((x) => x.stop()); return; }
            checkStream = m.stream;
            this.checkProblem = problemWords(m.problems);
          }
        } catch (e) {
          if (!current()) return;
          this.checkProblem = problemWords({ [kind === 'videoinput' ? 'camera' : 'microphone']: e.problem });
        }
        if (!this.checking) { this.dropCheck(); return; } // closed meanwhile
        this.showCheck();
        this.refreshDevices();
      },
      showCheck() {
        const v = this.$refs.checkVideo;
        if (v) v.srcObject = checkStream && markRaw(new MediaStream(checkStream.getVideoTracks()));
        meter?.stop();
        meter = null;
        const mic = checkStream?.getAudioTracks()[0];
        if (mic) meter = new LevelMeter(mic, (level) => { this.checkLevel = level; });
      },
      closeCheck() {
        this.checking = false;
        this.dropCheck();
      },
      dropCheck() {
        meter?.stop();
        meter = null;
        checkStream?.getTracks().forEach((x) => x.stop());
        checkStream = null;
        this.checkLevel = 0;
      },
      // testSpeaker plays a short tone through the chosen speaker.
      async testSpeaker() {
        if (this.toneOn) return;
        this.toneOn = true;
        const ac = new AudioContext();
        try {
          const osc = ac.createOscillator();
          const gain = ac.createGain();
          const dest = ac.createMediaStreamDestination();
          osc.frequency.value = 523;
          gain.gain.value = 0.15;
          osc.connect(gain).connect(dest);
          const audio = new Audio();
          audio.srcObject = dest.stream;
          if (canPickSpeaker && this.choice.audiooutput) await audio.setSinkId(this.choice.audiooutput).catch(() => {});
          osc.start();
          await audio.play();
          await new Promise((r) => { setTimeout(r, toneMs); });
          osc.stop();
          audio.srcObject = null;
        } catch (e) {
          this.checkProblem = t('device.speakerFailed');
        } finally {
          ac.close();
          this.toneOn = false;
        }
      },
    },
  };
}
