// SQLite store. Reads go to pooled read connections; every write is a job on the group-commit writer. Queries
// are string literals so each is prepared once per connection.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/ids.h"
#include "common/json.h"
#include "common/time_util.h"
#include "domain/subscription.h"
#include "store/row_values.h"
#include "store/sqlite/migrations.h"

namespace hookd::sqlite {
namespace {

// How long an accepted delivery may go without its own row (its first outcome usually writes it within
// milliseconds); after that it gets a pending row, so the awaiting table and the map stay small.
constexpr int64_t kDeliveryRowDelayMs = 1000;

std::string StringsToJson(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return SerializeJson(a);
}

std::vector<std::string> StringsFromJson(const std::string& text) {
  std::vector<std::string> out;
  json::value v = ParseJsonOrNull(text);
  if (v.is_array()) {
    for (const auto& item : v.as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

Account AccountFromRow(const Statement& q) {
  return Account{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4)};
}

ApiKey ApiKeyFromRow(const Statement& q) {
  ApiKey k;
  k.id = q.Text(0);
  k.account_id = q.Text(1);
  k.name = q.Text(2);
  k.prefix = q.Text(3);
  k.created_at_ms = q.Int(4);
  k.last_used_at_ms = q.OptInt(5);
  return k;
}

PortalSession PortalSessionFromRow(const Statement& q) {
  return PortalSession{q.Text(0), q.Text(1), ParsePortalAccess(q.Text(2)).value_or(PortalAccess::kRead), q.Text(3),
                       q.Int(4), q.Int(5)};
}

Event EventFromRow(const Statement& q) {
  Event e;
  e.id = q.Text(0);
  e.account_id = q.Text(1);
  e.type = q.Text(2);
  e.environment = q.Text(3);
  e.data_json = q.Text(4);
  e.metadata_json = q.Text(5);
  e.created_at_ms = q.Int(6);
  return e;
}

Delivery DeliveryFromRow(const Statement& q) {
  Delivery d;
  d.id = q.Text(0);
  d.account_id = q.Text(1);
  d.event_id = q.Text(2);
  d.webhook_id = q.Text(3);
  d.event_type = q.Text(4);
  d.status = ParseDeliveryStatus(q.Text(5)).value_or(DeliveryStatus::kPending);
  d.attempt_count = static_cast<int>(q.Int(6));
  d.next_attempt_at_ms = q.OptInt(7);
  d.created_at_ms = q.Int(8);
  d.completed_at_ms = q.OptInt(9);
  d.latency_ms = q.OptInt(10);
  if (!q.IsNull(11)) d.last_response_status = static_cast<int>(q.Int(11));
  d.last_response_time_ms = q.OptInt(12);
  d.last_error = q.Text(13);
  return d;
}

Attempt AttemptFromRow(const Statement& q) {
  Attempt a;
  a.id = q.Text(0);
  a.delivery_id = q.Text(1);
  a.number = static_cast<int>(q.Int(2));
  a.started_at_ms = q.Int(3);
  if (!q.IsNull(4)) a.response_status = static_cast<int>(q.Int(4));
  a.response_time_ms = q.Int(5);
  a.error = q.Text(6);
  a.request_headers_json = q.Text(7);
  a.request_body = q.Text(8);
  a.request_body_truncated = q.Int(9) != 0;
  a.response_headers_json = q.Text(10);
  a.response_body = q.Text(11);
  a.response_body_truncated = q.Int(12) != 0;
  a.success = q.Int(13) != 0;
  return a;
}

#define WEBHOOK_SELECT                                                                                            \
  "SELECT id, account_id, url, name, description, events, active, environment, rate_limit, ordered, "            \
  "payload_format, headers, metadata, secret_enc, previous_secret_enc, previous_secret_expires_at, status, "     \
  "disabled_reason, circuit, created_at, updated_at FROM webhooks "

#define DELIVERY_SELECT                                                                                           \
  "SELECT id, account_id, event_id, webhook_id, event_type, status, attempt_count, next_attempt_at, created_at, " \
  "completed_at, latency_ms, last_response_status, last_response_time_ms, last_error FROM deliveries "

#define EVENT_SELECT "SELECT id, account_id, type, environment, data, metadata, created_at FROM events "

// NotFound unless the account exists (checked in the transaction that adds something of it).
Status RequireAccount(Database& db, const std::string& account_id) {
  auto exists = db.Prepare("SELECT 1 FROM accounts WHERE id = ?");
  exists.Bind(1, account_id);
  if (!exists.Step()) return Fail(Error::NotFound("account not found"));
  return Ok();
}

// Runs `delete_sql` (a literal: statements are cached by address), "DELETE … WHERE id = ? AND account_id = ?", for
// an API key or a portal session; NotFound when the account has no such row.
Status DeleteOfAccount(Database& db, const char* delete_sql, const std::string& id, const std::string& account_id,
                       const char* what) {
  auto r = db.Prepare(delete_sql)
               .Bind(1, id)
               .Bind(2, account_id)
               .Run();
  if (!r) return r;
  if (db.Changes() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, const std::string& master_key,
                                                       std::chrono::milliseconds outcome_batch_delay,
                                                       Metrics* metrics) {
  if (master_key.size() != 32) return Fail(Error::Unavailable("master key must be 32 bytes"));
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  auto db = Database::Open(path, false);
  if (!db) return Fail(db.error());
  if (auto st = ApplyMigrations(**db); !st) return Fail(st.error());
  // Checkpoints run on their own thread and connection, off the writer's critical path. But under sustained load
  // that checkpointer never catches up with the last commit, and only then can SQLite reuse the WAL from its start:
  // it would grow for as long as the load lasts. So the writer also checkpoints once the WAL holds 8192 pages (128 MiB at
  // 16 KiB pages); it copies only the little the background pass has not, and the next transaction restarts the WAL.
  if (auto st = (*db)->Exec("PRAGMA wal_autocheckpoint=8192"); !st) return Fail(st.error());
  auto checkpoint_db = Database::Open(path, false);
  if (!checkpoint_db) return Fail(checkpoint_db.error());
  auto store = std::unique_ptr<SqliteStore>(
      new SqliteStore(path, SecretCipher(master_key), std::move(*db), outcome_batch_delay, metrics));
  store->checkpointer_ = std::make_unique<Checkpointer>(std::move(*checkpoint_db));
  // After a crash, deliveries accepted but not yet written get their pending rows before anything reads them.
  if (auto st = store->WriteAwaitingDeliveries(); !st) return Fail(st.error());
  SqliteStore* self = store.get();
  store->awaiting_sweep_ = std::make_unique<PeriodicTask>("hookd-awaiting", std::chrono::milliseconds(250),
                                                          [self](PeriodicTask&) { self->SweepAwaitingDeliveries(); });
  return store;
}

SqliteStore::SqliteStore(std::string path, SecretCipher cipher, std::unique_ptr<Database> write_db,
                         std::chrono::milliseconds outcome_batch_delay, Metrics* metrics)
    : path_(std::move(path)),
      cipher_(std::move(cipher)),
      // A rolled-back group may have filled the match cache from rows that never existed, and the map of
      // deliveries awaiting their rows no longer matches the database.
      writer_(std::make_unique<GroupCommitWriter>(
          std::move(write_db),
          [this] {
            match_cache_.clear();
            awaiting_.OnRollback();
          },
          outcome_batch_delay, metrics)) {}

SqliteStore::~SqliteStore() {
  awaiting_sweep_.reset();
  writer_.reset();
  checkpointer_.reset();
}

void SqliteStore::SweepAwaitingDeliveries() {
  if (!awaiting_.MaybeAwaiting() || sweeping_awaiting_.exchange(true)) return;
  auto emptied_as_of = std::make_shared<std::optional<uint64_t>>();
  writer_->Submit(
      [this, emptied_as_of](Database& db) -> Status {
        emptied_as_of->reset();
        const uint64_t changes = awaiting_.Changes();
        if (auto st = awaiting_.WriteAwaitingAsPending(db, NowMs() - kDeliveryRowDelayMs); !st) return st;
        auto left = awaiting_.AnyAwaiting(db);
        if (!left) return Fail(left.error());
        if (!*left) *emptied_as_of = changes;
        return Ok();
      },
      [this, emptied_as_of](const Status& st) {
        if (st && *emptied_as_of) awaiting_.WrittenThrough(**emptied_as_of);  // committed, and nothing waits
        sweeping_awaiting_.store(false);
      });
}

Status SqliteStore::WriteAwaitingDeliveries() {
  // Skipped only when no delivery lacks its row and no outcome is held for a bulk write (the job below, being
  // ordered, commits those first).
  if (!awaiting_.MaybeAwaiting() && !writer_->HoldsBulkJobs()) return Ok();
  uint64_t changes = 0;
  if (auto st = writer_->Run([this, &changes](Database& db) {
        changes = awaiting_.Changes();
        return awaiting_.WriteAwaitingAsPending(db);
      });
      !st) {
    return st;
  }
  awaiting_.WrittenThrough(changes);  // committed: readers may skip the barrier until the next addition
  return Ok();
}

template <class Fn>
auto SqliteStore::WithReader(Fn&& fn) -> decltype(fn(std::declval<Database&>())) {
  std::unique_ptr<Database> db;
  {
    MutexLock lock(&readers_mu_);
    if (!idle_readers_.empty()) {
      db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (!db) {
    auto opened = Database::Open(path_, false);
    if (!opened) return Fail(opened.error());
    db = std::move(*opened);
  }
  auto result = fn(*db);
  MutexLock lock(&readers_mu_);
  idle_readers_.push_back(std::move(db));
  return result;
}

// ---- accounts and keys ----

Result<Account> SqliteStore::CreateAccount(const Account& account) {
  Status st = writer_->Run([&](Database& db) {
    return db.Prepare("INSERT INTO accounts(id, name, email, created_at, updated_at) VALUES (?,?,?,?,?)")
        .Bind(1, account.id)
        .Bind(2, account.name)
        .Bind(3, account.email)
        .Bind(4, account.created_at_ms)
        .Bind(5, account.updated_at_ms)
        .Run();
  });
  if (!st) return Fail(st.error());
  return account;
}

Result<Account> SqliteStore::GetAccount(const std::string& id) {
  return WithReader([&](Database& db) -> Result<Account> {
    auto q = db.Prepare("SELECT id, name, email, created_at, updated_at FROM accounts WHERE id = ?");
    q.Bind(1, id);
    if (!q.Step()) return Fail(Error::NotFound("account not found"));
    return AccountFromRow(q);
  });
}

Result<Page<Account>> SqliteStore::ListAccounts(const PageRequest& page) {
  return WithReader([&](Database& db) -> Result<Page<Account>> {
    auto q = db.Prepare(
        "SELECT id, name, email, created_at, updated_at FROM accounts WHERE (?1 = '' OR id < ?1) "
        "ORDER BY id DESC LIMIT ?2");
    q.Bind(1, page.cursor).Bind(2, page.limit + 1);
    std::vector<Account> rows;
    while (q.Step()) rows.push_back(AccountFromRow(q));
    return MakePage(std::move(rows), page.limit);
  });
}

Result<Account> SqliteStore::UpdateAccount(const Account& account) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto q = db.Prepare("UPDATE accounts SET name = ?, email = ?, updated_at = ? WHERE id = ?");
    if (auto r = q.Bind(1, account.name).Bind(2, account.email).Bind(3, account.updated_at_ms).Bind(4, account.id).Run();
        !r) {
      return r;
    }
    if (db.Changes() == 0) return Fail(Error::NotFound("account not found"));
    return Ok();
  });
  if (!st) return Fail(st.error());
  return GetAccount(account.id);
}

Status SqliteStore::DeleteAccount(const std::string& id) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    if (auto r = db.Prepare("DELETE FROM accounts WHERE id = ?").Bind(1, id).Run(); !r) return r;
    if (db.Changes() == 0) return Fail(Error::NotFound("account not found"));
    InvalidateMatchInfo(id);
    return Ok();
  });
}

Result<ApiKey> SqliteStore::CreateApiKey(const ApiKey& key, const std::string& key_hash) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = RequireAccount(db, key.account_id); !st) return st;
    return db
        .Prepare("INSERT INTO api_keys(id, account_id, name, prefix, key_hash, created_at) VALUES (?,?,?,?,?,?)")
        .Bind(1, key.id)
        .Bind(2, key.account_id)
        .Bind(3, key.name)
        .Bind(4, key.prefix)
        .Bind(5, key_hash)
        .Bind(6, key.created_at_ms)
        .Run();
  });
  if (!st) return Fail(st.error());
  return key;
}

