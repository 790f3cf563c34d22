// Every way a call to hookd can fail, one class per kind, each with what the server said: the HTTP status, the
// stable error code, the message, the per-field details of a validation error, and retryAfter (seconds) when the
// server asked to wait.
export interface FieldError {
  field: string;
  message: string;
}

export class HookdError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
    readonly retryAfter: number | null = null,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = new.target.name;
  }
}

/** 400: the body is not JSON hookd accepts. */
export class BadRequest extends HookdError {}
/** 401: the credential is missing, unknown or revoked, or may not call this route. */
export class Unauthorized extends HookdError {}
/** 403: the credential may not do this (a read-only portal session). */
export class Forbidden extends HookdError {}
/** 404: no such object in this account. */
export class NotFound extends HookdError {}
/** 409: the object's state forbids it. */
export class Conflict extends HookdError {}
/** 413: the request body is over the server's limit. */
export class PayloadTooLarge extends HookdError {}
/** 422: a field is invalid; `details` names each one. */
export class ValidationFailed extends HookdError {}
/** 429: too many requests; `retryAfter` says how long to wait. */
export class RateLimited extends HookdError {}
/** 503: the server cannot take it now; nothing was done. */
export class Unavailable extends HookdError {}
/** Any other 5xx. */
export class ServerError extends HookdError {}
/** No answer: the server could not be reached, or the call timed out (status 0). */
export class ConnectionFailed extends HookdError {
  constructor(message: string) {
    super(0, "connection_failed", message);
  }
}

const byStatus: Record<number, typeof HookdError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  413: PayloadTooLarge,
  422: ValidationFailed,
  429: RateLimited,
  503: Unavailable,
};

/** The error for an answer of `status` whose body is `body` (hookd's error object, or anything else). */
export function errorFor(status: number, body: unknown, retryAfter: number | null): HookdError {
  const error = (body as { error?: { code?: string; message?: string; details?: FieldError[] } } | null)?.error;
  const Kind = byStatus[status] ?? (status >= 500 ? ServerError : HookdError);
  return new Kind(status, error?.code ?? `http_${status}`, error?.message ?? `HTTP ${status}`, error?.details ?? [],
                  retryAfter);
}
