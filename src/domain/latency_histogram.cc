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

void LatencyHistogram::AddAt(int32_t index, int64_t count) {
  if (count == 0) return;
  if (counts_.empty()) {
    first_ = index;
    counts_.assign(1, count);
    return;
  }
  if (index < first_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(first_ - index), 0);
    first_ = index;
  } else if (static_cast<size_t>(index - first_) >= counts_.size()) {
    counts_.resize(static_cast<size_t>(index - first_) + 1, 0);
  }
  counts_[static_cast<size_t>(index - first_)] += count;
}

void LatencyHistogram::Add(int64_t latency_ms, int64_t count) {
  AddAt(IndexOf(latency_ms), count);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (counts_.empty()) {
    *this = other;
    return;
  }
  for (size_t i = 0; i < other.counts_.size(); ++i) AddAt(other.first_ + static_cast<int32_t>(i), other.counts_[i]);
}

bool LatencyHistogram::Empty() const {
  for (int64_t c : counts_) {
    if (c != 0) return false;
  }
  return true;
}

int64_t LatencyHistogram::Count() const {
  int64_t n = 0;
  for (int64_t c : counts_) n += c;
  return n;
}

std::optional<int64_t> LatencyHistogram::Percentile(double q) const {
  const int64_t n = Count();
  if (n <= 0) return std::nullopt;
  const auto rank = static_cast<int64_t>(q * static_cast<double>(n - 1));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) return EstimateOf(first_ + static_cast<int32_t>(i));
  }
  return EstimateOf(first_ + static_cast<int32_t>(counts_.size()) - 1);
}

std::string LatencyHistogram::Encode() const {
  std::string out = "{";
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (out.size() > 1) out += ',';
    out += std::to_string(first_ + static_cast<int32_t>(i));
    out += ',';
    out += std::to_string(counts_[i]);
  }
  out += '}';
  return out;
}

namespace {

// Calls `pair(index, count)` for each pair of a stored histogram; false when `text` is not one.
template <class Pair>
bool ForEachEncodedPair(std::string_view text, Pair&& pair) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  text = text.substr(1, text.size() - 2);
  bool want_index = true;
  int64_t index = 0;
  while (!text.empty()) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (want_index) {
      if (value < -1'000'000 || value > 1'000'000) return false;  // far beyond any latency's bucket
      index = value;
    } else {
      pair(static_cast<int32_t>(index), value);
    }
    want_index = !want_index;
    if (text.empty()) break;
    if (text.front() != ',' || text.size() == 1) return false;
    text.remove_prefix(1);
  }
  return want_index;  // not an index without its count
}

}  // namespace

bool LatencyHistogram::MergeEncoded(std::string_view text) {
  if (!ForEachEncodedPair(text, [](int32_t, int64_t) {})) return false;
  (void)ForEachEncodedPair(text, [this](int32_t index, int64_t count) { AddAt(index, count); });
  return true;
}

std::optional<LatencyHistogram> LatencyHistogram::Decode(std::string_view text) {
  LatencyHistogram h;
  if (!h.MergeEncoded(text)) return std::nullopt;
  return h;
}

}  // namespace hookd