Result<std::vector<ApiKey>> SqliteStore::ListApiKeys(const std::string& account_id) {
  return WithReader([&](Database& db) -> Result<std::vector<ApiKey>> {
    auto q = db.Prepare(
        "SELECT id, account_id, name, prefix, created_at, last_used_at FROM api_keys WHERE account_id = ? "
        "ORDER BY id DESC");
    q.Bind(1, account_id);
    std::vector<ApiKey> keys;
    while (q.Step()) keys.push_back(ApiKeyFromRow(q));
    return keys;
  });
}

Status SqliteStore::RevokeApiKey(const std::string& account_id, const std::string& key_id) {
  return writer_->Run(
      [&](Database& db) -> Status { return DeleteOfAccount(db, "DELETE FROM api_keys WHERE id = ? AND account_id = ?", key_id, account_id,
                                                                 "API key"); });
}

Result<std::optional<ApiKey>> SqliteStore::FindApiKeyByHash(const std::string& key_hash) {
  return WithReader([&](Database& db) -> Result<std::optional<ApiKey>> {
    auto q = db.Prepare(
        "SELECT id, account_id, name, prefix, created_at, last_used_at FROM api_keys WHERE key_hash = ?");
    q.Bind(1, key_hash);
    if (!q.Step()) return std::optional<ApiKey>();
    return std::optional<ApiKey>(ApiKeyFromRow(q));
  });
}

