// incoming.js: what a page does for an incoming call besides the tones
// (ringer.js): the sheet with Accept and Reject (www/incoming.html), focus
// on Accept unless the user is typing, the screen reader's announcement,
// the flashing title, and a system notification while the page is hidden. A Vue mixin over the call
// controller's (callcontroller.js) `call`, `accept` and `reject`.
//
// The notification is a page Notification, not a service worker's: only a
// service worker's may carry action buttons, so clicking the notification
// itself accepts, and its body says so. Browsers that allow notifications
// only from a service worker (Chrome on Android) get none; the phone rings
// and vibrates instead.
import { t } from './i18n.js';
import { soundBlocked, onSoundChange } from './ringer.js';

// flashMs is how long the title shows each of its two texts while ringing.
const flashMs = 1000;

// notificationTag makes a new ring's notification replace an old one.
const notificationTag = 'callapp-ring';

// alertsPermission is the page's notification permission, or
// 'unsupported'.
function alertsPermission() {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

// incomingSheet returns the mixin. The page includes the "incoming"
// template (www/incoming.html) over it.
export function incomingSheet() {
  // One ring's state, outside Vue: nothing of it is shown.
  let flash = null;        // the title's timer
  let pageTitle = '';      // the title to restore
  let notification = null; // the system notification shown for the ring
  let focusBefore = null;  // where focus was when the sheet took it

  return {
    data: () => ({ soundBlocked: soundBlocked(), ringAnnouncement: '', alertsPermission: alertsPermission(), alertsAsked: false }),
    computed: {
      // ringing is the call ringing here, or null.
      ringing() { return this.call?.phase === 'incoming' ? this.call : null; },
      // staged says whether the page's stage shows the call: past ringing
      // here (an incoming call is the sheet's).
      staged() { return !!this.call && this.call.phase !== 'incoming'; },
    },
    watch: {
      ringing(call, old) {
        if (old) this.ringStopped(old);
        if (call) this.ringStarted(call);
      },
    },
    created() {
      onSoundChange(() => { this.soundBlocked = soundBlocked(); });
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') closeNotification();
        else if (this.ringing) this.notifyRing(this.ringing);
      });
    },
    methods: {
      // askForAlerts asks for the notification permission, on the user's
      // click of a button that says what it is for.
      async askForAlerts() {
        this.alertsAsked = true;
        try { this.alertsPermission = await Notification.requestPermission(); } catch (e) { this.alertsPermission = alertsPermission(); }
      },
      ringStarted(call) {
        const name = call.peer.username;
        this.ringAnnouncement = t('ring.announce', { name });
        focusBefore = document.activeElement;
        // Focus taken from a field being typed in would let the next
        // Space or Enter answer the call; the announcement says it rings.
        if (!editable(focusBefore)) this.$nextTick(() => document.getElementById('accept')?.focus());
        pageTitle = document.title;
        let on = false;
        const toggle = () => { on = !on; document.title = on ? t('ring.title', { name }) : pageTitle; };
        toggle();
        flash = setInterval(toggle, flashMs);
        if (document.visibilityState !== 'visible') this.notifyRing(call);
      },
      ringStopped(call) {
        clearInterval(flash);
        flash = null;
        document.title = pageTitle;
        closeNotification();
        this.ringAnnouncement = '';
        // Focus goes to the call's controls once accepted, else back to
        // where it was; only if the sheet still had it (it is gone now).
        const before = focusBefore;
        focusBefore = null;
        this.$nextTick(() => {
          if (document.activeElement && document.activeElement !== document.body) return;
          const target = call.phase === 'incoming' ? before : document.getElementById('hangup');
          target?.focus?.({ preventScroll: true });
        });
      },
      // notifyRing shows the system notification of call, when allowed;
      // clicking it brings the page up and accepts.
      notifyRing(call) {
        if (notification || alertsPermission() !== 'granted') return;
        try {
          notification = new Notification(t('ring.notify.title', { name: call.peer.username }), {
            body: t('ring.notify.body'), tag: notificationTag, requireInteraction: true,
          });
        } catch (e) { return; } // notifications only from a service worker here
        notification.onclick = () => {
          window.focus();
          closeNotification();
          if (this.call === call && call.phase === 'incoming') this.accept();
        };
      },
    },
  };

  function closeNotification() {
    notification?.close();
    notification = null;
  }
}

// editable says whether el takes typing: a form field or editable content.
function editable(el) {
  return !!el && (el.isContentEditable || el.matches?.('input, textarea, select'));
}
