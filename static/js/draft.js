// draft.js: a message box whose words go through the hub: the home page's
// group chat (chat.js) and a room's messages (room.js). A Vue mixin; the
// page provides `conn` and shows `chatProblem`, the counter and the send
// button's state.
//
// A draft stays in the input until the server accepts it: the hub sends
// the message back to its sender or refuses it (10001), and only the
// first clears the draft (the page calls `echoed` with each message of its
// own), so a refused message is never lost. Near the limit a counter says
// how long the draft is; over it, sending is blocked and the words say why.
// The input has no maxlength: it would cut the text silently, and counts
// UTF-16 units where the server counts code points.
import { Code } from './signal.js';
import { reasonText, limitParams } from './api.js';
import { t } from './i18n.js';
import { Limits } from './limits.js';

// counterFrom is the share of the limit from which the counter shows.
const counterFrom = 0.9;
// pendingMs is how long a sent message waits for the hub's answer before
// the page lets the user send again (the draft is still there).
const pendingMs = 10_000;

// messageDraft returns the mixin of a box whose messages are sent as
// method with the envelope fields fields(text) gives; the hub's refusals
// of method are said beside the box.
export function messageDraft(signal, method, fields) {
  return {
    data: () => ({ draft: '', chatError: '', pending: '' }),
    computed: {
      draftLength() { return [...this.draft.trim()].length; },
      draftTooLong() { return this.draftLength > Limits.ChatMaxRunes; },
      showCounter() { return this.draftLength >= Limits.ChatMaxRunes * counterFrom; },
      counterText() { return t('chat.counter', { ...limitParams, n: this.draftLength.toLocaleString() }); },
      // chatProblem is what the box says: a draft over the limit, as long
      // as it is, else the last refusal.
      chatProblem() { return this.draftTooLong ? this.tooLongText() : this.chatError; },
    },
    watch: {
      conn(state) { if (state !== 'open') this.settle(); },
    },
    created() {
      signal.on(Code.Error, (d, env) => { if (d?.method === method) this.refused(d, env); });
    },
    methods: {
      sendDraft() {
        const text = this.draft.trim();
        if (!text || this.pending || this.draftTooLong) return;
        this.chatError = '';
        if (!signal.send(method, fields(text))) { this.chatError = t('chat.not_connected'); return; }
        this.pending = text;
        clearTimeout(this.pendingTimer);
        this.pendingTimer = setTimeout(() => this.settle(), pendingMs);
      },
      // echoed takes a message of ours the hub sent back, and says whether
      // it was the one being sent: its acceptance, which clears the draft
      // unless it was edited meanwhile.
      echoed(message) {
        if (!this.pending || message !== this.pending) return false;
        if (this.draft.trim() === this.pending) this.draft = '';
        this.settle();
        return true;
      },
      // refused keeps the draft and says why.
      refused(d, env) {
        this.settle();
        if (d.reason === 'rate_limited') this.chatError = t('chat.rate_limited');
        else this.chatError = reasonText(d.reason, env.message);
      },
      settle() { this.pending = ''; clearTimeout(this.pendingTimer); },
      tooLongText() { return t('chat.too_long', { ...limitParams, n: this.draftLength.toLocaleString() }); },
    },
  };
}