// ---- portal sessions ----

Result<PortalSession> SqliteStore::CreatePortalSession(const PortalSession& session, const std::string& token_hash) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = RequireAccount(db, session.account_id); !st) return st;
    if (auto purged = db.Prepare("DELETE FROM portal_sessions WHERE account_id = ? AND expires_at < ?")
                          .Bind(1, session.account_id)
                          .Bind(2, session.created_at_ms - kExpiredPortalSessionKeepMs)
                          .Run();
        !purged) {
      return purged;
    }
    return db
        .Prepare("INSERT INTO portal_sessions(id, account_id, token_hash, access, return_url, created_at, expires_at) "
                 "VALUES (?,?,?,?,?,?,?)")
        .Bind(1, session.id)
        .Bind(2, session.account_id)
        .Bind(3, token_hash)
        .Bind(4, ToString(session.access))
        .Bind(5, session.return_url)
        .Bind(6, session.created_at_ms)
        .Bind(7, session.expires_at_ms)
        .Run();
  });
  if (!st) return Fail(st.error());
  return session;
}

Status SqliteStore::RevokePortalSession(const std::string& account_id, const std::string& session_id) {
  return writer_->Run([&](Database& db) -> Status {
    return DeleteOfAccount(db, "DELETE FROM portal_sessions WHERE id = ? AND account_id = ?", session_id, account_id,
                           "portal session");
  });
}

Result<std::optional<PortalSession>> SqliteStore::FindPortalSessionByHash(const std::string& token_hash) {
  return WithReader([&](Database& db) -> Result<std::optional<PortalSession>> {
    auto q = db.Prepare(
        "SELECT id, account_id, access, return_url, created_at, expires_at FROM portal_sessions WHERE token_hash = ?");
    q.Bind(1, token_hash);
    if (!q.Step()) return std::optional<PortalSession>();
    return std::optional<PortalSession>(PortalSessionFromRow(q));
  });
}

// ---- webhooks ----

Result<Webhook> SqliteStore::ReadWebhook(Database& db, const char* sql, const std::string& a, const std::string& b) {
  auto q = db.Prepare(sql);
  q.Bind(1, a);
  if (!b.empty()) q.Bind(2, b);
  if (!q.Step()) return Fail(Error::NotFound("webhook not found"));
  Webhook w;
  w.id = q.Text(0);
  w.account_id = q.Text(1);
  w.url = q.Text(2);
  w.name = q.Text(3);
  w.description = q.Text(4);
  w.events = StringsFromJson(q.Text(5));
  w.active = q.Int(6) != 0;
  w.environment = q.Text(7);
  w.rate_limit = static_cast<int>(q.Int(8));
  w.ordered = q.Int(9) != 0;
  w.payload_format = ParsePayloadFormat(q.Text(10)).value_or(PayloadFormat::kStandard);
  w.headers = HeadersFromJsonObject(q.Text(11));
  w.metadata_json = q.Text(12);
  auto secret = cipher_.Decrypt(q.Text(13));
  if (!secret) return Fail(secret.error());
  w.secret = *secret;
  if (!q.IsNull(14)) {
    auto previous = cipher_.Decrypt(q.Text(14));
    if (!previous) return Fail(previous.error());
    w.previous_secret = *previous;
    w.previous_secret_expires_at_ms = q.Int(15);
  }
  const auto status = ParseWebhookStatus(q.Text(16));
  const auto circuit = ParseCircuitState(q.Text(18));
  if (!status || !circuit) return Fail(Error::Internal("webhook " + w.id + " has an unknown status or circuit state"));
  w.status = *status;
  w.disabled_reason = q.Text(17);
  w.circuit = *circuit;
  w.created_at_ms = q.Int(19);
  w.updated_at_ms = q.Int(20);
  return w;
}

