// The audit chain (SPEC §9), as both stores append and verify it: each account's records form one chain, each
// record linked to the one before by its `prev_hash` and sealed by its `hash` (SHA-256 of `prev_hash` followed by
// the record's canonical form). A store appends a change's record in the change's own transaction, after locking
// the account's chain head, so the chain stays linear however many processes write; `hookd audit verify` walks
// every chain with AuditChainVerifier.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/audit.h"

namespace hookd {

// The end of one account's chain, as the store keeps it: the last record's sequence number and hash. Retention
// removes a chain's oldest records but keeps its head, and `purged_seq`/`purged_hash` name the last record it
// removed, where the remaining chain now starts.
struct AuditHead {
  std::string account_id;
  int64_t seq = 0;
  std::string hash{kChainStart};
  int64_t purged_seq = 0;
  std::string purged_hash{kChainStart};
};

// One of a chain's oldest records as retention reads it.
struct AuditLink {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string hash;
};

// Retention of a chain whose oldest remaining records are `oldest` (in seq order, from just after head's purged
// mark): the run of them from the start that is older than `cutoff_ms` goes, and head's purged mark moves to its
// last record. Returns whether it moved (then every record up to head.purged_seq is to be deleted).
bool AdvancePurgedMark(AuditHead& head, const std::vector<AuditLink>& oldest, int64_t cutoff_ms);

// Makes `r` the record after `head`: its id (a new one when empty), seq, prev_hash and hash. Advances `head`.
void SealAuditRecord(AuditRecord& r, AuditHead& head);

// SHA-256 (hex) of `r.prev_hash` followed by `r`'s canonical form.
[[nodiscard]] std::string AuditRecordHash(const AuditRecord& r);

// Checks chains record by record, each chain in `seq` order (records of different accounts may interleave). The
// first failure is kept: a record whose hash does not match its content (changed), whose link does not match the
// record before it (one before was changed or deleted), or a chain whose last record is not its head's (the last
// one was deleted).
class AuditChainVerifier {
 public:
  void Begin(const AuditHead& head);  // each chain's head, before its records
  void Add(const AuditRecord& r);
  void End();  // after every record: checks each chain reached its head
  [[nodiscard]] int64_t records() const { return records_; }
  [[nodiscard]] const std::optional<std::string>& failure() const { return failure_; }

 private:
  struct Chain {
    AuditHead head;
    int64_t seq = 0;
    std::string hash;
    std::string last_id;
  };
  void Fail(std::string why);
  std::map<std::string, Chain> chains_;
  int64_t records_ = 0;
  std::optional<std::string> failure_;
};

}  // namespace hookd
