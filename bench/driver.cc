// hookd-bench: the benchmark's load generator and receiver in one process, so every delivery can be joined to the
// moment its event was meant to be sent.
//
//   hookd-bench drive    open-loop load against hookd (fixed arrival rate; latency from the *intended* send time,
//                        so queueing is never hidden) while receiving the deliveries on --ports
//   hookd-bench receive  only receive on --ports until --duration passes or --expect deliveries arrived
//   hookd-bench baseline a closed-loop POST loop against this process's own receiver: the machine's limit
//                        (or, with --target-port PORT, against another server on loopback, e.g. nginx)
//
// Each prints one JSON object of results. Receivers answer 200 (or 500, or never, per --fail-ports/--hang-ports),
// and count duplicates and losses by (webhook-id, x-webhook-id) = (event, webhook).
//
// Deliberately small and dependency-free: epoll, non-blocking sockets, HTTP/1.1 with Content-Length only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

// CPU seconds this process has used so far (every thread, user and system).
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::map<std::string, std::string> ParseArgs(int argc, char** argv, int from) {
  std::map<std::string, std::string> args;
  for (int i = from; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  return args;
}

std::vector<int> ParsePorts(const std::string& list) {
  std::vector<int> ports;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    if (comma > pos) ports.push_back(std::atoi(list.substr(pos, comma - pos).c_str()));
    pos = comma + 1;
  }
  return ports;
}

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Case-insensitive header lookup inside a raw header block.
std::string HeaderValue(const std::string& head, const char* lower_name) {
  const size_t n = std::strlen(lower_name);
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (head.size() - pos < n + 1) break;
    if (strncasecmp(head.data() + pos, lower_name, n) == 0 && head[pos + n] == ':') {
      size_t start = pos + n + 1;
      while (start < head.size() && head[start] == ' ') ++start;
      size_t end = head.find("\r\n", start);
      return head.substr(start, end - start);
    }
  }
  return "";
}

