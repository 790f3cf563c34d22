// libcurl multi in "socket" mode: curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when its next
// timeout is due (CURLMOPT_TIMERFUNCTION); Poll waits on an epoll set holding those sockets and an eventfd for
// wakeups, then hands curl only the sockets that are ready. (curl_multi_perform, by contrast, checks every transfer
// with a poll() of its own on each call, which dominated the engine's profile.) Each transfer carries a context
// with its buffers and completion.
#include "delivery/http_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include "common/time_util.h"
#include "delivery/ssrf_guard.h"

namespace hookd {
namespace {

constexpr size_t kMaxResponseHeaders = 64;
constexpr size_t kMaxHeaderBytes = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

std::string ErrorName(CURLcode code, bool blocked) {
  if (blocked) return "blocked_address";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_COULDNT_CONNECT: return "connection_refused";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "dns";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return "tls";
    case CURLE_UNSUPPORTED_PROTOCOL: return "unsupported_protocol";
    case CURLE_SEND_ERROR: return "send_failed";
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return "connection_reset";
    case CURLE_URL_MALFORMAT: return "bad_url";
    default: return "network_error";
  }
}

}  // namespace

struct HttpClient::Transfer {
  HttpClient* client = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  OutboundRequest request;
  OutboundResponse response;
  Done done;
  bool blocked = false;
  bool allow_private = false;
  size_t header_bytes = 0;
  std::chrono::steady_clock::time_point started;

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    const size_t room = kLoggedBodyLimit - std::min(kLoggedBodyLimit, t->response.body.size());
    t->response.body.append(data, std::min(room, len));
    if (len > room) {
      t->response.body_truncated = true;
      return CURL_WRITEFUNC_ERROR;  // stop reading: the rest would be thrown away
    }
    return len;
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    std::string_view line(data, len);
    if (line.rfind("HTTP/", 0) == 0) {
      t->response.headers.clear();  // a new response (after 1xx) starts over
      t->header_bytes = 0;
      return len;
    }
    t->header_bytes += len;
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && t->response.headers.size() < kMaxResponseHeaders &&
        t->header_bytes <= kMaxHeaderBytes) {
      t->response.headers.emplace_back(Lower(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1))));
    }
    return len;
  }

  static curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(user);
    if (purpose == CURLSOCKTYPE_IPCXN && !t->allow_private && IsBlockedAddress(&address->addr)) {
      t->blocked = true;
      return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
  }
};

std::string OutboundResponse::Header(std::string_view name) const {
  const std::string lower = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return "";
}

HttpClient::HttpClient(HttpClientOptions options) : options_(options) {
  static CurlGlobal global;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("cannot create the HTTP client's epoll set");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpClient::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpClient::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

int HttpClient::OnSocket(void* /*easy*/, int socket, int what, void* user, void* socket_data) {
  auto* client = static_cast<HttpClient*>(user);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(client->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    curl_multi_assign(client->multi_, socket, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
  ev.data.fd = socket;
  if (socket_data) {
    epoll_ctl(client->epoll_fd_, EPOLL_CTL_MOD, socket, &ev);
  } else {
    epoll_ctl(client->epoll_fd_, EPOLL_CTL_ADD, socket, &ev);
    curl_multi_assign(client->multi_, socket, client);  // marks the socket as registered
  }
  return 0;
}

int HttpClient::OnTimer(void* /*multi*/, long timeout_ms, void* user) {
  auto* client = static_cast<HttpClient*>(user);
  client->timer_due_ms_ = timeout_ms < 0 ? -1 : SteadyMs() + timeout_ms;
  return 0;
}

HttpClient::~HttpClient() {
  // Abandon anything still running: completions are not called.
  for (auto& [easy, transfer] : transfers_) {
    curl_multi_remove_handle(multi_, easy);
    curl_slist_free_all(transfer->headers);
    curl_easy_cleanup(static_cast<CURL*>(easy));
  }
  transfers_.clear();
  for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
  curl_multi_cleanup(multi_);
  close(wake_fd_);
  close(epoll_fd_);
}

void HttpClient::Start(OutboundRequest request, Done done) {
  auto owned = std::make_unique<Transfer>();
  Transfer* t = owned.get();
  t->client = this;
  t->request = std::move(request);
  t->done = std::move(done);
  t->allow_private = options_.allow_private_networks;
  t->started = std::chrono::steady_clock::now();
  if (!idle_handles_.empty()) {
    t->easy = static_cast<CURL*>(idle_handles_.back());
    idle_handles_.pop_back();
  } else {
    t->easy = NewHandle();
  }
  CURL* e = t->easy;
  for (const auto& [k, v] : t->request.headers) t->headers = curl_slist_append(t->headers, (k + ": " + v).c_str());
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(t->request.timeout_ms, 10'000)));
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  ++in_flight_;
  transfers_.emplace(e, std::move(owned));
  if (curl_multi_add_handle(multi_, e) != CURLM_OK) Finish(t, CURLE_FAILED_INIT);
}

// The options every delivery shares, set once per handle (handles are reused, so are these).
void* HttpClient::NewHandle() {
  CURL* e = curl_easy_init();
  if (!e) throw std::runtime_error("curl_easy_init failed");
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, options_.allow_http ? "http,https" : "https");
  curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Transfer::OnOpenSocket);
  return e;
}

void HttpClient::Poll(int timeout_ms) {
  int wait = timeout_ms;
  if (timer_due_ms_ >= 0) wait = static_cast<int>(std::clamp<int64_t>(timer_due_ms_ - SteadyMs(), 0, wait));
  epoll_event events[256];
  const int n = epoll_wait(epoll_fd_, events, 256, wait);
  int running = 0;
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      uint64_t count;
      (void)!read(wake_fd_, &count, sizeof count);
      continue;
    }
    const uint32_t ev = events[i].events;
    const int flags = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) | (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                      (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
    curl_multi_socket_action(multi_, fd, flags, &running);
  }
  if (timer_due_ms_ >= 0 && SteadyMs() >= timer_due_ms_) {
    timer_due_ms_ = -1;  // curl sets the next one from inside the call
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  }
  CURLMsg* msg;
  int left;
  while ((msg = curl_multi_info_read(multi_, &left)) != nullptr) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    Finish(t, msg->data.result);
  }
}

void HttpClient::Wakeup() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void HttpClient::Finish(Transfer* t, int code) {
  const auto result = static_cast<CURLcode>(code);
  curl_multi_remove_handle(multi_, t->easy);
  OutboundResponse& r = t->response;
  r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t->started)
                     .count();
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  const bool truncated_read = result == CURLE_WRITE_ERROR && r.body_truncated;
  if ((result == CURLE_OK || truncated_read) && status > 0) {
    r.status = static_cast<int>(status);
  } else {
    r.status.reset();
    r.error = ErrorName(result, t->blocked);
    r.error_detail = curl_easy_strerror(result);
  }
  curl_slist_free_all(t->headers);
  idle_handles_.push_back(t->easy);
  --in_flight_;
  Done done = std::move(t->done);
  OutboundResponse response = std::move(t->response);
  transfers_.erase(t->easy);  // destroys *t
  done(std::move(response));
}

std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;
    return std::stoll(std::string(value)) * 1000;
  }
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::max<int64_t>(0, static_cast<int64_t>(when) * 1000 - now_ms);
}

}  // namespace hookd
