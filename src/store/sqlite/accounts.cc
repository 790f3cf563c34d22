// SQLite: accounts, API keys and portal sessions.
#include "domain/delivery_rules.h"
#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {
namespace {

// Runs `delete_sql` (a literal: statements are cached by address), "DELETE … WHERE id = ? AND account_id = ?", for
// an API key or a portal session; NotFound when the account has no such row.
Status DeleteOfAccount(Database& db, const char* delete_sql, const std::string& id, const std::string& account_id,
                       const char* what) {
  if (auto r = db.Prepare(delete_sql).Bind(1, id).Bind(2, account_id).Run(); !r) return r;
  if (db.Changes() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return Ok();
}

Result<Account> ReadAccount(Database& db, const std::string& id) {
  auto q = db.Prepare("SELECT " HOOKD_ACCOUNT_COLUMNS " FROM accounts WHERE id = ?");
  q.Bind(1, id);
  if (!q.Step()) return Fail(Error::NotFound("account not found"));
  return AccountFromRow(q);
}

}  // namespace

Status SqliteStore::RequireAccount(Database& db, const std::string& account_id) {
  auto exists = db.Prepare("SELECT 1 FROM accounts WHERE id = ?");
  exists.Bind(1, account_id);
  if (!exists.Step()) return Fail(Error::NotFound("account not found"));
  return Ok();
}

Result<Account> SqliteStore::CreateAccount(const Account& account, const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto r = db.Prepare("INSERT INTO accounts(" HOOKD_ACCOUNT_COLUMNS ") VALUES (?,?,?,?,?)")
                     .Bind(1, account.id)
                     .Bind(2, account.name)
                     .Bind(3, account.email)
                     .Bind(4, account.created_at_ms)
                     .Bind(5, account.updated_at_ms)
                     .Run();
        !r) {
      return r;
    }
    return AppendAudit(
        db, CreatedRecord(by, account.id, "account.created", "account", account.id, AuditedAccountFields(account)));
  });
  if (!st) return Fail(st.error());
  return account;
}

Result<Account> SqliteStore::GetAccount(const std::string& id) {
  return WithReader([&](Database& db) { return ReadAccount(db, id); });
}

Result<Page<Account>> SqliteStore::ListAccounts(const PageRequest& page) {
  return WithReader([&](Database& db) -> Result<Page<Account>> {
    auto q = db.Prepare("SELECT " HOOKD_ACCOUNT_COLUMNS
                        " FROM accounts WHERE (?1 = '' OR id < ?1) "
                        "ORDER BY id DESC LIMIT ?2");
    q.Bind(1, page.cursor).Bind(2, page.limit + 1);
    return MakePage(AllRows(q, AccountFromRow<Statement>), page.limit);
  });
}

Result<Account> SqliteStore::UpdateAccount(const Account& account, const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto before = ReadAccount(db, account.id);
    if (!before) return Fail(before.error());
    auto q = db.Prepare("UPDATE accounts SET name = ?, email = ?, updated_at = ? WHERE id = ?");
    if (auto r =
            q.Bind(1, account.name).Bind(2, account.email).Bind(3, account.updated_at_ms).Bind(4, account.id).Run();
        !r) {
      return r;
    }
    auto record = UpdatedRecord(by, account.id, "account.updated", "account", account.id, AuditedAccountFields(*before),
                                AuditedAccountFields(account));
    return record ? AppendAudit(db, std::move(*record)) : Ok();
  });
  if (!st) return Fail(st.error());
  return GetAccount(account.id);
}

Status SqliteStore::DeleteAccount(const std::string& id, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    auto before = ReadAccount(db, id);
    if (!before) return Fail(before.error());
    if (auto r = db.Prepare("DELETE FROM accounts WHERE id = ?").Bind(1, id).Run(); !r) return r;
    auto ops = db.Prepare("DELETE FROM operational_webhooks WHERE account_id = ?1");
    if (auto r = ops.Bind(1, id).Run(); !r) return r;
    ForgetMatchTargets(id);
    return AppendAudit(db, DeletedRecord(by, id, "account.deleted", "account", id, AuditedAccountFields(*before)));
  });
}

