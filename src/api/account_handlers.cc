// Accounts and API keys (admin), and the caller's own account.
#include "api/account_input.h"
#include "api/api.h"
#include "api/json_mapping.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

Result<std::string> AccountIdParam(const PathParams& params) {
  const std::string& id = params.at("id");
  if (!IsWellFormedId(id, "acc_")) return Fail(Error::NotFound("account not found"));
  return id;
}

}  // namespace

HttpResponse Api::CreateAccount(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  Account account;
  account.id = NewId("acc_");
  account.created_at_ms = account.updated_at_ms = clock_.NowMs();
  if (auto st = ApplyAccountFields(*body, true, account); !st) return ErrorResponse(st.error());
  auto created = store_.CreateAccount(account, ActorOf(request, principal));
  if (!created) return ErrorResponse(created.error());
  return JsonResponse(201, AccountJson(*created));
}

HttpResponse Api::ListAccounts(const HttpRequest& request, const PathParams&, const Principal&) {
  auto page = ParsePageRequest(request, "acc_");
  if (!page) return ErrorResponse(page.error());
  auto accounts = store_.ListAccounts(*page);
  if (!accounts) return ErrorResponse(accounts.error());
  return JsonResponse(200, PageJson(*accounts, AccountJson));
}

HttpResponse Api::GetAccount(const HttpRequest&, const PathParams& params, const Principal&) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  auto account = store_.GetAccount(*id);
  if (!account) return ErrorResponse(account.error());
  return JsonResponse(200, AccountJson(*account));
}

HttpResponse Api::PatchAccount(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  auto account = store_.GetAccount(*id);
  if (!account) return ErrorResponse(account.error());
  if (auto st = ApplyAccountFields(*body, false, *account); !st) return ErrorResponse(st.error());
  account->updated_at_ms = clock_.NowMs();
  auto updated = store_.UpdateAccount(*account, ActorOf(request, principal));
  if (!updated) return ErrorResponse(updated.error());
  return JsonResponse(200, AccountJson(*updated));
}

HttpResponse Api::DeleteAccount(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  if (auto st = store_.DeleteAccount(*id, ActorOf(request, principal)); !st) return ErrorResponse(st.error());
  credentials_.Clear();  // its keys are gone
  return EmptyResponse(204);
}

HttpResponse Api::GetOwnAccount(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto account_id = ActingAccount(request, principal);
  if (!account_id) return ErrorResponse(account_id.error());
  auto account = store_.GetAccount(*account_id);
  if (!account) return ErrorResponse(account.error());
  return JsonResponse(200, AccountJson(*account));
}

HttpResponse Api::PatchOwnAccount(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  auto account_id = ActingAccount(request, principal, &*body);
  if (!account_id) return ErrorResponse(account_id.error());
  return PatchAccount(request, PathParams{{"id", *account_id}}, principal);
}

HttpResponse Api::CreateApiKey(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  ApiKey key;
  key.id = NewId("key_");
  key.account_id = *id;
  key.created_at_ms = clock_.NowMs();
  if (auto it = body->find("name"); it != body->end() && !it->value().is_null()) {
    if (!it->value().is_string() || it->value().as_string().size() > 200) {
      return ErrorResponse(Error::Invalid("name", "must be a string of at most 200 characters"));
    }
    key.name = std::string(it->value().as_string());
  }
  const std::string secret = std::string(kApiKeyPrefix) + HexEncode(RandomBytes(24));
  key.prefix = secret.substr(0, 10);
  auto created = store_.CreateApiKey(key, Sha256Hex(secret), ActorOf(request, principal));
  if (!created) return ErrorResponse(created.error());
  json::object out = ApiKeyJson(*created);
  out["key"] = secret;  // shown once; only its hash is stored
  return JsonResponse(201, out);
}

HttpResponse Api::ListApiKeys(const HttpRequest&, const PathParams& params, const Principal&) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  if (auto account = store_.GetAccount(*id); !account) return ErrorResponse(account.error());
  auto keys = store_.ListApiKeys(*id);
  if (!keys) return ErrorResponse(keys.error());
  json::array data;
  for (const ApiKey& k : *keys) data.push_back(ApiKeyJson(k));
  return JsonResponse(200, json::object{{"data", std::move(data)}, {"next_cursor", nullptr}});
}

HttpResponse Api::RevokeApiKey(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto id = AccountIdParam(params);
  if (!id) return ErrorResponse(id.error());
  const std::string& key_id = params.at("key_id");
  if (!IsWellFormedId(key_id, "key_")) return ErrorResponse(Error::NotFound("API key not found"));
  if (auto st = store_.RevokeApiKey(*id, key_id, ActorOf(request, principal)); !st) return ErrorResponse(st.error());
  credentials_.Clear();  // the revoked key must stop working now
  return EmptyResponse(204);
}

}  // namespace hookd
