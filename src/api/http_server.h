// The HTTP/1.1 server on Boost.Beast: one coroutine per connection on a single network thread, keep-alive,
// a timeout on every read and write, and a limit on every part of a request (header, body, chunk framing, number
// of chunks) and on what all connections together may hold (connections, buffered bodies). Handlers are called on
// the network thread and hand whatever may block (the store) to a worker pool through `Offload`.
//
// Graceful shutdown: Shutdown() stops accepting, closes idle connections at once and lets busy ones finish
// their current request; `on_drained` runs (on the network thread) when the last connection is gone.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "api/http_types.h"
#include "common/mutex.h"
#include "common/result.h"
#include "common/thread_checker.h"

namespace hookd {

struct HttpServerLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 256 * 1024;
  // A larger body limit for request paths that take many items at once (e.g. /api/v1/events/batch).
  std::string large_body_path;
  size_t max_large_body_bytes = 4 * 1024 * 1024;
  // Unparsed bytes a connection may hold beyond its header: a chunk-size line with its extensions, or trailers,
  // must fit here (400 otherwise).
  size_t max_framing_bytes = 8 * 1024;
  size_t max_chunks = 16 * 1024;  // per request body (413 past it)
  // Across all connections: more connections are answered 503 and closed; request bodies that would take the
  // bytes held past the budget are answered 503 (Retry-After) instead of being read.
  size_t max_connections = 4096;
  size_t max_buffered_body_bytes = 256 * 1024 * 1024;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds read_timeout{30};
};

// The parts of reading a request that need no socket, shared by the server and the request fuzzer.
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
// Converts a parsed request into hookd's HttpRequest (header names lowercased, target split into path and query).
[[nodiscard]] HttpRequest ToHttpRequest(RequestParser& parser, std::string remote_address);
// The answer to a request the parser refused (400, 413, 431).
[[nodiscard]] HttpResponse ParserErrorResponse(const boost::beast::error_code& ec);

class HttpServer {
 public:
  // Runs on the network thread and must not block there: work that may block goes through `offload`. Answers
  // through `respond`, now or later, from any thread. The request stays valid until it is answered.
  using Handler = std::function<void(const HttpRequest&, Respond respond, const Offload& offload)>;

  HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& workers, Handler handler, HttpServerLimits limits);

  // Binds and listens; returns the bound port (useful with port 0).
  [[nodiscard]] Result<uint16_t> Listen(const std::string& host, uint16_t port);
  // Starts accepting connections.
  void Start();
  // Must be called on the network thread (e.g. from a signal handler posted to it).
  void Shutdown(std::function<void()> on_drained);

 private:
  struct Connection;
  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  boost::asio::awaitable<void> Linger(boost::beast::tcp_stream& stream);
  // Answers a connection over max_connections with a 503 and closes it.
  void Refuse(boost::asio::ip::tcp::socket socket);
  // Runs the handler and resumes on the network thread with its answer.
  boost::asio::awaitable<HttpResponse> Handle(std::shared_ptr<const HttpRequest> request);
  // Runs `resume` on the network thread (thread-safe); answers queued together are run by one task.
  void Deliver(std::function<void()> resume);
  void RunAnswers();
  void Forget(Connection* connection);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& workers_;
  Handler handler_;
  HttpServerLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // Network-thread state.
  ThreadChecker network_thread_;
  std::unordered_set<Connection*> connections_;
  size_t buffered_body_bytes_ = 0;  // reserved by requests being read or answered
  Mutex answers_mu_;
  std::vector<std::function<void()>> answers_ GUARDED_BY(answers_mu_);
  bool shutting_down_ = false;
  std::function<void()> on_drained_;
};

}  // namespace hookd
