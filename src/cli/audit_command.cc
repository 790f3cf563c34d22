// `hookd audit verify` (SPEC §9): recomputes every audit chain of the configured store (store/audit_chain.h) and
// exits 0 printing how many records it checked, or 1 naming the first record whose hash or link fails — a record
// changed or deleted other than through hookd.
#include <iostream>

#include "cli/commands.h"
#include "cli/configured_store.h"
#include "store/audit_chain.h"

namespace hookd {

int RunAudit(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "verify") {
    std::cerr << "usage: hookd audit verify [--data-dir DIR | --database URL] [config flags]\n";
    return 2;
  }
  auto config = LoadConfig(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!config) return 2;
  auto opened = OpenConfiguredStore(*config, nullptr);
  if (!opened) return 1;
  AuditChainVerifier verifier;
  if (auto st = opened->store->VerifyAuditChains(verifier); !st) {
    std::cerr << "hookd: " << st.error().message << "\n";
    return 1;
  }
  if (verifier.failure()) {
    std::cout << "audit chain broken: " << *verifier.failure() << "\n";
    return 1;
  }
  std::cout << "audit chains intact: " << verifier.records() << " records\n";
  return 0;
}

}  // namespace hookd
