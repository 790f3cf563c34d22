// Lines are appended to one buffer under a mutex, so lines from different threads never interleave; a flusher
// thread writes the buffer every 100 ms, and warnings and errors write it at once.
#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/json.h"
#include "common/mutex.h"
#include "common/thread_annotations.h"
#include "common/time_util.h"
#include "common/utf8.h"

namespace hookd {
namespace {

constexpr auto kFlushInterval = std::chrono::milliseconds(100);
constexpr size_t kMaxBuffered = 64 * 1024;  // written at once past this

std::atomic<bool> g_json{false};

// Never destroyed: threads may log while the process exits.
struct LogBuffer {
  Mutex mu;
  std::string pending GUARDED_BY(mu);

  void WriteLocked() REQUIRES(mu) {
    if (pending.empty()) return;
    std::fwrite(pending.data(), 1, pending.size(), stderr);
    std::fflush(stderr);
    pending.clear();
  }
};

LogBuffer& Buffer() {
  static LogBuffer* buffer = [] {
    auto* b = new LogBuffer;
    std::thread([b] {
      for (;;) {
        std::this_thread::sleep_for(kFlushInterval);
        MutexLock lock(&b->mu);
        b->WriteLocked();
      }
    }).detach();
    std::atexit(FlushLog);
    return b;
  }();
  return *buffer;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
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

void SetLogFormat(std::string_view format) {
  g_json = format == "json";
}

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
  LogBuffer& buffer = Buffer();
  MutexLock lock(&buffer.mu);
  buffer.pending += line;
  if (level >= LogLevel::kWarn || buffer.pending.size() >= kMaxBuffered) buffer.WriteLocked();
}

void FlushLog() {
  LogBuffer& buffer = Buffer();
  MutexLock lock(&buffer.mu);
  buffer.WriteLocked();
}

}  // namespace hookd
