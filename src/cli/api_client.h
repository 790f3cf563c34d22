// The CLI's way to call a running hookd's API (hookd trigger, hookd listen --server): one blocking request over
// libcurl with the API key as a bearer token.
#pragma once

#include <string>

#include "common/result.h"

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

// The `error.message` of an error answer, or its status when the body says nothing.
[[nodiscard]] std::string ApiErrorMessage(const ApiAnswer& answer);

}  // namespace hookd
