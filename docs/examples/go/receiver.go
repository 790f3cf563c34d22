// A minimal receiver of hookd's webhooks, with Go's standard library only.
//
// It verifies the Standard Webhooks signature (HMAC-SHA256 over "webhook-id.webhook-timestamp.body", keyed by the
// base64 part of the whsec_ secret), refuses a timestamp more than 5 minutes from now (a replayed request), compares
// in constant time, accepts any of the signatures in the header (during a secret rotation there are two), and
// handles each webhook-id once (hookd delivers at least once, so a retry may repeat a delivery that did arrive).
//
//	go run receiver.go PORT SECRET
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const tolerance = 5 * time.Minute

// The first work fails when FAIL_FIRST=1: watch the retry handle it.
var failNext atomic.Bool

// verify reports whether the request carries a valid, recent Standard Webhooks signature.
func verify(key []byte, h http.Header, body []byte) bool {
	msgID, timestamp, signatures := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if msgID == "" || timestamp == "" || signatures == "" {
		return false
	}
	sentAt, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if age := time.Since(time.Unix(sentAt, 0)); age > tolerance || age < -tolerance {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + timestamp + "."))
	mac.Write(body)
	expected := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	for _, entry := range strings.Split(signatures, " ") {
		version, signature, found := strings.Cut(entry, ",")
		if found && version == "v1" && hmac.Equal([]byte(signature), expected) {
			return true
		}
	}
	return false
}

// handle is the application's work (answer fast: queue anything slow); an error has hookd deliver it again later.
func handle(msgID, eventType string, body []byte) error {
	if failNext.CompareAndSwap(true, false) {
		return errors.New("the work failed (FAIL_FIRST)")
	}
	fmt.Printf("accepted %s %s\n", msgID, eventType)
	return nil
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: receiver PORT SECRET")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(os.Args[2], "whsec_"))
	if err != nil {
		log.Fatal("the secret is not whsec_ followed by base64")
	}
	failNext.Store(os.Getenv("FAIL_FIRST") == "1")
	seen := map[string]bool{} // webhook-ids whose work is done; a real application keeps them in its database
	var mu sync.Mutex

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || !verify(key, r.Header, body) {
			fmt.Println("rejected: the signature does not verify")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		msgID := r.Header.Get("webhook-id")
		// The id is recorded only once its work is done (or durably queued): a delivery whose work failed is
		// answered 500 and comes again. One delivery at a time here; a real application records the id in the same
		// database transaction as its work, under a unique key.
		mu.Lock()
		defer mu.Unlock()
		if seen[msgID] {
			fmt.Printf("duplicate %s: already handled\n", msgID)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := handle(msgID, r.Header.Get("x-webhook-event"), body); err != nil {
			fmt.Printf("failed %s: %v\n", msgID, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		seen[msgID] = true
		w.WriteHeader(http.StatusNoContent)
	})
	fmt.Printf("listening on 127.0.0.1:%s\n", os.Args[1])
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], nil))
}
