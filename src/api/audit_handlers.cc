// GET /api/v1/audit-log (SPEC §9): an account's audit records, or with the admin token every account's (or one's
// with `account_id`), newest first, filtered by target, action, actor and time. Records are read-only: no route
// creates, changes or deletes one.
#include <algorithm>
#include <array>
#include <string_view>

#include "api/api.h"
#include "api/json_mapping.h"

namespace hookd {
namespace {

constexpr std::array<std::string_view, 8> kAuditQuery = {"account_id", "target_id", "action", "actor_id",
                                                         "since",      "until",     "limit",  "cursor"};

}  // namespace

HttpResponse Api::ListAuditLog(const HttpRequest& request, const PathParams&, const Principal& principal) {
  for (const auto& [name, value] : request.query) {
    if (std::find(kAuditQuery.begin(), kAuditQuery.end(), name) == kAuditQuery.end() || name.empty()) {
      return ErrorResponse(Error::BadRequest("unknown query parameter " + name +
                                             " (filters: target_id, action, "
                                             "actor_id, since, until; and account_id with the admin token)"));
    }
  }
  AuditFilter filter;
  if (!principal.admin) {
    if (request.Query("account_id") && *request.Query("account_id") != principal.account_id) {
      return ErrorResponse(Error::BadRequest("account_id is for the admin token"));
    }
    filter.account_id = principal.account_id;
  } else if (const std::string* account = request.Query("account_id")) {
    filter.account_id = *account;
  }
  if (const std::string* target = request.Query("target_id")) filter.target_id = *target;
  if (const std::string* actor = request.Query("actor_id")) filter.actor_id = *actor;
  if (const std::string* action = request.Query("action")) {
    if (!IsAuditAction(*action)) return ErrorResponse(Error::BadRequest("unknown action " + *action));
    filter.action = *action;
  }
  auto page = ParsePageRequest(request, "aud_");
  if (!page) return ErrorResponse(page.error());
  auto range = ParseTimeRangeQuery(request, clock_.NowMs());
  if (!range) return ErrorResponse(range.error());
  filter.since_ms = range->since_ms;
  filter.until_ms = range->until_ms;
  auto records = store_.ListAuditRecords(filter, *page);
  if (!records) return ErrorResponse(records.error());
  return JsonResponse(200, PageJson(*records, [](const AuditRecord& r) { return AuditRecordJson(r, true); }));
}

}  // namespace hookd
