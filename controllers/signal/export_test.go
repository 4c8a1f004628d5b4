package signal

// FlushPresence sends the pending presence tick now, so that a test can
// start from a state everyone knows.
func FlushPresence(h *Hub) { h.do(h.flushPresence) }

// TestOptions are the options every hub of the tests starts from: the
// default settings.
var TestOptions = testOptions

// NewTestHub is the tests' one hub builder.
var NewTestHub = newTestHub
