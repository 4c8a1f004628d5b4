package ice

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs sends pion's log lines to the app's logger, so that they share
// its level and format instead of going to stderr on their own.
type pionLogs struct{ log *slog.Logger }

// NewLogger returns the logger of one pion scope.
func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

// pionLogger shifts pion's levels down one: pion logs a Debug line per
// relayed packet and an Info line per refused permission or stray packet,
// which a client can trigger at will. Pion's Debug and Trace fall below
// the lowest level the app logs.
type pionLogger struct{ log *slog.Logger }

const levelPionDebug = slog.LevelDebug - 4

func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Trace(msg string)          { l.logf(levelPionDebug, "%s", msg) }
func (l pionLogger) Tracef(f string, a ...any) { l.logf(levelPionDebug, f, a...) }
func (l pionLogger) Debug(msg string)          { l.logf(levelPionDebug, "%s", msg) }
func (l pionLogger) Debugf(f string, a ...any) { l.logf(levelPionDebug, f, a...) }
func (l pionLogger) Info(msg string)           { l.logf(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Infof(f string, a ...any)  { l.logf(slog.LevelDebug, f, a...) }
func (l pionLogger) Warn(msg string)           { l.logf(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Warnf(f string, a ...any)  { l.logf(slog.LevelWarn, f, a...) }
func (l pionLogger) Error(msg string)          { l.logf(slog.LevelError, "%s", msg) }
func (l pionLogger) Errorf(f string, a ...any) { l.logf(slog.LevelError, f, a...) }
