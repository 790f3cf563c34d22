// Wiring of the scale-out parts to the engine, the API and the caches.
#include "cluster/cluster_node.h"

namespace hookd {

ClusterNode::ClusterNode(const Config& config, std::string worker_name, postgres::PostgresStore& store,
                         DeliveryEngine& engine, Api& api, EventCatalog& catalog)
    : store_(store),
      engine_(engine),
      api_(api),
      catalog_(catalog),
      shared_in_flight_(store.pool(), std::chrono::milliseconds(config.LeaseDurationMs())) {
  if (config.RunsWorker()) {
    keeper_ = std::make_unique<LeaseKeeper>(store, engine, std::move(worker_name),
                                            std::chrono::milliseconds(config.LeaseDurationMs()));
  }
  api_.SetInFlightLookup(
      [this](const std::string& id) { return engine_.IsInFlight(id) || shared_in_flight_.Contains(id); });
}

ClusterNode::~ClusterNode() {
  listener_.reset();
  if (keeper_) keeper_->Stop();
}

void ClusterNode::Start() {
  NoticeHandlers handlers;
  if (keeper_) {
    handlers.holds = [this](int shard) { return keeper_->Holds(shard); };
    handlers.work = &engine_;
  }
  handlers.on_change = [this](const postgres::ChangeNotice& change) { OnChange(change); };
  handlers.on_reconnect = [this] { OnReconnect(); };
  // Listening starts before the first shards are read, so nothing committed in between goes unannounced.
  listener_ = std::make_unique<NoticeListener>(store_, std::move(handlers));
  if (keeper_ && !listener_->WaitUntilListening(std::chrono::seconds(5))) {
    keeper_->RescanAll();  // the database is slow to answer: once listening, every held shard is read again
  }
  if (keeper_) keeper_->Start();
}

void ClusterNode::OnChange(const postgres::ChangeNotice& change) {
  switch (change.kind) {
    case postgres::ChangeKind::kWebhook:
      store_.WebhooksChanged();
      engine_.OnWebhookChanged(change.id);
      break;
    case postgres::ChangeKind::kAccount:
      store_.WebhooksChanged();
      api_.ForgetCredentials();
      break;
    case postgres::ChangeKind::kApiKeys:
      api_.ForgetCredentials();
      break;
    case postgres::ChangeKind::kEventTypes:
      if (auto custom = store_.ListCustomEventTypes()) catalog_.SetCustomTypes(std::move(*custom));
      break;
  }
}

void ClusterNode::OnReconnect() {
  store_.WebhooksChanged();
  engine_.OnAllWebhooksChanged();
  api_.ForgetCredentials();
  if (auto custom = store_.ListCustomEventTypes()) catalog_.SetCustomTypes(std::move(*custom));
  if (keeper_) keeper_->RescanAll();
}

}  // namespace hookd
