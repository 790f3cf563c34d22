// The CLI's HTTP calls (hookd trigger, hookd listen --server): one blocking request at a time over libcurl, to a
// running hookd's API with the API key as a bearer token, or to any URL (hookd listen's forwarding).
#pragma once

#include <string>

#include "common/result.h"
#include "domain/model.h"

namespace hookd {

struct ApiAnswer {
  long status = 0;
  std::string body;
};

// `server` is the base URL (http://127.0.0.1:8084). Fails with `Unavailable` and curl's reason when the server
// cannot be reached; any HTTP answer, error statuses included, is returned as it came.
[[nodiscard]] Result<ApiAnswer> CallApi(const std::string& server, const std::string& api_key,
                                        const std::string& method, const std::string& path,
                                        const std::string& body = "");

// One request to `url` with exactly `headers` and `body`; fails with `Unavailable` when it cannot be sent.
[[nodiscard]] Result<ApiAnswer> SendHttp(const std::string& method, const std::string& url, const HeaderList& headers,
                                         const std::string& body);

// The `error.message` of an error answer, or its status when the body says nothing.
[[nodiscard]] std::string ApiErrorMessage(const ApiAnswer& answer);

}  // namespace hookd
