"""Every way a call to hookd can fail, as one exception class per kind, each carrying what the server said: the
HTTP status, the stable error `code`, the message for a person, the per-field `details` of a validation error, and
`retry_after` (seconds) when the server asked to wait."""


class HookdError(Exception):
    """Any error answer from hookd (or no answer at all: see ConnectionFailed)."""

    def __init__(self, status, code, message, details=None, retry_after=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.retry_after = retry_after


class BadRequest(HookdError):
    """400: the body is not JSON hookd accepts (malformed, a duplicate member, wrong types)."""


class Unauthorized(HookdError):
    """401: the credential is missing, unknown or revoked, or may not call this route (an account's key on an admin
    route)."""


class Forbidden(HookdError):
    """403: the credential may not do this (a read-only portal session)."""


class NotFound(HookdError):
    """404: no such object in this account (another account's objects are 404 too)."""


class Conflict(HookdError):
    """409: the object's state forbids it (retrying a delivery that succeeded, too many webhooks)."""


class PayloadTooLarge(HookdError):
    """413: the request body is over the server's limit."""


class ValidationFailed(HookdError):
    """422: a field is invalid; `details` names each one."""


class RateLimited(HookdError):
    """429: too many requests; `retry_after` says how long to wait."""


class Unavailable(HookdError):
    """503: the server cannot take it now (its store is unreachable, or it is busy); nothing was done."""


class ServerError(HookdError):
    """Any other 5xx."""


class ConnectionFailed(HookdError):
    """No answer: the server could not be reached or the call timed out (status 0)."""

    def __init__(self, message):
        super().__init__(0, "connection_failed", message)


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
              413: PayloadTooLarge, 422: ValidationFailed, 429: RateLimited, 503: Unavailable}


def error_for(status, body, retry_after):
    """The exception for an error answer of `status` with JSON `body` (hookd's error object, or anything else)."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else HookdError)
    return cls(status, error.get("code", "http_%d" % status), error.get("message", "HTTP %d" % status),
               error.get("details"), retry_after)
