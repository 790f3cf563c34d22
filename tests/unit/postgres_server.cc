// The test PostgreSQL server: started through the project's script, databases created over libpq.
#include "postgres_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "common/ids.h"
#include "store/postgres/connection.h"

namespace hookd::testing {
namespace {

std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (::pclose(pipe) != 0) throw std::runtime_error("failed: " + command);
  return out;
}

// A port nothing listens on now: the kernel's pick for a socket bound to port 0.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Server {
  std::string dir;
  std::string url;  // of its "hookd" database; other databases are made beside it

  Server() {
    if (const char* given = std::getenv("HOOKD_TEST_POSTGRES_URL"); given && *given) {
      url = given;
      return;
    }
    dir = std::filesystem::temp_directory_path() / ("hookd-unit-pg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_exec);
    const int port = FreePort();
    url = Run(std::string(HOOKD_SOURCE_DIR) + "/scripts/pg-server.sh start " + dir + "/pg " + std::to_string(port));
    while (!url.empty() && url.back() == '\n') url.pop_back();
  }
  ~Server() {
    if (dir.empty()) return;
    (void)std::system((std::string(HOOKD_SOURCE_DIR) + "/scripts/pg-server.sh stop " + dir + "/pg").c_str());
    std::filesystem::remove_all(dir);
  }
};

Server& TheServer() {
  static Server server;
  return server;
}

}  // namespace

std::string NewPostgresDatabase() {
  const std::string& url = TheServer().url;
  auto conn = postgres::Connection::Open(url);
  if (!conn) throw std::runtime_error("cannot reach the test PostgreSQL server: " + conn.error().message);
  std::string name = NewId("test_");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto st = (*conn)->ExecOnce("CREATE DATABASE " + name); !st) throw std::runtime_error(st.error().message);
  return url.substr(0, url.rfind('/') + 1) + name;
}

void ExecPostgres(const std::string& url, const std::string& sql) {
  auto conn = postgres::Connection::Open(url);
  if (!conn) throw std::runtime_error("cannot reach the test PostgreSQL server: " + conn.error().message);
  if (auto st = (*conn)->ExecOnce(sql); !st) throw std::runtime_error(st.error().message);
}

std::string DumpPostgresDatabase(const std::string& url) {
  return Run("/usr/lib/postgresql/15/bin/pg_dump '" + url + "'");
}

}  // namespace hookd::testing