// Binds a webhook's stored fields in the order both webhook statements use: ?1 id, ?2 account_id, ?3 url, ?4 name,
// ?5 description, ?6 events, ?7 active, ?8 environment, ?9 rate_limit, ?10 ordered, ?11 payload_format,
// ?12 headers, ?13 metadata, ?14 secret_enc, ?15 previous_secret_enc ('' = none), ?16 previous_secret_expires_at,
// ?17 status, ?18 disabled_reason, ?19 circuit, ?20 updated_at.
Statement& SqliteStore::BindWebhook(Statement& q, const Webhook& w) {
  return q.Bind(1, w.id)
      .Bind(2, w.account_id)
      .Bind(3, w.url)
      .Bind(4, w.name)
      .Bind(5, w.description)
      .Bind(6, StringsToJson(w.events))
      .Bind(7, w.active)
      .Bind(8, w.environment)
      .Bind(9, w.rate_limit)
      .Bind(10, w.ordered)
      .Bind(11, ToString(w.payload_format))
      .Bind(12, HeadersToJsonObject(w.headers))
      .Bind(13, w.metadata_json)
      .Bind(14, cipher_.Encrypt(w.secret))
      .Bind(15, w.previous_secret.empty() ? std::string() : cipher_.Encrypt(w.previous_secret))
      .Bind(16, w.previous_secret.empty() ? std::optional<int64_t>() : w.previous_secret_expires_at_ms)
      .Bind(17, ToString(w.status))
      .Bind(18, w.disabled_reason)
      .Bind(19, ToString(w.circuit))
      .Bind(20, w.updated_at_ms);
}

Result<Webhook> SqliteStore::CreateWebhook(const Webhook& w, int max_per_account) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto count = db.Prepare("SELECT COUNT(*) FROM webhooks WHERE account_id = ?");
    if (count.Bind(1, w.account_id).Step() && count.Int(0) >= max_per_account) {
      return Fail(Error::Conflict("too_many_webhooks", "this account already has " + std::to_string(max_per_account) +
                                                           " webhooks, the most this server allows"));
    }
    auto q = db.Prepare(
        "INSERT INTO webhooks(id, account_id, url, name, description, events, active, environment, rate_limit, "
        "ordered, payload_format, headers, metadata, secret_enc, previous_secret_enc, previous_secret_expires_at, "
        "status, disabled_reason, circuit, updated_at, created_at) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,NULLIF(?15, ''),?16,?17,NULLIF(?18, ''),?19,?20,?21)");
    auto r = BindWebhook(q, w).Bind(21, w.created_at_ms).Run();
    if (r) InvalidateMatchInfo(w.account_id);
    return r;
  });
  if (!st) return Fail(st.error());
  return w;
}

Result<Webhook> SqliteStore::GetWebhook(const std::string& account_id, const std::string& id) {
  return WithReader([&](Database& db) {
    return ReadWebhook(db, WEBHOOK_SELECT "WHERE id = ?1 AND account_id = ?2", id, account_id);
  });
}

Result<Webhook> SqliteStore::GetWebhookById(const std::string& id) {
  return WithReader([&](Database& db) { return ReadWebhook(db, WEBHOOK_SELECT "WHERE id = ?1", id, ""); });
}

Result<Page<Webhook>> SqliteStore::ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                                 const PageRequest& page) {
  // Ids first (cheap), then each webhook in full on the same connection; the event filter needs the pattern list,
  // so it runs here. A webhook that fails to load (its secret does not decrypt, say) fails the list: a list that
  // silently left it out would hide it from its owner.
  auto rows = WithReader([&](Database& db) -> Result<std::vector<Webhook>> {
    auto q = db.Prepare(
        "SELECT id, events FROM webhooks WHERE account_id = ?1 AND (?2 = '' OR id < ?2) "
        "AND (?3 < 0 OR active = ?3) AND (?4 = '' OR environment = ?4) AND (?5 = '' OR status = ?5) "
        "ORDER BY id DESC");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.active ? (*filter.active ? 1 : 0) : -1)
        .Bind(4, filter.environment)
        .Bind(5, filter.status ? ToString(*filter.status) : "");
    std::vector<std::string> ids;
    while (static_cast<int>(ids.size()) <= page.limit && q.Step()) {
      if (filter.event_type.empty() || MatchesAnyPattern(StringsFromJson(q.Text(1)), filter.event_type)) {
        ids.push_back(q.Text(0));
      }
    }
    std::vector<Webhook> out;
    for (const std::string& id : ids) {
      auto w = ReadWebhook(db, WEBHOOK_SELECT "WHERE id = ?1 AND account_id = ?2", id, account_id);
      if (!w) return Fail(w.error());
      out.push_back(std::move(*w));
    }
    return out;
  });
  if (!rows) return Fail(rows.error());
  return MakePage(std::move(*rows), page.limit);
}

Result<Webhook> SqliteStore::UpdateWebhook(const Webhook& w, bool sets_activity) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto q = db.Prepare(
        "UPDATE webhooks SET url=?3, name=?4, description=?5, events=?6, environment=?8, rate_limit=?9, "
        "ordered=?10, payload_format=?11, headers=?12, metadata=?13, secret_enc=?14, "
        "previous_secret_enc=NULLIF(?15, ''), previous_secret_expires_at=?16, updated_at=?20, "
        "active = CASE WHEN ?21 THEN ?7 ELSE active END, status = CASE WHEN ?21 THEN ?17 ELSE status END, "
        "disabled_reason = CASE WHEN ?21 THEN NULLIF(?18, '') ELSE disabled_reason END, "
        "circuit = CASE WHEN ?21 THEN ?19 ELSE circuit END WHERE id=?1 AND account_id=?2");
    auto r = BindWebhook(q, w).Bind(21, sets_activity).Run();
    if (!r) return r;
    if (db.Changes() == 0) return Fail(Error::NotFound("webhook not found"));
    InvalidateMatchInfo(w.account_id);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return GetWebhook(w.account_id, w.id);
}

Status SqliteStore::DeleteWebhook(const std::string& account_id, const std::string& id) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    auto r = db.Prepare("DELETE FROM webhooks WHERE id = ? AND account_id = ?").Bind(1, id).Bind(2, account_id).Run();
    if (!r) return r;
    if (db.Changes() == 0) return Fail(Error::NotFound("webhook not found"));
    // The webhook's log goes with it: nothing can address it any more.
    if (auto a = db.Prepare("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?)")
                     .Bind(1, id)
                     .Run();
        !a) {
      return a;
    }
    if (auto d = db.Prepare("DELETE FROM deliveries WHERE webhook_id = ?").Bind(1, id).Run(); !d) return d;
    InvalidateMatchInfo(account_id);
    return Ok();
  });
}

