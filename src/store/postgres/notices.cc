// Payloads are plain text: "SENDER SHARD:ID SHARD:ID …" for work, "KIND ID" for changes.
#include "store/postgres/notices.h"

#include <charconv>

#include "domain/sharding.h"

namespace hookd::postgres {
namespace {

constexpr size_t kMaxPayload = 7900;  // PostgreSQL's limit is 8000 bytes

constexpr std::pair<ChangeKind, std::string_view> kChangeNames[] = {
    {ChangeKind::kWebhook, "webhook"},
    {ChangeKind::kAccount, "account"},
    {ChangeKind::kApiKeys, "api_keys"},
    {ChangeKind::kEventTypes, "event_types"},
};

Status Notify(Connection& conn, const char* channel, const std::string& payload) {
  auto r = conn.Exec("SELECT pg_notify($1, $2)", Params().Add(channel).Add(payload));
  if (!r) return Fail(r.error());
  return Ok();
}

}  // namespace

std::vector<std::string> FormatWorkNotices(
    const std::string& sender, const std::vector<std::pair<std::string_view, std::string_view>>& delivery_and_webhook) {
  std::vector<std::string> out;
  std::string current;
  for (const auto& [delivery_id, webhook_id] : delivery_and_webhook) {
    std::string entry = std::to_string(ShardOf(webhook_id)) + ":" + std::string(delivery_id);
    if (!current.empty() && current.size() + 1 + entry.size() > kMaxPayload) {
      out.push_back(std::move(current));
      current.clear();
    }
    if (current.empty()) current = sender;
    current += ' ';
    current += entry;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::optional<WorkNotice> ParseWorkNotice(std::string_view payload) {
  WorkNotice notice;
  size_t pos = payload.find(' ');
  notice.sender = std::string(payload.substr(0, pos));
  while (pos != std::string_view::npos) {
    const size_t start = pos + 1;
    pos = payload.find(' ', start);
    const std::string_view entry = payload.substr(start, pos == std::string_view::npos ? pos : pos - start);
    const size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    DueNotice due;
    auto [end, ec] = std::from_chars(entry.data(), entry.data() + colon, due.shard);
    if (ec != std::errc() || end != entry.data() + colon || due.shard < 0 || due.shard >= kShardCount) {
      return std::nullopt;
    }
    due.delivery_id = std::string(entry.substr(colon + 1));
    notice.deliveries.push_back(std::move(due));
  }
  return notice;
}

std::string FormatChangeNotice(const ChangeNotice& change) {
  for (const auto& [kind, name] : kChangeNames) {
    if (kind == change.kind) return change.id.empty() ? std::string(name) : std::string(name) + " " + change.id;
  }
  return "";
}

std::optional<ChangeNotice> ParseChangeNotice(std::string_view payload) {
  const size_t space = payload.find(' ');
  const std::string_view name = payload.substr(0, space);
  for (const auto& [kind, known] : kChangeNames) {
    if (name == known) {
      return ChangeNotice{kind, space == std::string_view::npos ? "" : std::string(payload.substr(space + 1))};
    }
  }
  return std::nullopt;
}

Status NotifyDue(Connection& conn, const std::string& sender,
                 const std::vector<std::pair<std::string_view, std::string_view>>& delivery_and_webhook) {
  for (const std::string& payload : FormatWorkNotices(sender, delivery_and_webhook)) {
    if (auto st = Notify(conn, kWorkChannel, payload); !st) return st;
  }
  return Ok();
}

Status NotifyChange(Connection& conn, const ChangeNotice& change) {
  return Notify(conn, kChangeChannel, FormatChangeNotice(change));
}

}  // namespace hookd::postgres
