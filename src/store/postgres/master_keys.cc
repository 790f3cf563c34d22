// PostgreSQL: the stored master keys and the secrets a rotation seals again (store/master_keys.h).
#include "store/postgres/postgres_store.h"

namespace hookd::postgres {

Result<StoredMasterKeys> PostgresStore::ReadMasterKeys(const std::string& first_check) {
  return pool_.With([&](Connection& c) -> Result<StoredMasterKeys> {
    auto check = c.Exec(
        "WITH added AS (INSERT INTO hookd_settings(name, value) VALUES ('master_key_check', $1) "
        "ON CONFLICT (name) DO NOTHING RETURNING value) "
        "SELECT value FROM added UNION ALL SELECT value FROM hookd_settings WHERE name = 'master_key_check'",
        Params().Add(first_check));
    if (!check) return Fail(check.error());
    auto rows = c.Exec("SELECT id, sealed_by, sealed_key FROM master_keys ORDER BY id, sealed_by");
    if (!rows) return Fail(rows.error());
    StoredMasterKeys stored;
    if (check->Count() > 0) stored.check = check->Text(0, 0);
    for (int i = 0; i < rows->Count(); ++i)
      stored.wrapped.push_back({rows->Text(i, 0), rows->Text(i, 1), rows->Text(i, 2)});
    return stored;
  });
}

Status PostgresStore::AddWrappedKeys(const std::vector<WrappedKey>& wrapped) {
  return pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      for (const WrappedKey& w : wrapped) {
        auto r = c.Exec("INSERT INTO master_keys(id, sealed_by, sealed_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        Params().Add(w.id).Add(w.sealed_by).Add(w.sealed_key));
        if (!r) return Fail(r.error());
      }
      return Ok();
    });
  });
}

Result<bool> PostgresStore::ReplaceMasterKeyCheck(const std::string& expected, const std::string& check) {
  return pool_.With([&](Connection& c) -> Result<bool> {
    auto r = c.Exec("UPDATE hookd_settings SET value = $2 WHERE name = 'master_key_check' AND value = $1",
                    Params().Add(expected).Add(check));
    if (!r) return Fail(r.error());
    return r->Affected() > 0;
  });
}

Status PostgresStore::ForgetWrappedKeys() {
  return pool_.With([](Connection& c) -> Status {
    auto r = c.Exec("DELETE FROM master_keys");
    if (!r) return Fail(r.error());
    return Ok();
  });
}

Result<std::vector<SealedSecrets>> PostgresStore::ListSealedSecrets(const std::string& after, int limit) {
  return pool_.With([&](Connection& c) -> Result<std::vector<SealedSecrets>> {
    auto r = c.Exec(
        "SELECT id, secret_enc, COALESCE(previous_secret_enc, ''), COALESCE(credentials_enc, '') FROM webhooks "
        "WHERE id > $1 UNION ALL "
        "SELECT id, secret_enc, '', '' FROM operational_webhooks WHERE id > $1 ORDER BY id LIMIT $2",
        Params().Add(after).Add(limit));
    if (!r) return Fail(r.error());
    std::vector<SealedSecrets> out;
    for (int i = 0; i < r->Count(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), r->Text(i, 3)});
    return out;
  });
}

Result<bool> PostgresStore::ResealSecrets(const SealedSecrets& was, const SealedSecrets& now) {
  return pool_.With([&](Connection& c) -> Result<bool> {
    auto r = c.Exec(IsOperationalWebhookId(was.webhook_id)
                        ? "UPDATE operational_webhooks SET secret_enc = $2 WHERE id = $1 AND secret_enc = $4 AND $3 = "
                          "'' AND $5 = '' AND $6 = '' AND $7 = ''"
                        : "UPDATE webhooks SET secret_enc = $2, previous_secret_enc = NULLIF($3, ''), "
                          "credentials_enc = NULLIF($6, '') WHERE id = $1 AND secret_enc = $4 AND "
                          "COALESCE(previous_secret_enc, '') = $5 AND COALESCE(credentials_enc, '') = $7",
                    Params()
                        .Add(was.webhook_id)
                        .Add(now.secret)
                        .Add(now.previous)
                        .Add(was.secret)
                        .Add(was.previous)
                        .Add(now.credentials)
                        .Add(was.credentials));
    if (!r) return Fail(r.error());
    return r->Affected() > 0;
  });
}

}  // namespace hookd::postgres
