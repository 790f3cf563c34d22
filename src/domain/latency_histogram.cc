// Log-spaced buckets: bucket i > 0 holds latencies in (γ^(i−1), γ^i] with γ = (1 + α) / (1 − α), and reports
// 2γ^i / (γ + 1), which is within α of both ends. Bucket 0 holds 0 ms exactly.
#include "domain/latency_histogram.h"

#include <charconv>
#include <cmath>

namespace hookd {
namespace {

constexpr double kGamma = (1 + LatencyHistogram::kRelativeAccuracy) / (1 - LatencyHistogram::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

}  // namespace

int32_t LatencyHistogram::IndexOf(int64_t latency_ms) {
  if (latency_ms <= 0) return 0;
  // 1 ms lands in bucket 1: (γ^0, γ^1] would start above it, so indexes are shifted by one.
  return 1 + static_cast<int32_t>(std::ceil(std::log(static_cast<double>(latency_ms)) / kLogGamma - 1e-9));
}

int64_t LatencyHistogram::EstimateOf(int32_t index) {
  if (index <= 0) return 0;
  return std::llround(2 * std::pow(kGamma, index - 1) / (kGamma + 1));
}

void LatencyHistogram::Add(int64_t latency_ms, int64_t count) {
  if (count == 0) return;
  const int32_t index = IndexOf(latency_ms);
  if ((buckets_[index] += count) == 0) buckets_.erase(index);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (const auto& [index, count] : other.buckets_) {
    if ((buckets_[index] += count) == 0) buckets_.erase(index);
  }
}

int64_t LatencyHistogram::Count() const {
  int64_t n = 0;
  for (const auto& [index, count] : buckets_) n += count;
  return n;
}

std::optional<int64_t> LatencyHistogram::Percentile(double q) const {
  const int64_t n = Count();
  if (n <= 0) return std::nullopt;
  const auto rank = static_cast<int64_t>(q * static_cast<double>(n - 1));
  int64_t seen = 0;
  for (const auto& [index, count] : buckets_) {
    seen += count;
    if (seen > rank) return EstimateOf(index);
  }
  return EstimateOf(buckets_.rbegin()->first);
}

std::string LatencyHistogram::Encode() const {
  std::string out = "{";
  for (const auto& [index, count] : buckets_) {
    if (out.size() > 1) out += ',';
    out += std::to_string(index);
    out += ',';
    out += std::to_string(count);
  }
  out += '}';
  return out;
}

std::optional<LatencyHistogram> LatencyHistogram::Decode(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  text = text.substr(1, text.size() - 2);
  LatencyHistogram h;
  bool want_index = true;
  int64_t index = 0;
  while (!text.empty()) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (want_index) {
      index = value;
    } else if (value != 0) {
      if ((h.buckets_[static_cast<int32_t>(index)] += value) == 0) h.buckets_.erase(static_cast<int32_t>(index));
    }
    want_index = !want_index;
    if (text.empty()) break;
    if (text.front() != ',' || text.size() == 1) return std::nullopt;
    text.remove_prefix(1);
  }
  if (!want_index) return std::nullopt;  // an index without its count
  return h;
}

}  // namespace hookd
