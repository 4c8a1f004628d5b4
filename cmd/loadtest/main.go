// Command loadtest drives a running callapp server over its real protocol,
// as real users, and measures it: relayed signaling between pairs in calls,
// group chat fan-out, idle connections, and users coming and going.
//
//	go run ./cmd/loadtest -workload pairs -rate 10000 -pid $(pgrep -n callapp)
//
// Every run is bounded in time and count, stops by itself, and only targets
// loopback unless -allow-remote. See -help and docs/performance.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	ossignal "os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the workload and prints the report. The
// report is printed even when the run fails part way, with the error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	rep := newReport(cfg)
	// 10,000 websockets need 10,000 descriptors: the usual soft limit is
	// 1024. Go raises it at start-up too, but say what we have.
	if cur, hard, err := raiseFileLimit(); err != nil {
		log.Warn("could not raise the open-file limit", "err", err)
	} else {
		rep.FileLimit = cur
		if need := uint64(cfg.accountsNeeded() + 256); cur < need {
			rep.note(fmt.Sprintf("open-file limit %d (hard %d) is below the %d this run needs: raise the hard limit (ulimit -Hn) as root", cur, hard, need))
		}
	}
	if cfg.CPUProfile != "" {
		stop, err := startProfile(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 2
		}
		defer stop()
	}
	r := newRunner(cfg, log, rep)
	err = r.run(ctx)
	r.closeAll()
	if err != nil {
		rep.Error = err.Error()
		log.Error("run failed", "err", err)
	}
	rep.Finished = time.Now()
	if werr := writeReport(rep, cfg, stdout); werr != nil {
		fmt.Fprintln(stderr, "loadtest:", werr)
		return 1
	}
	if err != nil {
		return 1
	}
	return 0
}

// writeReport prints the report, and saves its JSON with -json-file.
func writeReport(rep *Report, cfg *settings, stdout io.Writer) error {
	if cfg.JSONFile != "" {
		f, err := os.Create(cfg.JSONFile)
		if err != nil {
			return err
		}
		err = rep.write(f, true)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return rep.write(stdout, cfg.JSON)
}

// startProfile starts the tool's CPU profile; stop writes it out.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// raiseFileLimit sets the soft RLIMIT_NOFILE to the hard one and returns
// both.
func raiseFileLimit() (cur, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, 0, err
		}
	}
	return lim.Cur, lim.Max, nil
}
