// A list of HTTP headers as the delivery log and a webhook's custom headers keep it: one JSON object (a name that
// appears twice keeps its last value), and back. Pure.
#pragma once

#include <string>

#include "domain/model.h"

namespace hookd {

[[nodiscard]] std::string HeadersToJsonObject(const HeaderList& headers);
// Members that are not strings are left out; text that is no object reads as no headers.
[[nodiscard]] HeaderList HeadersFromJsonObject(const std::string& text);

}  // namespace hookd
