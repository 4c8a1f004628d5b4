// chat.js: the home page's group chat: the history sent on connect, new
// and deleted messages, older pages through the API, sending, and the
// errors the hub answers a message with (shown beside the chat, not as a
// notice). A Vue mixin; the page provides `me` and `conn`.
//
// The draft, its counter and the hub's refusals are draft.js's: the hub
// sends a message back to its sender as 10005. A reader scrolled up to
// older messages is never moved: new ones are counted on a button that
// scrolls down.
import { Code, Method } from './signal.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { endpoints } from './urls.js';
import { messageDraft } from './draft.js';

// keep is how many messages the chat log holds, while the reader is at
// the bottom, before the oldest go.
const keep = 500;
// olderPage is how many older messages one "load older" fetches.
const olderPage = 50;
// atBottomPx is how close to the bottom counts as reading the newest.
const atBottomPx = 40;

// groupChat returns the mixin that keeps `messages` and sends over signal.
export function groupChat(signal) {
  return {
    mixins: [messageDraft(signal, Method.SendToAll, (message) => ({ message }))],
    data: () => ({ messages: [], unseen: 0, olderLoading: false, noOlder: false }),
    created() {
      signal.on(Code.ChatHistory, (d) => this.takeHistory(d || []));
      signal.on(Code.Chat, (m) => this.receive(m));
      signal.on(Code.ChatDeleted, (d) => { this.messages = this.messages.filter((m) => m.id !== d.id); });
    },
    methods: {
      t,
      // receive shows a new message. Ours being sent, coming back, is
      // the hub's acceptance, and brings the reader to it.
      receive(m) {
        if (this.messages.some((x) => x.id === m.id)) return;
        const atBottom = this.atBottom();
        this.messages.push(m);
        if (this.mine(m) && this.echoed(m.message)) {
          this.scrollChat(true);
          return;
        }
        if (atBottom) {
          if (this.messages.length > keep) this.messages.splice(0, this.messages.length - keep);
          this.scrollChat(true);
        } else {
          this.unseen++;
        }
      },
      // takeHistory takes the latest page, sent on every (re)connect. Older
      // pages loaded before a reconnect stay; a reader scrolled up stays
      // where they are and is told of what came meanwhile.
      takeHistory(latest) {
        if (!this.messages.length || !latest.length) {
          this.messages = latest;
          this.noOlder = false;
          this.scrollChat(true);
          return;
        }
        const atBottom = this.atBottom();
        const lastSeen = this.messages[this.messages.length - 1].id;
        const older = this.messages.filter((m) => m.id < latest[0].id);
        this.messages = [...older, ...latest];
        if (atBottom) this.scrollChat(true);
        else this.unseen += latest.filter((m) => m.id > lastSeen).length;
      },
      mine(m) { return m.fromId === this.me.id; },
      atBottom() {
        const el = this.$refs.chatlog;
        return !el || el.scrollHeight - el.scrollTop - el.clientHeight <= atBottomPx;
      },
      onChatScroll() { if (this.unseen && this.atBottom()) this.unseen = 0; },
      // scrollChat scrolls to the newest message; unless forced, only a
      // reader already there.
      scrollChat(force) {
        if (!force && !this.atBottom()) return;
        this.unseen = 0;
        this.$nextTick(() => { const el = this.$refs.chatlog; if (el) el.scrollTop = el.scrollHeight; });
      },
      showNewest() { this.scrollChat(true); },
      // loadOlder prepends the page before the oldest message shown,
      // keeping what the reader sees where it is.
      async loadOlder() {
        if (this.olderLoading || !this.messages.length) return;
        this.olderLoading = true;
        this.chatError = '';
        try {
          const older = await api('GET', endpoints.messages(olderPage, this.messages[0].id));
          const known = new Set(this.messages.map((m) => m.id));
          const el = this.$refs.chatlog;
          const fromBottom = el ? el.scrollHeight - el.scrollTop : 0;
          this.messages = [...older.filter((m) => !known.has(m.id)), ...this.messages];
          this.noOlder = older.length < olderPage;
          await this.$nextTick();
          if (el) el.scrollTop = el.scrollHeight - fromBottom;
        } catch (e) {
          this.chatError = e.message;
        } finally {
          this.olderLoading = false;
        }
      },
    },
  };
}

// isChatError tells the errors about a chat message, which this module
// shows, from the others, which the page shows as notices.
export function isChatError(d) {
  return d.method === Method.SendToAll;
}
