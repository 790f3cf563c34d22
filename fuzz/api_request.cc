// Fuzzes the API from raw request bytes to the response, with no sockets: Beast's request parser with the
// server's limits, then Api::Handle against a real SQLite store (on tmpfs) and a running delivery engine, as
// `hookd serve` wires them. The admin token and one account's API key are fixed, so inputs reach every handler.
// Properties: no answer is a 5xx; every JSON answer is valid UTF-8 JSON; every request is answered.
//
// The store starts afresh every kInputsPerStore inputs: as inputs create webhooks and events, each later one
// would otherwise cost more (an event fans out to every webhook created so far), and the target would slow down.
//
// Webhook pings and test sends make outbound attempts. The target moves itself into an empty network namespace
// before anything starts, so they fail at once and no packet leaves the machine; it refuses to run where it cannot.
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>

#include "api/api.h"
#include "api/http_server.h"
#include "cli/key_files.h"
#include "common/utf8.h"
#include "crypto/signing.h"
#include "delivery/alerter.h"
#include "delivery/engine.h"
#include "fuzz_checks.h"
#include "store/local_work_distribution.h"

using namespace hookd;

namespace {

constexpr const char* kAdminToken = "fuzz-admin-token-0123456789";
constexpr int kInputsPerStore = 20'000;
constexpr const char* kApiKey = "hk_fuzz0000000000000000000000000000000000000000";

// Alone in a network namespace with only a loopback that is down, or not at all.
void IsolateNetwork() {
  if (unshare(CLONE_NEWNET) == 0) return;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
    fuzz::Check(entry.path().filename() == "lo",
                "api_request makes outbound attempts: run it as root (it enters a network namespace of its own) or "
                "inside an empty one (unshare -rn)");
  }
}

struct Server {
  Server() {
    char dir_template[] = "/dev/shm/hookd-fuzz-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    fuzz::Check(dir != nullptr, "cannot make a scratch directory in /dev/shm");
    config.data_dir = dir;
    config.admin_token = kAdminToken;
    config.allow_http = true;
    config.attempt_timeout_ms = 1000;
    config.retry_schedule_ms = {1000};
    config.api_rate_limit_per_s = 0;
    auto credentials = LoadCredentials(config);
    fuzz::Check(credentials.has_value(), "credentials");
    auto opened = OpenStore(config.DatabaseUrl(), credentials->master_key, config.database_pool);
    fuzz::Check(opened.has_value(), "store", opened ? "" : opened.error().message);
    store = std::move(*opened);
    alerter = std::make_unique<Alerter>(*store, SmtpSettings{}, SystemTime());
    EngineOptions options;
    options.retry_schedule_ms = config.retry_schedule_ms;
    options.attempt_timeout_ms = config.attempt_timeout_ms;
    options.allow_http = true;
    engine = std::make_unique<DeliveryEngine>(*store, *alerter, options, metrics);
    engine->Start();
    engine->SetLeases(LocalWorkDistribution::EveryShard().held);  // one process, as `hookd serve` on SQLite
    api = std::make_unique<Api>(config, config.admin_token, *store,
                                ApiPorts{*engine, *engine, *engine, catalog, metrics, SystemTime()});

    auto account =
        store->CreateAccount(Account{"acc_01HZZZZZZZZZZZZZZZZZZZZZZZ", "Fuzz", "ops@fuzz.test", 1, 1}, Actor{});
    fuzz::Check(account.has_value(), "account");
    ApiKey key{"key_01HZZZZZZZZZZZZZZZZZZZZZZZ", account->id, "fuzz", "hk_fuzz000", 1, std::nullopt};
    fuzz::Check(store->CreateApiKey(key, Sha256Hex(kApiKey), Actor{}).has_value(), "api key");
  }

  ~Server() {
    api.reset();
    engine->Stop();
    engine.reset();
    alerter.reset();
    store.reset();
    std::filesystem::remove_all(config.data_dir);
  }

  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<Alerter> alerter;
  EventCatalog catalog;
  Metrics metrics;
  std::unique_ptr<DeliveryEngine> engine;
  std::unique_ptr<Api> api;
};

void CheckAnswer(const HttpResponse& response) {
  fuzz::Check(response.status >= 100 && response.status < 500, "a 5xx or impossible status",
              std::to_string(response.status) + " " + response.body);
  if (response.content_type == "application/json" && !response.body.empty()) {
    fuzz::Check(IsValidUtf8(response.body), "a JSON answer that is not UTF-8", response.body);
    boost::system::error_code ec;
    (void)json::parse(response.body, ec);
    fuzz::Check(!ec, "a JSON answer that does not parse", response.body);
  }
}

// The server of the current round. It is stopped by an exit handler registered after OpenSSL's own (OpenSSL
// registers its cleanup when the first server generates its credentials), so its threads end, and free what
// OpenSSL keeps per thread, before OpenSSL cleans up; a static object's destructor would run after that.
std::unique_ptr<Server>& CurrentServer() {
  static auto* current = new std::unique_ptr<Server>();
  return *current;
}

void StopServer() {
  CurrentServer().reset();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool isolated = (IsolateNetwork(), true);
  static int inputs = 0;
  (void)isolated;
  std::unique_ptr<Server>& current = CurrentServer();
  if (!current || ++inputs % kInputsPerStore == 0) {
    current.reset();
    current = std::make_unique<Server>();
    static const bool stops_at_exit = (std::atexit(StopServer), true);
    (void)stops_at_exit;
  }
  Server& server = *current;
  RequestParser parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(4 * 1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  boost::asio::const_buffer rest(data, size);
  while (rest.size() > 0 && !parser.is_done()) {
    const size_t used = parser.put(rest, ec);
    if (ec || used == 0) break;
    rest += used;
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) {
    CheckAnswer(ParserErrorResponse(ec ? ec : boost::beast::http::error::need_more));
    return 0;
  }
  const HttpRequest request = ToHttpRequest(parser, "127.0.0.1");
  std::promise<HttpResponse> answer;
  auto answered = answer.get_future();
  server.api->Handle(
      request, [&answer](HttpResponse response) { answer.set_value(std::move(response)); },
      [](std::function<void()> work) { work(); });
  fuzz::Check(answered.wait_for(std::chrono::seconds(30)) == std::future_status::ready, "a request got no answer");
  CheckAnswer(answered.get());
  return 0;
}
