// Each request is a coroutine on the client's io_context: take an idle connection to the URL's origin (or resolve,
// SSRF-check every address, connect — or open a CONNECT tunnel to a checked address through the egress proxy — and
// do the TLS handshake), write the request head and body in one send, read
// the response through a parser whose body keeps the first 10 KiB and stops there, and give the connection back
// when the response allows keep-alive. A reused connection that the peer closed while it sat idle fails before
// any response byte arrives; the request is then sent once more on a fresh connection (libcurl does the same, but
// by polling every reused socket first, which cost two poll() calls per delivery).
#include "delivery/http_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <limits>
#include <unordered_map>

#include "common/text.h"
#include "common/thread_checker.h"
#include "crypto/encoding.h"
#include "delivery/delivery_target.h"
#include "delivery/response_reader.h"
#include "delivery/ssrf_guard.h"
#include "delivery/tls_settings.h"

namespace hookd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Everything runs on one io_context: its concrete executor type spares the type-erased `any_io_executor` copies
// that every asynchronous operation would otherwise make.
using Executor = asio::io_context::executor_type;
template <class T>
using Task = asio::awaitable<T, Executor>;
using TcpStream = beast::basic_stream<tcp, Executor>;
using TlsStream = beast::ssl_stream<TcpStream>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});
constexpr int64_t kIdleConnectionMs = 30'000;  // idle connections older than this are closed
constexpr size_t kMaxIdlePerOrigin = 256;
constexpr int kMaxHandlersPerPoll = 4096;
constexpr size_t kMaxCachedTargets = 4096;

using Clock = std::chrono::steady_clock;

std::string ConnectErrorName(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == asio::error::connection_refused) return "connection_refused";
  return "network_error";
}

std::string ExchangeErrorName(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == asio::error::broken_pipe) return "send_failed";
  if (ec == asio::error::connection_reset) return "connection_reset";
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == http::error::partial_message) {
    return "connection_closed";
  }
  if (ec.category() == asio::error::get_ssl_category()) return TlsErrorName(ec, false);
  return "network_error";
}

// The CONNECT request asking the egress proxy for a tunnel to `endpoint` (an address the SSRF guard let through).
std::string ConnectRequestHead(const EgressProxy& proxy, const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  std::string authority = endpoint.address().is_v6() ? "[" + address + "]" : address;
  authority += ":" + std::to_string(endpoint.port());
  std::string head = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (proxy.has_credentials) {
    head += "Proxy-Authorization: Basic " + Base64Encode(proxy.user + ":" + proxy.password) + "\r\n";
  }
  return head + "\r\n";
}

// One kept-alive connection, plain or TLS.
struct Connection {
  std::unique_ptr<TcpStream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;

