// Each connection coroutine: read the header (idle timeout), pick the body limit from the path, read the body
// (read timeout), run the handler (it offloads blocking work to the pool), write the response, repeat while
// keep-alive holds.
#include "api/http_server.h"

// GCC 12 reports a false -Wmismatched-new-delete on asio's coroutine frames (their promise has its own operator
// new/delete pair) depending on inlining; the frames are allocated and freed by that same pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <tuple>

#include "common/log.h"
#include "common/text.h"

namespace hookd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;  // between reading a request's header and finishing its response
};

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The response head, written by hand: it is a few lines of text, and Beast's generic serializer cost more CPU per
// request than everything else on the network thread's answer path. Header values come from handlers; a line
// break in one is dropped rather than sent.
// 1xx, 204 and 304 answers carry no body and no Content-Length.
bool HasNoBody(int status) {
  return status == 204 || status == 304 || status / 100 == 1;
}

std::string ResponseHead(const HttpResponse& r, unsigned version, bool keep_alive) {
  std::string head;
  head.reserve(160 + r.body.size() / 64);
  head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  head.append(reason.data(), reason.size()).append("\r\nServer: hookd\r\n");
  if (!r.content_type.empty() && !HasLineBreak(r.content_type))
    head.append("Content-Type: ").append(r.content_type).append("\r\n");
  for (const auto& [k, v] : r.headers) {
    if (!HasLineBreak(k) && !HasLineBreak(v)) head.append(k).append(": ").append(v).append("\r\n");
  }
  if (!HasNoBody(r.status)) head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  if (!keep_alive && version != 10) head.append("Connection: close\r\n");
  if (keep_alive && version == 10) head.append("Connection: keep-alive\r\n");
  head.append("\r\n");
  return head;
}

asio::awaitable<beast::error_code> WriteResponse(beast::tcp_stream& stream, const HttpResponse& response,
                                                 unsigned version, bool keep_alive) {
  const std::string head = ResponseHead(response, version, keep_alive);
  const size_t body_bytes = HasNoBody(response.status) ? 0 : response.body.size();
  const std::array<asio::const_buffer, 2> message{asio::buffer(head), asio::buffer(response.body.data(), body_bytes)};
  auto [ec, written] = co_await asio::async_write(stream, message, kNoThrow);
  co_return ec;
}

// Runs `work`; if it throws, answers with a 500 instead: a failing handler never takes the server down.
void RunGuarded(const std::function<void()>& work, const Respond& respond) {
  try {
    work();
  } catch (const std::exception& e) {
    LogError("handler threw", {{"error", e.what()}});
    respond(ErrorResponse(Error::Internal("internal error")));
  }
}

// Request body bytes held against the server-wide budget (network thread only); given back when the request is done.
class BodyReservation {
 public:
  BodyReservation(size_t& in_use, size_t budget) : in_use_(in_use), budget_(budget) {}
  ~BodyReservation() { in_use_ -= held_; }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

  [[nodiscard]] bool Add(uint64_t bytes) {
    if (bytes > budget_ - in_use_) return false;
    in_use_ += bytes;
    held_ += bytes;
    return true;
  }

 private:
  size_t& in_use_;
  const size_t budget_;
  size_t held_ = 0;
};

Error BusyError() {
  return Error::Unavailable("the server holds too many request bodies; retry shortly");
}

// A Content-Length over the path's limit is 413 before any of the body is read; one the budget cannot hold is 503.
std::optional<Error> CheckDeclaredLength(const boost::optional<std::uint64_t>& length, size_t limit,
                                         BodyReservation& reservation) {
  if (!length) return std::nullopt;
  if (*length > limit) return Error::TooLarge("request body is too large");
  if (!reservation.Add(*length)) return BusyError();
  return std::nullopt;
}

}  // namespace

HttpResponse ParserErrorResponse(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return ErrorResponse(Error::TooLarge("request body is too large"));
  if (ec == http::error::buffer_overflow) {
    return ErrorResponse(Error::BadRequest("a chunk-size line, chunk extension or trailer of the request is too long"));
  }
  if (ec == http::error::header_limit) {
    return ErrorResponse(Error{ErrorKind::kTooLarge, "headers_too_large", "request headers are too large", {}});
  }
  return ErrorResponse(Error::BadRequest("malformed HTTP request: " + ec.message()));
}

