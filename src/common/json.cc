// Boost.JSON's compiled part lives in this translation unit (header-only mode), so no Boost library is linked.
#include "common/json.h"

#include <algorithm>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/src.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

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

// Names the first duplicate member of a JSON text (already known to parse) with its path, e.g. `data.user.id`.
// A second pass that runs only when the cheap check below found a duplicate.
class DuplicateFinder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  std::optional<std::string> found;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) {
    levels_.push_back(Level{false, {}, {}});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) { return EndLevel(); }
  bool on_object_begin(boost::system::error_code&) {
    levels_.push_back(Level{true, {}, {}});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) { return EndLevel(); }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    Level& level = levels_.back();
    if (!level.keys.insert(key_).second && !found) {
      found = Path() + key_;
      ec = json::error::extra_data;  // any error: the first duplicate is all we need
      return false;
    }
    level.current = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, json::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Level {
    bool object;
    std::string current;  // the member being read (objects)
    std::set<std::string> keys;
  };

  bool EndLevel() {
    levels_.pop_back();
    return true;
  }

  // `a.b.` for the members enclosing the current one; array levels show as `[]`.
  std::string Path() const {
    std::string path;
    for (size_t i = 0; i + 1 < levels_.size(); ++i) {
      path += levels_[i].object ? levels_[i].current : std::string("[]");
      path += '.';
    }
    return path;
  }

  std::vector<Level> levels_;
  std::string key_;
};

std::optional<std::string> FindDuplicateMember(std::string_view text, const json::parse_options& options) {
  json::basic_parser<DuplicateFinder> parser(options);
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return std::move(parser.handler().found);
}

enum class BodyProblem { kNone, kDuplicateMember, kNumberOutOfRange };

// Boost.JSON keeps the last of duplicate members, and its parser sizes each object for every member it read: an
// object whose capacity exceeds its size had a duplicate. (The unit tests pin this at every depth.) A number too
// large for a double parses as infinity, which JSON cannot write back.
BodyProblem FindProblem(const json::value& v) {
  if (const json::object* o = v.if_object()) {
    if (o->capacity() != o->size()) return BodyProblem::kDuplicateMember;
    for (const auto& member : *o) {
      if (const BodyProblem p = FindProblem(member.value()); p != BodyProblem::kNone) return p;
    }
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& item : *a) {
      if (const BodyProblem p = FindProblem(item); p != BodyProblem::kNone) return p;
    }
  } else if (const double* d = v.if_double(); d && !std::isfinite(*d)) {
    return BodyProblem::kNumberOutOfRange;
  }
  return BodyProblem::kNone;
}

}  // namespace

void AppendJson(std::string& out, const json::value& v) {
  char number[32];
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out.append(number, std::to_chars(number, number + sizeof number, v.get_int64()).ptr);
      return;
    case json::kind::uint64:
      out.append(number, std::to_chars(number, number + sizeof number, v.get_uint64()).ptr);
      return;
    case json::kind::double_:
      if (!std::isfinite(v.get_double())) {  // JSON has no infinity; the parser never makes one either
        out += "null";
        return;
      }
      {
        char* const end = std::to_chars(number, number + sizeof number, v.get_double()).ptr;
        out.append(number, end);
        // A double stays a double when read back (3.0, not the integer 3).
        if (std::find_if(number, end, [](char c) { return c == '.' || c == 'e'; }) == end) out += ".0";
      }
      return;
    case json::kind::string:
      AppendJsonQuoted(out, v.get_string());
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, item);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendJsonQuoted(out, member.key());
        out += ':';
        AppendJson(out, member.value());
      }
      out += '}';
      return;
    }
  }
}

std::string SerializeJson(const json::value& v) {
  // Written into this thread's reused buffer, then copied once at its exact size: no regrowth while appending,
  // and no spare capacity kept by the result (event data stays in memory while its deliveries wait).
  thread_local std::string buffer;
  buffer.clear();
  AppendJson(buffer, v);
  if (buffer.capacity() > (1u << 20)) {  // a huge body: do not keep its buffer for the thread's life
    std::string out = std::move(buffer);
    buffer = std::string();
    return out;
  }
  return buffer;
}

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
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\f':
        out += 'f';
        break;
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      case '\t':
        out += 't';
        break;
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
  // Parsers disagree on which of two same-named members counts, so a body with both means different things to
  // different systems: refused, wherever it stands.
  switch (FindProblem(v)) {
    case BodyProblem::kNone:
      break;
    case BodyProblem::kDuplicateMember: {
      const std::optional<std::string> member = FindDuplicateMember(body, options);
      return Fail(Error::Malformed("request body has the member \"" + member.value_or("?") + "\" more than once"));
    }
    case BodyProblem::kNumberOutOfRange:
      return Fail(Error::Malformed("request body has a number too large for a double-precision value"));
  }
  if (!v.is_object()) return Fail(Error::Invalid("body", "must be a JSON object"));
  return std::move(v.as_object());
}

json::value ParseJsonOrNull(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  return ec ? json::value(nullptr) : v;
}

void MergeJsonObject(json::object& into, const json::object& extra) {
  for (const auto& [key, value] : extra) {
    auto it = into.find(key);
    if (it != into.end() && it->value().is_object() && value.is_object()) {
      MergeJsonObject(it->value().as_object(), value.as_object());
    } else {
      into[key] = value;
    }
  }
}

}  // namespace hookd
