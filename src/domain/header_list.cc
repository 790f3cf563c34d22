// Headers to and from their JSON object.
#include "domain/header_list.h"

#include <algorithm>

#include "common/json.h"

namespace hookd {

// Written directly rather than through a json::object (a hash table per attempt, twice per attempt). A name that
// appears twice keeps its last value, as an object would.
std::string HeadersToJsonObject(const HeaderList& headers) {
  size_t size = 2;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 6;  // quotes, colon, comma
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    const bool repeated_later = std::any_of(headers.begin() + static_cast<std::ptrdiff_t>(i) + 1, headers.end(),
                                            [&](const auto& h) { return h.first == name; });
    if (repeated_later) continue;
    if (out.size() > 1) out += ',';
    AppendJsonQuoted(out, name);
    out += ':';
    AppendJsonQuoted(out, value);
  }
  out += '}';
  return out;
}

HeaderList HeadersFromJsonObject(const std::string& text) {
  HeaderList out;
  json::value v = ParseJsonOrNull(text);
  if (v.is_object()) {
    for (const auto& [k, val] : v.as_object()) {
      if (val.is_string()) out.emplace_back(std::string(k), std::string(val.as_string()));
    }
  }
  return out;
}

}  // namespace hookd
