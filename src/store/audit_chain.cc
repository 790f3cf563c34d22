// Appending to and verifying the audit chains.
#include "store/audit_chain.h"

#include <utility>

#include "common/ids.h"
#include "crypto/signing.h"

namespace hookd {

std::string AuditRecordHash(const AuditRecord& r) {
  return Sha256Hex(r.prev_hash + CanonicalAuditJson(r));
}

void SealAuditRecord(AuditRecord& r, AuditHead& head) {
  if (r.id.empty()) r.id = NewId("aud_");
  r.seq = head.seq + 1;
  r.prev_hash = head.hash;
  r.hash = AuditRecordHash(r);
  head.seq = r.seq;
  head.hash = r.hash;
}

bool AdvancePurgedMark(AuditHead& head, const std::vector<AuditLink>& oldest, int64_t cutoff_ms) {
  bool moved = false;
  for (const AuditLink& link : oldest) {
    if (link.at_ms >= cutoff_ms || link.seq != head.purged_seq + 1) break;
    head.purged_seq = link.seq;
    head.purged_hash = link.hash;
    moved = true;
  }
  return moved;
}

void AuditChainVerifier::Fail(std::string why) {
  if (!failure_) failure_ = std::move(why);
}

void AuditChainVerifier::Begin(const AuditHead& head) {
  chains_[head.account_id] = Chain{head, head.purged_seq, head.purged_hash, ""};
}

void AuditChainVerifier::Add(const AuditRecord& r) {
  ++records_;
  auto it = chains_.find(r.account_id);
  if (it == chains_.end()) {
    Fail(r.id + ": its chain has no head (the chain's head was deleted)");
    return;
  }
  Chain& chain = it->second;
  const std::string after = chain.last_id.empty() ? "the chain's start" : chain.last_id;
  if (r.seq != chain.seq + 1) {
    Fail(r.id + ": records " + std::to_string(chain.seq + 1) + " to " + std::to_string(r.seq - 1) +
         " of its chain are missing (deleted after " + after + ")");
  } else if (r.prev_hash != chain.hash) {
    Fail(r.id + ": its link does not match " + after + " (that record was changed or deleted)");
  } else if (AuditRecordHash(r) != r.hash) {
    Fail(r.id + ": its content does not match its hash (the record was changed)");
  }
  chain.seq = r.seq;
  chain.hash = r.hash;
  chain.last_id = r.id;
}

void AuditChainVerifier::End() {
  for (const auto& [account, chain] : chains_) {
    if (chain.seq != chain.head.seq || chain.hash != chain.head.hash) {
      const std::string after = chain.last_id.empty() ? "the chain's start" : chain.last_id;
      Fail("the chain of " + (account.empty() ? std::string("the admin") : account) + " ends at " + after +
           ", its head at record " + std::to_string(chain.head.seq) + " (the last records were deleted or changed)");
    }
  }
}

}  // namespace hookd
