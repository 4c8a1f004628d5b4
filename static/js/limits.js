// limits.js: the server's limits that pages check before sending and state
// in their words. The server stays the authority; a test
// (controllers/words_test.go) holds these to the constants of models.
export const Limits = Object.freeze({
  UsernameMinLen: 3, // characters
  UsernameMaxLen: 32, // characters
  PasswordMinLen: 8, // characters
  PasswordMaxLen: 72, // bytes of UTF-8: all that bcrypt reads
  ChatMaxRunes: 2000, // code points, after trimming
});
