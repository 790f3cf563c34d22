// PostgreSQL: accounts, API keys and portal sessions. Deleting an account or revoking a credential is announced,
// so every process drops what it cached.
#include "domain/delivery_rules.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {

Result<Account> PostgresStore::CreateAccount(const Account& account, const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto r = c.Exec("INSERT INTO accounts(" HOOKD_ACCOUNT_COLUMNS ") VALUES ($1, $2, $3, $4, $5)",
                      Params()
                          .Add(account.id)
                          .Add(account.name)
                          .Add(account.email)
                          .Add(account.created_at_ms)
                          .Add(account.updated_at_ms));
      if (!r) return Fail(r.error());
      return AppendAudit(
          c, CreatedRecord(by, account.id, "account.created", "account", account.id, AuditedAccountFields(account)));
    });
  });
  if (!st) return Fail(st.error());
  return account;
}

Result<Account> PostgresStore::GetAccount(const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_ACCOUNT_COLUMNS " FROM accounts WHERE id = $1", Params().Add(id));
  });
  return FirstRow<Account>(r, "account", AccountFromRow<Row>);
}

Result<Page<Account>> PostgresStore::ListAccounts(const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_ACCOUNT_COLUMNS " FROM accounts WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2",
                  Params().Add(page.cursor).Add(page.limit + 1));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, AccountFromRow<Row>), page.limit);
}

Result<Account> PostgresStore::UpdateAccount(const Account& account, const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto before = FirstRow<Account>(
          c.Exec("SELECT " HOOKD_ACCOUNT_COLUMNS " FROM accounts WHERE id = $1 FOR UPDATE", Params().Add(account.id)),
          "account", AccountFromRow<Row>);
      if (!before) return Fail(before.error());
      auto r = c.Exec("UPDATE accounts SET name = $2, email = $3, updated_at = $4 WHERE id = $1",
                      Params().Add(account.id).Add(account.name).Add(account.email).Add(account.updated_at_ms));
      if (!r) return Fail(r.error());
      auto record = UpdatedRecord(by, account.id, "account.updated", "account", account.id,
                                  AuditedAccountFields(*before), AuditedAccountFields(account));
      return record ? AppendAudit(c, std::move(*record)) : Ok();
    });
  });
  if (!st) return Fail(st.error());
  return GetAccount(account.id);
}

Status PostgresStore::DeleteAccount(const std::string& id, const Actor& by) {
  auto st = WriteAndAnnounce(pool_, {ChangeKind::kAccount, id}, [&](Connection& c) -> Status {
    auto before = FirstRow<Account>(
        c.Exec("DELETE FROM accounts WHERE id = $1 RETURNING " HOOKD_ACCOUNT_COLUMNS, Params().Add(id)), "account",
        AccountFromRow<Row>);
    if (!before) return Fail(before.error());
    auto ops = c.Exec("DELETE FROM operational_webhooks WHERE account_id = $1", Params().Add(id));
    if (!ops) return Fail(ops.error());
    return AppendAudit(c, DeletedRecord(by, id, "account.deleted", "account", id, AuditedAccountFields(*before)));
  });
  if (st) backend_->WebhooksChanged();
  return st;
}

Result<ApiKey> PostgresStore::CreateApiKey(const ApiKey& key, const std::string& key_hash, const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto r = c.Exec(
          "INSERT INTO api_keys(id, account_id, name, prefix, key_hash, created_at) "
          "SELECT $1, id, $3, $4, $5, $6 FROM accounts WHERE id = $2",
          Params().Add(key.id).Add(key.account_id).Add(key.name).Add(key.prefix).Add(key_hash).Add(key.created_at_ms));
      if (auto st = NotFoundUnlessChanged(r, "account"); !st) return st;
      return AppendAudit(
          c, CreatedRecord(by, key.account_id, "api_key.created", "api_key", key.id, AuditedApiKeyFields(key)));
    });
  });
  if (!st) return Fail(st.error());
  return key;
}

Result<std::vector<ApiKey>> PostgresStore::ListApiKeys(const std::string& account_id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_API_KEY_COLUMNS " FROM api_keys WHERE account_id = $1 ORDER BY id DESC",
                  Params().Add(account_id));
  });
  if (!r) return Fail(r.error());
  return AllRows(*r, ApiKeyFromRow<Row>);
}

// Runs `delete_sql` (a literal: statements are prepared once per address), "DELETE … WHERE id = $1 AND
// account_id = $2", for an API key or a portal session, and tells every process to drop its cached credentials, so
// the credential stops working everywhere at once.
Status PostgresStore::RevokeCredential(const char* delete_sql, const std::string& id, const std::string& account_id,
                                       const char* what, AuditRecord record) {
  return WriteAndAnnounce(pool_, {ChangeKind::kApiKeys, ""}, [&](Connection& c) -> Status {
    if (auto st = NotFoundUnlessChanged(c.Exec(delete_sql, Params().Add(id).Add(account_id)), what); !st) return st;
    return AppendAudit(c, std::move(record));
  });
}

Status PostgresStore::RevokeApiKey(const std::string& account_id, const std::string& key_id, const Actor& by) {
  return RevokeCredential("DELETE FROM api_keys WHERE id = $1 AND account_id = $2", key_id, account_id, "API key",
                          DeletedRecord(by, account_id, "api_key.revoked", "api_key", key_id, {}));
}

Result<std::optional<ApiKey>> PostgresStore::FindApiKeyByHash(const std::string& key_hash) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = $1", Params().Add(key_hash));
  });
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return std::optional<ApiKey>();
  return std::optional<ApiKey>(ApiKeyFromRow(Row(*r, 0)));
}

Result<PortalSession> PostgresStore::CreatePortalSession(const PortalSession& session, const std::string& token_hash,
                                                         const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      if (auto purged = c.Exec("DELETE FROM portal_sessions WHERE account_id = $1 AND expires_at < $2",
                               Params().Add(session.account_id).Add(PortalSessionsKeptSince(session.created_at_ms)));
          !purged) {
        return Fail(purged.error());
      }
      auto r = c.Exec(
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
      if (auto st = NotFoundUnlessChanged(r, "account"); !st) return st;
      return AppendAudit(c, CreatedRecord(by, session.account_id, "portal_session.created", "portal_session",
                                          session.id, AuditedPortalSessionFields(session)));
    });
  });
  if (!st) return Fail(st.error());
  return session;
}

Status PostgresStore::RevokePortalSession(const std::string& account_id, const std::string& session_id,
                                          const Actor& by) {
  return RevokeCredential("DELETE FROM portal_sessions WHERE id = $1 AND account_id = $2", session_id, account_id,
                          "portal session",
                          DeletedRecord(by, account_id, "portal_session.revoked", "portal_session", session_id, {}));
}

Result<std::optional<PortalSession>> PostgresStore::FindPortalSessionByHash(const std::string& token_hash) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_PORTAL_SESSION_COLUMNS " FROM portal_sessions WHERE token_hash = $1",
                  Params().Add(token_hash));
  });
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return std::optional<PortalSession>();
  return std::optional<PortalSession>(PortalSessionFromRow(Row(*r, 0)));
}

}  // namespace hookd::postgres
