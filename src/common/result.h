// Errors as values. Every fallible operation returns Result<T>; an Error carries the API error code
// ("validation_failed", "not_found", ...), a human message, per-field details, and the HTTP status it maps to.
// The mapping from error kind to HTTP status lives here and nowhere else.
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace hookd {

enum class ErrorKind {
  kMalformed,         // 400
  kUnauthorized,      // 401
  kForbidden,         // 403
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kConflict,          // 409
  kTooLarge,          // 413
  kUnsupportedMedia,  // 415
  kValidation,        // 422
  kRateLimited,       // 429
  kInternal,          // 500
  kUnavailable,       // 503
};

struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;  // machine-readable, e.g. "validation_failed"
  std::string message;
  std::vector<FieldError> details;

  [[nodiscard]] int HttpStatus() const;

  static Error Malformed(std::string message) {
    return {ErrorKind::kMalformed, "malformed_json", std::move(message), {}};
  }
  static Error BadRequest(std::string message) {
    return {ErrorKind::kMalformed, "bad_request", std::move(message), {}};
  }
  static Error Unauthorized(std::string message) {
    return {ErrorKind::kUnauthorized, "unauthorized", std::move(message), {}};
  }
  static Error Forbidden(std::string code, std::string message) {
    return {ErrorKind::kForbidden, std::move(code), std::move(message), {}};
  }
  static Error NotFound(std::string message) { return {ErrorKind::kNotFound, "not_found", std::move(message), {}}; }
  static Error Conflict(std::string code, std::string message) {
    return {ErrorKind::kConflict, std::move(code), std::move(message), {}};
  }
  static Error TooLarge(std::string message) {
    return {ErrorKind::kTooLarge, "payload_too_large", std::move(message), {}};
  }
  static Error Internal(std::string message) {
    return {ErrorKind::kInternal, "internal_error", std::move(message), {}};
  }
  static Error Unavailable(std::string message) {
    return {ErrorKind::kUnavailable, "unavailable", std::move(message), {}};
  }
  // A 422 on one field, with its own code (e.g. "unknown_event_type") or the generic "validation_failed".
  static Error Invalid(std::string field, std::string message, std::string code = "validation_failed") {
    Error e{ErrorKind::kValidation, std::move(code), "", {}};
    e.message = field + ": " + message;
    e.details.push_back({std::move(field), std::move(message)});
    return e;
  }
};

template <class T>
using Result = std::expected<T, Error>;

// Result<void> helpers.
using Status = std::expected<void, Error>;
inline Status Ok() {
  return {};
}

inline std::unexpected<Error> Fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}

}  // namespace hookd
