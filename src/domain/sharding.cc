// Which held shards go back when a worker holds more than its share.
#include "domain/sharding.h"

#include <algorithm>

namespace hookd {

std::vector<int> SurplusShards(const std::vector<int>& held, int share) {
  std::vector<int> surplus;
  for (auto it = held.rbegin(); it != held.rend() && static_cast<int>(held.size() - surplus.size()) > share; ++it) {
    surplus.push_back(*it);
  }
  return surplus;
}

}  // namespace hookd
