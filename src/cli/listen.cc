// `hookd listen`: a local receiver for developers, like `stripe listen`. Every request it receives is checked
// against the Standard Webhooks signature and timestamp (5-minute tolerance) and printed with the verdict.
//
//   hookd listen --port P --secret whsec_…        receives for a webhook you made yourself: answers 200, or 400
//                                                  when the signature does not verify
//   hookd listen --server URL --api-key hk_…       makes a temporary webhook pointing at itself (--events filters
//     [--events 'task.*,…'] [--forward-to URL]     it), prints its signing secret, forwards each delivery with its
//                                                  original body and headers to --forward-to (answering hookd
//                                                  with the forward's status), and deletes the webhook on Ctrl-C
#include <boost/asio.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "api/http_server.h"
#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/delivery_check.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/mutex.h"
#include "common/time_util.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

constexpr const char* kUsage =
    "usage: hookd listen --port PORT --secret whsec_... [--host 127.0.0.1]\n"
    "       hookd listen [--server URL] [--api-key hk_...] [--events 'task.*,user.created'] [--port PORT]\n"
    "                    [--forward-to URL]\n"
    "       (--server and --api-key default to $HOOKD_SERVER, else http://127.0.0.1:8084, and $HOOKD_API_KEY)\n";

struct ListenOptions {
  std::string secret;  // set: verify only; empty: make a temporary webhook on `server`
  std::string server;
  std::string api_key;
  std::string events = "*";
  std::string forward_to;
  std::string host = "127.0.0.1";
  int port = 0;
};

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The headers a receiver needs to verify and understand a delivery, passed on as they came.
HeaderList ForwardedHeaders(const HttpRequest& request) {
  HeaderList out;
  for (const auto& [name, value] : request.headers) {
    if (name.starts_with("webhook-") || name.starts_with("x-webhook-") || name == "content-type" ||
        name == "user-agent") {
      out.emplace_back(name, value);
    }
  }
  return out;
}

HttpResponse Receive(const HttpRequest& request, const ListenOptions& options, const std::string& secret,
                     Mutex& print_mu) {
  const DeliveryVerdict verdict = CheckDelivery(request, secret, SystemTime().NowMs() / 1000);
  const bool verified = verdict == DeliveryVerdict::kVerified;
  std::string forwarded;
  int status = verified ? 200 : 400;
  if (!options.forward_to.empty()) {
    auto answer = SendHttp("POST", options.forward_to, ForwardedHeaders(request), request.body);
    if (answer) {
      status = static_cast<int>(answer->status);
      forwarded = " -> " + options.forward_to + " " + std::to_string(answer->status);
    } else {
      status = 502;
      forwarded = " -> " + answer.error().message;
    }
  }
  {
    MutexLock lock(&print_mu);
    std::cout << FormatRfc3339(SystemTime().NowMs()) << " " << (verified ? "verified " : "REJECTED ")
              << request.Header("x-webhook-event") << " " << request.Header("webhook-id")
              << " attempt=" << request.Header("x-webhook-attempt") << forwarded << "\n";
    if (options.forward_to.empty()) std::cout << request.body << "\n";
    std::cout << std::flush;
  }
  if (!verified && options.forward_to.empty()) {
    return JsonResponse(
        400, json::object{{"error", verdict == DeliveryVerdict::kBadTimestamp ? "timestamp outside tolerance"
                                                                              : "signature does not verify"}});
  }
  return JsonResponse(status, json::object{{"ok", status >= 200 && status < 300}});
}

