// Transport-neutral HTTP request/response values. The Beast server converts to and from these, so request
// handling is a pure function from HttpRequest to HttpResponse, testable without sockets.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "common/json.h"
#include "common/result.h"
#include "domain/model.h"

namespace hookd {

struct HttpRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // percent-decoded path, no query
  std::map<std::string, std::string> query;  // decoded; a repeated name keeps its last value
  HeaderList headers;                        // names lowercased
  std::string body;
  std::string remote_address;
  // The caller's X-Request-Id when it is 1 to 128 of [A-Za-z0-9._-], else a new "req_…": answered in X-Request-Id,
  // logged, and kept in the audit records the request writes.
  std::string request_id;
  bool malformed_target = false;

  // The value of a header (name in lowercase), or "".
  [[nodiscard]] std::string Header(std::string_view lower_name) const;
  [[nodiscard]] const std::string* Query(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;
};

// Answers a request: called exactly once, from any thread (a handler may answer after it returned, e.g. when its
// write is durable).
using Respond = std::function<void(HttpResponse)>;
// Runs a piece of work that may block (a database read, an outbound call) on a worker thread, never on the
// network thread. If the work throws, the request is answered with a 500.
using Offload = std::function<void(std::function<void()> work)>;

// Every 503 — the server's own (no connections or body budget left) and the API's (the store is unreachable) —
// asks the client to come back after this many seconds.
inline constexpr const char* kUnavailableRetryAfterSeconds = "1";

[[nodiscard]] HttpResponse JsonResponse(int status, const json::value& body);
[[nodiscard]] HttpResponse ErrorResponse(const Error& error);
[[nodiscard]] HttpResponse EmptyResponse(int status);

// The request body as a JSON object. Content types other than JSON (and curl's default form type, which the
// seeds' examples send) are 415. An empty body is {} when `optional`, else 400.
[[nodiscard]] Result<json::object> ReadJsonBody(const HttpRequest& request, bool optional = false);

// The request id for a caller's X-Request-Id value (see HttpRequest::request_id).
[[nodiscard]] std::string RequestIdFor(std::string_view given);

// Parses a request target ("/path?a=1&b=2") into path and query; false when it is not a valid origin-form.
[[nodiscard]] bool ParseTarget(std::string_view target, HttpRequest& into);

}  // namespace hookd