// ---- events ----

const std::vector<SqliteStore::MatchInfo>& SqliteStore::MatchInfoFor(Database& db, const std::string& account_id) {
  writer_thread_.AssertOnOwner();
  auto it = match_cache_.find(account_id);
  if (it != match_cache_.end()) return it->second;
  std::vector<MatchInfo> infos;
  auto q = db.Prepare("SELECT id, active, environment, events FROM webhooks WHERE account_id = ? ORDER BY id");
  q.Bind(1, account_id);
  while (q.Step()) infos.push_back({q.Text(0), q.Int(1) != 0, q.Text(2), StringsFromJson(q.Text(3))});
  if (match_cache_.size() > 10'000) match_cache_.clear();  // bound memory; rebuilt on demand
  return match_cache_.emplace(account_id, std::move(infos)).first->second;
}

void SqliteStore::InvalidateMatchInfo(const std::string& account_id) {
  writer_thread_.AssertOnOwner();
  match_cache_.erase(account_id);
}

Status SqliteStore::AcceptOne(Database& db, NewEvent& input, int64_t now_ms, AcceptedEvent& out) {
  Event& e = input.event;
  if (!input.idempotency_key.empty()) {
    auto q = db.Prepare(
        "SELECT id, account_id, type, environment, data, metadata, created_at, initial_deliveries FROM events "
        "WHERE account_id = ? AND idempotency_key = ?");
    q.Bind(1, e.account_id).Bind(2, input.idempotency_key);
    if (q.Step()) {
      if (q.Int(6) >= now_ms - kIdempotencyWindowMs) {
        out.event = EventFromRow(q);
        out.delivery_count = static_cast<int>(q.Int(7));
        out.replayed = true;
        return Ok();
      }
      const std::string old_id = q.Text(0);
      if (auto r = db.Prepare("UPDATE events SET idempotency_key = NULL WHERE id = ?").Bind(1, old_id).Run(); !r) {
        return r;
      }
    }
  }
  out.event = e;
  std::vector<std::string> targets;
  for (const MatchInfo& w : MatchInfoFor(db, e.account_id)) {
    if (WebhookReceives(w.active, w.environment, w.events, e.environment, e.type)) targets.push_back(w.id);
  }
  out.delivery_count = static_cast<int>(targets.size());
  auto ins = db.Prepare(
      "INSERT INTO events(id, account_id, type, environment, data, metadata, created_at, idempotency_key, "
      "initial_deliveries) VALUES (?,?,?,?,?,?,?,?,?)");
  ins.BindView(1, e.id).BindView(2, e.account_id).BindView(3, e.type).BindView(4, e.environment);
  ins.BindView(5, e.data_json);
  if (e.metadata_json.empty()) ins.BindNull(6); else ins.BindView(6, e.metadata_json);
  ins.Bind(7, e.created_at_ms);
  if (input.idempotency_key.empty()) ins.BindNull(8); else ins.BindView(8, input.idempotency_key);
  ins.Bind(9, out.delivery_count);
  if (auto r = ins.Run(); !r) return r;
  out.deliveries.reserve(targets.size());
  for (const std::string& webhook_id : targets) out.deliveries.push_back(NewDelivery(e, webhook_id, now_ms));
  // Durable through the event's awaiting row; each delivery's own row comes with its first outcome.
  return awaiting_.Add(db, e, out.deliveries, now_ms);
}

Result<Delivery> SqliteStore::InsertDelivery(Database& db, const Event& event, const std::string& webhook_id,
                                             int64_t now_ms) {
  Delivery d = NewDelivery(event, webhook_id, now_ms);
  auto r = db.Prepare(kInsertDeliverySql)
               .BindView(1, d.id)
               .BindView(2, d.account_id)
               .BindView(3, d.event_id)
               .BindView(4, d.webhook_id)
               .BindView(5, d.event_type)
               .Bind(6, d.next_attempt_at_ms)
               .Bind(7, d.created_at_ms)
               .Run();
  if (!r) return Fail(r.error());
  return d;
}

void SqliteStore::AcceptEventsAsync(std::vector<NewEvent> events,
                                    std::function<void(Result<std::vector<AcceptedEvent>>)> done) {
  struct Batch {
    std::vector<NewEvent> events;
    std::vector<AcceptedEvent> accepted;
  };
  auto batch = std::make_shared<Batch>(Batch{std::move(events), {}});
  writer_->Submit(
      [this, batch](Database& db) -> Status {
        batch->accepted.clear();
        batch->accepted.resize(batch->events.size());
        const int64_t now = NowMs();
        for (size_t i = 0; i < batch->events.size(); ++i) {
          if (auto r = AcceptOne(db, batch->events[i], now, batch->accepted[i]); !r) return r;
        }
        return Ok();
      },
      [batch, done = std::move(done)](Status st) {
        if (!st) return done(Fail(st.error()));
        done(std::move(batch->accepted));
      },
      GroupCommitWriter::Timing::kIndependent);  // new events do not depend on the outcomes held in bulk
}

Result<Event> SqliteStore::GetEvent(const std::string& account_id, const std::string& id) {
  return WithReader([&](Database& db) -> Result<Event> {
    auto q = db.Prepare(EVENT_SELECT "WHERE id = ? AND account_id = ?");
    q.Bind(1, id).Bind(2, account_id);
    if (!q.Step()) return Fail(Error::NotFound("event not found"));
    return EventFromRow(q);
  });
}

Result<Event> SqliteStore::GetEventById(const std::string& id) {
  return WithReader([&](Database& db) -> Result<Event> {
    auto q = db.Prepare(EVENT_SELECT "WHERE id = ?");
    q.Bind(1, id);
    if (!q.Step()) return Fail(Error::NotFound("event not found"));
    return EventFromRow(q);
  });
}

Result<std::vector<Event>> SqliteStore::GetEventsByIds(const std::vector<std::string>& ids) {
  return WithReader([&](Database& db) -> Result<std::vector<Event>> {
    std::vector<Event> events;
    for (const std::string& id : ids) {
      auto q = db.Prepare(EVENT_SELECT "WHERE id = ?");  // cached by the connection: prepared once
      q.Bind(1, id);
      if (q.Step()) events.push_back(EventFromRow(q));
    }
    return events;
  });
}

Result<Page<Event>> SqliteStore::ListEvents(const std::string& account_id, const EventFilter& filter,
                                            const PageRequest& page) {
  return WithReader([&](Database& db) -> Result<Page<Event>> {
    auto q = db.Prepare(EVENT_SELECT
                        "WHERE account_id = ?1 AND (?2 = '' OR id < ?2) AND (?3 = '' OR type = ?3) "
                        "AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) "
                        "ORDER BY id DESC LIMIT ?6");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.type)
        .Bind(4, filter.since_ms)
        .Bind(5, filter.until_ms)
        .Bind(6, page.limit + 1);
    std::vector<Event> rows;
    while (q.Step()) rows.push_back(EventFromRow(q));
    return MakePage(std::move(rows), page.limit);
  });
}

