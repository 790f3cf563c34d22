// The response head and body limits of the delivery log (SPEC §3: bodies cut at 10 KiB, flagged).
#include "delivery/response_reader.h"

#include "common/text.h"

namespace hookd {
namespace {

constexpr size_t kMaxResponseHeaders = 64;
constexpr size_t kMaxHeaderBytes = 16 * 1024;       // of response headers kept for the log
constexpr uint32_t kHeaderParseLimit = 100 * 1024;  // a response head larger than this is an error

}  // namespace

void LimitResponseParser(ResponseParser& parser) {
  parser.header_limit(kHeaderParseLimit);
  parser.body_limit(boost::none);
}

void TakeResponse(ResponseParser& parser, OutboundResponse& into) {
  auto& message = parser.get();
  into.status = static_cast<int>(message.result_int());
  size_t header_bytes = 0;
  for (const auto& field : message) {
    header_bytes += field.name_string().size() + field.value().size() + 4;
    if (into.headers.size() >= kMaxResponseHeaders || header_bytes > kMaxHeaderBytes) break;
    into.headers.emplace_back(AsciiLower(field.name_string()), std::string(TrimHttpWhitespace(field.value())));
  }
  into.body = std::move(message.body().data);
  into.body_truncated = message.body().truncated;
}

}  // namespace hookd
