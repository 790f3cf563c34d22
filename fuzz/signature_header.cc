// Fuzzes what `hookd listen` does with a request's Standard Webhooks headers. The input is
// "webhook-id\nwebhook-timestamp\nwebhook-signature\nbody". Properties: a request verifies only when its signature
// header holds the right signature; adding the right one to any header (a rotation's two signatures) makes a
// request with a timely timestamp verify; nothing verifies with a timestamp outside the tolerance.
#include <cstdint>
#include <string>

#include "cli/delivery_check.h"
#include "crypto/signing.h"
#include "fuzz_checks.h"

using namespace hookd;

namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr int64_t kNow = 1'614'265'330;

std::string_view NextLine(std::string_view& rest) {
  const size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  HttpRequest request;
  request.method = "POST";
  const std::string_view id = NextLine(rest), timestamp = NextLine(rest), signature = NextLine(rest);
  request.headers = {{"webhook-id", std::string(id)},
                     {"webhook-timestamp", std::string(timestamp)},
                     {"webhook-signature", std::string(signature)}};
  request.body = std::string(rest);
  const DeliveryVerdict verdict = CheckDelivery(request, kSecret, kNow);
  if (verdict == DeliveryVerdict::kBadTimestamp) return 0;

  const int64_t ts = std::stoll(std::string(timestamp));
  fuzz::Check(ts >= kNow - kTimestampToleranceS && ts <= kNow + kTimestampToleranceS, "an untimely timestamp passed");
  const std::string right = *StandardWebhooksSignature(kSecret, id, ts, request.body);
  if (verdict == DeliveryVerdict::kVerified) {
    fuzz::Check(signature.find(right) != std::string_view::npos, "a request verified without its signature", signature);
  }
  request.headers[2].second = std::string(signature) + " " + right;
  fuzz::Check(CheckDelivery(request, kSecret, kNow) == DeliveryVerdict::kVerified,
              "the right signature beside others does not verify", request.headers[2].second);
  return 0;
}