  TcpStream& Tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

}  // namespace

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o) : options(o), tls_context(MakeTlsContext(nullptr, nullptr)) {}

  Task<OutboundResponse> Run(OutboundRequest request);
  // Writes the request on `conn` and reads the response into `parser` (a new one per response read).
  Task<beast::error_code> Exchange(Connection& conn, const DeliveryTarget& target, OutboundRequest& request,
                                   std::optional<ResponseParser>& parser);
  Task<std::unique_ptr<Connection>> Connect(const DeliveryTarget& target, Clock::time_point deadline,
                                            const OutboundTls* tls, OutboundResponse& response);
  // The TLS context of a webhook's own settings, made on first use; null (with the error set) when they do not load.
  ssl::context* ContextFor(const OutboundTls& tls, OutboundResponse& response);
  // A host's addresses (a literal address is its own); the error when the name does not resolve by `deadline`.
  Task<std::pair<beast::error_code, std::vector<tcp::endpoint>>> Resolve(const std::string& host, uint16_t port,
                                                                         Clock::time_point deadline);
  // Connects `stream` to the egress proxy and opens a tunnel to the first of `allowed` it agrees to reach.
  Task<bool> Tunnel(TcpStream& stream, const std::vector<tcp::endpoint>& allowed, const DeliveryTarget& target,
                    Clock::time_point deadline, OutboundResponse& response);
  // The parsed URL, from a cache: every attempt to a webhook sends to the same URL, so it is parsed once. Null when
  // the URL does not parse.
  std::shared_ptr<const DeliveryTarget> TargetFor(const std::string& url);
  std::unique_ptr<Connection> TakeIdle(const std::string& origin);
  void GiveBack(const std::string& origin, std::unique_ptr<Connection> conn);
  void CloseStaleIdle();

  HttpClientOptions options;
  ThreadChecker owner;  // Start and Poll
  // Declared before everything holding sockets: destroyed last.
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> keep_running = asio::make_work_guard(io);
  std::unique_ptr<ssl::context> tls_context;  // the system's trust store, no client certificate
  std::unordered_map<std::string, std::unique_ptr<ssl::context>> webhook_contexts;  // by OutboundTls::id
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::unordered_map<std::string, std::shared_ptr<const DeliveryTarget>>
      targets;  // by URL; cleared when it grows large
  size_t idle_count = 0;
  size_t in_flight = 0;
  Clock::time_point last_sweep = Clock::now();
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(options)) {}

HttpClient::~HttpClient() {
  // Abandon anything still running: completions are not called.
  impl_->idle.clear();
  impl_->io.stop();
}

size_t HttpClient::InFlight() const {
  return impl_->in_flight;
}

void HttpClient::Start(OutboundRequest request, Done done) {
  impl_->owner.AssertOnOwner();
  ++impl_->in_flight;
  asio::co_spawn(impl_->io, impl_->Run(std::move(request)),
                 [impl = impl_.get(), done = std::move(done)](std::exception_ptr failure, OutboundResponse response) {
                   --impl->in_flight;
                   if (failure) {
                     response = OutboundResponse{};
                     response.error = "internal_error";
                     try {
                       std::rethrow_exception(failure);
                     } catch (const std::exception& e) {
                       response.error_detail = e.what();
                     }
                   }
                   done(std::move(response));
                 });
}

void HttpClient::Poll(int timeout_ms) {
  impl_->owner.AssertOnOwner();
  asio::io_context& io = impl_->io;
  if (timeout_ms > 0) io.run_one_for(std::chrono::milliseconds(timeout_ms));
  for (int i = 0; i < kMaxHandlersPerPoll && io.poll_one() > 0; ++i) {
  }
  impl_->CloseStaleIdle();
}

void HttpClient::Wakeup() {
  asio::post(impl_->io, [] {});
}

Task<OutboundResponse> HttpClient::Impl::Run(OutboundRequest request) {
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + std::chrono::milliseconds(request.timeout_ms);
  OutboundResponse response;
  const std::shared_ptr<const DeliveryTarget> target = TargetFor(request.url);
  if (!target) {
    response.error = "bad_url";
    response.error_detail = "the URL cannot be parsed";
  } else if (!(target->tls || (target->scheme == "http" && options.allow_http))) {
    response.error = "unsupported_protocol";
    response.error_detail = "the URL's scheme is not allowed";
  } else {
    std::optional<ResponseParser> parser;
    // Connections made with a webhook's own TLS settings serve only requests with the same settings.
    const std::string pool = request.tls ? target->origin + "#" + request.tls->id : target->origin;
    // The first round may reuse an idle connection; when the peer had closed it (no response byte arrives), the
    // second connects anew, so every attempt ends with a response or an error.
    for (int round = 0; round < 2; ++round) {
      std::unique_ptr<Connection> conn = round == 0 ? TakeIdle(pool) : nullptr;
      const bool reused = conn != nullptr;
      if (!conn) conn = co_await Connect(*target, deadline, request.tls.get(), response);
      if (!conn) break;  // response.error says why
      conn->Tcp().expires_at(deadline);
      const beast::error_code ec = co_await Exchange(*conn, *target, request, parser);
      const bool got_response = parser && parser->is_header_done();
      if (ec && reused && !(parser && parser->got_some()) && ec != beast::error::timeout) continue;
      if (got_response) TakeResponse(*parser, response);
      if (ec && !(got_response && ec == http::error::body_limit)) {
        response.status.reset();
        response.error = ExchangeErrorName(ec);
        response.error_detail = ec.message();
      } else if (!ec && parser->get().keep_alive()) {
        GiveBack(pool, std::move(conn));
      }
      break;
    }
  }
  response.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  co_return response;
}

