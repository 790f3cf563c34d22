// Reading a receiver's response for the delivery log: a Beast parser whose body keeps the first 10 KiB
// (kLoggedBodyLimit) and ends the read there, whatever length the receiver declares, and the copy of its status,
// headers (at most 64, 16 KiB) and body into an OutboundResponse. Used by the delivery client on its sockets and by
// the response fuzzer on bytes. Not thread-safe; one parser per response.
#pragma once

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

#include "delivery/http_client.h"
#include "domain/model.h"

namespace hookd {

// A response body that keeps the first kLoggedBodyLimit bytes; one byte more ends the read (the connection is then
// closed instead of draining a body nobody will look at).
struct CappedBody {
  struct value_type {
    std::string data;
    bool truncated = false;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& /*header*/, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& /*length*/, boost::beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      std::size_t taken = 0;
      for (const boost::asio::const_buffer b : boost::beast::buffers_range_ref(buffers)) {
        const size_t room = kLoggedBodyLimit - body_.data.size();
        const size_t n = std::min(room, b.size());
        body_.data.append(static_cast<const char*>(b.data()), n);
        taken += n;
        if (n < b.size()) {
          body_.truncated = true;
          ec = boost::beast::http::error::body_limit;
          return taken;
        }
      }
      return taken;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using ResponseParser = boost::beast::http::response_parser<CappedBody>;

// Sets the parser's limits: a response head over 100 KiB is an error; the body has no limit of the parser's own
// (CappedBody stops after 10 KiB, and a connection whose body was not read to its end is not reused).
void LimitResponseParser(ResponseParser& parser);

// Copies the parsed response (its header at least) into `into`: status, headers with lowercase names and trimmed
// values, the kept body and whether it was cut.
void TakeResponse(ResponseParser& parser, OutboundResponse& into);

}  // namespace hookd
