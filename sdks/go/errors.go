// Every way a call to hookd can fail: an *Error with what the server said (status, stable code, message, per-field
// details, and RetryAfter when it asked to wait), whose Kind says which class it is; errors.Is matches the kinds.
package hookd

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind is the class of an error, by the status hookd answered.
type Kind int

const (
	KindOther            Kind = iota
	KindBadRequest            // 400: the body is not JSON hookd accepts
	KindUnauthorized          // 401: the credential is missing, unknown or revoked, or may not call this route
	KindForbidden             // 403: the credential may not do this (a read-only portal session)
	KindNotFound              // 404: no such object in this account
	KindConflict              // 409: the object's state forbids it
	KindPayloadTooLarge       // 413: the body is over the server's limit
	KindValidationFailed      // 422: a field is invalid; Details names each one
	KindRateLimited           // 429: too many requests; RetryAfter says how long to wait
	KindUnavailable           // 503: the server cannot take it now; nothing was done
	KindServerError           // any other 5xx
	KindConnectionFailed      // no answer: unreachable, or the call timed out
)

var kindByStatus = map[int]Kind{400: KindBadRequest, 401: KindUnauthorized, 403: KindForbidden, 404: KindNotFound,
	409: KindConflict, 413: KindPayloadTooLarge, 422: KindValidationFailed, 429: KindRateLimited, 503: KindUnavailable}

// Sentinels for errors.Is: errors.Is(err, hookd.ErrNotFound).
var (
	ErrBadRequest       = &Error{Kind: KindBadRequest}
	ErrUnauthorized     = &Error{Kind: KindUnauthorized}
	ErrForbidden        = &Error{Kind: KindForbidden}
	ErrNotFound         = &Error{Kind: KindNotFound}
	ErrConflict         = &Error{Kind: KindConflict}
	ErrPayloadTooLarge  = &Error{Kind: KindPayloadTooLarge}
	ErrValidationFailed = &Error{Kind: KindValidationFailed}
	ErrRateLimited      = &Error{Kind: KindRateLimited}
	ErrUnavailable      = &Error{Kind: KindUnavailable}
	ErrServerError      = &Error{Kind: KindServerError}
	ErrConnectionFailed = &Error{Kind: KindConnectionFailed}
)

// FieldError is one invalid field of a validation error.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is what hookd answered when a call failed (Status 0: no answer).
type Error struct {
	Kind       Kind
	Status     int
	Code       string
	Message    string
	Details    []FieldError
	RetryAfter time.Duration // 0 when the server did not say
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Is matches an error of the same kind (the sentinels above).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

func errorFor(status int, body []byte, retryAfter time.Duration) *Error {
	var parsed struct {
		Error struct {
			Code    string       `json:"code"`
			Message string       `json:"message"`
			Details []FieldError `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &parsed)
	kind, ok := kindByStatus[status]
	if !ok && status >= 500 {
		kind = KindServerError
	}
	e := &Error{Kind: kind, Status: status, Code: parsed.Error.Code, Message: parsed.Error.Message,
		Details: parsed.Error.Details, RetryAfter: retryAfter}
	if e.Code == "" {
		e.Code = fmt.Sprintf("http_%d", status)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("HTTP %d", status)
	}
	return e
}
