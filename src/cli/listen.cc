// `hookd listen --port P --secret whsec_…`: a local receiver for developers (like `stripe listen`). It checks each
// request's Standard Webhooks signature and timestamp (5-minute tolerance), prints the verdict and the body,
// and answers 200 (or 400 when the signature does not verify).
#include <boost/asio.hpp>
#include <csignal>
#include <iostream>

#include "api/http_server.h"
#include "cli/commands.h"
#include "cli/delivery_check.h"
#include "common/mutex.h"
#include "common/time_util.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

HttpResponse Verify(const HttpRequest& request, const std::string& secret, Mutex& print_mu) {
  const DeliveryVerdict verdict = CheckDelivery(request, secret, NowMs() / 1000);
  const bool verified = verdict == DeliveryVerdict::kVerified;
  {
    MutexLock lock(&print_mu);
    std::cout << (verified ? "verified " : "REJECTED ") << request.method << " " << request.path
              << " event=" << request.Header("x-webhook-event") << " id=" << request.Header("webhook-id")
              << " attempt=" << request.Header("x-webhook-attempt") << "\n"
              << request.body << "\n"
              << std::flush;
  }
  if (!verified) {
    return JsonResponse(400, json::object{{"error", verdict == DeliveryVerdict::kBadTimestamp
                                                        ? "timestamp outside tolerance"
                                                        : "signature does not verify"}});
  }
  return JsonResponse(200, json::object{{"ok", true}});
}

}  // namespace

int RunListen(const std::vector<std::string>& args) {
  std::string secret;
  int port = 0;
  std::string host = "127.0.0.1";
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--secret") secret = args[i + 1];
    else if (args[i] == "--port") port = std::atoi(args[i + 1].c_str());
    else if (args[i] == "--host") host = args[i + 1];
  }
  if (!IsValidWebhookSecret(secret) || port < 0 || port > 65535) {
    std::cerr << "usage: hookd listen --port PORT --secret whsec_... [--host 127.0.0.1]\n";
    return 2;
  }
  boost::asio::io_context io(1);
  boost::asio::thread_pool workers(2);
  Mutex print_mu;
  auto handle = [&](const HttpRequest& r, Respond respond, const Offload& offload) {
    offload([&r, &secret, &print_mu, respond] { respond(Verify(r, secret, print_mu)); });  // printing may block
  };
  HttpServer server(io, workers, handle, {});
  auto bound = server.Listen(host, static_cast<uint16_t>(port));
  if (!bound) {
    std::cerr << "hookd: " << bound.error().message << "\n";
    return 1;
  }
  server.Start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { server.Shutdown([&] { io.stop(); }); });
  std::cout << "hookd listen: receiving on http://" << host << ":" << *bound << std::endl;
  io.run();
  workers.join();
  return 0;
}

}  // namespace hookd
