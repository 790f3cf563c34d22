// `hookd trigger TYPE`: emits one event through a running hookd's API, like `stripe trigger`, with the type's
// example payload unless --data gives one, and prints the event's id and how many deliveries it made.
#include <cstdlib>
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "common/json.h"
#include "domain/event_examples.h"

namespace hookd {
namespace {

constexpr const char* kUsage =
    "usage: hookd trigger TYPE [--server URL] [--api-key hk_...] [--data JSON] [--environment E]\n"
    "       (--server and --api-key default to $HOOKD_SERVER, else http://127.0.0.1:8084, and $HOOKD_API_KEY)\n";

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

int RunTrigger(const std::vector<std::string>& args) {
  if (args.empty() || args[0].starts_with("--")) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string type = args[0];
  std::string server = EnvOr("HOOKD_SERVER", "http://127.0.0.1:8084");
  std::string api_key = EnvOr("HOOKD_API_KEY", "");
  std::string data = ExamplePayload(type);
  std::string environment;
  for (size_t i = 1; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      std::cerr << "hookd trigger: " << args[i] << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string& flag = args[i];
    const std::string& value = args[i + 1];
    if (flag == "--server") {
      server = value;
    } else if (flag == "--api-key") {
      api_key = value;
    } else if (flag == "--data") {
      data = value;
    } else if (flag == "--environment") {
      environment = value;
    } else {
      std::cerr << "hookd trigger: unknown flag " << flag << "\n" << kUsage;
      return 2;
    }
  }
  if (api_key.empty()) {
    std::cerr << "hookd trigger: needs an API key (--api-key or HOOKD_API_KEY)\n";
    return 2;
  }
  const json::value parsed = ParseJsonOrNull(data);
  if (!parsed.is_object()) {
    std::cerr << "hookd trigger: --data must be a JSON object\n";
    return 2;
  }
  json::object body{{"type", type}, {"data", parsed}};
  if (!environment.empty()) body["environment"] = environment;
  auto answer = CallApi(server, api_key, "POST", "/api/v1/events", SerializeJson(body));
  if (!answer) {
    std::cerr << "hookd trigger: " << answer.error().message << "\n";
    return 1;
  }
  if (answer->status == 401) {
    std::cerr << "hookd trigger: the server refused the API key (401); pass a key of the account (hk_...)\n";
    return 1;
  }
  if (answer->status != 202) {
    std::cerr << "hookd trigger: " << ApiErrorMessage(*answer) << "\n";
    return 1;
  }
  const json::value event = ParseJsonOrNull(answer->body);
  const json::object* o = event.if_object();
  const json::value* id = o ? o->if_contains("id") : nullptr;
  const json::value* deliveries = o ? o->if_contains("deliveries") : nullptr;
  std::cout << "Triggered " << type << ": " << (id && id->is_string() ? std::string(id->as_string()) : "?") << " ("
            << (deliveries ? SerializeJson(*deliveries) : "?") << " deliveries)\n";
  return 0;
}

}  // namespace hookd
