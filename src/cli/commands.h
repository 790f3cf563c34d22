// hookd's subcommands (SPEC §2). Each takes the words after its name and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace hookd {

int RunServe(const std::vector<std::string>& args);
int RunMigrate(const std::vector<std::string>& args);
int RunAccountCreate(const std::vector<std::string>& args);
int RunListen(const std::vector<std::string>& args);
int RunTrigger(const std::vector<std::string>& args);
int RunCatalog(const std::vector<std::string>& args);
int RunBackup(const std::vector<std::string>& args);
int RunRestore(const std::vector<std::string>& args);
int RunRotateMasterKey(const std::vector<std::string>& args);
int RunAudit(const std::vector<std::string>& args);

}  // namespace hookd
