// PostgreSQL store. Queries are string literals, prepared once per connection. Reads and API writes take a pooled
// connection; events and attempt outcomes are written by the two batch writers.
#include "store/postgres/postgres_store.h"

#include <unistd.h>

#include <algorithm>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_util.h"
#include "common/utf8.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "domain/subscription.h"
#include "domain/sharding.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notices.h"
#include "store/row_values.h"

namespace hookd::postgres {
namespace {

#define WEBHOOK_SELECT                                                                                            \
  "SELECT id, account_id, url, name, description, events, active, environment, rate_limit, ordered, "            \
  "payload_format, headers, metadata, secret_enc, previous_secret_enc, previous_secret_expires_at, status, "     \
  "disabled_reason, circuit, created_at, updated_at FROM webhooks "

#define DELIVERY_COLUMNS                                                                                         \
  "id, account_id, event_id, webhook_id, event_type, status, attempt_count, next_attempt_at, created_at, "      \
  "completed_at, latency_ms, last_response_status, last_response_time_ms, last_error "

#define DELIVERY_SELECT "SELECT " DELIVERY_COLUMNS "FROM deliveries "

#define EVENT_SELECT "SELECT id, account_id, type, environment, data, metadata, created_at FROM events "

#define ACCOUNT_SELECT "SELECT id, name, email, created_at, updated_at FROM accounts "

#define API_KEY_SELECT "SELECT id, account_id, name, prefix, created_at, last_used_at FROM api_keys "

// One new pending delivery per element of the arrays: id, account_id, event_id, webhook_id, event_type; $6 = now.
constexpr const char* kInsertDeliveriesSql =
    "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at) SELECT u.id, u.account_id, u.event_id, u.webhook_id, u.event_type, 'pending', 0, "
    "$6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "AS u(id, account_id, event_id, webhook_id, event_type)";

Account AccountFromRow(const Rows& r, int i) {
  return Account{r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3), r.Int(i, 4)};
}

PortalSession PortalSessionFromRow(const Rows& r, int i) {
  return PortalSession{r.Text(i, 0), r.Text(i, 1), ParsePortalAccess(r.Text(i, 2)).value_or(PortalAccess::kRead),
                       r.Text(i, 3), r.Int(i, 4), r.Int(i, 5)};
}

ApiKey ApiKeyFromRow(const Rows& r, int i) {
  ApiKey k;
  k.id = r.Text(i, 0);
  k.account_id = r.Text(i, 1);
  k.name = r.Text(i, 2);
  k.prefix = r.Text(i, 3);
  k.created_at_ms = r.Int(i, 4);
  k.last_used_at_ms = r.OptInt(i, 5);
  return k;
}

Event EventFromRow(const Rows& r, int i) {
  Event e;
  e.id = r.Text(i, 0);
  e.account_id = r.Text(i, 1);
  e.type = r.Text(i, 2);
  e.environment = r.Text(i, 3);
  e.data_json = r.Text(i, 4);
  e.metadata_json = r.Text(i, 5);
  e.created_at_ms = r.Int(i, 6);
  return e;
}

Delivery DeliveryFromRow(const Rows& r, int i) {
  Delivery d;
  d.id = r.Text(i, 0);
  d.account_id = r.Text(i, 1);
  d.event_id = r.Text(i, 2);
  d.webhook_id = r.Text(i, 3);
  d.event_type = r.Text(i, 4);
  d.status = ParseDeliveryStatus(r.Text(i, 5)).value_or(DeliveryStatus::kPending);
  d.attempt_count = static_cast<int>(r.Int(i, 6));
  d.next_attempt_at_ms = r.OptInt(i, 7);
  d.created_at_ms = r.Int(i, 8);
  d.completed_at_ms = r.OptInt(i, 9);
  d.latency_ms = r.OptInt(i, 10);
  if (!r.IsNull(i, 11)) d.last_response_status = static_cast<int>(r.Int(i, 11));
  d.last_response_time_ms = r.OptInt(i, 12);
  d.last_error = r.Text(i, 13);
  return d;
}

Attempt AttemptFromRow(const Rows& r, int i) {
  Attempt a;
  a.id = r.Text(i, 0);
  a.delivery_id = r.Text(i, 1);
  a.number = static_cast<int>(r.Int(i, 2));
  a.started_at_ms = r.Int(i, 3);
  if (!r.IsNull(i, 4)) a.response_status = static_cast<int>(r.Int(i, 4));
  a.response_time_ms = r.Int(i, 5);
  a.error = r.Text(i, 6);
  a.request_headers_json = r.Text(i, 7);
  a.request_body = r.Text(i, 8);
  a.request_body_truncated = r.Bool(i, 9);
  a.response_headers_json = r.Text(i, 10);
  a.response_body = r.Bytes(i, 11);
  a.response_body_truncated = r.Bool(i, 12);
  a.success = r.Bool(i, 13);
  return a;
}

template <class T>
std::vector<T> AllRows(const Rows& rows, T (*from_row)(const Rows&, int)) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.Count()));
  for (int i = 0; i < rows.Count(); ++i) out.push_back(from_row(rows, i));
  return out;
}

std::string TextArray(const std::vector<std::string>& items) {
  ArrayParam a;
  for (const auto& s : items) a.Add(s);
  return a.Take();
}

// The statuses a bulk retry reopens, as a text[] for `status = ANY($n)`.
std::string StatusArray(const std::vector<DeliveryStatus>& statuses) {
  ArrayParam a;
  for (DeliveryStatus s : statuses) {
    if (s == DeliveryStatus::kFailed || s == DeliveryStatus::kDead) a.Add(ToString(s));
  }
  return a.Take();
}

// Announces deliveries that are due now to the workers holding their shards (sent at the commit).
Status AnnounceDue(Connection& conn, const std::string& sender, const std::vector<const Delivery*>& deliveries) {
  std::vector<std::pair<std::string_view, std::string_view>> due;
  due.reserve(deliveries.size());
  for (const Delivery* d : deliveries) due.emplace_back(d->id, d->webhook_id);
  return NotifyDue(conn, sender, due);
}

// Inserts new pending deliveries, all in one statement, and announces them.
Status InsertDeliveries(Connection& conn, const std::string& sender, const std::vector<const Delivery*>& deliveries,
                        int64_t now_ms) {
  if (deliveries.empty()) return Ok();
  ArrayParam ids, accounts, events, webhooks, types;
  for (const Delivery* d : deliveries) {
    ids.Add(d->id);
    accounts.Add(d->account_id);
    events.Add(d->event_id);
    webhooks.Add(d->webhook_id);
    types.Add(d->event_type);
  }
  auto r = conn.Exec(kInsertDeliveriesSql, Params()
                                               .Add(ids.Take())
                                               .Add(accounts.Take())
                                               .Add(events.Take())
                                               .Add(webhooks.Take())
                                               .Add(types.Take())
                                               .Add(now_ms));
  if (!r) return Fail(r.error());
  return AnnounceDue(conn, sender, deliveries);
}

