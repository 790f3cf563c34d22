// Each connection coroutine: read the header (idle timeout), pick the body limit from the path, read the body
// (read timeout), run the handler (it offloads blocking work to the pool), write the response, repeat while
// keep-alive holds.
#include "api/http_server.h"

// GCC 12 reports a false -Wmismatched-new-delete on asio's coroutine frames (their promise has its own operator
// new/delete pair) depending on inlining; the frames are allocated and freed by that same pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <array>
#include <atomic>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
bool HasNoBody(int status) { return status == 204 || status == 304 || status / 100 == 1; }

std::string ResponseHead(const HttpResponse& r, unsigned version, bool keep_alive) {
  std::string head;
  head.reserve(160 + r.body.size() / 64);
  head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  head.append(reason.data(), reason.size()).append("\r\nServer: hookd\r\n");
  if (!r.content_type.empty() && !HasLineBreak(r.content_type)) head.append("Content-Type: ").append(r.content_type).append("\r\n");
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

HttpResponse ParserError(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return ErrorResponse(Error::TooLarge("request body is too large"));
  if (ec == http::error::header_limit) {
    return ErrorResponse(Error{ErrorKind::kTooLarge, "headers_too_large", "request headers are too large", {}});
  }
  return ErrorResponse(Error::BadRequest("malformed HTTP request: " + ec.message()));
}

}  // namespace

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
  if (ec) return Fail(Error::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()));
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
    std::lock_guard lock(answers_mu_);
    was_empty = answers_.empty();
    answers_.push_back(std::move(resume));
  }
  if (was_empty) asio::post(io_, [this] { RunAnswers(); });
}

void HttpServer::RunAnswers() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(answers_mu_);
    ready.swap(answers_);
  }
  for (auto& resume : ready) resume();
}

void HttpServer::Start() { asio::co_spawn(io_, AcceptLoop(), asio::detached); }

asio::awaitable<void> HttpServer::AcceptLoop() {
  while (!shutting_down_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (shutting_down_ || ec == asio::error::operation_aborted) break;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    connections_.insert(connection.get());
    asio::co_spawn(io_, Serve(connection), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Serve(std::shared_ptr<Connection> connection) {
  beast::tcp_stream& stream = connection->stream;
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ec;
    auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  while (!shutting_down_) {  // Shutdown() cancels idle reads; one that finishes a write after it stops here
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser.body_limit(limits_.max_body_bytes);
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
    if (header_ec) {
      response = ParserError(header_ec);
      unread_body = true;
    } else {
      const auto target = parser.get().target();
      if (!limits_.large_body_path.empty() && target.starts_with(limits_.large_body_path)) {
        parser.body_limit(limits_.max_large_body_bytes);
      }
      stream.expires_after(limits_.read_timeout);
      auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      const auto& req = parser.get();
      version = req.version();
      if (body_ec) {
        if (body_ec == beast::error::timeout || body_ec == asio::error::eof ||
            body_ec == asio::error::connection_reset) {
          break;
        }
        response = ParserError(body_ec);
        unread_body = true;
      } else {
        keep_alive = req.keep_alive();
        auto request = std::make_shared<HttpRequest>();
        request->method = std::string(req.method_string());
        request->remote_address = remote;
        request->malformed_target =
            !ParseTarget(std::string_view(req.target().data(), req.target().size()), *request);
        for (const auto& field : req) {
          std::string name(field.name_string());
          AsciiLowerInPlace(name);
          request->headers.emplace_back(std::move(name), std::string(field.value()));
        }
        request->body = std::move(parser.get().body());
        response = co_await Handle(request);
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

void HttpServer::Forget(Connection* connection) {
  connections_.erase(connection);
  if (shutting_down_ && connections_.empty() && on_drained_) {
    auto drained = std::move(on_drained_);
    on_drained_ = nullptr;
    drained();
  }
}

void HttpServer::Shutdown(std::function<void()> on_drained) {
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
