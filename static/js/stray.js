// stray.js: giving back what the hub kept for this user that the page now
// connected cannot carry on. The hub keeps a call, a room seat or a
// broadcast for the resume grace when a connection drops, and hands it to
// the user's next connection, whichever page that is (models/protocol.md,
// Resume): a page the user went to meanwhile gives back at once what is not
// its own, so that the user is not held busy until the grace passes.
import { Code, Method } from './signal.js';

// releaseStray gives up, on each welcome, a kept call or broadcast unless
// the page carries it on itself (call, live), and any room seat handed back
// but that of room (the page's own room, or none).
export function releaseStray(signal, { call = false, live = false, room = '' } = {}) {
  signal.on(Code.Welcome, (d) => {
    if (d.call && !call) signal.send(Method.Hangup, { toId: d.call.peerId, data: { callId: d.call.callId } });
    if (d.live && !live) signal.send(Method.LiveStop);
  });
  signal.on(Code.RoomJoined, (d) => {
    if (d.room !== room) signal.send(Method.RoomLeave, { data: { room: d.room } });
  });
}