// A bound below every id of `prefix` created at or after `since_ms`, so a time filter is also a range of the id
// indexes. An id's time and its row's created_at are read a moment apart, so the bound has a minute of slack; the
// created_at condition stays exact.
std::string IdLowerBound(const char* prefix, std::optional<int64_t> since_ms) {
  if (!since_ms) return "";
  return prefix + EncodeUlid(static_cast<uint64_t>(std::max<int64_t>(0, *since_ms - 60'000)), 0, 0);
}

// Every process on one database must seal secrets with the same master key, or each would fail to read the
// others' webhooks. The first start records a check value of the key (an HMAC, which reveals nothing of it); a
// process with another key is refused at start instead of failing on every webhook later.
Status CheckMasterKey(Connection& conn, const std::string& master_key) {
  const std::string check = HexEncode(HmacSha256(master_key, "hookd master key check"));
  auto r = conn.Exec(
      "WITH added AS (INSERT INTO hookd_settings(name, value) VALUES ('master_key_check', $1) "
      "ON CONFLICT (name) DO NOTHING RETURNING value) "
      "SELECT value FROM added UNION ALL SELECT value FROM hookd_settings WHERE name = 'master_key_check'",
      Params().Add(check));
  if (!r) return Fail(r.error());
  for (int i = 0; i < r->Count(); ++i) {
    if (r->Text(i, 0) != check) {
      return Fail(Error::Unavailable(
          "the master key differs from the one this database's secrets are sealed with; give every hookd process "
          "on this database the same --master-key (or <data-dir>/master.key)"));
    }
  }
  return Ok();
}

// The first row of `r` through `from_row`, or `NotFound` ("<what> not found") when there is none.
template <class T, class FromRow>
Result<T> FirstRow(const Result<Rows>& r, const char* what, FromRow from_row) {
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return from_row(*r, 0);
}

Status NotFoundUnlessChanged(const Result<Rows>& r, const char* what) {
  if (!r) return Fail(r.error());
  if (r->Affected() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return Ok();
}

// Runs `write` and announces `change` in one transaction, so every process drops what it cached once the change
// is committed.
Status WriteAndAnnounce(Pool& pool, const ChangeNotice& change, const std::function<Status(Connection&)>& write) {
  return pool.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      if (auto st = write(c); !st) return st;
      return NotifyChange(c, change);
    });
  });
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url, const std::string& master_key,
                                                           int pool_size, Metrics* metrics) {
  if (master_key.size() != 32) return Fail(Error::Unavailable("master key must be 32 bytes"));
  auto conn = Connection::Open(url);
  if (!conn) return Fail(conn.error());
  if (auto st = ApplyMigrations(**conn); !st) return Fail(st.error());
  if (auto st = CheckMasterKey(**conn, master_key); !st) return Fail(st.error());
  return std::unique_ptr<PostgresStore>(new PostgresStore(url, SecretCipher(master_key), pool_size, metrics));
}

std::string NewProcessId() {
  char host[64] = {};
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + NewId("").substr(20);
}

PostgresStore::PostgresStore(std::string url, SecretCipher cipher, int pool_size, Metrics* metrics)
    : cipher_(std::move(cipher)), process_id_(NewProcessId()), pool_(url, pool_size) {
  auto connect = [this] { return OpenKeyedConnection(); };
  accept_writer_ = std::make_unique<BatchWriter<AcceptJob>>(
      "hookd-pg-accept", connect,
      [this](Connection& c, std::vector<AcceptJob*>& jobs) { return WriteAccepts(c, jobs); },
      [this](AcceptJob& job, const Status& st) {
        if (!st && IsUnavailable(st.error()) && !job.events.empty()) {
          // The commit may have reached the database before the connection dropped: look again once it answers.
          int64_t since = job.events.front().event.created_at_ms;
          for (const NewEvent& e : job.events) since = std::min(since, e.event.created_at_ms);
          int64_t current = in_doubt_since_ms_.load();
          while ((current == 0 || since < current) && !in_doubt_since_ms_.compare_exchange_weak(current, since)) {
          }
        }
        if (!job.done) return;
        if (!st) return job.done(Fail(st.error()));
        job.done(std::move(job.accepted));
      },
      metrics);
  // With no new events to write, recovery still runs: an empty job makes the accept writer look.
  in_doubt_check_ = std::make_unique<PeriodicTask>("hookd-pg-doubt", std::chrono::seconds(1), [this](PeriodicTask&) {
    if (in_doubt_since_ms_.load() != 0) accept_writer_->Submit(AcceptJob{});
  });
  outcome_writer_ = std::make_unique<BatchWriter<OutcomeJob>>(
      "hookd-pg-outcome", connect,
      [this](Connection& c, std::vector<OutcomeJob*>& jobs) { return WriteOutcomes(c, jobs); },
      [](OutcomeJob& job, const Status& st) {
        if (job.done) job.done(st, st ? std::move(job.refused) : std::vector<size_t>{});
        if (!st && job.health) {
          LogWarn("recording a webhook's circuit failed", {{"webhook_id", job.health->webhook_id},
                                                          {"error", st.error().message}});
        }
      },
      metrics);
}

PostgresStore::~PostgresStore() {
  in_doubt_check_.reset();
  accept_writer_.reset();
  outcome_writer_.reset();
}

// ---- accounts and keys ----

Result<Account> PostgresStore::CreateAccount(const Account& account) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("INSERT INTO accounts(id, name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
                  Params().Add(account.id).Add(account.name).Add(account.email).Add(account.created_at_ms).Add(
                      account.updated_at_ms));
  });
  if (!r) return Fail(r.error());
  return account;
}

Result<Account> PostgresStore::GetAccount(const std::string& id) {
  auto r = pool_.With([&](Connection& c) { return c.Exec(ACCOUNT_SELECT "WHERE id = $1", Params().Add(id)); });
  return FirstRow<Account>(r, "account", AccountFromRow);
}

Result<Page<Account>> PostgresStore::ListAccounts(const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(ACCOUNT_SELECT "WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2",
                  Params().Add(page.cursor).Add(page.limit + 1));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, AccountFromRow), page.limit);
}

Result<Account> PostgresStore::UpdateAccount(const Account& account) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "UPDATE accounts SET name = $2, email = $3, updated_at = $4 WHERE id = $1 "
        "RETURNING id, name, email, created_at, updated_at",
        Params().Add(account.id).Add(account.name).Add(account.email).Add(account.updated_at_ms));
  });
  return FirstRow<Account>(r, "account", AccountFromRow);
}

Status PostgresStore::DeleteAccount(const std::string& id) {
  auto st = WriteAndAnnounce(pool_, {ChangeKind::kAccount, id}, [&](Connection& c) {
    return NotFoundUnlessChanged(c.Exec("DELETE FROM accounts WHERE id = $1", Params().Add(id)), "account");
  });
  if (st) WebhooksChanged();
  return st;
}

Result<ApiKey> PostgresStore::CreateApiKey(const ApiKey& key, const std::string& key_hash) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "INSERT INTO api_keys(id, account_id, name, prefix, key_hash, created_at) "
        "SELECT $1, id, $3, $4, $5, $6 FROM accounts WHERE id = $2",
        Params().Add(key.id).Add(key.account_id).Add(key.name).Add(key.prefix).Add(key_hash).Add(key.created_at_ms));
  });
  if (auto st = NotFoundUnlessChanged(r, "account"); !st) return Fail(st.error());
  return key;
}

Result<std::vector<ApiKey>> PostgresStore::ListApiKeys(const std::string& account_id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(API_KEY_SELECT "WHERE account_id = $1 ORDER BY id DESC", Params().Add(account_id));
  });
  if (!r) return Fail(r.error());
  return AllRows(*r, ApiKeyFromRow);
}

// Runs `delete_sql` (a literal: statements are prepared once per address), "DELETE … WHERE id = $1 AND
// account_id = $2", for an API key or a portal session, and tells every process to drop its cached credentials, so
// the credential stops working everywhere at once.
Status PostgresStore::RevokeCredential(const char* delete_sql, const std::string& id, const std::string& account_id,
                                       const char* what) {
  return WriteAndAnnounce(pool_, {ChangeKind::kApiKeys, ""}, [&](Connection& c) {
    return NotFoundUnlessChanged(c.Exec(delete_sql, Params().Add(id).Add(account_id)), what);
  });
}

