// Boost.JSON's compiled part lives in this translation unit (header-only mode), so no Boost library is linked.
#include <boost/json/src.hpp>

#include "common/json.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace hookd {

namespace {

// Whether any of the 8 bytes at `p` is a control character, '"' or '\\' (bit tricks on one 64-bit word: a byte
// is below 0x20, or equal to a given byte, when subtracting sets its high bit where it was clear).
bool WordNeedsEscape(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const auto has_zero_byte = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (below_space | has_zero_byte(w ^ (kOnes * '"')) | has_zero_byte(w ^ (kOnes * '\\'))) != 0;
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonQuoted(out, s);
  return out;
}

void AppendJsonQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr auto kEscaped = [] {  // the bytes JSON cannot carry as they are
    std::array<bool, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = true;
    table['"'] = table['\\'] = true;
    return table;
  }();
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const size_t plain_from = i;  // a run of bytes that need no escape is appended at once
    while (i + 8 <= s.size() && !WordNeedsEscape(s.data() + i)) i += 8;
    while (i < s.size() && !kEscaped[static_cast<unsigned char>(s[i])]) ++i;
    out.append(s, plain_from, i - plain_from);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i++]);
    out += '\\';
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\f': out += 'f'; break;
      case '\n': out += 'n'; break;
      case '\r': out += 'r'; break;
      case '\t': out += 't'; break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out += '"';
}

Result<json::object> ParseJsonObject(std::string_view body) {
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) return Fail(Error::Malformed("request body is not valid JSON: " + ec.message()));
  if (!v.is_object()) return Fail(Error::Invalid("body", "must be a JSON object"));
  return std::move(v.as_object());
}

json::value ParseJsonOrNull(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  return ec ? json::value(nullptr) : v;
}

}  // namespace hookd