Task<beast::error_code> HttpClient::Impl::Exchange(Connection& conn, const DeliveryTarget& target,
                                                   OutboundRequest& request, std::optional<ResponseParser>& parser) {
  const std::string content_length = std::to_string(request.body.size());
  size_t head_size = target.path.size() + target.host_header.size() + content_length.size() + 48;
  for (const auto& [name, value] : request.headers) head_size += name.size() + value.size() + 4;
  std::string head;
  head.reserve(head_size);  // one allocation for the whole head
  head.append("POST ").append(target.path).append(" HTTP/1.1\r\nHost: ").append(target.host_header).append("\r\n");
  for (const auto& [name, value] : request.headers) {
    if (HasLineBreak(name) || HasLineBreak(value)) co_return http::error::bad_field;
    head.append(name).append(": ").append(value).append("\r\n");
  }
  head.append("Content-Length: ").append(content_length).append("\r\n\r\n");
  const std::array<asio::const_buffer, 2> message{asio::buffer(head), asio::buffer(request.body)};
  beast::error_code ec;
  if (conn.tls) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*conn.tls, message, kNoThrow);
    if (ec && ec != beast::error::timeout) {
      // An endpoint that refused the client certificate (TLS 1.3 says so after the handshake) may have closed
      // before the request went out: its alert is still there to read, and names the failure.
      std::array<char, 64> scratch{};
      auto [alert_ec, n] = co_await conn.tls->async_read_some(asio::buffer(scratch), kNoThrow);
      if (ClientCertificateRefused(alert_ec)) ec = alert_ec;
    }
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(*conn.plain, message, kNoThrow);
  }
  if (ec) co_return ec;
  for (;;) {  // an interim 1xx response is followed by the real one
    parser.emplace();
    LimitResponseParser(*parser);
    if (conn.tls) {
      std::tie(ec, std::ignore) = co_await http::async_read(*conn.tls, conn.buffer, *parser, kNoThrow);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_read(*conn.plain, conn.buffer, *parser, kNoThrow);
    }
    if (ec || parser->get().result_int() / 100 != 1 || parser->get().result_int() == 101) co_return ec;
  }
}

Task<std::pair<beast::error_code, std::vector<tcp::endpoint>>> HttpClient::Impl::Resolve(const std::string& host,
                                                                                         uint16_t port,
                                                                                         Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  beast::error_code ec;
  const asio::ip::address literal = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, port);
    co_return std::pair{beast::error_code{}, std::move(endpoints)};
  }
  asio::ip::basic_resolver<tcp, Executor> resolver(io.get_executor());
  asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor> give_up(io.get_executor(), deadline);
  give_up.async_wait([&resolver](const beast::error_code& timer_ec) {
    if (!timer_ec) resolver.cancel();
  });
  auto [resolve_ec, results] = co_await resolver.async_resolve(host, std::to_string(port), kNoThrow);
  give_up.cancel();
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return std::pair{resolve_ec, std::move(endpoints)};
}