Status PostgresStore::RevokeApiKey(const std::string& account_id, const std::string& key_id) {
  return RevokeCredential("DELETE FROM api_keys WHERE id = $1 AND account_id = $2", key_id, account_id, "API key");
}

Result<std::optional<ApiKey>> PostgresStore::FindApiKeyByHash(const std::string& key_hash) {
  auto r = pool_.With([&](Connection& c) { return c.Exec(API_KEY_SELECT "WHERE key_hash = $1", Params().Add(key_hash)); });
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return std::optional<ApiKey>();
  return std::optional<ApiKey>(ApiKeyFromRow(*r, 0));
}

// ---- portal sessions ----

Result<PortalSession> PostgresStore::CreatePortalSession(const PortalSession& session, const std::string& token_hash) {
  auto r = pool_.With([&](Connection& c) -> Result<Rows> {
    if (auto purged = c.Exec("DELETE FROM portal_sessions WHERE account_id = $1 AND expires_at < $2",
                             Params().Add(session.account_id).Add(session.created_at_ms - kExpiredPortalSessionKeepMs));
        !purged) {
      return purged;
    }
    return c.Exec(
        "INSERT INTO portal_sessions(id, account_id, token_hash, access, return_url, created_at, expires_at) "
        "SELECT $1, id, $3, $4, $5, $6, $7 FROM accounts WHERE id = $2",
        Params()
            .Add(session.id)
            .Add(session.account_id)
            .Add(token_hash)
            .Add(ToString(session.access))
            .Add(session.return_url)
            .Add(session.created_at_ms)
            .Add(session.expires_at_ms));
  });
  if (auto st = NotFoundUnlessChanged(r, "account"); !st) return Fail(st.error());
  return session;
}

Status PostgresStore::RevokePortalSession(const std::string& account_id, const std::string& session_id) {
  return RevokeCredential("DELETE FROM portal_sessions WHERE id = $1 AND account_id = $2", session_id, account_id,
                          "portal session");
}

Result<std::optional<PortalSession>> PostgresStore::FindPortalSessionByHash(const std::string& token_hash) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "SELECT id, account_id, access, return_url, created_at, expires_at FROM portal_sessions WHERE token_hash = $1",
        Params().Add(token_hash));
  });
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return std::optional<PortalSession>();
  return std::optional<PortalSession>(PortalSessionFromRow(*r, 0));
}

// ---- webhooks ----

Result<Webhook> PostgresStore::WebhookFromRow(const Rows& r, int i) const {
  Webhook w;
  w.id = r.Text(i, 0);
  w.account_id = r.Text(i, 1);
  w.url = r.Text(i, 2);
  w.name = r.Text(i, 3);
  w.description = r.Text(i, 4);
  w.events = r.TextArray(i, 5);
  w.active = r.Bool(i, 6);
  w.environment = r.Text(i, 7);
  w.rate_limit = static_cast<int>(r.Int(i, 8));
  w.ordered = r.Bool(i, 9);
  w.payload_format = ParsePayloadFormat(r.Text(i, 10)).value_or(PayloadFormat::kStandard);
  w.headers = HeadersFromJsonObject(r.Text(i, 11));
  w.metadata_json = r.Text(i, 12);
  auto secret = cipher_.Decrypt(r.Text(i, 13));
  if (!secret) return Fail(secret.error());
  w.secret = *secret;
  if (!r.IsNull(i, 14)) {
    auto previous = cipher_.Decrypt(r.Text(i, 14));
    if (!previous) return Fail(previous.error());
    w.previous_secret = *previous;
    w.previous_secret_expires_at_ms = r.Int(i, 15);
  }
  const auto status = ParseWebhookStatus(r.Text(i, 16));
  const auto circuit = ParseCircuitState(r.Text(i, 18));
  if (!status || !circuit) return Fail(Error::Internal("webhook " + w.id + " has an unknown status or circuit state"));
  w.status = *status;
  w.disabled_reason = r.Text(i, 17);
  w.circuit = *circuit;
  w.created_at_ms = r.Int(i, 19);
  w.updated_at_ms = r.Int(i, 20);
  return w;
}

// A webhook's stored fields in the order both webhook statements use: $1 id, $2 account_id, $3 url, $4 name,
// $5 description, $6 events, $7 active, $8 environment, $9 rate_limit, $10 ordered, $11 payload_format,
// $12 headers, $13 metadata, $14 secret_enc, $15 previous_secret_enc, $16 previous_secret_expires_at, $17 status,
// $18 disabled_reason, $19 circuit, $20 updated_at.
Params& PostgresStore::AddWebhookParams(Params& p, const Webhook& w) const {
  const bool rotating = !w.previous_secret.empty();
  return p.Add(w.id)
      .Add(w.account_id)
      .Add(w.url)
      .Add(w.name)
      .Add(w.description)
      .Add(TextArray(w.events))
      .Add(w.active)
      .Add(w.environment)
      .Add(w.rate_limit)
      .Add(w.ordered)
      .Add(ToString(w.payload_format))
      .Add(HeadersToJsonObject(w.headers))
      .Add(w.metadata_json)
      .Add(cipher_.Encrypt(w.secret))
      .AddOrNull(rotating ? cipher_.Encrypt(w.previous_secret) : std::string())
      .Add(rotating ? std::optional<int64_t>(w.previous_secret_expires_at_ms) : std::nullopt)
      .Add(ToString(w.status))
      .AddOrNull(w.disabled_reason)
      .Add(ToString(w.circuit))
      .Add(w.updated_at_ms);
}

Result<Webhook> PostgresStore::CreateWebhook(const Webhook& w, int max_per_account) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      // The account's row lock serialises its concurrent creates, so the cap holds.
      auto account = c.Exec("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", Params().Add(w.account_id));
      if (!account) return Fail(account.error());
      if (account->Count() == 0) return Fail(Error::NotFound("account not found"));
      auto count = c.Exec("SELECT COUNT(*) FROM webhooks WHERE account_id = $1", Params().Add(w.account_id));
      if (!count) return Fail(count.error());
      if (count->Int(0, 0) >= max_per_account) {
        return Fail(Error::Conflict("too_many_webhooks", "this account already has " +
                                                             std::to_string(max_per_account) +
                                                             " webhooks, the most this server allows"));
      }
      Params p;
      AddWebhookParams(p, w).Add(w.created_at_ms).Add(ShardOf(w.id));
      auto r = c.Exec(
          "INSERT INTO webhooks(id, account_id, url, name, description, events, active, environment, rate_limit, "
          "ordered, payload_format, headers, metadata, secret_enc, previous_secret_enc, previous_secret_expires_at, "
          "status, disabled_reason, circuit, updated_at, created_at, shard) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
          "$22)",
          p);
      if (!r) return Fail(r.error());
      return NotifyChange(c, {ChangeKind::kWebhook, w.id});
    });
  });
  if (!st) return Fail(st.error());
  WebhooksChanged();
  return w;
}

Result<Webhook> PostgresStore::GetWebhook(const std::string& account_id, const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(WEBHOOK_SELECT "WHERE id = $1 AND account_id = $2", Params().Add(id).Add(account_id));
  });
  return FirstRow<Webhook>(r, "webhook", [this](const Rows& rows, int i) { return WebhookFromRow(rows, i); });
}

