// Wiring of the lease keeper and the notice listener to the engine and the caches.
#include "cluster/cluster_node.h"

namespace hookd {

ClusterNode::ClusterNode(WorkDistribution& distribution, DeliveryWork& engine, const Clock& clock,
                         ClusterOptions options)
    : distribution_(distribution), engine_(engine), options_(std::move(options)) {
  if (options_.delivers) {
    keeper_ =
        std::make_unique<LeaseKeeper>(distribution_, engine_, clock, options_.lease_duration_ms, options_.metrics);
  }
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
  handlers.on_change = options_.on_change;
  handlers.on_missed = [this] {
    if (options_.on_missed) options_.on_missed();
    if (keeper_) keeper_->RescanAll();
  };
  // Listening starts before the first shards are read, so nothing committed in between goes unannounced.
  listener_ = std::make_unique<NoticeListener>(distribution_, std::move(handlers));
  if (keeper_ && !listener_->WaitUntilListening(std::chrono::seconds(5))) {
    keeper_->RescanAll();  // the database is slow to answer: once listening, every held shard is read again
  }
  if (keeper_) keeper_->Start();
}

}  // namespace hookd