// Splits complete HTTP messages off the front of `buf`. Returns false while a message is incomplete.
bool TakeMessage(std::string& buf, std::string& head, std::string& body) {
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  head = buf.substr(0, end + 2);
  const std::string length = HeaderValue(head, "content-length");
  const size_t body_len = length.empty() ? 0 : std::strtoul(length.c_str(), nullptr, 10);
  if (buf.size() < end + 4 + body_len) return false;
  body = buf.substr(end + 4, body_len);
  buf.erase(0, end + 4 + body_len);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Receiver: one epoll thread serving every port.

struct Receipt {
  std::string event_id;
  std::string webhook_id;
  int64_t at_us;
};

class Receiver {
 public:
  Receiver(const std::vector<int>& ports, const std::set<int>& fail_ports, const std::set<int>& hang_ports)
      : fail_ports_(fail_ports), hang_ports_(hang_ports) {
    epoll_ = epoll_create1(0);
    for (int port : ports) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
        std::fprintf(stderr, "cannot listen on %d: %s\n", port, std::strerror(errno));
        std::exit(1);
      }
      SetNonBlocking(fd);
      listeners_[fd] = port;
      epoll_event ev{EPOLLIN, {.fd = fd}};
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
    thread_ = std::thread([this] { Loop(); });
  }

  ~Receiver() {
    stop_ = true;
    thread_.join();
  }

  size_t Count() const { return count_.load(); }

  std::vector<Receipt> Take() {
    std::lock_guard lock(mu_);
    return std::move(receipts_);
  }

 private:
  struct Conn {
    int port;
    std::string in;
  };

  void Loop() {
    epoll_event events[256];
    static const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    static const char kFail[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
    char buf[65536];
    std::vector<Receipt> local;
    while (!stop_) {
      const int n = epoll_wait(epoll_, events, 256, 50);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (auto l = listeners_.find(fd); l != listeners_.end()) {
          for (;;) {
            int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
            if (c < 0) break;
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns_[c] = Conn{l->second, {}};
            epoll_event ev{EPOLLIN, {.fd = c}};
            epoll_ctl(epoll_, EPOLL_CTL_ADD, c, &ev);
          }
          continue;
        }
        Conn& conn = conns_[fd];
        bool closed = false;
        for (;;) {  // a short read means the socket is drained (level-triggered epoll reports the rest)
          ssize_t r = read(fd, buf, sizeof buf);
          if (r > 0) {
            conn.in.append(buf, static_cast<size_t>(r));
            if (static_cast<size_t>(r) < sizeof buf) break;
          } else {
            closed = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
            break;
          }
        }
        std::string head, body;
        std::string out;
        const int64_t now = NowUs();
        while (TakeMessage(conn.in, head, body)) {
          local.push_back({HeaderValue(head, "webhook-id"), HeaderValue(head, "x-webhook-id"), now});
          if (hang_ports_.count(conn.port)) continue;  // never answer
          out += fail_ports_.count(conn.port) ? kFail : kOk;
        }
        if (!out.empty()) (void)!write(fd, out.data(), out.size());
        if (closed) {
          epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
          conns_.erase(fd);
        }
      }
      if (!local.empty()) {
        count_ += local.size();
        std::lock_guard lock(mu_);
        receipts_.insert(receipts_.end(), std::make_move_iterator(local.begin()), std::make_move_iterator(local.end()));
        local.clear();
      }
    }
  }

  std::set<int> fail_ports_, hang_ports_;
  int epoll_;
  std::unordered_map<int, int> listeners_;
  std::unordered_map<int, Conn> conns_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> count_{0};
  std::mutex mu_;
  std::vector<Receipt> receipts_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------------------------
// Load generator: C keep-alive connections, one request in flight on each; sends are due at fixed intervals.

struct Sent {
  int64_t intended_us;
  int64_t answered_us;
  int status;
  std::vector<std::string> event_ids;
};

class Generator {
 public:
  Generator(std::string host_port, std::string request, int connections) : request_(std::move(request)) {
    const auto colon = host_port.rfind(':');
    port_ = std::atoi(host_port.substr(colon + 1).c_str());
    epoll_ = epoll_create1(0);
    for (int i = 0; i < connections; ++i) Connect();
  }

  // Sends at `rate` requests/s for `duration_s` (open loop), or as fast as possible when rate == 0 (closed loop).
  std::vector<Sent> Run(double rate, double duration_s) {
    const int64_t start = NowUs();
    const int64_t end = start + static_cast<int64_t>(duration_s * 1e6);
    const double interval_us = rate > 0 ? 1e6 / rate : 0;
    int64_t next_index = 0;
    std::vector<int64_t> backlog;  // intended times of due, unsent requests (FIFO)
    size_t backlog_head = 0;
    std::vector<Sent> results;
    epoll_event events[256];
    char buf[65536];
    for (;;) {
      const int64_t now = NowUs();
      if (rate > 0) {
        while (start + static_cast<int64_t>(next_index * interval_us) <= std::min(now, end)) {
          backlog.push_back(start + static_cast<int64_t>(next_index * interval_us));
          ++next_index;
        }
      }
      while (!idle_.empty()) {
        int64_t intended;
        if (rate > 0) {
          if (backlog_head == backlog.size()) break;
          intended = backlog[backlog_head++];
        } else {
          if (now >= end) break;
          intended = now;
        }
        const int fd = idle_.back();
        idle_.pop_back();
        Conn& conn = conns_[fd];
        conn.busy = true;
        conn.intended_us = intended;
        (void)!write(fd, request_.data(), request_.size());
      }
      const bool sending_done = rate > 0 ? (now >= end && backlog_head == backlog.size()) : now >= end;
      if (sending_done && idle_.size() == conns_.size()) break;
      if (now > end + 60'000'000) break;  // answers stuck for a minute: give up on them
      int wait_ms = 1;
      const int n = epoll_wait(epoll_, events, 256, wait_ms);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        Conn& conn = conns_[fd];
        for (;;) {
          ssize_t r = read(fd, buf, sizeof buf);
          if (r <= 0) break;
          conn.in.append(buf, static_cast<size_t>(r));
          if (static_cast<size_t>(r) < sizeof buf) break;
        }
        std::string head, body;
        while (TakeMessage(conn.in, head, body)) {
          Sent s{conn.intended_us, NowUs(), std::atoi(head.c_str() + 9), {}};
          size_t pos = 0;
          while ((pos = body.find("\"id\":\"evt_", pos)) != std::string::npos) {
            pos += 6;
            s.event_ids.push_back(body.substr(pos, body.find('"', pos) - pos));
          }
          results.push_back(std::move(s));
          conn.busy = false;
          idle_.push_back(fd);
        }
      }
    }
    return results;
  }

 private:
  struct Conn {
    bool busy = false;
    int64_t intended_us = 0;
    std::string in;
  };

  void Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::fprintf(stderr, "cannot connect to port %d: %s\n", port_, std::strerror(errno));
      std::exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SetNonBlocking(fd);
    conns_[fd] = Conn{};
    idle_.push_back(fd);
    epoll_event ev{EPOLLIN, {.fd = fd}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  std::string request_;
  int port_;
  int epoll_;
  std::unordered_map<int, Conn> conns_;
  std::vector<int> idle_;  // connections with no request in flight
};

// ---------------------------------------------------------------------------------------------------------------

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

Percentiles Summarize(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  p.p50 = at(0.50);
  p.p95 = at(0.95);
  p.p99 = at(0.99);
  p.max = v.back();
  return p;
}

std::string Json(const Percentiles& p) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f}", p.p50, p.p95, p.p99, p.max);
  return buf;
}