// ---- deliveries ----

Result<Page<Delivery>> SqliteStore::ListDeliveries(const std::string& account_id, const DeliveryFilter& filter,
                                                   const PageRequest& page) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<Page<Delivery>> {
    // Two statements so each can use its own index: one webhook's log, or the whole account's.
    auto q = filter.webhook_id.empty()
                 ? db.Prepare(DELIVERY_SELECT
                              "WHERE account_id = ?1 AND (?2 = '' OR id < ?2) AND (?3 = '' OR event_type = ?3) "
                              "AND (?4 = '' OR status = ?4) AND (?5 IS NULL OR created_at >= ?5) "
                              "AND (?6 IS NULL OR created_at < ?6) AND (?8 = '' OR webhook_id = ?8) "
                              "ORDER BY id DESC LIMIT ?7")
                 : db.Prepare(DELIVERY_SELECT
                              "WHERE webhook_id = ?8 AND account_id = ?1 AND (?2 = '' OR id < ?2) "
                              "AND (?3 = '' OR event_type = ?3) AND (?4 = '' OR status = ?4) "
                              "AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) "
                              "ORDER BY id DESC LIMIT ?7");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.event_type)
        .Bind(4, filter.status ? ToString(*filter.status) : "")
        .Bind(5, filter.since_ms)
        .Bind(6, filter.until_ms)
        .Bind(7, page.limit + 1)
        .Bind(8, filter.webhook_id);
    std::vector<Delivery> rows;
    while (q.Step()) rows.push_back(DeliveryFromRow(q));
    return MakePage(std::move(rows), page.limit);
  });
}

Result<Delivery> SqliteStore::GetDelivery(const std::string& account_id, const std::string& id) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<Delivery> {
    Delivery d;
    {
      auto q = db.Prepare(DELIVERY_SELECT "WHERE id = ? AND account_id = ?");
      q.Bind(1, id).Bind(2, account_id);
      if (!q.Step()) return Fail(Error::NotFound("delivery not found"));
      d = DeliveryFromRow(q);
    }
    auto a = db.Prepare(
        "SELECT id, delivery_id, number, started_at, response_status, response_time_ms, error, request_headers, "
        "request_body, request_body_truncated, response_headers, response_body, response_body_truncated, success "
        "FROM attempts WHERE delivery_id = ? ORDER BY number");
    a.Bind(1, id);
    while (a.Step()) d.attempts.push_back(AttemptFromRow(a));
    return d;
  });
}

Result<std::vector<Delivery>> SqliteStore::ListDeliveriesOfEvent(const std::string& event_id) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<std::vector<Delivery>> {
    auto q = db.Prepare(DELIVERY_SELECT "WHERE event_id = ? ORDER BY id");
    q.Bind(1, event_id);
    std::vector<Delivery> rows;
    while (q.Step()) rows.push_back(DeliveryFromRow(q));
    return rows;
  });
}

Status SqliteStore::ForEachUnfinishedDelivery(const std::function<void(const DueDelivery&)>& visit) {
  if (auto st = WriteAwaitingDeliveries(); !st) return st;
  return WithReader([&](Database& db) -> Status {
    auto q = db.Prepare(
        "SELECT d.id, d.webhook_id, d.event_id, d.attempt_count, COALESCE(d.next_attempt_at, d.created_at), "
        "e.created_at FROM deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE d.completed_at IS NULL ORDER BY d.next_attempt_at");
    while (q.Step()) {
      visit(DueDelivery{q.Text(0), q.Text(1), q.Text(2), static_cast<int>(q.Int(3)), q.Int(4), q.Int(5), nullptr});
    }
    if (q.Failed()) return Fail(Error::Internal("reading unfinished deliveries failed: " + db.LastError()));
    return Ok();
  });
}

void SqliteStore::RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) {
  // Outcomes touch every webhook's leaf of the delivery log: written in bulk, each leaf is rewritten once per batch
  // rather than once per group. Records of different deliveries do not depend on one another, so an urgent one
  // may commit ahead of those held.
  const bool urgent = std::ranges::any_of(records, &AttemptRecord::urgent);
  auto shared = std::make_shared<std::vector<AttemptRecord>>(std::move(records));
  writer_->Submit(
      [this, shared](Database& db) -> Status {
        for (const AttemptRecord& r : *shared) {
          if (auto st = RecordAttempt(db, r); !st) return st;
        }
        return Ok();
      },
      [done = std::move(done)](Status st) { done(std::move(st), {}); },
      urgent ? GroupCommitWriter::Timing::kIndependent : GroupCommitWriter::Timing::kBulk);
}

