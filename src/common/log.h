// Minimal structured logging to stderr, as text or one JSON object per line (--log-format). Thread-safe.
// Never pass secrets, API keys or tokens: log ids instead.
//
// Info lines (one per API request, among others) are gathered and written at most 100 ms later, so logging costs a
// request no system call; a warning or an error is written at once, with every line before it, and FlushLog
// writes what waits (at exit).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogFields = std::vector<std::pair<std::string, std::string>>;

void SetLogFormat(std::string_view format);  // "text" or "json"
void Log(LogLevel level, std::string_view message, const LogFields& fields = {});
void FlushLog();

inline void LogInfo(std::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarn(std::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kWarn, m, f);
}
inline void LogError(std::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kError, m, f);
}

}  // namespace hookd