Result<Webhook> PostgresStore::GetWebhookById(const std::string& id) {
  auto r = pool_.With([&](Connection& c) { return c.Exec(WEBHOOK_SELECT "WHERE id = $1", Params().Add(id)); });
  return FirstRow<Webhook>(r, "webhook", [this](const Rows& rows, int i) { return WebhookFromRow(rows, i); });
}

Result<Page<Webhook>> PostgresStore::ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                                  const PageRequest& page) {
  // The event-type filter needs the pattern list, so it runs here; without it the database cuts the page. A
  // webhook that fails to load (its secret does not decrypt, say) fails the list rather than vanish from it.
  const int64_t sql_limit = filter.event_type.empty() ? page.limit + 1 : -1;
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(WEBHOOK_SELECT
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3::boolean IS NULL OR active = $3) "
                  "AND ($4 = '' OR environment = $4) AND ($5 = '' OR status = $5) "
                  "ORDER BY id DESC LIMIT CASE WHEN $6 < 0 THEN NULL ELSE $6 END",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .AddOrNull(filter.active ? (*filter.active ? "t" : "f") : "")
                      .Add(filter.environment)
                      .Add(filter.status ? ToString(*filter.status) : "")
                      .Add(sql_limit));
  });
  if (!r) return Fail(r.error());
  std::vector<Webhook> out;
  for (int i = 0; i < r->Count() && static_cast<int>(out.size()) <= page.limit; ++i) {
    if (!filter.event_type.empty() && !MatchesAnyPattern(r->TextArray(i, 5), filter.event_type)) continue;
    auto w = WebhookFromRow(*r, i);
    if (!w) return Fail(w.error());
    out.push_back(std::move(*w));
  }
  return MakePage(std::move(out), page.limit);
}

Result<Webhook> PostgresStore::UpdateWebhook(const Webhook& w, bool sets_activity) {
  Params p;
  AddWebhookParams(p, w).Add(sets_activity);
  auto st = WriteAndAnnounce(pool_, {ChangeKind::kWebhook, w.id}, [&](Connection& c) {
    return NotFoundUnlessChanged(c.Exec(
        "UPDATE webhooks SET url = $3, name = $4, description = $5, events = $6, environment = $8, "
        "rate_limit = $9, ordered = $10, payload_format = $11, headers = $12, metadata = $13, secret_enc = $14, "
        "previous_secret_enc = $15, previous_secret_expires_at = $16, updated_at = $20, "
        "active = CASE WHEN $21 THEN $7 ELSE active END, status = CASE WHEN $21 THEN $17 ELSE status END, "
        "disabled_reason = CASE WHEN $21 THEN $18 ELSE disabled_reason END, "
        "circuit = CASE WHEN $21 THEN $19 ELSE circuit END WHERE id = $1 AND account_id = $2",
        p), "webhook");
  });
  if (!st) return Fail(st.error());
  WebhooksChanged();
  return GetWebhook(w.account_id, w.id);
}

Status PostgresStore::DeleteWebhook(const std::string& account_id, const std::string& id) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      if (auto st = NotFoundUnlessChanged(
              c.Exec("DELETE FROM webhooks WHERE id = $1 AND account_id = $2", Params().Add(id).Add(account_id)),
              "webhook");
          !st) {
        return st;
      }
      // The webhook's log goes with it: nothing can address it any more.
      auto a = c.Exec("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = $1)",
                      Params().Add(id));
      if (!a) return Fail(a.error());
      auto d = c.Exec("DELETE FROM deliveries WHERE webhook_id = $1", Params().Add(id));
      if (!d) return Fail(d.error());
      return NotifyChange(c, {ChangeKind::kWebhook, id});
    });
  });
  if (st) WebhooksChanged();
  return st;
}

// ---- events ----

Result<const std::vector<PostgresStore::MatchInfo>*> PostgresStore::MatchInfoFor(Connection& conn,
                                                                                 const std::string& account_id) {
  auto it = match_cache_.by_account.find(account_id);
  if (it != match_cache_.by_account.end()) return &it->second;
  auto r = conn.Exec("SELECT id, active, environment, events FROM webhooks WHERE account_id = $1 ORDER BY id",
                     Params().Add(account_id));
  if (!r) return Fail(r.error());
  std::vector<MatchInfo> infos;
  for (int i = 0; i < r->Count(); ++i) {
    infos.push_back({r->Text(i, 0), r->Bool(i, 1), r->Text(i, 2), r->TextArray(i, 3)});
  }
  if (match_cache_.by_account.size() > 10'000) match_cache_.by_account.clear();  // bound memory
  return &match_cache_.by_account.emplace(account_id, std::move(infos)).first->second;
}

void PostgresStore::AcceptEventsAsync(std::vector<NewEvent> events,
                                      std::function<void(Result<std::vector<AcceptedEvent>>)> done) {
  accept_writer_->Submit(AcceptJob{std::move(events), std::move(done), {}});
}

// Events without an idempotency key, and the deliveries of all new events, go in one multi-row statement each. An
// event with a key is inserted on its own with ON CONFLICT: when the key is taken (by an earlier request, or an
// earlier event of this batch), the event holding it is returned instead and nothing is created.
void PostgresStore::OnRecoveredDeliveries(std::function<void(std::vector<Delivery>)> recovered) {
  MutexLock lock(&recovered_mu_);
  recovered_ = std::move(recovered);
}

Status PostgresStore::RecoverInDoubtDeliveries(Connection& conn) {
  const int64_t since = in_doubt_since_ms_.load();
  if (since == 0) return Ok();
  // Ids sort by time: every delivery made since a second before the first doubtful commit. Those the engine already
  // has are ignored by it.
  auto r = conn.Exec(DELIVERY_SELECT "WHERE id >= $1 AND completed_at IS NULL AND attempt_count = 0 ORDER BY id",
                     Params().Add("dlv_" + EncodeUlid(static_cast<uint64_t>(std::max<int64_t>(0, since - 1000)), 0, 0)));
  if (!r) return Fail(r.error());
  std::vector<Delivery> found = AllRows(*r, DeliveryFromRow);
  {
    MutexLock lock(&recovered_mu_);
    if (recovered_ && !found.empty()) recovered_(std::move(found));
  }
  int64_t expected = since;  // unless another doubt arose meanwhile
  in_doubt_since_ms_.compare_exchange_strong(expected, 0);
  return Ok();
}

Status PostgresStore::WriteAccepts(Connection& conn, std::vector<AcceptJob*>& jobs) {
  if (auto st = RecoverInDoubtDeliveries(conn); !st) return st;
  // Every webhook change committed before this batch was taken is seen: the generation is read before the
  // webhooks are, so a cache filled from older rows is dropped at the next batch.
  const uint64_t generation = webhooks_generation_.load(std::memory_order_acquire);
  if (match_cache_.generation != generation) {
    match_cache_.by_account.clear();
    match_cache_.generation = generation;
  }
  const int64_t now = NowMs();
  ArrayParam ids, accounts, types, environments, data, metadata, created, counts;
  int unkeyed = 0;
  std::vector<const Delivery*> deliveries;
  for (AcceptJob* job : jobs) {
    job->accepted.clear();
    job->accepted.resize(job->events.size());
    for (size_t i = 0; i < job->events.size(); ++i) {
      NewEvent& input = job->events[i];
      AcceptedEvent& out = job->accepted[i];
      const Event& e = input.event;
      if (!input.idempotency_key.empty()) {
        auto expired = conn.Exec(
            "UPDATE events SET idempotency_key = NULL WHERE account_id = $1 AND idempotency_key = $2 "
            "AND created_at < $3",
            Params().Add(e.account_id).Add(input.idempotency_key).Add(now - kIdempotencyWindowMs));
        if (!expired) return Fail(expired.error());
      }
      auto targets = MatchInfoFor(conn, e.account_id);
      if (!targets) return Fail(targets.error());
      out.event = e;
      for (const MatchInfo& w : **targets) {
        if (WebhookReceives(w.active, w.environment, w.events, e.environment, e.type)) {
          out.deliveries.push_back(NewDelivery(e, w.id, now));
        }
      }
      out.delivery_count = static_cast<int>(out.deliveries.size());
      if (!input.idempotency_key.empty()) {
        auto inserted = conn.Exec(
            "INSERT INTO events(id, account_id, type, environment, data, metadata, created_at, idempotency_key, "
            "initial_deliveries) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
            Params()
                .Add(e.id)
                .Add(e.account_id)
                .Add(e.type)
                .Add(e.environment)
                .Add(e.data_json)
                .AddOrNull(e.metadata_json)
                .Add(e.created_at_ms)
                .Add(input.idempotency_key)
                .Add(out.delivery_count));
        if (!inserted) return Fail(inserted.error());
        if (inserted->Affected() == 0) {
          auto earlier = conn.Exec(
              "SELECT id, account_id, type, environment, data, metadata, created_at, initial_deliveries FROM events "
              "WHERE account_id = $1 AND idempotency_key = $2",
              Params().Add(e.account_id).Add(input.idempotency_key));
          if (!earlier) return Fail(earlier.error());
          if (earlier->Count() == 0) return Fail(Error::Unavailable("an idempotency key changed hands; retry"));
          out.event = EventFromRow(*earlier, 0);
          out.delivery_count = static_cast<int>(earlier->Int(0, 7));
          out.deliveries.clear();
          out.replayed = true;
          continue;
        }
      } else {
        ids.Add(e.id);
        accounts.Add(e.account_id);
        types.Add(e.type);
        environments.Add(e.environment);
        data.Add(e.data_json);
        metadata.AddOrNull(e.metadata_json);
        created.Add(e.created_at_ms);
        counts.Add(static_cast<int64_t>(out.delivery_count));
        ++unkeyed;
      }
      for (const Delivery& d : out.deliveries) deliveries.push_back(&d);
    }
  }
  if (unkeyed > 0) {
    auto r = conn.Exec(
        "INSERT INTO events(id, account_id, type, environment, data, metadata, created_at, initial_deliveries) "
        "SELECT u.id, u.account_id, u.type, u.environment, u.data::json, u.metadata::json, u.created_at, u.n "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], "
        "$8::integer[]) AS u(id, account_id, type, environment, data, metadata, created_at, n)",
        Params()
            .Add(ids.Take())
            .Add(accounts.Take())
            .Add(types.Take())
            .Add(environments.Take())
            .Add(data.Take())
            .Add(metadata.Take())
            .Add(created.Take())
            .Add(counts.Take()));
    if (!r) return Fail(r.error());
  }
  return InsertDeliveries(conn, process_id_, deliveries, now);
}

