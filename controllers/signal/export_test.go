package signal

// FlushPresence sends the pending presence tick now, so that a test can
// start from a state everyone knows.
func FlushPresence(h *Hub) { h.do(h.flushPresence) }
