// chat.js: the home page's group chat: the history sent on connect, new
// and deleted messages, sending, and the errors the hub answers a message
// with (shown beside the chat, not as a notice). A Vue mixin; the page
// provides `me`.
import { Code, Method } from './signal.js';

// keep is how many messages the chat log holds before the oldest go.
const keep = 500;

const chatErrors = {
  too_long: 'The message is too long (2000 characters at most).',
  empty: 'The message is empty.',
  rate_limited: 'You are sending messages too fast; wait a moment.',
};

// groupChat returns the mixin that keeps `messages` and sends over signal.
export function groupChat(signal) {
  return {
    data: () => ({ messages: [], draft: '', chatError: '' }),
    created() {
      signal.on(Code.ChatHistory, (d) => { this.messages = d || []; this.scrollChat(); });
      signal.on(Code.Chat, (m) => { this.messages.push(m); if (this.messages.length > keep) this.messages.shift(); this.scrollChat(); });
      signal.on(Code.ChatDeleted, (d) => { this.messages = this.messages.filter((m) => m.id !== d.id); });
      signal.on(Code.Error, (d, env) => { if (isChatError(d)) this.chatError = chatErrors[d.reason] || env.message; });
    },
    methods: {
      sendChat() {
        const text = this.draft.trim();
        if (!text) return;
        this.chatError = '';
        if (signal.send(Method.SendToAll, { message: text })) this.draft = '';
        else this.chatError = 'Not connected; the message was not sent.';
      },
      mine(m) { return m.fromId === this.me.id; },
      scrollChat() {
        this.$nextTick(() => { const el = this.$refs.chatlog; if (el) el.scrollTop = el.scrollHeight; });
      },
    },
  };
}

// isChatError tells the errors about a chat message, which this module
// shows, from the others, which the page shows as notices.
export function isChatError(d) {
  return d.method === Method.SendToAll;
}