Result<Event> PostgresStore::GetEvent(const std::string& account_id, const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(EVENT_SELECT "WHERE id = $1 AND account_id = $2", Params().Add(id).Add(account_id));
  });
  return FirstRow<Event>(r, "event", EventFromRow);
}

Result<Event> PostgresStore::GetEventById(const std::string& id) {
  auto r = pool_.With([&](Connection& c) { return c.Exec(EVENT_SELECT "WHERE id = $1", Params().Add(id)); });
  return FirstRow<Event>(r, "event", EventFromRow);
}

Result<std::vector<Event>> PostgresStore::GetEventsByIds(const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<Event>{};
  ArrayParam list;
  for (const std::string& id : ids) list.Add(id);
  auto r = pool_.With([&](Connection& c) { return c.Exec(EVENT_SELECT "WHERE id = ANY($1::text[])", Params().Add(list.Take())); });
  if (!r) return Fail(r.error());
  return AllRows(*r, EventFromRow);
}

Result<Page<Event>> PostgresStore::ListEvents(const std::string& account_id, const EventFilter& filter,
                                              const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(EVENT_SELECT
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR type = $3) "
                  "AND ($4::bigint IS NULL OR created_at >= $4) AND ($5::bigint IS NULL OR created_at < $5) "
                  "AND id >= $7 ORDER BY id DESC LIMIT $6",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .Add(filter.type)
                      .Add(filter.since_ms)
                      .Add(filter.until_ms)
                      .Add(page.limit + 1)
                      .Add(IdLowerBound("evt_", filter.since_ms)));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, EventFromRow), page.limit);
}

// ---- deliveries ----

Result<Page<Delivery>> PostgresStore::ListDeliveries(const std::string& account_id, const DeliveryFilter& filter,
                                                     const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(DELIVERY_SELECT
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR event_type = $3) "
                  "AND ($4 = '' OR status = $4) AND ($5::bigint IS NULL OR created_at >= $5) "
                  "AND ($6::bigint IS NULL OR created_at < $6) AND ($8 = '' OR webhook_id = $8) AND id >= $9 "
                  "ORDER BY id DESC LIMIT $7",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .Add(filter.event_type)
                      .Add(filter.status ? ToString(*filter.status) : "")
                      .Add(filter.since_ms)
                      .Add(filter.until_ms)
                      .Add(page.limit + 1)
                      .Add(filter.webhook_id)
                      .Add(IdLowerBound("dlv_", filter.since_ms)));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, DeliveryFromRow), page.limit);
}

Result<Delivery> PostgresStore::GetDelivery(const std::string& account_id, const std::string& id) {
  return pool_.With([&](Connection& c) -> Result<Delivery> {
    auto r = c.Exec(DELIVERY_SELECT "WHERE id = $1 AND account_id = $2", Params().Add(id).Add(account_id));
    if (!r) return Fail(r.error());
    if (r->Count() == 0) return Fail(Error::NotFound("delivery not found"));
    Delivery d = DeliveryFromRow(*r, 0);
    auto a = c.Exec(
        "SELECT id, delivery_id, number, started_at, response_status, response_time_ms, error, request_headers, "
        "request_body, request_body_truncated, response_headers, response_body, response_body_truncated, success "
        "FROM attempts WHERE delivery_id = $1 ORDER BY number",
        Params().Add(id));
    if (!a) return Fail(a.error());
    d.attempts = AllRows(*a, AttemptFromRow);
    return d;
  });
}

Result<std::vector<Delivery>> PostgresStore::ListDeliveriesOfEvent(const std::string& event_id) {
  auto r = pool_.With(
      [&](Connection& c) { return c.Exec(DELIVERY_SELECT "WHERE event_id = $1 ORDER BY id", Params().Add(event_id)); });
  if (!r) return Fail(r.error());
  return AllRows(*r, DeliveryFromRow);
}

// The columns of a DueDelivery, for deliveries `d` joined with their events `e`.
#define DUE_COLUMNS "d.id, d.webhook_id, d.event_id, d.attempt_count, COALESCE(d.next_attempt_at, d.created_at), e.created_at "

static DueDelivery DueFromRow(const Rows& r, int i) {
  return DueDelivery{r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), static_cast<int>(r.Int(i, 3)), r.Int(i, 4),
                     r.Int(i, 5), nullptr};
}

