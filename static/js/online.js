// online.js: the home page's list of who is online, kept up to date from
// the hub's presence envelopes. A Vue mixin; the page provides `me`.
import { Code } from './signal.js';

// onlineList returns the mixin that keeps `users` from signal's envelopes.
export function onlineList(signal) {
  return {
    data: () => ({ users: [] }),
    computed: {
      others() { return this.users.filter((u) => u.id !== this.me.id).sort((a, b) => a.username.localeCompare(b.username)); },
    },
    created() {
      signal.on(Code.OnlineUsers, (d) => { this.users = d || []; });
      signal.on(Code.UserOnline, (u) => { this.users = this.users.filter((x) => x.id !== u.id).concat([u]); });
      signal.on(Code.UserStatus, (d) => { const u = this.users.find((x) => x.id === d.id); if (u) u.status = d.status; });
      signal.on(Code.UserOffline, (d) => { this.users = this.users.filter((x) => x.id !== d.fromId); });
      signal.on(Code.Presence, (d) => { this.users = applyPresence(this.users, d); });
    },
  };
}

// applyPresence applies one tick of presence changes in the order
// models/protocol.md gives: offline, then online, then status.
function applyPresence(users, d) {
  const gone = new Set(d.offline || []);
  const byId = new Map(users.filter((u) => !gone.has(u.id)).map((u) => [u.id, u]));
  for (const u of d.online || []) byId.set(u.id, u);
  for (const s of d.status || []) { const u = byId.get(s.id); if (u) u.status = s.status; }
  return [...byId.values()];
}
