// SQLite: the stored master keys and the secrets a rotation seals again (store/master_keys.h).
#include "store/sqlite/master_keys.h"

#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

Result<StoredMasterKeys> ReadStoredKeys(Database& db) {
  StoredMasterKeys stored;
  {
    auto q = db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'master_keys'");
    if (!q.Step() || q.Int(0) == 0) return stored;  // a database from before key rotation
  }
  auto check = db.Prepare("SELECT value FROM hookd_settings WHERE name = 'master_key_check'");
  if (check.Step()) stored.check = check.Text(0);
  auto q = db.Prepare("SELECT id, sealed_by, sealed_key FROM master_keys ORDER BY id, sealed_by");
  while (q.Step()) stored.wrapped.push_back({q.Text(0), q.Text(1), q.Text(2)});
  if (check.Failed() || q.Failed())
    return Fail(Error::Unavailable("reading the master keys failed: " + db.LastError()));
  return stored;
}

Result<StoredMasterKeys> SqliteStore::ReadMasterKeys(const std::string& first_check) {
  auto stored = WithReader([](Database& db) { return ReadStoredKeys(db); });
  if (!stored || !stored->check.empty()) return stored;
  Status st = writer_->Run([&](Database& db) {
    return db.Prepare("INSERT OR IGNORE INTO hookd_settings(name, value) VALUES ('master_key_check', ?)")
        .Bind(1, first_check)
        .Run();
  });
  if (!st) return Fail(st.error());
  return WithReader([](Database& db) { return ReadStoredKeys(db); });
}

Status SqliteStore::AddWrappedKeys(const std::vector<WrappedKey>& wrapped) {
  return writer_->Run([&](Database& db) -> Status {
    for (const WrappedKey& w : wrapped) {
      auto q = db.Prepare("INSERT OR IGNORE INTO master_keys(id, sealed_by, sealed_key) VALUES (?, ?, ?)");
      if (auto st = q.Bind(1, w.id).Bind(2, w.sealed_by).Bind(3, w.sealed_key).Run(); !st) return st;
    }
    return Ok();
  });
}

Result<bool> SqliteStore::ReplaceMasterKeyCheck(const std::string& expected, const std::string& check) {
  bool replaced = false;
  Status st = writer_->Run([&](Database& db) -> Status {
    auto q = db.Prepare("UPDATE hookd_settings SET value = ?2 WHERE name = 'master_key_check' AND value = ?1");
    if (auto st = q.Bind(1, expected).Bind(2, check).Run(); !st) return st;
    replaced = db.Changes() > 0;
    return Ok();
  });
  if (!st) return Fail(st.error());
  return replaced;
}

Status SqliteStore::ForgetWrappedKeys() {
  return writer_->Run([](Database& db) { return db.Exec("DELETE FROM master_keys"); });
}

Result<std::vector<SealedSecrets>> SqliteStore::ListSealedSecrets(const std::string& after, int limit) {
  return WithReader([&](Database& db) -> Result<std::vector<SealedSecrets>> {
    auto q = db.Prepare(
        "SELECT id, secret_enc, COALESCE(previous_secret_enc, ''), COALESCE(credentials_enc, '') FROM webhooks "
        "WHERE id > ?1 UNION ALL "
        "SELECT id, secret_enc, '', '' FROM operational_webhooks WHERE id > ?1 ORDER BY id LIMIT ?2");
    q.Bind(1, after).Bind(2, limit);
    std::vector<SealedSecrets> out;
    while (q.Step()) out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3)});
    if (q.Failed()) return Fail(Error::Unavailable("listing secrets failed: " + db.LastError()));
    return out;
  });
}

Result<bool> SqliteStore::ResealSecrets(const SealedSecrets& was, const SealedSecrets& now) {
  bool written = false;
  Status st = writer_->Run([&](Database& db) -> Status {
    auto q = db.Prepare(IsOperationalWebhookId(was.webhook_id)
                            ? "UPDATE operational_webhooks SET secret_enc = ?2 WHERE id = ?1 AND secret_enc = ?4 "
                              "AND ?3 = '' AND ?5 = '' AND ?6 = '' AND ?7 = ''"
                            : "UPDATE webhooks SET secret_enc = ?2, previous_secret_enc = NULLIF(?3, ''), "
                              "credentials_enc = NULLIF(?6, '') WHERE id = ?1 AND secret_enc = ?4 AND "
                              "COALESCE(previous_secret_enc, '') = ?5 AND COALESCE(credentials_enc, '') = ?7");
    q.Bind(1, was.webhook_id).Bind(2, now.secret).Bind(3, now.previous).Bind(4, was.secret).Bind(5, was.previous);
    q.Bind(6, now.credentials).Bind(7, was.credentials);
    if (auto st = q.Run(); !st) return st;
    written = db.Changes() > 0;
    return Ok();
  });
  if (!st) return Fail(st.error());
  return written;
}

}  // namespace hookd::sqlite
