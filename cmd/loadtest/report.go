package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything a run found; -json prints it as is.
type Report struct {
	Workload  string         `json:"workload"`
	Target    string         `json:"target"`
	Placement string         `json:"placement,omitempty"` // with several nodes
	Started   time.Time      `json:"started"`
	Finished  time.Time      `json:"finished"`
	FileLimit uint64         `json:"open_file_limit"`
	Accounts  *accountReport `json:"accounts,omitempty"`
	Open      *openReport    `json:"websockets,omitempty"`
	Pairs     *pairsReport   `json:"pairs,omitempty"`
	Fanout    *fanoutReport  `json:"fanout,omitempty"`
	Idle      *idleReport    `json:"idle,omitempty"`
	Churn     *churnReport   `json:"churn,omitempty"`
	Rooms     *roomsReport   `json:"rooms,omitempty"`
	Live      *liveReport    `json:"live,omitempty"`
	Notes     []string       `json:"notes,omitempty"`
	Error     string         `json:"error,omitempty"`
}

func newReport(c *settings) *Report {
	rep := &Report{Workload: c.Workload, Target: c.URL, Started: time.Now()}
	if len(c.URLs) > 1 {
		rep.Placement = c.Placement
	}
	switch c.Workload {
	case workloadPairs, workloadChurn, workloadRooms:
		rep.note("the server must allow each connection's share of -rate: start it with CALLAPP_WS_MESSAGE_RATE and CALLAPP_WS_MESSAGE_BURST well above -rate/(2*-pairs or -rooms) (defaults 20/s, burst 60), or messages come back as 10001 rate_limited")
	case workloadLive:
		rep.note("the broadcaster sends an offer per join: start the server with CALLAPP_WS_MESSAGE_RATE above -churn-rate, and CALLAPP_LIVE_MAX_VIEWERS above -churn-rate x -churn-hold (default 10), or viewers come back as 10001 rate_limited or 10034 full")
	case workloadFanout:
		rep.note("each user sends one chat message every -users x -interval; under the server's CALLAPP_CHAT_RATE/CHAT_BURST (default 1/s, burst 5) for the defaults, raise them for a short -interval with few users")
	}
	if len(c.PIDs) == 0 {
		rep.note("no -pid: server CPU and memory not measured")
	}
	return rep
}

func (r *Report) note(s string) { r.Notes = append(r.Notes, s) }

// write prints the report as a table, or as JSON.
func (r *Report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	p := &printer{w: w}
	p.f("callapp load test: %s against %s, %s\n", r.Workload, r.Target, r.Started.Format(time.RFC3339))
	if r.Placement != "" {
		p.f("placement    %s\n", r.Placement)
	}
	p.f("open-file limit %d\n", r.FileLimit)
	if a := r.Accounts; a != nil {
		p.f("accounts     %d via %s in %v (%.0f/s)\n", a.Count, a.Via, a.Elapsed.Round(time.Millisecond), a.PerSecond)
	}
	if o := r.Open; o != nil {
		p.f("websockets   %d opened, %d failed in %v: %.0f/s; connect (dial to 10002) p50 %s p99 %s max %s\n",
			o.Opened, o.Failed, o.Elapsed.Round(time.Millisecond), o.PerSecond, ms(o.Connect.P50), ms(o.Connect.P99), ms(o.Connect.Max))
		if len(o.PerNode) > 0 {
			p.f("             per node %s\n", joinInts(o.PerNode))
		}
		if o.FirstErr != "" {
			p.f("             first failure: %s\n", o.FirstErr)
		}
	}
	p.pairs(r.Pairs)
	p.churn(r.Churn)
	p.rooms(r.Rooms)
	p.live(r.Live)
	p.fanout(r.Fanout)
	p.idle(r.Idle)
	for _, n := range r.Notes {
		p.f("note: %s\n", n)
	}
	if r.Error != "" {
		p.f("ERROR: %s\n", r.Error)
	}
	return p.err
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) pairs(pr *pairsReport) {
	if pr == nil {
		return
	}
	p.f("calls        %d pairs up in %v; %d-byte offer/answer/candidate envelopes\n\n", pr.Pairs, pr.CallSetup.Round(time.Millisecond), pr.PayloadBytes)
	p.steps(pr.Steps)
	if fm := pr.FindMax; fm != nil {
		best := make([]string, len(fm.Best))
		for i, b := range fm.Best {
			best[i] = fmt.Sprintf("%.0f (stopped: %s)", b, fm.Stopped[i])
		}
		p.f("find-max     best rate with p99 <= %v and no loss, per run: %s\n", fm.P99Limit, strings.Join(best, "; "))
		p.f("find-max     median of %d: %.0f msgs/s\n", len(fm.Best), fm.Median)
	}
	if f := pr.LoginFlood; f != nil {
		p.f("login flood  %d in flight: %d ok (%.1f/s), %d throttled, %d failed; login p50 %s p99 %s\n",
			f.InFlight, f.OK, f.PerSecond, f.Throttled, f.Failed, ms(f.Latency.P50), ms(f.Latency.P99))
	}
	for i, s := range pr.Steps {
		p.errors(fmt.Sprintf("step %d", i+1), s.Events)
	}
}