Status PostgresStore::ForEachUnfinishedDelivery(const std::function<void(const DueDelivery&)>& visit) {
  // In pages by id (creation order), so a large backlog is never held in one result.
  constexpr int kPage = 10'000;
  std::string after;
  for (;;) {
    auto r = pool_.With([&](Connection& c) {
      return c.Exec("SELECT " DUE_COLUMNS "FROM deliveries d JOIN events e ON e.id = d.event_id "
                    "WHERE d.completed_at IS NULL AND d.id > $1 ORDER BY d.id LIMIT $2",
                    Params().Add(after).Add(kPage));
    });
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->Count(); ++i) visit(DueFromRow(*r, i));
    if (r->Count() < kPage) return Ok();
    after = r->Text(r->Count() - 1, 0);
  }
}

Status PostgresStore::ForEachUnfinishedDeliveryInShards(const std::vector<int>& shards,
                                                        const std::function<bool(const DueDelivery&)>& visit) {
  if (shards.empty()) return Ok();
  ArrayParam shard_list;
  for (int shard : shards) shard_list.Add(static_cast<int64_t>(shard));
  auto webhooks = pool_.With([&](Connection& c) {
    return c.Exec("SELECT id FROM webhooks WHERE shard = ANY($1::integer[]) ORDER BY id", Params().Add(shard_list.Take()));
  });
  if (!webhooks) return Fail(webhooks.error());
  // Webhook by webhook, in pages by id: each page is a range of the partial index of unfinished deliveries.
  constexpr int kPage = 10'000;
  for (int w = 0; w < webhooks->Count(); ++w) {
    const std::string webhook_id = webhooks->Text(w, 0);
    std::string after;
    for (;;) {
      auto r = pool_.With([&](Connection& c) {
        return c.Exec("SELECT " DUE_COLUMNS "FROM deliveries d JOIN events e ON e.id = d.event_id "
                      "WHERE d.webhook_id = $1 AND d.completed_at IS NULL AND d.id > $2 ORDER BY d.id LIMIT $3",
                      Params().Add(webhook_id).Add(after).Add(kPage));
      });
      if (!r) return Fail(r.error());
      for (int i = 0; i < r->Count(); ++i) {
        if (!visit(DueFromRow(*r, i))) return Ok();
      }
      if (r->Count() < kPage) break;
      after = r->Text(r->Count() - 1, 0);
    }
  }
  return Ok();
}

Result<std::unique_ptr<Connection>> PostgresStore::OpenKeyedConnection() const {
  auto conn = pool_.OpenDedicated();
  if (!conn) return conn;
  // Batches of a few thousand ids are a few percent of a young table, where the planner would rather scan the whole
  // table (and hash-join it with the batch) than probe its primary key; as the table grows it changes its mind.
  // Every statement on these connections names its rows by key, so a sequential scan is never the right plan.
  if (auto st = (*conn)->ExecOnce("SET enable_seqscan = off"); !st) return Fail(st.error());
  return conn;
}

Result<std::vector<DueDelivery>> PostgresStore::ReadUnfinishedDeliveries(Connection& c,
                                                                          const std::vector<std::string>& delivery_ids) {
  std::vector<DueDelivery> out;
  if (delivery_ids.empty()) return out;
  ArrayParam ids;
  for (const std::string& id : delivery_ids) ids.Add(id);
  // Two reads by primary key: the deliveries still unfinished, then each of their events once (an event fanned out
  // to many webhooks is read and held once).
  Status st = [&]() -> Status {
    // Finished ones are skipped here rather than in SQL: `completed_at IS NULL` there would let the planner scan
    // the whole partial index of unfinished deliveries, testing each against the list, instead of the primary key.
    auto due = c.Exec("SELECT id, webhook_id, event_id, attempt_count, COALESCE(next_attempt_at, created_at), "
                      "completed_at IS NULL FROM deliveries WHERE id = ANY($1::text[])",
                      Params().Add(ids.Take()));
    if (!due) return Fail(due.error());
    std::unordered_map<std::string, std::shared_ptr<const Event>> events;
    ArrayParam event_ids;
    for (int i = 0; i < due->Count(); ++i) {
      if (due->Bool(i, 5) && events.emplace(due->Text(i, 2), nullptr).second) event_ids.Add(due->Text(i, 2));
    }
    if (events.empty()) return Ok();
    auto read = c.Exec(EVENT_SELECT "WHERE id = ANY($1::text[])", Params().Add(event_ids.Take()));
    if (!read) return Fail(read.error());
    for (int i = 0; i < read->Count(); ++i) {
      auto event = std::make_shared<const Event>(EventFromRow(*read, i));
      events[event->id] = event;
    }
    for (int i = 0; i < due->Count(); ++i) {
      if (!due->Bool(i, 5)) continue;  // finished already
      const auto& event = events[due->Text(i, 2)];
      if (!event) continue;  // purged meanwhile: nothing left to send
      out.push_back(DueDelivery{due->Text(i, 0), due->Text(i, 1), due->Text(i, 2), static_cast<int>(due->Int(i, 3)),
                                due->Int(i, 4), event->created_at_ms, event});
    }
    return Ok();
  }();
  if (!st) return Fail(st.error());
  return out;
}

void PostgresStore::RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) {
  outcome_writer_->Submit(OutcomeJob{std::move(records), std::move(done), std::nullopt, {}});
}

void PostgresStore::UpdateWebhookHealthAsync(const std::string& webhook_id, WebhookStatus status,
                                             CircuitState circuit) {
  outcome_writer_->Submit(OutcomeJob{{}, nullptr, HealthUpdate{webhook_id, status, circuit}, {}});
}

