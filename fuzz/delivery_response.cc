// Fuzzes the delivery client's reading of a receiver's response, fed in pieces as a socket would deliver them (the
// first byte picks the piece size): Beast's response parser with the client's limits and capped body, then the copy
// into the delivery log's fields and the Retry-After parse of every header. Properties: the kept body is at most
// 10 KiB and flagged when cut; at most 64 headers are kept.
#include <algorithm>
#include <cstdint>

#include "common/time_util.h"
#include "delivery/response_reader.h"
#include "fuzz_checks.h"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = data[0] % 64 + 1;
  ++data;
  --size;
  ResponseParser parser;
  LimitResponseParser(parser);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t offset = 0;
  std::string pending;  // bytes the parser has not consumed yet, as the client's buffer would hold them
  while (offset < size && !ec && !parser.is_done()) {
    const size_t n = std::min(piece, size - offset);
    pending.append(reinterpret_cast<const char*>(data) + offset, n);
    offset += n;
    for (;;) {
      const size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0 || parser.is_done()) break;
    }
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (!parser.is_header_done()) return 0;
  OutboundResponse response;
  TakeResponse(parser, response);
  fuzz::Check(response.body.size() <= kLoggedBodyLimit, "the kept body is over 10 KiB");
  fuzz::Check(response.headers.size() <= 64, "more than 64 headers kept");
  fuzz::Check(!response.body_truncated || response.body.size() == kLoggedBodyLimit, "a cut body is not 10 KiB");
  for (const auto& [name, value] : response.headers) {
    if (auto delay = ParseRetryAfterMs(value, NowMs())) fuzz::Check(*delay >= 0, "a negative Retry-After", value);
  }
  return 0;
}