// Makes the temporary webhook; its id and secret, or the one-line reason it could not.
Result<std::pair<std::string, std::string>> CreateWebhook(const ListenOptions& options, uint16_t port) {
  json::array events;
  for (size_t start = 0; start <= options.events.size();) {
    size_t comma = options.events.find(',', start);
    if (comma == std::string::npos) comma = options.events.size();
    std::string pattern = options.events.substr(start, comma - start);
    if (!pattern.empty()) events.emplace_back(pattern);
    start = comma + 1;
  }
  const std::string url = "http://" + options.host + ":" + std::to_string(port) + "/";
  json::object body{{"url", url}, {"events", events}, {"description", "hookd listen (temporary)"}};
  auto answer = CallApi(options.server, options.api_key, "POST", "/api/v1/webhooks?verify=false", SerializeJson(body));
  if (!answer) return Fail(answer.error());
  if (answer->status == 401) return Fail(Error::Unauthorized("the server refused the API key (401)"));
  if (answer->status == 422 && answer->body.find("\"url\"") != std::string::npos) {
    return Fail(Error::Invalid("url", "the server refuses " + url +
                                          " as a webhook URL; start it with --allow-http --allow-private-networks "
                                          "(" +
                                          ApiErrorMessage(*answer) + ")"));
  }
  if (answer->status != 201) return Fail(Error::Invalid("webhook", ApiErrorMessage(*answer)));
  const json::value created = ParseJsonOrNull(answer->body);
  const json::object* o = created.if_object();
  const json::value* id = o ? o->if_contains("id") : nullptr;
  const json::value* secret = o ? o->if_contains("secret") : nullptr;
  if (!id || !id->is_string() || !secret || !secret->is_string()) {
    return Fail(Error::Internal("the server's answer has no webhook id or secret"));
  }
  return std::make_pair(std::string(id->as_string()), std::string(secret->as_string()));
}

std::optional<ListenOptions> ParseOptions(const std::vector<std::string>& args) {
  ListenOptions o;
  o.server = EnvOr("HOOKD_SERVER", "http://127.0.0.1:8084");
  o.api_key = EnvOr("HOOKD_API_KEY", "");
  for (size_t i = 0; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return std::nullopt;
    const std::string& flag = args[i];
    const std::string& value = args[i + 1];
    if (flag == "--secret")
      o.secret = value;
    else if (flag == "--port")
      o.port = std::atoi(value.c_str());
    else if (flag == "--host")
      o.host = value;
    else if (flag == "--server")
      o.server = value;
    else if (flag == "--api-key")
      o.api_key = value;
    else if (flag == "--events")
      o.events = value;
    else if (flag == "--forward-to")
      o.forward_to = value;
    else
      return std::nullopt;
  }
  if (o.port < 0 || o.port > 65535) return std::nullopt;
  if (!o.secret.empty() && !IsValidWebhookSecret(o.secret)) return std::nullopt;
  if (o.secret.empty() && o.api_key.empty()) return std::nullopt;
  return o;
}

}  // namespace

int RunListen(const std::vector<std::string>& args) {
  const std::optional<ListenOptions> options = ParseOptions(args);
  if (!options) {
    std::cerr << kUsage;
    return 2;
  }
  boost::asio::io_context io(1);
  boost::asio::thread_pool workers(2);
  Mutex print_mu;
  std::string secret = options->secret;  // set before the server starts; read-only after
  auto handle = [&](const HttpRequest& r, Respond respond, const Offload& offload) {
    // Printing and forwarding block: never on the network thread.
    offload([&r, &options, &secret, &print_mu, respond] { respond(Receive(r, *options, secret, print_mu)); });
  };
  HttpServer server(io, workers, handle, {});
  auto bound = server.Listen(options->host, static_cast<uint16_t>(options->port));
  if (!bound) {
    std::cerr << "hookd listen: " << bound.error().message << "\n";
    return 1;
  }
  std::string webhook_id;
  if (secret.empty()) {
    auto created = CreateWebhook(*options, *bound);
    if (!created) {
      std::cerr << "hookd listen: " << created.error().message << "\n";
      return 1;
    }
    webhook_id = created->first;
    secret = created->second;
    std::cout << "Ready! Your webhook signing secret is " << secret << " (webhook " << webhook_id << ", "
              << options->events << ")" << std::endl;
  }
  server.Start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { server.Shutdown([&] { io.stop(); }); });
  std::cout << "hookd listen: receiving on http://" << options->host << ":" << *bound << std::endl;
  io.run();
  workers.join();
  if (!webhook_id.empty()) {
    auto deleted = CallApi(options->server, options->api_key, "DELETE", "/api/v1/webhooks/" + webhook_id);
    if (!deleted || deleted->status != 204) {
      std::cerr << "hookd listen: could not delete webhook " << webhook_id << ": "
                << (deleted ? ApiErrorMessage(*deleted) : deleted.error().message) << "\n";
      return 1;
    }
    std::cout << "Deleted the temporary webhook " << webhook_id << std::endl;
  }
  return 0;
}

}  // namespace hookd