Result<ApiKey> SqliteStore::CreateApiKey(const ApiKey& key, const std::string& key_hash, const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = RequireAccount(db, key.account_id); !st) return st;
    if (auto r =
            db.Prepare("INSERT INTO api_keys(id, account_id, name, prefix, key_hash, created_at) VALUES (?,?,?,?,?,?)")
                .Bind(1, key.id)
                .Bind(2, key.account_id)
                .Bind(3, key.name)
                .Bind(4, key.prefix)
                .Bind(5, key_hash)
                .Bind(6, key.created_at_ms)
                .Run();
        !r) {
      return r;
    }
    return AppendAudit(
        db, CreatedRecord(by, key.account_id, "api_key.created", "api_key", key.id, AuditedApiKeyFields(key)));
  });
  if (!st) return Fail(st.error());
  return key;
}

Result<std::vector<ApiKey>> SqliteStore::ListApiKeys(const std::string& account_id) {
  return WithReader([&](Database& db) -> Result<std::vector<ApiKey>> {
    auto q = db.Prepare("SELECT " HOOKD_API_KEY_COLUMNS " FROM api_keys WHERE account_id = ? ORDER BY id DESC");
    q.Bind(1, account_id);
    return AllRows(q, ApiKeyFromRow<Statement>);
  });
}

Status SqliteStore::RevokeApiKey(const std::string& account_id, const std::string& key_id, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st =
            DeleteOfAccount(db, "DELETE FROM api_keys WHERE id = ? AND account_id = ?", key_id, account_id, "API key");
        !st) {
      return st;
    }
    return AppendAudit(db, DeletedRecord(by, account_id, "api_key.revoked", "api_key", key_id, {}));
  });
}

Result<std::optional<ApiKey>> SqliteStore::FindApiKeyByHash(const std::string& key_hash) {
  return WithReader([&](Database& db) -> Result<std::optional<ApiKey>> {
    auto q = db.Prepare("SELECT " HOOKD_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = ?");
    q.Bind(1, key_hash);
    if (!q.Step()) return std::optional<ApiKey>();
    return std::optional<ApiKey>(ApiKeyFromRow(q));
  });
}

Result<PortalSession> SqliteStore::CreatePortalSession(const PortalSession& session, const std::string& token_hash,
                                                       const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = RequireAccount(db, session.account_id); !st) return st;
    if (auto purged = db.Prepare("DELETE FROM portal_sessions WHERE account_id = ? AND expires_at < ?")
                          .Bind(1, session.account_id)
                          .Bind(2, PortalSessionsKeptSince(session.created_at_ms))
                          .Run();
        !purged) {
      return purged;
    }
    if (auto r = db.Prepare("INSERT INTO portal_sessions(id, account_id, token_hash, access, return_url, created_at, "
                            "expires_at) VALUES (?,?,?,?,?,?,?)")
                     .Bind(1, session.id)
                     .Bind(2, session.account_id)
                     .Bind(3, token_hash)
                     .Bind(4, ToString(session.access))
                     .Bind(5, session.return_url)
                     .Bind(6, session.created_at_ms)
                     .Bind(7, session.expires_at_ms)
                     .Run();
        !r) {
      return r;
    }
    return AppendAudit(db, CreatedRecord(by, session.account_id, "portal_session.created", "portal_session", session.id,
                                         AuditedPortalSessionFields(session)));
  });
  if (!st) return Fail(st.error());
  return session;
}

Status SqliteStore::RevokePortalSession(const std::string& account_id, const std::string& session_id, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = DeleteOfAccount(db, "DELETE FROM portal_sessions WHERE id = ? AND account_id = ?", session_id,
                                  account_id, "portal session");
        !st) {
      return st;
    }
    return AppendAudit(db, DeletedRecord(by, account_id, "portal_session.revoked", "portal_session", session_id, {}));
  });
}

Result<std::optional<PortalSession>> SqliteStore::FindPortalSessionByHash(const std::string& token_hash) {
  return WithReader([&](Database& db) -> Result<std::optional<PortalSession>> {
    auto q = db.Prepare("SELECT " HOOKD_PORTAL_SESSION_COLUMNS " FROM portal_sessions WHERE token_hash = ?");
    q.Bind(1, token_hash);
    if (!q.Step()) return std::optional<PortalSession>();
    return std::optional<PortalSession>(PortalSessionFromRow(q));
  });
}

}  // namespace hookd::sqlite