Status SqliteStore::RecordAttempt(Database& db, const AttemptRecord& r) {
  const Attempt& a = r.attempt;
  const bool finished = r.new_status == DeliveryStatus::kSucceeded || r.new_status == DeliveryStatus::kDead;
  auto has_row = awaiting_.WriteOutcome(
      db, AwaitingDeliveries::Outcome{
              .delivery_id = a.delivery_id,
              .status = r.new_status,
              .attempt_count = a.number,
              .next_attempt_at_ms = r.next_attempt_at_ms,
              .completed_at_ms = finished ? std::optional<int64_t>(a.started_at_ms + a.response_time_ms) : std::nullopt,
              .latency_ms = r.latency_ms,
              .response_status = a.response_status,
              .response_time_ms = a.response_time_ms,
              .error = a.error,
          });
  if (!has_row) return Fail(has_row.error());
  if (!*has_row) return Ok();  // deleted with its webhook while the attempt was in flight: nothing to log it under
  auto ins = db.Prepare(kInsertAttemptSql);
  ins.BindView(1, a.id).BindView(2, a.delivery_id).Bind(3, a.number).Bind(4, a.started_at_ms);
  if (a.response_status) ins.Bind(5, *a.response_status); else ins.BindNull(5);
  ins.Bind(6, a.response_time_ms);
  if (a.error.empty()) ins.BindNull(7); else ins.BindView(7, a.error);
  ins.BindView(8, a.request_headers_json)
      .BindView(9, a.request_body)
      .Bind(10, a.request_body_truncated)
      .BindView(11, a.response_headers_json)
      .BindView(12, a.response_body)
      .Bind(13, a.response_body_truncated)
      .Bind(14, a.success);
  if (auto st = ins.Run(); !st) return st;
  if (r.disable_webhook) {
    auto dis = db.Prepare(
        "UPDATE webhooks SET active = 0, status = 'disabled', disabled_reason = ?2, updated_at = ?3 "
        "WHERE id = (SELECT webhook_id FROM deliveries WHERE id = ?1)");
    dis.Bind(1, a.delivery_id).Bind(2, r.disabled_reason).Bind(3, NowMs());
    if (auto st = dis.Run(); !st) return st;
    match_cache_.clear();
  }
  return Ok();
}

void SqliteStore::UpdateWebhookHealthAsync(const std::string& webhook_id, WebhookStatus status, CircuitState circuit) {
  writer_->Submit(
      [webhook_id, status, circuit](Database& db) {
        return db
            .Prepare("UPDATE webhooks SET circuit = ?2, status = CASE WHEN status = 'disabled' THEN status ELSE ?3 END "
                     "WHERE id = ?1")
            .Bind(1, webhook_id)
            .Bind(2, ToString(circuit))
            .Bind(3, ToString(status))
            .Run();
      },
      nullptr);
}

// ---- manual recovery ----

namespace {

bool Has(const std::vector<DeliveryStatus>& statuses, DeliveryStatus s) {
  return std::find(statuses.begin(), statuses.end(), s) != statuses.end();
}

// Makes a delivery due again: pending, not completed, next attempt now. Its attempt count is kept, so a dead
// delivery gets one more attempt and a failed one continues its schedule.
Status Reopen(Database& db, const std::string& id, int64_t now_ms) {
  return db
      .Prepare("UPDATE deliveries SET status = 'pending', completed_at = NULL, next_attempt_at = ?2, latency_ms = NULL "
               "WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, now_ms)
      .Run();
}

}  // namespace

Result<Delivery> SqliteStore::ReopenDelivery(const std::string& account_id, const std::string& delivery_id) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    auto q = db.Prepare("SELECT status FROM deliveries WHERE id = ? AND account_id = ?");
    q.Bind(1, delivery_id).Bind(2, account_id);
    if (!q.Step()) return Fail(Error::NotFound("delivery not found"));
    const std::string status = q.Text(0);
    if (status == "succeeded") {
      return Fail(Error::Conflict("delivery_succeeded",
                                  "the delivery already succeeded; replay the event to send it again"));
    }
    if (status == "pending") return Fail(Error::Conflict("delivery_pending", "the delivery is already due"));
    return Reopen(db, delivery_id, NowMs());
  });
  if (!st) return Fail(st.error());
  return GetDelivery(account_id, delivery_id);
}

Result<BulkChunk> SqliteStore::ReopenDeliveries(const std::string& webhook_id,
                                                const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                                int64_t until_ms, const std::string& after, int limit) {
  BulkChunk chunk;
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    chunk = BulkChunk{};
    std::vector<Delivery> found;
    {
      auto q = db.Prepare(DELIVERY_SELECT
                          "WHERE webhook_id = ?1 AND id > ?2 AND created_at >= ?3 AND created_at < ?4 "
                          "AND ((?5 = 1 AND status = 'failed') OR (?6 = 1 AND status = 'dead')) ORDER BY id LIMIT ?7");
      q.Bind(1, webhook_id)
          .Bind(2, after)
          .Bind(3, since_ms)
          .Bind(4, until_ms)
          .Bind(5, Has(statuses, DeliveryStatus::kFailed))
          .Bind(6, Has(statuses, DeliveryStatus::kDead))
          .Bind(7, limit);
      while (q.Step()) found.push_back(DeliveryFromRow(q));
    }
    const int64_t now = NowMs();
    for (Delivery& d : found) {
      if (auto r = Reopen(db, d.id, now); !r) return r;
      d.status = DeliveryStatus::kPending;
      d.next_attempt_at_ms = now;
      d.completed_at_ms.reset();
    }
    chunk.scanned = static_cast<int>(found.size());
    if (chunk.scanned == limit) chunk.next_after = found.back().id;
    chunk.deliveries = std::move(found);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return chunk;
}

Result<int64_t> SqliteStore::CountDeliveries(const std::string& webhook_id, const std::vector<DeliveryStatus>& statuses,
                                             int64_t since_ms, int64_t until_ms) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<int64_t> {
    auto q = db.Prepare(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = ?1 AND created_at >= ?2 AND created_at < ?3 "
        "AND ((?4 = 1 AND status = 'failed') OR (?5 = 1 AND status = 'dead'))");
    q.Bind(1, webhook_id)
        .Bind(2, since_ms)
        .Bind(3, until_ms)
        .Bind(4, Has(statuses, DeliveryStatus::kFailed))
        .Bind(5, Has(statuses, DeliveryStatus::kDead));
    return q.Step() ? q.Int(0) : 0;
  });
}

