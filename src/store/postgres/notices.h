// What hookd processes sharing one PostgreSQL tell each other through LISTEN/NOTIFY (SPEC §6). Every notice is sent
// inside the transaction whose change it announces, so it is delivered after that commit and never for a rollback.
//   - `hookd_work`: deliveries that are due now (new, reopened, replayed), each with its shard, so that only the
//     worker holding the shard reads them. The sender's process id comes first: a process that has already handed
//     them to its own engine skips its own notices.
//   - `hookd_changes`: a webhook changed, an account went, API keys or custom event types changed; every process
//     drops what it cached of it.
// A notice is at most 8000 bytes; the deliveries of one transaction are split over as many as they need.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/postgres/connection.h"
#include "store/work_distribution.h"

namespace hookd::postgres {

inline constexpr const char* kWorkChannel = "hookd_work";
inline constexpr const char* kChangeChannel = "hookd_changes";

struct WorkNotice {
  std::string sender;
  std::vector<DueNotice> deliveries;
};

// Sends `hookd_work` notices for `deliveries` (of webhooks, by id) from `sender`.
[[nodiscard]] Status NotifyDue(Connection& conn, const std::string& sender,
                               const std::vector<std::pair<std::string_view, std::string_view>>& delivery_and_webhook);
[[nodiscard]] Status NotifyChange(Connection& conn, const ChangeNotice& change);

// The notices' payloads as sent and as read back; nullopt for a payload this version does not understand.
[[nodiscard]] std::vector<std::string> FormatWorkNotices(
    const std::string& sender, const std::vector<std::pair<std::string_view, std::string_view>>& delivery_and_webhook);
[[nodiscard]] std::optional<WorkNotice> ParseWorkNotice(std::string_view payload);
[[nodiscard]] std::string FormatChangeNotice(const ChangeNotice& change);
[[nodiscard]] std::optional<ChangeNotice> ParseChangeNotice(std::string_view payload);

}  // namespace hookd::postgres
