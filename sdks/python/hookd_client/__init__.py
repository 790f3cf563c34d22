"""hookd's Python client for the platform's backend (standard library only). Versioned with the server."""
from .client import Hookd, new_idempotency_key
from .errors import (BadRequest, Conflict, ConnectionFailed, Forbidden, HookdError, NotFound, PayloadTooLarge,
                     RateLimited, ServerError, Unauthorized, Unavailable, ValidationFailed)

__version__ = "0.1.0"

__all__ = ["Hookd", "new_idempotency_key", "HookdError", "BadRequest", "Unauthorized", "Forbidden", "NotFound",
           "Conflict", "PayloadTooLarge", "ValidationFailed", "RateLimited", "Unavailable", "ServerError",
           "ConnectionFailed", "__version__"]