// Every outcome of the batch: the deliveries' new state in one UPDATE, the attempts in one INSERT (only for
// deliveries that still exist: one deleted with its webhook while the attempt was in flight has nothing to log it
// under), then the rare webhook changes one by one. Both statements also name the deliveries with `id = ANY($1)`:
// knowing the batch's size, the planner would otherwise hash-join the unnest with a sequential scan of every
// delivery; with it, it reads the batch's rows by primary key.
Status PostgresStore::WriteOutcomes(Connection& conn, std::vector<OutcomeJob*>& jobs) {
  ArrayParam d_ids, d_status, d_count, d_next, d_completed, d_latency, d_rstatus, d_rtime, d_error;
  ArrayParam a_ids, a_number, a_started, a_status, a_time, a_error, a_req_headers, a_req_body, a_req_trunc,
      a_resp_headers, a_resp_body, a_resp_trunc, a_success;
  // Fencing (SPEC §6): an attempt made under a shard lease is recorded only while the shard's epoch is still the
  // one it ran under. The lease rows are key-share-locked to the commit: a worker taking a shard locks it FOR UPDATE
  // (SKIP LOCKED), so it cannot take one whose outcomes are being written, while the owner's renewals (which
  // change no key) are never held up by them.
  std::unordered_map<int, int64_t> epochs;
  {
    ArrayParam shards;
    bool fenced = false;
    for (OutcomeJob* job : jobs) {
      for (const AttemptRecord& r : job->records) {
        if (r.lease_epoch == 0) continue;
        shards.Add(static_cast<int64_t>(r.shard));
        fenced = true;
      }
    }
    if (fenced) {
      auto current = conn.Exec("SELECT shard, epoch FROM shard_leases WHERE shard = ANY($1::integer[]) FOR KEY SHARE",
                               Params().Add(shards.Take()));
      if (!current) return Fail(current.error());
      for (int i = 0; i < current->Count(); ++i) epochs[static_cast<int>(current->Int(i, 0))] = current->Int(i, 1);
    }
  }
  auto stale = [&](const AttemptRecord& r) { return r.lease_epoch != 0 && epochs[r.shard] != r.lease_epoch; };
  int records = 0;
  bool webhooks_changed = false;
  for (OutcomeJob* job : jobs) {
    job->refused.clear();
    for (size_t i = 0; i < job->records.size(); ++i) {
      const AttemptRecord& r = job->records[i];
      if (stale(r)) {
        job->refused.push_back(i);
        continue;
      }
      const Attempt& a = r.attempt;
      const bool finished = r.new_status == DeliveryStatus::kSucceeded || r.new_status == DeliveryStatus::kDead;
      // Text columns hold UTF-8 only: a receiver's header bytes and a body cut mid-character are repaired.
      const std::string error = ToValidUtf8(a.error);
      d_ids.Add(a.delivery_id);
      d_status.Add(ToString(r.new_status));
      d_count.Add(static_cast<int64_t>(a.number));
      d_next.Add(r.next_attempt_at_ms);
      d_completed.Add(finished ? std::optional<int64_t>(a.started_at_ms + a.response_time_ms) : std::nullopt);
      d_latency.Add(r.latency_ms);
      d_rstatus.Add(a.response_status ? std::optional<int64_t>(*a.response_status) : std::nullopt);
      d_rtime.Add(a.response_time_ms);
      d_error.AddOrNull(error);
      a_ids.Add(a.id);
      a_number.Add(static_cast<int64_t>(a.number));
      a_started.Add(a.started_at_ms);
      a_status.Add(a.response_status ? std::optional<int64_t>(*a.response_status) : std::nullopt);
      a_time.Add(a.response_time_ms);
      a_error.AddOrNull(error);
      a_req_headers.Add(ToValidUtf8(a.request_headers_json));
      a_req_body.Add(ToValidUtf8(a.request_body));
      a_req_trunc.Add(a.request_body_truncated ? "t" : "f");
      a_resp_headers.Add(ToValidUtf8(a.response_headers_json));
      a_resp_body.AddHex(a.response_body);
      a_resp_trunc.Add(a.response_body_truncated ? "t" : "f");
      a_success.Add(a.success ? "t" : "f");
      ++records;
    }
  }
  if (records > 0) {
    const std::string delivery_ids = d_ids.Take();
    auto updated = conn.Exec(
        "UPDATE deliveries d SET status = u.status, attempt_count = u.attempt_count, next_attempt_at = u.next_at, "
        "completed_at = u.completed_at, latency_ms = u.latency, last_response_status = u.rstatus, "
        "last_response_time_ms = u.rtime, last_error = u.error "
        "FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::bigint[], $6::bigint[], "
        "$7::integer[], $8::bigint[], $9::text[]) "
        "AS u(id, status, attempt_count, next_at, completed_at, latency, rstatus, rtime, error) "
        "WHERE d.id = u.id AND d.id = ANY($1::text[])",
        Params()
            .Add(delivery_ids)
            .Add(d_status.Take())
            .Add(d_count.Take())
            .Add(d_next.Take())
            .Add(d_completed.Take())
            .Add(d_latency.Take())
            .Add(d_rstatus.Take())
            .Add(d_rtime.Take())
            .Add(d_error.Take()));
    if (!updated) return Fail(updated.error());
    auto inserted = conn.Exec(
        "INSERT INTO attempts(id, delivery_id, number, started_at, response_status, response_time_ms, error, "
        "request_headers, request_body, request_body_truncated, response_headers, response_body, "
        "response_body_truncated, success) "
        "SELECT u.id, u.delivery_id, u.number, u.started_at, u.status, u.time, u.error, u.req_headers::json, "
        "u.req_body, u.req_trunc, u.resp_headers::json, decode(u.resp_body, 'hex'), u.resp_trunc, u.success "
        "FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::integer[], $6::bigint[], $7::text[], "
        "$8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[], $13::boolean[], $14::boolean[]) "
        "AS u(id, delivery_id, number, started_at, status, time, error, req_headers, req_body, req_trunc, "
        "resp_headers, resp_body, resp_trunc, success) "
        "WHERE u.delivery_id IN (SELECT id FROM deliveries WHERE id = ANY($2::text[]))",
        Params()
            .Add(a_ids.Take())
            .Add(delivery_ids)
            .Add(a_number.Take())
            .Add(a_started.Take())
            .Add(a_status.Take())
            .Add(a_time.Take())
            .Add(a_error.Take())
            .Add(a_req_headers.Take())
            .Add(a_req_body.Take())
            .Add(a_req_trunc.Take())
            .Add(a_resp_headers.Take())
            .Add(a_resp_body.Take())
            .Add(a_resp_trunc.Take())
            .Add(a_success.Take()));
    if (!inserted) return Fail(inserted.error());
  }
  for (OutcomeJob* job : jobs) {
    for (const AttemptRecord& r : job->records) {
      if (!r.disable_webhook || stale(r)) continue;
      auto disabled = conn.Exec(
          "UPDATE webhooks SET active = false, status = 'disabled', disabled_reason = $2, updated_at = $3 "
          "WHERE id = (SELECT webhook_id FROM deliveries WHERE id = $1) RETURNING id",
          Params().Add(r.attempt.delivery_id).Add(r.disabled_reason).Add(NowMs()));
      if (!disabled) return Fail(disabled.error());
      if (disabled->Count() > 0) {
        if (auto st = NotifyChange(conn, {ChangeKind::kWebhook, disabled->Text(0, 0)}); !st) return st;
      }
      webhooks_changed = true;
    }
    if (job->health) {
      auto health = conn.Exec(
          "UPDATE webhooks SET circuit = $2, status = CASE WHEN status = 'disabled' THEN status ELSE $3 END "
          "WHERE id = $1",
          Params().Add(job->health->webhook_id).Add(ToString(job->health->circuit)).Add(ToString(job->health->status)));
      if (!health) return Fail(health.error());
    }
  }
  if (webhooks_changed) WebhooksChanged();  // before the commit: at worst the cache is rebuilt once more
  return Ok();
}

// ---- manual recovery ----

Result<Delivery> PostgresStore::ReopenDelivery(const std::string& account_id, const std::string& delivery_id) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto r = c.Exec("SELECT status, webhook_id FROM deliveries WHERE id = $1 AND account_id = $2 FOR UPDATE",
                      Params().Add(delivery_id).Add(account_id));
      if (!r) return Fail(r.error());
      if (r->Count() == 0) return Fail(Error::NotFound("delivery not found"));
      const std::string status = r->Text(0, 0);
      if (status == "succeeded") {
        return Fail(Error::Conflict("delivery_succeeded",
                                    "the delivery already succeeded; replay the event to send it again"));
      }
      if (status == "pending") return Fail(Error::Conflict("delivery_pending", "the delivery is already due"));
      auto u = c.Exec(
          "UPDATE deliveries SET status = 'pending', completed_at = NULL, next_attempt_at = $2, latency_ms = NULL "
          "WHERE id = $1",
          Params().Add(delivery_id).Add(NowMs()));
      if (!u) return Fail(u.error());
      return NotifyDue(c, process_id_, {{delivery_id, r->Text(0, 1)}});
    });
  });
  if (!st) return Fail(st.error());
  return GetDelivery(account_id, delivery_id);
}

