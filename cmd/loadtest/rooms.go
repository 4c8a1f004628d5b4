package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"callapp/models"
)

// roomsReport is the rooms workload's result.
type roomsReport struct {
	Rooms        int           `json:"rooms"`
	PayloadBytes int           `json:"payload_bytes"`
	JoinSetup    time.Duration `json:"join_setup_ns"`
	Steps        []stepReport  `json:"steps"`
}

// rooms puts -rooms pairs in rooms of two, and runs the pairs' paced
// signaling between the members of each room.
func (r *runner) rooms(ctx context.Context) error {
	rr := &roomsReport{Rooms: r.cfg.Rooms, PayloadBytes: r.cfg.PayloadBytes}
	r.rep.Rooms = rr
	routes, setup, err := r.startPairs(ctx, r.accts, joinRoom)
	rr.JoinSetup = setup
	if err != nil {
		return err
	}
	step, err := r.step(ctx, routes, r.cfg.Rate)
	rr.Steps = append(rr.Steps, step)
	return err
}

// joinRoom puts a, then b, in a room named after a: 10020 to each, and
// 10021 to a when b arrives.
func joinRoom(ctx context.Context, a, b *client) error {
	name := "lt-" + strconv.FormatUint(a.acct.ID, 10)
	if err := roomJoin(ctx, a, name); err != nil {
		return err
	}
	other := a.expect(models.CodeRoomOther)
	if err := roomJoin(ctx, b, name); err != nil {
		return err
	}
	_, err := a.await(ctx, other)
	return err
}

// roomJoin sends Room/Join and waits for 10020.
func roomJoin(ctx context.Context, c *client, name string) error {
	joined := c.expect(models.CodeRoomJoined, models.CodeRoomFull, models.CodeError)
	data, _ := json.Marshal(models.RoomRef{Room: name})
	if err := c.sendJSON(models.Inbound{Method: models.MethodRoomJoin, Type: models.TypeText, Data: data}); err != nil {
		return err
	}
	rep, err := c.await(ctx, joined)
	if err == nil && rep.code != models.CodeRoomJoined {
		err = fmt.Errorf("join room %s as %s: %s", name, c.acct.Name, rep.msg)
	}
	return err
}