Task<bool> HttpClient::Impl::Tunnel(TcpStream& stream, const std::vector<tcp::endpoint>& allowed,
                                    const DeliveryTarget& target, Clock::time_point deadline,
                                    OutboundResponse& response) {
  const EgressProxy& proxy = *options.egress_proxy;
  auto [resolve_ec, proxies] = co_await Resolve(proxy.host, proxy.port, deadline);
  if (resolve_ec || proxies.empty()) {
    response.error = "proxy_unreachable";
    response.error_detail = "cannot resolve the egress proxy " + proxy.host + ": " + resolve_ec.message();
    co_return false;
  }
  for (const tcp::endpoint& endpoint : allowed) {  // the proxy is asked for checked addresses only
    stream.close();
    auto [connect_ec, connected] = co_await stream.async_connect(proxies, kNoThrow);
    if (connect_ec) {
      response.error = connect_ec == beast::error::timeout ? "timeout" : "proxy_unreachable";
      response.error_detail = "cannot connect to the egress proxy " + proxy.host + ": " + connect_ec.message();
      co_return false;
    }
    const std::string head = ConnectRequestHead(proxy, endpoint);
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(head), kNoThrow);
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> answer;
    answer.skip(true);  // a CONNECT response has no body: the tunnel follows the head
    beast::error_code read_ec = write_ec;
    if (!read_ec) std::tie(read_ec, std::ignore) = co_await http::async_read_header(stream, buffer, answer, kNoThrow);
    if (read_ec) {
      response.error = read_ec == beast::error::timeout ? "timeout" : "proxy_unreachable";
      response.error_detail = "the egress proxy " + proxy.host + " did not answer CONNECT: " + read_ec.message();
      continue;
    }
    const int status = answer.get().result_int();
    if (status / 100 == 2 && buffer.size() == 0) co_return true;
    response.error = "proxy_refused";
    response.error_detail = "the egress proxy answered " + std::to_string(status) + " to CONNECT " +
                            endpoint.address().to_string() + " for " + target.host;
  }
  co_return false;
}

Task<std::unique_ptr<Connection>> HttpClient::Impl::Connect(const DeliveryTarget& target, Clock::time_point deadline,
                                                            const OutboundTls* tls, OutboundResponse& response) {
  beast::error_code ec;
  const bool is_literal = (asio::ip::make_address(target.host, ec), !ec);
  auto [resolve_ec, candidates] = co_await Resolve(target.host, target.port, deadline);
  if (resolve_ec) {
    response.error = Clock::now() >= deadline ? "timeout" : "dns";
    response.error_detail = "cannot resolve " + target.host + ": " + resolve_ec.message();
    co_return nullptr;
  }
  std::vector<tcp::endpoint> allowed;
  for (const tcp::endpoint& endpoint : candidates) {
    if (options.allow_private_networks || !IsBlockedAddress(endpoint.data())) allowed.push_back(endpoint);
  }
  if (allowed.empty()) {
    response.error = "blocked_address";
    response.error_detail = target.host + " resolves only to addresses hookd may not connect to";
    co_return nullptr;
  }
  auto conn = std::make_unique<Connection>();
  TcpStream stream(io.get_executor());
  stream.expires_at(deadline);
  if (options.egress_proxy) {
    if (!co_await Tunnel(stream, allowed, target, deadline, response)) co_return nullptr;
  } else {
    auto [connect_ec, connected] = co_await stream.async_connect(allowed, kNoThrow);
    if (connect_ec) {
      response.error = ConnectErrorName(connect_ec);
      response.error_detail = "cannot connect to " + target.host + ": " + connect_ec.message();
      co_return nullptr;
    }
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!target.tls) {
    conn->plain = std::make_unique<TcpStream>(std::move(stream));
    co_return conn;
  }
  ssl::context* context = tls_context.get();
  if (tls && !(context = ContextFor(*tls, response))) co_return nullptr;
  conn->tls = std::make_unique<TlsStream>(std::move(stream), *context);
  SSL* ssl_handle = conn->tls->native_handle();
  if (!is_literal) {  // a host name: send it (SNI) and check the certificate names it
    SSL_set_tlsext_host_name(ssl_handle, target.host.c_str());
    SSL_set1_host(ssl_handle, target.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), target.host.c_str());
  }
  auto [handshake_ec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kNoThrow);
  if (handshake_ec) {
    response.error = handshake_ec == beast::error::timeout ? "timeout" : TlsErrorName(handshake_ec, tls != nullptr);
    response.error_detail = "TLS handshake with " + target.host + " failed: " + handshake_ec.message();
    co_return nullptr;
  }
  co_return conn;
}