HttpRequest ToHttpRequest(RequestParser& parser, std::string remote_address) {
  auto& message = parser.get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.remote_address = std::move(remote_address);
  request.malformed_target = !ParseTarget(std::string_view(message.target().data(), message.target().size()), request);
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    std::string name(field.name_string());
    AsciiLowerInPlace(name);
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.request_id = RequestIdFor(request.Header("x-request-id"));
  return request;
}

HttpServer::HttpServer(asio::io_context& io, asio::thread_pool& workers, Handler handler, HttpServerLimits limits)
    : io_(io), workers_(workers), handler_(std::move(handler)), limits_(std::move(limits)), acceptor_(io) {}

Result<uint16_t> HttpServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) return Fail(Error::Unavailable("cannot resolve listen address " + host));
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Fail(Error::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()));
  return acceptor_.local_endpoint().port();
}

// Runs the handler and completes on the network thread. Written as an explicit initiation
// rather than a co_spawn'd lambda: GCC 12 mis-handles capturing coroutine lambdas in co_await expressions.
asio::awaitable<HttpResponse> HttpServer::Handle(std::shared_ptr<const HttpRequest> request) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(HttpResponse)>(
      [this](auto handler, std::shared_ptr<const HttpRequest> req) {
        // The completion is move-only and must run once, on the network thread, whoever answers.
        struct Completion {
          decltype(handler) resume;
          std::atomic<bool> answered{false};
        };
        auto completion = std::make_shared<Completion>(std::move(handler));
        Respond respond = [this, completion](HttpResponse response) {
          if (completion->answered.exchange(true)) return;
          Deliver([completion, response = std::move(response)]() mutable {
            std::move(completion->resume)(std::move(response));
          });
        };
        // The request is kept alive by this coroutine until it is answered, and by offloaded work until it ends.
        Offload offload = [this, req, respond](std::function<void()> work) {
          asio::post(workers_, [req, respond, work = std::move(work)] { RunGuarded(work, respond); });
        };
        RunGuarded([&] { handler_(*req, respond, offload); }, respond);
      },
      asio::use_awaitable, std::move(request));
}

// Answers come from worker threads and from the store's writer, often many from one group commit: they queue here
// and one task on the network thread runs them all, so a burst costs one wakeup of the network thread, not one each.
void HttpServer::Deliver(std::function<void()> resume) {
  bool was_empty;
  {
    MutexLock lock(&answers_mu_);
    was_empty = answers_.empty();
    answers_.push_back(std::move(resume));
  }
  if (was_empty) asio::post(io_, [this] { RunAnswers(); });
}

void HttpServer::RunAnswers() {
  network_thread_.AssertOnOwner();
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&answers_mu_);
    ready.swap(answers_);
  }
  for (auto& resume : ready) resume();
}

void HttpServer::Start() {
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
}

