// `hookd serve`: wiring only — config → credentials → store → engine → API → HTTP server, then a graceful
// shutdown on SIGINT/SIGTERM: stop accepting, finish in-flight requests and attempts, flush the store.
#include <pthread.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "api/api.h"
#include "api/http_server.h"
#include "cli/commands.h"
#include "cli/configured_store.h"
#include "cli/instance_lock.h"
#include "cli/service_notify.h"
#include "cluster/cluster_node.h"
#include "cluster/shared_in_flight.h"
#include "common/egress_proxy.h"
#include "common/log.h"
#include "common/version.h"
#include "delivery/alerter.h"
#include "delivery/engine.h"
#include "store/retention.h"
#include "store/sqlite/database.h"
#include "store/work_distribution.h"

namespace hookd {
namespace {

constexpr int kWorkerThreads = 32;
constexpr auto kDrainDeadline = std::chrono::seconds(30);
constexpr int64_t kRetentionMaxIntervalMs = 60'000;
constexpr size_t kOperationsConnections = 64;

void PrintConfigError(const Error& e) {
  std::cerr << "hookd: " << e.message << "\n";
}

}  // namespace

int RunServe(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << ConfigUsage();
      return 0;
    }
  }
  auto config = LoadConfig(args);
  if (!config) {
    std::cerr << "Run 'hookd serve --help' for the list of flags.\n";
    return 2;
  }
  SetLogFormat(config->log_format);
  if (config->role != "all" && config->DatabaseUrl().rfind("sqlite:", 0) == 0) {  // refused before touching it
    std::cerr << "hookd: --role " << config->role << " needs a PostgreSQL database shared with other processes "
              << "(--database postgres://...)\n";
    return 2;
  }
  // One process serves a SQLite database (many share PostgreSQL); `hookd restore` waits for this lock to be free.
  std::optional<InstanceLock> instance;
  if (const std::string url = config->DatabaseUrl(); url.rfind("sqlite:", 0) == 0) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(url.substr(7)).parent_path(), ec);
    auto lock = InstanceLock::Acquire(InstanceLockPath(url.substr(7)));
    if (!lock) {
      // A lock file that cannot be made means a database that cannot be written: say which file and why.
      auto writable = sqlite::CheckWritable(url.substr(7));
      PrintConfigError(writable ? lock.error() : writable.error());
      return 1;
    }
    instance.emplace(std::move(*lock));
  }
  Metrics metrics;
  const Clock& clock = SystemTime();
  auto opened = OpenConfiguredStore(*config, &metrics);
  if (!opened) return 1;
  const Credentials& credentials = opened->credentials;
  Store& store = *opened->store;
  // How this process shares the work: alone with its database (every shard), or with the others on PostgreSQL.
  auto distribution = store.OpenWorkDistribution(
      WorkerIdentity{credentials.worker_name, config->LeaseDurationMs(), config->RunsWorker()}, clock);
  if (!distribution) {
    PrintConfigError(distribution.error());
    return 1;
  }
  EventCatalog catalog;
  if (auto custom = store.ListCustomEventTypes()) catalog.SetCustomTypes(std::move(*custom));

  Alerter alerter(store, SmtpSettings{config->smtp_url, config->smtp_from}, clock, &metrics);
  EngineOptions engine_options;
  engine_options.retry_schedule_ms = config->retry_schedule_ms;
  engine_options.attempt_timeout_ms = config->attempt_timeout_ms;
  engine_options.allow_http = config->allow_http;
  engine_options.allow_private_networks = config->allow_private_networks;
  if (!config->egress_proxy.empty()) engine_options.egress_proxy = ParseEgressProxy(config->egress_proxy);
  engine_options.circuit.threshold = config->circuit_threshold;
  engine_options.circuit.cooldown_ms = config->circuit_cooldown_ms;
  engine_options.circuit.disable_after = config->disable_after;
  DeliveryEngine engine(store, alerter, engine_options, metrics);
  // Until the engine stops (stop_delivering below), deliveries of commits the store found again reach it.
  store.OnNewDeliveries([&engine](std::vector<Delivery> found) { engine.EnqueueDeliveries(found); });
  engine.Start();

  RetentionJob retention(store, Retention{config->retention_ms, config->stats_retention_ms, config->audit_retention_ms},
                         std::clamp<int64_t>(config->retention_ms / 4, 1000, kRetentionMaxIntervalMs), clock, &metrics);
  SharedInFlight in_flight(engine, **distribution, clock);
  Api api(*config, credentials.admin_token, store, ApiPorts{engine, engine, in_flight, catalog, metrics, clock});
  ClusterOptions cluster_options;
  cluster_options.delivers = config->RunsWorker();
  cluster_options.lease_duration_ms = config->LeaseDurationMs();
  cluster_options.metrics = &metrics;
  cluster_options.on_change = [&engine, &api](const ChangeNotice& change) {
    switch (change.kind) {
      case ChangeKind::kWebhook:
        engine.OnWebhookChanged(change.id);
        break;
      case ChangeKind::kAccount:
      case ChangeKind::kApiKeys:
        api.ForgetCredentials();
        break;
      case ChangeKind::kEventTypes:
        api.ReloadEventTypes();
        break;
    }
  };
  cluster_options.on_missed = [&engine, &api] {
    engine.OnAllWebhooksChanged();
    api.ForgetCredentials();
    api.ReloadEventTypes();
  };
  // Its first lease round takes this process's shards and resumes their unfinished deliveries, before serving.
  auto cluster = std::make_unique<ClusterNode>(**distribution, engine, clock, std::move(cluster_options));
  cluster->Start();
  auto stop_delivering = [&] {
    cluster->StopListening();
    store.OnNewDeliveries(nullptr);
    engine.Stop();
    cluster.reset();  // the shards go back once no attempt runs
  };
  boost::asio::io_context io(1);
  boost::asio::thread_pool workers(kWorkerThreads);
  HttpServerLimits limits;
  limits.large_body_path = "/api/v1/events/batch";
  limits.max_connections = static_cast<size_t>(config->max_connections);
  HttpServer server(
      io, workers,
      [&api](const HttpRequest& r, Respond respond, const Offload& offload) {
        api.Handle(r, std::move(respond), offload);
      },
      limits);
  auto port = server.Listen(config->listen_host, config->listen_port);
  if (!port) {
    PrintConfigError(port.error());
    stop_delivering();
    return 1;
  }
  server.Start();
  // The operations address (--metrics-listen): metrics and health for the scraper and the load balancer, apart from
  // the API.
  std::optional<HttpServer> operations;
  std::optional<uint16_t> operations_port;
  if (!config->metrics_listen_host.empty()) {
    HttpServerLimits operations_limits;
    operations_limits.max_connections = kOperationsConnections;
    operations.emplace(
        io, workers,
        [&api](const HttpRequest& r, Respond respond, const Offload& offload) {
          api.HandleOperations(r, std::move(respond), offload);
        },
        operations_limits);
    auto bound = operations->Listen(config->metrics_listen_host, config->metrics_listen_port);
    if (!bound) {
      PrintConfigError(bound.error());
      stop_delivering();
      return 1;
    }
    operations_port = *bound;
    operations->Start();
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer drain_deadline(io);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    LogInfo("shutting down", {{"signal", std::to_string(signal)}});
    NotifyServiceManager("STOPPING=1");
    server.Shutdown([&] {
      if (!operations) return io.stop();
      operations->Shutdown([&] { io.stop(); });
    });
    drain_deadline.expires_after(kDrainDeadline);
    drain_deadline.async_wait([&](const boost::system::error_code& timer_ec) {
      if (!timer_ec) {
        LogWarn("connections did not drain in time; stopping anyway");
        io.stop();
      }
    });
  });

  const std::string address = config->listen_host + ":" + std::to_string(*port);
  LogInfo("hookd listening", {{"address", "http://" + address},
                              {"database", config->PrintableDatabaseUrl()},
                              {"role", config->role},
                              {"version", kVersion}});
  if (credentials.admin_token_generated) {
    // Shown once, on the start that generated it, and only to a person at a terminal: never into a log or a journal.
    std::cout << "Admin token generated into " << config->data_dir << "/admin-token (mode 0600)";
    if (::isatty(STDOUT_FILENO)) std::cout << ": " << credentials.admin_token;
    std::cout << "\n";
  }
  if (operations_port) {
    LogInfo("metrics and health listening",
            {{"address", "http://" + config->metrics_listen_host + ":" + std::to_string(*operations_port)}});
  }
  std::cout << "hookd listening on http://" << address << std::endl;
  NotifyServiceManager("READY=1");

  pthread_setname_np(pthread_self(), "hookd-net");
  io.run();
  workers.join();     // every in-flight request has been answered
  stop_delivering();  // in-flight attempts finish and are recorded
  store.Flush();
  LogInfo("hookd stopped");
  return 0;
}

int RunMigrate(const std::vector<std::string>& args) {
  auto config = LoadConfig(args);
  if (!config) return 2;
  if (!OpenConfiguredStore(*config, nullptr)) return 1;
  std::cout << "migrations applied: " << config->PrintableDatabaseUrl() << "\n";
  return 0;
}

}  // namespace hookd