ssl::context* HttpClient::Impl::ContextFor(const OutboundTls& tls, OutboundResponse& response) {
  if (auto it = webhook_contexts.find(tls.id); it != webhook_contexts.end()) return it->second.get();
  if (webhook_contexts.size() >= kMaxCachedTargets) webhook_contexts.clear();
  auto context = MakeTlsContext(&tls.tls, &response.error_detail);
  if (!context) {
    response.error = "tls_credentials";
    return nullptr;
  }
  return webhook_contexts.emplace(tls.id, std::move(context)).first->second.get();
}

std::shared_ptr<const DeliveryTarget> HttpClient::Impl::TargetFor(const std::string& url) {
  if (auto it = targets.find(url); it != targets.end()) return it->second;
  if (targets.size() >= kMaxCachedTargets) targets.clear();
  std::optional<DeliveryTarget> parsed = ParseDeliveryTarget(url);
  auto target = parsed ? std::make_shared<const DeliveryTarget>(std::move(*parsed)) : nullptr;
  targets.emplace(url, target);
  return target;
}

std::unique_ptr<Connection> HttpClient::Impl::TakeIdle(const std::string& origin) {
  auto it = idle.find(origin);
  if (it == idle.end()) return nullptr;
  auto& pool = it->second;
  while (!pool.empty()) {
    std::unique_ptr<Connection> conn = std::move(pool.back());
    pool.pop_back();
    --idle_count;
    if (Clock::now() - conn->idle_since < std::chrono::milliseconds(kIdleConnectionMs)) return conn;
  }
  return nullptr;
}

void HttpClient::Impl::GiveBack(const std::string& origin, std::unique_ptr<Connection> conn) {
  auto& pool = idle[origin];
  if (pool.size() >= kMaxIdlePerOrigin || idle_count >= options.max_connections) return;  // closed
  conn->idle_since = Clock::now();
  conn->Tcp().expires_never();
  pool.push_back(std::move(conn));
  ++idle_count;
}

// Once a second: close connections idle too long (the peer has likely closed them; their sockets would linger).
void HttpClient::Impl::CloseStaleIdle() {
  const Clock::time_point now = Clock::now();
  if (now - last_sweep < std::chrono::seconds(1)) return;
  last_sweep = now;
  for (auto it = idle.begin(); it != idle.end();) {
    auto& pool = it->second;
    const auto stale = std::partition(pool.begin(), pool.end(), [&](const std::unique_ptr<Connection>& c) {
      return now - c->idle_since < std::chrono::milliseconds(kIdleConnectionMs);
    });
    idle_count -= static_cast<size_t>(pool.end() - stale);
    pool.erase(stale, pool.end());
    it = pool.empty() ? idle.erase(it) : std::next(it);
  }
}

std::string OutboundResponse::Header(std::string_view name) const {
  const std::string lower = AsciiLower(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return "";
}

std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = TrimHttpWhitespace(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;
    return std::stoll(std::string(value)) * 1000;
  }
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  // A date past what milliseconds can hold (curl reads years of any length) is no usable Retry-After.
  if (when < 0 || static_cast<int64_t>(when) > std::numeric_limits<int64_t>::max() / 2000) return std::nullopt;
  return std::max<int64_t>(0, static_cast<int64_t>(when) * 1000 - now_ms);
}

}  // namespace hookd
