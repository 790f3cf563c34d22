// The HTTP server's graceful shutdown on real loopback sockets: a connection whose answer is still being written
// when Shutdown() begins gets the whole answer, then the connection closes and `on_drained` runs.
#include "api/http_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <future>
#include <string>
#include <thread>

namespace hookd {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Larger than loopback's socket buffers together, so the write cannot finish while the client does not read.
constexpr size_t kLargeBody = 32 * 1024 * 1024;

TEST(HttpServer, ShutdownDuringAWriteClosesAfterTheAnswer) {
  asio::io_context io(1);
  asio::thread_pool workers(1);
  std::promise<void> handled;
  auto handler = [&](const HttpRequest&, Respond respond, const Offload&) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body.assign(kLargeBody, 'x');
    respond(std::move(response));
    handled.set_value();
  };
  HttpServer server(io, workers, handler, {});
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  server.Start();
  std::thread network([&] { io.run(); });

  asio::io_context client_io;
  tcp::socket client(client_io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), *port));
  timeval five_seconds{5, 0};  // a server that keeps the connection open fails the test instead of hanging it
  ASSERT_EQ(setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds), 0);
  asio::write(client, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: test\r\n\r\n")));  // keep-alive
  handled.get_future().wait();

  std::promise<void> drained;
  asio::post(io, [&] { server.Shutdown([&] { drained.set_value(); }); });
  size_t received = 0;
  ssize_t n = 0;
  std::vector<char> chunk(1 << 16);
  while ((n = ::recv(client.native_handle(), chunk.data(), chunk.size(), 0)) > 0) received += static_cast<size_t>(n);

  EXPECT_EQ(n, 0) << "the connection stayed open";  // 0: orderly close; -1: the 5 s receive timeout
  EXPECT_GT(received, kLargeBody);                  // head + the whole body
  EXPECT_EQ(drained.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  io.stop();
  network.join();
  workers.join();
}

}  // namespace
}  // namespace hookd