asio::awaitable<void> HttpServer::AcceptLoop() {
  network_thread_.AssertOnOwner();
  while (!shutting_down_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (shutting_down_ || ec == asio::error::operation_aborted) break;
      // e.g. EMFILE: keep serving the connections we have, and try again shortly rather than spin.
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (connections_.size() >= limits_.max_connections) {
      Refuse(std::move(socket));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    connections_.insert(connection.get());
    asio::co_spawn(io_, Serve(connection), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Serve(std::shared_ptr<Connection> connection) {
  network_thread_.AssertOnOwner();
  beast::tcp_stream& stream = connection->stream;
  // Bounded: a chunk-size line, its extensions or trailers that never end cannot grow it past this.
  beast::flat_buffer buffer(limits_.max_header_bytes + limits_.max_framing_bytes);
  std::string remote;
  {
    beast::error_code ec;
    auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  const size_t largest_body = std::max(limits_.max_body_bytes, limits_.max_large_body_bytes);
  while (!shutting_down_) {  // Shutdown() cancels idle reads; one that finishes a write after it stops here
    RequestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser.body_limit(largest_body);  // the path's own limit is set once the header names the path
    stream.expires_after(limits_.idle_timeout);
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (header_ec == http::error::end_of_stream || header_ec == asio::error::operation_aborted ||
        header_ec == beast::error::timeout || header_ec == asio::error::eof ||
        header_ec == asio::error::connection_reset) {
      break;
    }
    connection->busy = true;
    HttpResponse response;
    bool keep_alive = false;
    bool unread_body = false;  // we answer before reading the whole request (errors): linger before closing
    unsigned version = 11;
    BodyReservation reservation(buffered_body_bytes_, limits_.max_buffered_body_bytes);
    if (header_ec) {
      response = ParserErrorResponse(header_ec);
      unread_body = true;
    } else {
      const auto target = parser.get().target();
      const bool large = !limits_.large_body_path.empty() && target.starts_with(limits_.large_body_path);
      const size_t body_limit = large ? limits_.max_large_body_bytes : limits_.max_body_bytes;
      parser.body_limit(body_limit);
      std::optional<Error> refusal = CheckDeclaredLength(parser.content_length(), body_limit, reservation);
      size_t chunks = 0;
      auto on_chunk_header = [&](std::uint64_t size, beast::string_view, beast::error_code& ec) {
        if (size > 0 && ++chunks > limits_.max_chunks) {
          refusal = Error::TooLarge("request body has more than " + std::to_string(limits_.max_chunks) + " chunks");
        } else if (!reservation.Add(size)) {
          refusal = BusyError();
        }
        if (refusal) ec = http::error::body_limit;
      };
      parser.on_chunk_header(on_chunk_header);
      beast::error_code body_ec;
      if (!refusal) {
        stream.expires_after(limits_.read_timeout);
        std::tie(body_ec, std::ignore) = co_await http::async_read(stream, buffer, parser, kNoThrow);
      }
      const auto& req = parser.get();
      version = req.version();
      if (body_ec == beast::error::timeout || body_ec == asio::error::eof || body_ec == asio::error::connection_reset) {
        break;
      }
      if (refusal || body_ec) {
        response = refusal ? ErrorResponse(*refusal) : ParserErrorResponse(body_ec);
        if (response.status == 503) response.headers.emplace_back("Retry-After", kUnavailableRetryAfterSeconds);
        unread_body = true;
      } else {
        keep_alive = req.keep_alive();
        response = co_await Handle(std::make_shared<HttpRequest>(ToHttpRequest(parser, remote)));
      }
    }
    if (shutting_down_) keep_alive = false;
    stream.expires_after(limits_.read_timeout);
    const beast::error_code write_ec = co_await WriteResponse(stream, response, version, keep_alive);
    connection->busy = false;
    if (!write_ec && unread_body) co_await Linger(stream);
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
  Forget(connection.get());
}

// After answering a request whose body we did not read (e.g. 413), closing at once would reset the connection
// while the client is still sending, and it would never see our answer. So: stop sending, then read and discard
// what the client still sends, for a bounded time and amount.
asio::awaitable<void> HttpServer::Linger(beast::tcp_stream& stream) {
  constexpr size_t kMaxDiscard = 64 * 1024 * 1024;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  std::vector<char> sink(64 * 1024);
  size_t discarded = 0;
  while (discarded < kMaxDiscard) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) break;
    discarded += n;
  }
}

void HttpServer::Refuse(tcp::socket socket) {
  static const std::string kAnswer = [] {
    const HttpResponse busy = ErrorResponse(Error::Unavailable("the server has too many open connections"));
    return std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: ") +
           kUnavailableRetryAfterSeconds +
           "\r\nConnection: close\r\nContent-Length: " + std::to_string(busy.body.size()) + "\r\n\r\n" + busy.body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kAnswer), ignored);  // a fresh socket's send buffer takes it whole, or nothing
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void HttpServer::Forget(Connection* connection) {
  network_thread_.AssertOnOwner();
  connections_.erase(connection);
  if (shutting_down_ && connections_.empty() && on_drained_) {
    auto drained = std::move(on_drained_);
    on_drained_ = nullptr;
    drained();
  }
}

void HttpServer::Shutdown(std::function<void()> on_drained) {
  network_thread_.AssertOnOwner();
  shutting_down_ = true;
  on_drained_ = std::move(on_drained);
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (Connection* c : connections_) {
    if (!c->busy) c->stream.socket().cancel(ignored);  // idle keep-alive: wake its read so it exits
  }
  if (connections_.empty() && on_drained_) {
    auto drained = std::move(on_drained_);
    on_drained_ = nullptr;
    drained();
  }
}

}  // namespace hookd