// steps prints a table of paced steps.
func (p *printer) steps(steps []stepReport) {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\toffered/s\tsent\treceived\tlost\tdelivered/s\tp50\tp95\tp99\tmax\tsend lag p99\tserver CPU/msg\tserver CPU\ttool CPU\tother CPU\tsteal\tverdict\t")
	for _, s := range steps {
		verdict := ""
		if s.Verdict != nil {
			verdict = "ok"
			if !s.Verdict.OK {
				verdict = s.Verdict.Reason
			}
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%.0f%%\t%.1f%%\t%s\t\n",
			s.Run, s.Offered, s.Sent, s.Received, s.Lost, s.Delivered, ms(s.Latency.P50), ms(s.Latency.P95),
			ms(s.Latency.P99), ms(s.Latency.Max), ms(s.SendLag.P99), us(s.Server.CPUPerUnitUS), pct(s.Server.CPUPercent),
			s.Server.ToolCPU, s.Server.OtherCPU, s.Server.StealPercent, verdict)
	}
	p.err = tw.Flush()
	p.f("\n")
	for _, s := range steps {
		what := fmt.Sprintf("at %.0f/s", s.Offered)
		if s.Run > 0 {
			what = fmt.Sprintf("run %d %s", s.Run, what)
		}
		p.nodes(what, "msg", s.Server)
	}
}

// nodes prints the CPU of each node and of Redis, when measured apart.
func (p *printer) nodes(what, unit string, u serverUsage) {
	if len(u.Nodes) == 0 && u.Redis == nil {
		return
	}
	var parts []string
	for i, n := range u.Nodes {
		parts = append(parts, fmt.Sprintf("node %d (pid %d) %s/%s, %s of a core", i+1, n.PID, us(n.CPUPerUnitUS), unit, pct(n.CPUPercent)))
	}
	if r := u.Redis; r != nil {
		parts = append(parts, fmt.Sprintf("Redis (pid %d) %s/%s, %s of a core", r.PID, us(r.CPUPerUnitUS), unit, pct(r.CPUPercent)))
	}
	p.f("CPU split    %s: %s\n", what, strings.Join(parts, "; "))
}

func (p *printer) rooms(rr *roomsReport) {
	if rr == nil {
		return
	}
	p.f("rooms        %d rooms of two joined in %v; %d-byte offer/answer/candidate envelopes\n\n", rr.Rooms, rr.JoinSetup.Round(time.Millisecond), rr.PayloadBytes)
	p.steps(rr.Steps)
	for i, s := range rr.Steps {
		p.errors(fmt.Sprintf("step %d", i+1), s.Events)
	}
}

func (p *printer) live(lr *liveReport) {
	if lr == nil {
		return
	}
	p.f("live         1 broadcast, %d viewers, %.0f joins/s offered, each watching %v: %d joins (%.1f/s), %d skipped (no free viewer)\n",
		lr.Viewers, lr.Rate, lr.Hold, lr.Joins, lr.PerSecond, lr.Skipped)
	p.f("             offers received %d, lost %d; answers received %d; full (10034) %d; send errors %d\n",
		lr.Offers, lr.Lost, lr.Answers, lr.Full, lr.SendErrors)
	p.f("             Live/Watch to the broadcaster's offer: p50 %s p95 %s p99 %s max %s\n",
		ms(lr.WatchToOffer.P50), ms(lr.WatchToOffer.P95), ms(lr.WatchToOffer.P99), ms(lr.WatchToOffer.Max))
	p.f("             viewer-count updates (10030): %d, %.2f per viewer per second, shortest gap at one viewer %s\n",
		lr.Updates, lr.UpdatesPerViewer, ms(lr.UpdateMinGap))
	p.f("             server CPU %s per join, %s of a core\n", us(lr.Server.CPUPerUnitUS), pct(lr.Server.CPUPercent))
	p.nodes("live", "join", lr.Server)
	p.machine(lr.Server)
	p.errors("live", lr.Events)
}