Result<BulkChunk> PostgresStore::ReopenDeliveries(const std::string& webhook_id,
                                                  const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                                  int64_t until_ms, const std::string& after, int limit) {
  // One statement: the page's rows are locked, reopened (pending, due now; the attempt count is kept, so a dead
  // delivery gets one more attempt and a failed one continues its schedule) and returned.
  BulkChunk chunk;
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto r = c.Exec(
          "UPDATE deliveries SET status = 'pending', completed_at = NULL, next_attempt_at = $7, latency_ms = NULL "
          "WHERE id IN (SELECT id FROM deliveries WHERE webhook_id = $1 AND id > $2 AND created_at >= $3 "
          "AND created_at < $4 AND status = ANY($5::text[]) ORDER BY id LIMIT $6 FOR UPDATE) "
          "RETURNING " DELIVERY_COLUMNS,
          Params().Add(webhook_id).Add(after).Add(since_ms).Add(until_ms).Add(StatusArray(statuses)).Add(limit).Add(
              NowMs()));
      if (!r) return Fail(r.error());
      chunk.deliveries = AllRows(*r, DeliveryFromRow);
      std::vector<const Delivery*> reopened;
      for (const Delivery& d : chunk.deliveries) reopened.push_back(&d);
      return AnnounceDue(c, process_id_, reopened);
    });
  });
  if (!st) return Fail(st.error());
  std::sort(chunk.deliveries.begin(), chunk.deliveries.end(),
            [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  chunk.scanned = static_cast<int>(chunk.deliveries.size());
  if (chunk.scanned == limit) chunk.next_after = chunk.deliveries.back().id;
  return chunk;
}

Result<int64_t> PostgresStore::CountDeliveries(const std::string& webhook_id,
                                               const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                               int64_t until_ms) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1 AND created_at >= $2 AND created_at < $3 "
        "AND status = ANY($4::text[])",
        Params().Add(webhook_id).Add(since_ms).Add(until_ms).Add(StatusArray(statuses)));
  });
  if (!r) return Fail(r.error());
  return r->Int(0, 0);
}

Result<std::vector<Delivery>> PostgresStore::CreateDeliveries(const Event& event,
                                                              const std::vector<std::string>& webhook_ids) {
  const int64_t now = NowMs();
  std::vector<Delivery> created;
  for (const std::string& webhook_id : webhook_ids) created.push_back(NewDelivery(event, webhook_id, now));
  std::vector<const Delivery*> rows;
  for (const Delivery& d : created) rows.push_back(&d);
  if (auto st = pool_.With([&](Connection& c) {
        return c.Transaction([&](Connection& c) { return InsertDeliveries(c, process_id_, rows, now); });
      });
      !st) {
    return Fail(st.error());
  }
  return created;
}

Result<BulkChunk> PostgresStore::ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms,
                                              const std::string& after, int limit) {
  BulkChunk chunk;
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      chunk = BulkChunk{};
      auto r = c.Exec(EVENT_SELECT
                      "WHERE account_id = $1 AND id > $2 AND created_at >= $3 AND created_at < $4 "
                      "ORDER BY id LIMIT $5",
                      Params().Add(webhook.account_id).Add(after).Add(since_ms).Add(until_ms).Add(limit));
      if (!r) return Fail(r.error());
      const std::vector<Event> events = AllRows(*r, EventFromRow);
      const int64_t now = NowMs();
      for (const Event& e : events) {
        if (e.environment != webhook.environment || !MatchesAnyPattern(webhook.events, e.type)) continue;
        chunk.deliveries.push_back(NewDelivery(e, webhook.id, now));
      }
      std::vector<const Delivery*> rows;
      for (const Delivery& d : chunk.deliveries) rows.push_back(&d);
      chunk.scanned = static_cast<int>(events.size());
      if (chunk.scanned == limit) chunk.next_after = events.back().id;
      return InsertDeliveries(c, process_id_, rows, now);
    });
  });
  if (!st) return Fail(st.error());
  return chunk;
}

// ---- retention ----

Result<int64_t> PostgresStore::PurgeOlderThan(int64_t cutoff_ms, int limit) {
  // Ids sort by creation time, so "older than the cutoff" is a range of the primary key. Each statement picks its
  // batch once (a CTE is one snapshot), so a delivery's attempts always go with it; rows another transaction holds
  // are skipped, never waited for.
  const std::string delivery_cutoff = "dlv_" + EncodeUlid(static_cast<uint64_t>(cutoff_ms), 0, 0);
  const std::string event_cutoff = "evt_" + EncodeUlid(static_cast<uint64_t>(cutoff_ms), 0, 0);
  return pool_.With([&](Connection& c) -> Result<int64_t> {
    auto deliveries = c.Exec(
        "WITH doomed AS (SELECT id FROM deliveries WHERE id < $1 AND completed_at IS NOT NULL ORDER BY id LIMIT $2 "
        "FOR UPDATE SKIP LOCKED), gone_attempts AS (DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM doomed)) "
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed)",
        Params().Add(delivery_cutoff).Add(limit));
    if (!deliveries) return Fail(deliveries.error());
    auto events = c.Exec(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.id < $1 AND NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.id LIMIT $2 FOR UPDATE SKIP LOCKED)",
        Params().Add(event_cutoff).Add(limit));
    if (!events) return Fail(events.error());
    return deliveries->Affected() + events->Affected();
  });
}

// ---- statistics ----

Result<DeliveryStats> PostgresStore::Stats(const StatsQuery& query) {
  const std::string from = "dlv_" + EncodeUlid(static_cast<uint64_t>(std::max<int64_t>(0, query.since_ms)), 0, 0);
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "SELECT event_type, webhook_id, status, attempt_count, latency_ms, created_at FROM deliveries "
        "WHERE account_id = $1 AND id >= $2 AND ($3 = '' OR webhook_id = $3)",
        Params().Add(query.account_id).Add(from).Add(query.webhook_id));
  });
  if (!r) return Fail(r.error());
  StatsBuilder stats(query.bucket_ms, query.since_ms, NowMs());
  for (int i = 0; i < r->Count(); ++i) {
    stats.Add(r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), r->Int(i, 3), r->OptInt(i, 4), r->Int(i, 5));
  }
  return stats.Finish();
}

Result<std::array<int64_t, 3>> PostgresStore::CountWebhooksByStatus() {
  auto r = pool_.With([&](Connection& c) { return c.Exec("SELECT status, COUNT(*) FROM webhooks GROUP BY status"); });
  if (!r) return Fail(r.error());
  std::array<int64_t, 3> counts{};
  for (int i = 0; i < r->Count(); ++i) {
    if (auto status = ParseWebhookStatus(r->Text(i, 0))) counts[static_cast<size_t>(*status)] = r->Int(i, 1);
  }
  return counts;
}

// ---- custom event types ----

Result<std::vector<EventType>> PostgresStore::ListCustomEventTypes() {
  auto r = pool_.With(
      [&](Connection& c) { return c.Exec("SELECT type, category, description FROM event_types ORDER BY type"); });
  if (!r) return Fail(r.error());
  std::vector<EventType> out;
  for (int i = 0; i < r->Count(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), true});
  return out;
}

Status PostgresStore::CreateCustomEventType(const EventType& type) {
  return WriteAndAnnounce(pool_, {ChangeKind::kEventTypes, ""}, [&](Connection& c) -> Status {
    auto r = c.Exec(
        "INSERT INTO event_types(type, category, description, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (type) DO NOTHING",
        Params().Add(type.type).Add(type.category).Add(type.description).Add(NowMs()));
    if (!r) return Fail(r.error());
    if (r->Affected() == 0) return Fail(Error::Conflict("already_exists", "event type already exists"));
    return Ok();
  });
}

Status PostgresStore::DeleteCustomEventType(const std::string& type) {
  return WriteAndAnnounce(pool_, {ChangeKind::kEventTypes, ""}, [&](Connection& c) {
    return NotFoundUnlessChanged(c.Exec("DELETE FROM event_types WHERE type = $1", Params().Add(type)),
                                 "custom event type");
  });
}

void PostgresStore::Flush() {
  accept_writer_->Drain();
  outcome_writer_->Drain();
}

}  // namespace hookd::postgres
