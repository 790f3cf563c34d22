// `hookd rotate-master-key --new-key-file F` and `--finish` (SPEC §2; the steps are store/master_keys.h). The
// rotation runs while hookd serves, on either store: every serving process learns the new key from the store, so
// none needs a restart until the rotation is finished. Interrupted, it is finished by running it again.
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/configured_store.h"
#include "cli/key_files.h"
#include "crypto/encoding.h"
#include "store/master_keys.h"

namespace hookd {
namespace {

constexpr const char* kUsage =
    "usage: hookd rotate-master-key --new-key-file FILE [config flags]\n"
    "       hookd rotate-master-key --finish [config flags]   (run with the new key once every process has it)";

int Finish(const OpenedStore& opened) {
  SecretCipher ring(opened.credentials.master_key);
  if (auto st = FinishRotation(*opened.store, ring, ring.CurrentId()); !st) {
    std::cerr << "hookd: " << st.error().message << "\n";
    return 1;
  }
  std::cout << "finished: only key " << ring.CurrentId() << " opens this store now\n";
  return 0;
}

}  // namespace

int RunRotateMasterKey(const std::vector<std::string>& args) {
  std::vector<std::string> rest = args;
  const std::optional<std::string> key_file = TakeFlag(rest, "--new-key-file");
  bool finish = false;
  std::erase_if(rest, [&finish](const std::string& a) { return a == "--finish" && (finish = true); });
  if (finish == (key_file && !key_file->empty())) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  auto config = LoadConfig(rest);
  if (!config) return 2;
  std::string new_key;
  if (key_file) {
    auto text = ReadCredentialFile(*key_file);
    auto key = text ? Base64Decode(*text) : std::nullopt;
    if (!key || key->size() != 32) {
      std::cerr << "hookd: "
                << (text ? *key_file + " must hold base64 of exactly 32 bytes (openssl rand -base64 32)"
                         : text.error().message)
                << "\n";
      return 2;
    }
    new_key = std::move(*key);
  }
  auto opened = OpenConfiguredStore(*config, nullptr);
  if (!opened) return 1;
  if (finish) return Finish(*opened);

  SecretCipher ring(opened->credentials.master_key);
  auto report = RotateMasterKey(
      *opened->store, ring, new_key,
      [] { std::this_thread::sleep_for(2 * kKeyRefreshPeriod + std::chrono::seconds(1)); },
      [](const std::string& step) { std::cout << step << std::endl; });
  if (!report) {
    std::cerr << "hookd: " << report.error().message << "\n";
    return 1;
  }
  std::cout << "rotated: every secret is sealed under key " << report->key_id << " (" << report->resealed << " of "
            << report->webhooks << " webhooks sealed again)\n";
  if (UsesGeneratedMasterKey(*config)) {
    if (auto st = ReplaceGeneratedMasterKey(*config, new_key); !st) {
      std::cerr << "hookd: " << st.error().message << "\n";
      return 1;
    }
    std::cout << "replaced " << config->data_dir << "/master.key with the new key\n";
  }
  std::cout << "next: give every hookd process on this database the new key, restart them one at a time, then run "
               "`hookd rotate-master-key --finish` with the new key\n";
  return 0;
}

}  // namespace hookd
