// One write(2)-sized line per record under a mutex, so lines from different threads never interleave.
#include "common/log.h"

#include <atomic>
#include <cstdio>

#include "common/json.h"
#include "common/mutex.h"
#include "common/time_util.h"
#include "common/utf8.h"

namespace hookd {
namespace {

std::atomic<bool> g_json{false};
Mutex g_mu;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

bool NeedsQuotes(std::string_view value) {
  for (const char c : value) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"') return true;
  }
  return false;
}

}  // namespace

void SetLogFormat(std::string_view format) { g_json = format == "json"; }

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  std::string line;
  if (g_json) {
    line = "{\"ts\":" + JsonQuote(FormatRfc3339(NowMs())) + ",\"level\":\"" + LevelName(level) +
           "\",\"msg\":" + JsonQuote(message);
    for (const auto& [k, v] : fields) line += "," + JsonQuote(k) + ":" + JsonQuote(v);
    line += "}\n";
  } else {
    // A value with a space or a control character is quoted, so a logged input cannot forge a line of its own.
    line = FormatRfc3339(NowMs()) + " " + LevelName(level) + " " + std::string(message);
    for (const auto& [k, v] : fields) line += " " + k + "=" + (NeedsQuotes(v) ? JsonQuote(v) : v);
    line += "\n";
  }
  if (!IsValidUtf8(line)) line = ToValidUtf8(line);
  MutexLock lock(&g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hookd
