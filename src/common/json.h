// JSON helpers over Boost.JSON: quoting a string, safe typed field access for request validation, and parsing
// with a depth/size guard. Pure and thread-safe.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hookd {

namespace json = boost::json;

// `"..."` with JSON escapes, the same bytes Boost.JSON's serializer writes.
[[nodiscard]] std::string JsonQuote(std::string_view s);
// The same, appended to `out` (hot paths build whole documents this way).
void AppendJsonQuoted(std::string& out, std::string_view s);

// `v` as compact JSON text. Unlike Boost.JSON's serializer, which writes every double in exponent form (31.5 as
// 3.15E1), numbers are written in their shortest round-trip form (31.5), as senders wrote them. Every JSON hookd
// writes (API answers, stored and delivered event data) goes through here.
[[nodiscard]] std::string SerializeJson(const json::value& v);
void AppendJson(std::string& out, const json::value& v);

// Parses a request body that must be a JSON object. Malformed text -> 400 malformed_json; a non-object -> 422.
[[nodiscard]] Result<json::object> ParseJsonObject(std::string_view body);

// Parses any JSON value (for stored raw JSON). Returns null on failure.
[[nodiscard]] json::value ParseJsonOrNull(std::string_view text);

// Merges `extra` into `into`: objects member by member, any other value replaced.
void MergeJsonObject(json::object& into, const json::object& extra);

}  // namespace hookd
