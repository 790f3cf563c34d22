// Latency histograms with log-spaced buckets, so percentiles can be taken from pre-aggregated statistics of any
// volume (SPEC §3 /stats). A bucket's estimate lies within 1 % of every latency it holds, so after rounding to a
// whole millisecond a percentile is within 2 % of the exact one (and exact below 50 ms). Histograms add up, which
// is what lets per-minute rows be merged into any period. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

class LatencyHistogram {
 public:
  // The relative accuracy of a bucket's estimate (DDSketch's alpha).
  static constexpr double kRelativeAccuracy = 0.01;

  void Add(int64_t latency_ms, int64_t count = 1);
  void Merge(const LatencyHistogram& other);
  // Adds a histogram in its stored form without building it first (the statistics merge thousands of cells);
  // false, adding nothing, when `text` is not in that form.
  [[nodiscard]] bool MergeEncoded(std::string_view text);
  [[nodiscard]] bool Empty() const;
  [[nodiscard]] int64_t Count() const;

  // The latency at rank floor(q × (n − 1)) of the n counted (nearest rank below), estimated; none when empty.
  [[nodiscard]] std::optional<int64_t> Percentile(double q) const;

  // As stored: "{index,count,index,count,…}" by ascending index (PostgreSQL's bigint[] text form). Decoding
  // text that is not in this form gives std::nullopt.
  [[nodiscard]] std::string Encode() const;
  [[nodiscard]] static std::optional<LatencyHistogram> Decode(std::string_view text);

  // The bucket a latency falls in, and the estimate that bucket reports.
  [[nodiscard]] static int32_t IndexOf(int64_t latency_ms);
  [[nodiscard]] static int64_t EstimateOf(int32_t index);

  friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) { return a.Encode() == b.Encode(); }

 private:
  void AddAt(int32_t index, int64_t count);

  // Dense from index first_: a merge is a loop over adjacent counts, and latencies of one endpoint fall in a few
  // hundred neighbouring buckets at most.
  int32_t first_ = 0;
  std::vector<int64_t> counts_;
};

}  // namespace hookd
