package signal

import (
	"encoding/json"
	"log/slog"
	"strconv"

	"callapp/models"
)

// encode marshals a system envelope. Every outgoing envelope is marshaled
// once, however many users receive it.
func encode(code int, method string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeSystem, Code: code, Data: data})
}

// encodeMessage marshals a system envelope with a human-readable message.
func encodeMessage(code int, method, message string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeSystem, Message: message, Code: code, Data: data})
}

// encodeText marshals a chat envelope (type 1).
func encodeText(code int, method string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeText, Code: code, Data: data})
}

func marshal(env models.Outbound) []byte {
	b, err := json.Marshal(env)
	if err != nil {
		// Only our own view types get here; this is a programming error.
		slog.Error("signal: cannot marshal envelope", "code", env.Code, "err", err)
		return nil
	}
	return b
}

// encodeRelay builds a relayed offer, answer or candidate by hand, so
// that data goes out byte for byte as the sender wrote it (json.Marshal
// would compact and re-escape it) in one allocation. data is a complete
// JSON value: the request decoder has validated it.
func encodeRelay(code int, method string, fromID uint64, data json.RawMessage) []byte {
	b := make([]byte, 0, len(data)+len(method)+96)
	b = append(b, `{"method":`...)
	b = strconv.AppendQuote(b, method) // a method constant: plain ASCII
	b = append(b, `,"type":0,"message":"","code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"data":{"fromId":`...)
	b = strconv.AppendUint(b, fromID, 10)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, "}}"...)
}
