// RFC 3339 and duration parsing, written against the civil-from-days algorithm so no locale or TZ state is used.
#include "common/time_util.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>

namespace hookd {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t epoch_ms) {
  int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  const int ms = static_cast<int>(epoch_ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  if (y < 0 || y > 9999) {  // outside RFC 3339's four-digit years: never for real times, kept readable anyway
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                  static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60), ms);
    return buf;
  }
  // Digits written in place, without snprintf's format parsing: this runs once per delivered payload.
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](size_t end, int64_t value, int digits) {
    for (int i = 1; i <= digits; ++i, value /= 10) {
      out[end - static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(4, y, 4);
  put(7, m, 2);
  put(10, d, 2);
  put(13, rem / 3600, 2);
  put(16, rem / 60 % 60, 2);
  put(19, rem % 60, 2);
  put(23, ms, 3);
  return out;
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  int year, month, day;
  if (!ReadDigits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, month) || s[7] != '-' ||
      !ReadDigits(s, 8, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int64_t ms = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400000;
  if (s.size() == 10) return ms;
  int hour, minute, second;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ReadDigits(s, 11, 2, hour) || s[13] != ':' ||
      !ReadDigits(s, 14, 2, minute) || s[16] != ':' || !ReadDigits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  ms += (hour * 3600LL + minute * 60LL + second) * 1000;
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    int frac_ms = 0, digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) frac_ms *= 10;
    ms += frac_ms;
  }
  if (pos == s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional(ms) : std::nullopt;
  int oh, om;
  if ((s[pos] != '+' && s[pos] != '-') || pos + 6 != s.size() || !ReadDigits(s, pos + 1, 2, oh) || s[pos + 3] != ':' ||
      !ReadDigits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
    return std::nullopt;
  }
  const int64_t offset = (oh * 60LL + om) * 60000;
  return s[pos] == '+' ? ms - offset : ms + offset;
}

std::optional<int64_t> ParseDurationMs(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  int64_t n = 0;
  std::from_chars(s.data(), s.data() + digits, n);
  const std::string_view unit = s.substr(digits);
  int64_t scale;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else
    return std::nullopt;
  if (n > std::numeric_limits<int64_t>::max() / scale) return std::nullopt;  // would overflow
  return n * scale;
}

std::optional<int64_t> ParseTimeBound(std::string_view text, int64_t now_ms) {
  if (auto d = ParseDurationMs(text)) return now_ms - *d;
  return ParseRfc3339(text);
}

}  // namespace hookd
