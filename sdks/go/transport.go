// One HTTP call to hookd with what every call needs: the bearer credential, JSON in and out, an error answer as an
// *Error, and retries of what can safely be tried again: a 429 or 503 (the server did nothing) after the
// Retry-After it asked for, and a call that got no answer when it is a read or carries an idempotency key.
package hookd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type call struct {
	method          string
	path            string
	query           url.Values
	body            any
	headers         map[string]string
	retryUnanswered bool
}

func (c *Client) do(ctx context.Context, req call, out any) error {
	retryUnanswered := req.retryUnanswered || req.method == http.MethodGet || req.method == http.MethodDelete
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, req, out)
		e, ok := err.(*Error)
		if err == nil || !ok || attempt >= c.MaxRetries {
			return err
		}
		if e.Status != 429 && e.Status != 503 && !(e.Kind == KindConnectionFailed && retryUnanswered) {
			return err
		}
		wait := e.RetryAfter
		if wait == 0 {
			wait = time.Duration(250<<attempt) * time.Millisecond
		}
		if wait > c.MaxWait {
			wait = c.MaxWait
		}
		wait += time.Duration(rand.Int63n(int64(100 * time.Millisecond)))
		if err := c.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *Client) once(ctx context.Context, req call, out any) error {
	target := strings.TrimRight(c.BaseURL, "/") + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		encoded, err := json.Marshal(req.body)
		if err != nil {
			return err
		}
		body = bytes.NewReader(encoded)
	}
	r, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+c.Credential)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "hookd-client-go/"+Version)
	if req.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for name, value := range req.headers {
		r.Header.Set(name, value)
	}
	answer, err := c.HTTPClient.Do(r)
	if err != nil {
		return &Error{Kind: KindConnectionFailed, Code: "connection_failed", Message: err.Error()}
	}
	defer answer.Body.Close()
	raw, err := io.ReadAll(answer.Body)
	if err != nil {
		return &Error{Kind: KindConnectionFailed, Code: "connection_failed", Message: err.Error()}
	}
	if answer.StatusCode >= 300 {
		var retryAfter time.Duration
		if seconds, err := strconv.Atoi(answer.Header.Get("Retry-After")); err == nil && seconds >= 0 {
			retryAfter = time.Duration(seconds) * time.Second
		}
		return errorFor(answer.StatusCode, raw, retryAfter)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