std::string EventRequest(const std::string& key, int batch, const std::string& type) {
  std::string event = "{\"type\":\"" + type + "\",\"data\":{\"order_id\":12345,\"amount\":4200,\"note\":\"bench\"}}";
  std::string body;
  std::string path;
  if (batch > 1) {
    body = "{\"events\":[";
    for (int i = 0; i < batch; ++i) body += (i ? "," : "") + event;
    body += "]}";
    path = "/api/v1/events/batch";
  } else {
    body = event;
    path = "/api/v1/events";
  }
  return "POST " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int Drive(const std::map<std::string, std::string>& a) {
  const std::vector<int> ports = ParsePorts(a.count("--ports") ? a.at("--ports") : "");
  std::set<int> fail, hang;
  for (int p : ParsePorts(a.count("--fail-ports") ? a.at("--fail-ports") : "")) fail.insert(p);
  for (int p : ParsePorts(a.count("--hang-ports") ? a.at("--hang-ports") : "")) hang.insert(p);
  const double rate = std::atof(a.at("--rate").c_str());
  const double duration = std::atof(a.at("--duration").c_str());
  const int batch = a.count("--batch") ? std::atoi(a.at("--batch").c_str()) : 1;
  const int fanout = a.count("--fanout") ? std::atoi(a.at("--fanout").c_str()) : 0;
  const double drain_s = a.count("--drain") ? std::atof(a.at("--drain").c_str()) : 60;
  const int connections = a.count("--connections") ? std::atoi(a.at("--connections").c_str()) : 64;
  // Webhook ids whose latency counts as "healthy" (the isolation scenario); empty = all.
  std::set<std::string> healthy;
  if (a.count("--healthy")) {
    std::string list = a.at("--healthy");
    size_t pos = 0;
    while (pos < list.size()) {
      size_t c = list.find(',', pos);
      if (c == std::string::npos) c = list.size();
      healthy.insert(list.substr(pos, c - pos));
      pos = c + 1;
    }
  }

  Receiver receiver(ports, fail, hang);
  Generator generator(a.at("--target"),
                      EventRequest(a.at("--key"), batch, a.count("--type") ? a.at("--type") : "user.created"),
                      connections);
  const int64_t t0 = NowUs();
  const double cpu_at_start = ProcessCpuSeconds();
  std::vector<Sent> sent = generator.Run(rate, duration);
  const int64_t t_sent = NowUs();

  std::unordered_map<std::string, int64_t> intended_by_event;
  size_t accepted_requests = 0, accepted_events = 0, errors = 0;
  std::vector<double> ingest_ms;
  for (const Sent& s : sent) {
    if (s.status == 202) {
      ++accepted_requests;
      accepted_events += s.event_ids.size();
      for (const auto& id : s.event_ids) intended_by_event[id] = s.intended_us;
      ingest_ms.push_back(static_cast<double>(s.answered_us - s.intended_us) / 1000.0);
    } else {
      ++errors;
    }
  }
  // Wait for every expected delivery, up to --drain seconds.
  const size_t expected = fanout > 0 ? accepted_events * static_cast<size_t>(fanout) : 0;
  const int64_t drain_until = NowUs() + static_cast<int64_t>(drain_s * 1e6);
  while (expected > 0 && receiver.Count() < expected && NowUs() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<Receipt> receipts = receiver.Take();
  const double cpu_while_driving = ProcessCpuSeconds() - cpu_at_start;  // not the tally below

  std::unordered_set<std::string> seen;
  size_t duplicates = 0, unknown = 0;
  std::vector<double> e2e_ms;
  int64_t first_rx = INT64_MAX, last_rx = 0;
  for (const Receipt& r : receipts) {
    if (!seen.insert(r.event_id + "|" + r.webhook_id).second) {
      ++duplicates;
      continue;
    }
    auto it = intended_by_event.find(r.event_id);
    if (it == intended_by_event.end()) {
      ++unknown;
      continue;
    }
    first_rx = std::min(first_rx, r.at_us);
    last_rx = std::max(last_rx, r.at_us);
    if (healthy.empty() || healthy.count(r.webhook_id)) {
      e2e_ms.push_back(static_cast<double>(r.at_us - it->second) / 1000.0);
    }
  }
  const size_t unique = seen.size() - unknown;
  const size_t lost = fanout > 0 && expected > unique ? expected - unique : 0;
  const double send_span = static_cast<double>(t_sent - t0) / 1e6;
  const double rx_span = last_rx > first_rx ? static_cast<double>(last_rx - first_rx) / 1e6 : 0;
  std::printf(
      "{\"offered_rate\":%.1f,\"duration_s\":%.2f,\"requests\":%zu,\"accepted_requests\":%zu,\"errors\":%zu,"
      "\"accepted_events\":%zu,\"ingest_events_per_s\":%.1f,\"ingest_latency_ms\":%s,\"expected_deliveries\":%zu,"
      "\"deliveries\":%zu,\"deliveries_per_s\":%.1f,\"delivery_window_s\":%.2f,\"duplicates\":%zu,\"undelivered_at_"
      "cutoff\":%zu,"
      "\"e2e_latency_ms\":%s,\"cpu_s\":%.3f}\n",
      rate, send_span, sent.size(), accepted_requests, errors, accepted_events,
      static_cast<double>(accepted_events) / send_span, Json(Summarize(ingest_ms)).c_str(), expected, unique,
      rx_span > 0 ? static_cast<double>(unique) / rx_span : 0.0, rx_span, duplicates, lost,
      Json(Summarize(e2e_ms)).c_str(), cpu_while_driving);
  return 0;
}

int Receive(const std::map<std::string, std::string>& a) {
  const std::vector<int> ports = ParsePorts(a.at("--ports"));
  Receiver receiver(ports, {}, {});
  const size_t expect = a.count("--expect") ? std::strtoul(a.at("--expect").c_str(), nullptr, 10) : 0;
  const int64_t until = NowUs() + static_cast<int64_t>(std::atof(a.at("--duration").c_str()) * 1e6);
  std::fprintf(stderr, "receiving\n");
  while (NowUs() < until && (expect == 0 || receiver.Count() < expect)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<Receipt> receipts = receiver.Take();
  std::unordered_set<std::string> seen;
  size_t duplicates = 0;
  int64_t first = INT64_MAX, last = 0;
  for (const Receipt& r : receipts) {
    if (!seen.insert(r.event_id + "|" + r.webhook_id).second) ++duplicates;
    first = std::min(first, r.at_us);
    last = std::max(last, r.at_us);
  }
  const double span = last > first ? static_cast<double>(last - first) / 1e6 : 0;
  std::printf("{\"deliveries\":%zu,\"duplicates\":%zu,\"losses\":%zu,\"drain_s\":%.2f,\"drain_per_s\":%.1f}\n",
              seen.size(), duplicates, expect > seen.size() ? expect - seen.size() : 0, span,
              span > 0 ? static_cast<double>(seen.size()) / span : 0.0);
  return 0;
}

int Baseline(const std::map<std::string, std::string>& a) {
  // --target-port measures another server on 127.0.0.1 instead (the anchor is a POST loop against nginx).
  std::optional<Receiver> receiver;
  int port = 0;
  if (a.count("--target-port")) {
    port = std::atoi(a.at("--target-port").c_str());
  } else {
    port = std::atoi(a.at("--port").c_str());
    receiver.emplace(std::vector<int>{port}, std::set<int>{}, std::set<int>{});
  }
  const std::string body = "{\"id\":\"evt_bench\",\"type\":\"user.created\",\"data\":{\"order_id\":12345}}";
  const std::string request =
      "POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nwebhook-id: b\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  Generator generator("127.0.0.1:" + std::to_string(port), request,
                      a.count("--connections") ? std::atoi(a.at("--connections").c_str()) : 32);
  const double duration = std::atof(a.at("--duration").c_str());
  std::vector<Sent> sent = generator.Run(0, duration);
  std::printf("{\"requests\":%zu,\"duration_s\":%.2f,\"requests_per_s\":%.1f}\n", sent.size(), duration,
              static_cast<double>(sent.size()) / duration);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hookd-bench drive|receive|baseline --flag value ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  const auto args = ParseArgs(argc, argv, 2);
  if (mode == "drive") return Drive(args);
  if (mode == "receive") return Receive(args);
  if (mode == "baseline") return Baseline(args);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