func (p *printer) churn(cr *churnReport) {
	if cr == nil {
		return
	}
	p.f("churn        %d users, %.0f connects/s offered, held %v: %d connects (%.1f/s), %d failed, %d skipped (no free user); connect p50 %s p99 %s\n",
		cr.ChurnUsers, cr.Rate, cr.Hold, cr.Connects, cr.PerSecond, cr.Failed, cr.Skipped, ms(cr.Connect.P50), ms(cr.Connect.P99))
	if cr.FirstErr != "" {
		p.f("             first failure: %s\n", cr.FirstErr)
	}
	p.f("presence     %d envelopes to the pairs: %.0f/s, %.1f/s per user\n", cr.Presence, cr.PresencePerSecond, cr.PresencePerUser)
	p.errors("churners", cr.ChurnEvents)
}

func (p *printer) fanout(fr *fanoutReport) {
	if fr == nil {
		return
	}
	p.f("fanout       %d users, a message every %v: %d messages, %d of %d deliveries (%d lost, %d send errors)\n",
		fr.Users, fr.Interval, fr.Messages, fr.Delivered, fr.Expected, fr.Lost, fr.SendErrors)
	p.f("             %.0f deliveries/s; latency p50 %s p95 %s p99 %s max %s\n",
		fr.PerSecond, ms(fr.Latency.P50), ms(fr.Latency.P95), ms(fr.Latency.P99), ms(fr.Latency.Max))
	p.f("             server CPU %s per delivery, %s of a core\n", us(fr.Server.CPUPerUnitUS), pct(fr.Server.CPUPercent))
	p.nodes("fanout", "delivery", fr.Server)
	p.machine(fr.Server)
	p.errors("fanout", fr.Events)
}

func (p *printer) idle(ir *idleReport) {
	if ir == nil {
		return
	}
	p.f("idle         %d connections; server quiet %v after the last; held %v, %d dropped meanwhile\n",
		ir.Conns, ir.Settled.Round(time.Millisecond), ir.Held.Round(time.Millisecond), ir.DroppedHolding)
	if ir.RSSAfter > 0 {
		p.f("memory       server RSS %s -> %s: %.1f KiB per connection; at the end of the hold %s: %.1f KiB\n",
			mib(ir.RSSBefore), mib(ir.RSSAfter), ir.BytesPerConn/1024, mib(ir.RSSEnd), ir.BytesPerConnEnd/1024)
	}
	if ir.HeapPerConn != 0 || ir.GoroutinesPerConn != 0 {
		p.f("metrics      heap in use %.1f KiB, stacks %.1f KiB, %.2f goroutines per connection\n",
			ir.HeapPerConn/1024, ir.StackPerConn/1024, ir.GoroutinesPerConn)
	}
	if ir.Server.CPUSeconds > 0 {
		p.f("server CPU   %s per connection opened (with presence to those online)\n", us(ir.Server.CPUPerUnitUS))
	}
	p.nodes("idle", "connection", ir.Server)
	p.machine(ir.Server)
	p.errors("idle", ir.Events)
}

// machine says how busy the rest of the machine was.
func (p *printer) machine(u serverUsage) {
	p.f("machine      load tool %.0f%% of a core; other processes %.0f%% of a core, steal %.1f%% (both near 0 on a quiet machine)\n",
		u.ToolCPU, u.OtherCPU, u.StealPercent)
}

// errors lists errors and unexpected events, if there were any.
func (p *printer) errors(what string, ev eventCounts) {
	if len(ev.Errors) == 0 && ev.Strays == 0 {
		return
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(ev.Errors)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, ev.Errors[k]))
	}
	if ev.Strays > 0 {
		parts = append(parts, fmt.Sprintf("timed messages of an unknown phase: %d", ev.Strays))
	}
	p.f("errors (%s): %s\n", what, strings.Join(parts, ", "))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func us(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fus", v)
}

func pct(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", v)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
