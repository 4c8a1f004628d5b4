// roomname.js: room names as the server accepts them (models.RoomKey), and
// readable random ones for "New room".

// roomNamePattern is the server's rule: 1-64 ASCII letters, digits, _ and -.
const roomNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

const adjectives = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosy', 'eager', 'fancy', 'gentle',
  'golden', 'happy', 'jolly', 'kind', 'lively', 'lucky', 'merry', 'mighty', 'nimble', 'proud',
  'quick', 'quiet', 'rapid', 'silver', 'sunny', 'swift', 'tidy', 'witty', 'young', 'zesty',
];
const animals = [
  'badger', 'bear', 'beaver', 'crane', 'dolphin', 'eagle', 'falcon', 'ferret', 'fox', 'gecko',
  'heron', 'ibis', 'koala', 'lark', 'lemur', 'lynx', 'marten', 'moose', 'newt', 'otter',
  'owl', 'panda', 'puffin', 'quail', 'raven', 'seal', 'stoat', 'tiger', 'walrus', 'wren',
];

// isRoomName reports whether the server would accept name.
export function isRoomName(name) {
  return roomNamePattern.test(name);
}

// randomRoomName returns a name like brave-otter-42. It is easy to read
// out, not a secret: whoever knows it may join.
export function randomRoomName() {
  const r = crypto.getRandomValues(new Uint32Array(3));
  return `${adjectives[r[0] % adjectives.length]}-${animals[r[1] % animals.length]}-${10 + (r[2] % 90)}`;
}