Result<std::vector<Delivery>> SqliteStore::CreateDeliveries(const Event& event,
                                                            const std::vector<std::string>& webhook_ids) {
  std::vector<Delivery> created;
  Status st = writer_->Run([&](Database& db) -> Status {
    created.clear();
    const int64_t now = NowMs();
    for (const std::string& webhook_id : webhook_ids) {
      auto d = InsertDelivery(db, event, webhook_id, now);
      if (!d) return Fail(d.error());
      created.push_back(std::move(*d));
    }
    return Ok();
  });
  if (!st) return Fail(st.error());
  return created;
}

Result<BulkChunk> SqliteStore::ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms,
                                            const std::string& after, int limit) {
  BulkChunk chunk;
  Status st = writer_->Run([&](Database& db) -> Status {
    chunk = BulkChunk{};
    std::vector<Event> events;
    {
      auto q = db.Prepare(EVENT_SELECT
                          "WHERE account_id = ?1 AND id > ?2 AND created_at >= ?3 AND created_at < ?4 "
                          "ORDER BY id LIMIT ?5");
      q.Bind(1, webhook.account_id).Bind(2, after).Bind(3, since_ms).Bind(4, until_ms).Bind(5, limit);
      while (q.Step()) events.push_back(EventFromRow(q));
    }
    const int64_t now = NowMs();
    for (const Event& e : events) {
      if (e.environment != webhook.environment || !MatchesAnyPattern(webhook.events, e.type)) continue;
      auto d = InsertDelivery(db, e, webhook.id, now);
      if (!d) return Fail(d.error());
      chunk.deliveries.push_back(std::move(*d));
    }
    chunk.scanned = static_cast<int>(events.size());
    if (chunk.scanned == limit) chunk.next_after = events.back().id;
    return Ok();
  });
  if (!st) return Fail(st.error());
  return chunk;
}

// ---- retention ----

Result<int64_t> SqliteStore::PurgeOlderThan(int64_t cutoff_ms, int limit) {
  // Ids sort by creation time, so "older than the cutoff" is a range scan of the primary key.
  const std::string delivery_cutoff = "dlv_" + EncodeUlid(static_cast<uint64_t>(cutoff_ms), 0, 0);
  const std::string event_cutoff = "evt_" + EncodeUlid(static_cast<uint64_t>(cutoff_ms), 0, 0);
  int64_t purged = 0;
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    purged = 0;
    if (auto r = db.Prepare("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE id < ?1 "
                            "AND completed_at IS NOT NULL ORDER BY id LIMIT ?2)")
                     .Bind(1, delivery_cutoff)
                     .Bind(2, limit)
                     .Run();
        !r) {
      return r;
    }
    if (auto r = db.Prepare("DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 "
                            "AND completed_at IS NOT NULL ORDER BY id LIMIT ?2)")
                     .Bind(1, delivery_cutoff)
                     .Bind(2, limit)
                     .Run();
        !r) {
      return r;
    }
    purged += db.Changes();
    if (auto r = db.Prepare("DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.id < ?1 AND NOT EXISTS "
                            "(SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.id LIMIT ?2)")
                     .Bind(1, event_cutoff)
                     .Bind(2, limit)
                     .Run();
        !r) {
      return r;
    }
    purged += db.Changes();
    return Ok();
  });
  if (!st) return Fail(st.error());
  return purged;
}

// ---- statistics ----

Result<DeliveryStats> SqliteStore::Stats(const StatsQuery& query) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  const std::string from = "dlv_" + EncodeUlid(static_cast<uint64_t>(std::max<int64_t>(0, query.since_ms)), 0, 0);
  return WithReader([&](Database& db) -> Result<DeliveryStats> {
    auto q = db.Prepare(
        "SELECT event_type, webhook_id, status, attempt_count, latency_ms, created_at FROM deliveries "
        "WHERE account_id = ?1 AND id >= ?2 AND (?3 = '' OR webhook_id = ?3)");
    q.Bind(1, query.account_id).Bind(2, from).Bind(3, query.webhook_id);
    StatsBuilder stats(query.bucket_ms, query.since_ms, NowMs());
    while (q.Step()) stats.Add(q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.OptInt(4), q.Int(5));
    return stats.Finish();
  });
}

Result<std::array<int64_t, 3>> SqliteStore::CountWebhooksByStatus() {
  return WithReader([&](Database& db) -> Result<std::array<int64_t, 3>> {
    auto q = db.Prepare("SELECT status, COUNT(*) FROM webhooks GROUP BY status");
    std::array<int64_t, 3> counts{};
    while (q.Step()) {
      if (auto status = ParseWebhookStatus(q.Text(0))) counts[static_cast<size_t>(*status)] = q.Int(1);
    }
    return counts;
  });
}

// ---- custom event types ----

Result<std::vector<EventType>> SqliteStore::ListCustomEventTypes() {
  return WithReader([&](Database& db) -> Result<std::vector<EventType>> {
    auto q = db.Prepare("SELECT type, category, description FROM event_types ORDER BY type");
    std::vector<EventType> out;
    while (q.Step()) out.push_back({q.Text(0), q.Text(1), q.Text(2), true});
    return out;
  });
}

Status SqliteStore::CreateCustomEventType(const EventType& type) {
  return writer_->Run([&](Database& db) -> Status {
    auto exists = db.Prepare("SELECT 1 FROM event_types WHERE type = ?");
    exists.Bind(1, type.type);
    if (exists.Step()) return Fail(Error::Conflict("already_exists", "event type already exists"));
    return db.Prepare("INSERT INTO event_types(type, category, description, created_at) VALUES (?,?,?,?)")
        .Bind(1, type.type)
        .Bind(2, type.category)
        .Bind(3, type.description)
        .Bind(4, NowMs())
        .Run();
  });
}

Status SqliteStore::DeleteCustomEventType(const std::string& type) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto r = db.Prepare("DELETE FROM event_types WHERE type = ?").Bind(1, type).Run(); !r) return r;
    if (db.Changes() == 0) return Fail(Error::NotFound("custom event type not found"));
    return Ok();
  });
}

void SqliteStore::Flush() { writer_->Flush(); }

}  // namespace hookd::sqlite
