// libpq wrappers: statement execution, text-format parameters and array literals, result access, and the one place
// that turns a libpq failure into hookd's Error.
#include "store/postgres/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace hookd::postgres {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq's messages end with a newline and may span lines; one line reads better in a log or an API error.
std::string OneLine(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

// ---- parameters ----

Params& Params::Add(std::string_view value) {
  values_.emplace_back(value);
  null_.push_back(false);
  return *this;
}

Params& Params::Add(int64_t value) {
  return Add(std::string_view(std::to_string(value)));
}

Params& Params::Add(bool value) {
  return Add(std::string_view(value ? "t" : "f"));
}

Params& Params::Add(std::optional<int64_t> value) {
  return value ? Add(*value) : AddNull();
}

Params& Params::AddNull() {
  values_.emplace_back();
  null_.push_back(true);
  return *this;
}

Params& Params::AddOrNull(std::string_view value) {
  return value.empty() ? AddNull() : Add(value);
}

void ArrayParam::Separate() {
  if (text_.size() > 1) text_ += ',';
}

ArrayParam& ArrayParam::Add(std::string_view value) {
  Separate();
  text_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

ArrayParam& ArrayParam::Add(int64_t value) {
  Separate();
  text_ += std::to_string(value);
  return *this;
}

ArrayParam& ArrayParam::Add(std::optional<int64_t> value) {
  return value ? Add(*value) : AddNull();
}

ArrayParam& ArrayParam::AddNull() {
  Separate();
  text_ += "NULL";
  return *this;
}

ArrayParam& ArrayParam::AddOrNull(std::string_view value) {
  return value.empty() ? AddNull() : Add(value);
}

ArrayParam& ArrayParam::AddHex(std::string_view bytes) {
  Separate();
  text_ += '"';
  for (unsigned char c : bytes) {
    text_ += kHexDigits[c >> 4];
    text_ += kHexDigits[c & 15];
  }
  text_ += '"';
  return *this;
}

std::string ArrayParam::Take() {
  text_ += '}';
  std::string out = std::move(text_);
  text_ = "{";
  return out;
}

void FieldBinder::Strings(const std::vector<std::string>& v) {
  ArrayParam a;
  for (const auto& item : v) a.Add(item);
  p_.Add(a.Take());
}

// ---- results ----

void Rows::Release(pg_result* result) {
  PQclear(result);
}

int Rows::Count() const {
  return PQntuples(result_.get());
}

int64_t Rows::Affected() const {
  const char* n = PQcmdTuples(result_.get());
  int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

bool Rows::IsNull(int row, int col) const {
  return PQgetisnull(result_.get(), row, col) != 0;
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col), static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

int64_t Rows::Int(int row, int col) const {
  const char* v = PQgetvalue(result_.get(), row, col);
  int64_t out = 0;
  std::from_chars(v, v + PQgetlength(result_.get(), row, col), out);
  return out;
}

std::optional<int64_t> Rows::OptInt(int row, int col) const {
  return IsNull(row, col) ? std::nullopt : std::optional<int64_t>(Int(row, col));
}

bool Rows::Bool(int row, int col) const {
  return PQgetvalue(result_.get(), row, col)[0] == 't';
}

std::string Rows::Bytes(int row, int col) const {
  // bytea's text output is "\x" followed by two hex digits per byte.
  const char* v = PQgetvalue(result_.get(), row, col);
  const size_t n = static_cast<size_t>(PQgetlength(result_.get(), row, col));
  std::string out;
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    out += static_cast<char>((HexValue(v[i]) << 4) | HexValue(v[i + 1]));
  }
  return out;
}

std::vector<std::string> Rows::TextArray(int row, int col) const {
  // The array's text output: {a,"b c",NULL}; an element is quoted when it holds a special character, and inside
  // quotes a backslash escapes the next character. hookd's arrays hold event-type patterns, never NULL.
  const std::string text = Text(row, col);
  std::vector<std::string> out;
  if (text.size() < 2 || text.front() != '{') return out;
  size_t i = 1;
  while (i < text.size() && text[i] != '}') {
    std::string item;
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        item += text[i];
      }
      ++i;  // the closing quote
    } else {
      for (; i < text.size() && text[i] != ',' && text[i] != '}'; ++i) item += text[i];
    }
    out.push_back(std::move(item));
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

// ---- connections ----

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url, bool transaction_pooling) {
  // Later keywords win, so the URL (expanded from "dbname") overrides these defaults.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "hookd", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Fail(Error::Unavailable("cannot connect to PostgreSQL: out of memory"));
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Fail(Error::Unavailable("cannot connect to PostgreSQL: " + message));
  }
  // Times and ids are plain values; nothing hookd reads depends on the session's time zone or date style.
  auto connection = std::unique_ptr<Connection>(new Connection(conn, transaction_pooling));
  // A transaction left open by a process that stopped (SIGSTOP, a frozen VM, a half-open network) would keep its
  // locks for as long as the server keeps the session: a shard's lease row, key-share-locked by a paused worker's
  // outcome batch, could then never move to another worker. The server ends such a session after this long; hookd's
  // transactions go from statement to statement without waiting on anything else.
  if (auto st =
          connection->Set("idle_in_transaction_session_timeout", std::to_string(kIdleInTransactionTimeoutMs) + "ms");
      !st) {
    return Fail(st.error());
  }
  return connection;
}

Status Connection::Set(const std::string& name, const std::string& value) {
  if (!transaction_pooling_) return ExecOnce("SET " + name + " = '" + value + "'");
  begin_ += "; SET LOCAL " + name + " = '" + value + "'";
  return Ok();
}

Connection::~Connection() {
  PQfinish(conn_);
}

Error Connection::ErrorOf(pg_result* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = OneLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = OneLine(PQerrorMessage(conn_));
  const std::string_view code = state ? state : "";
  if (PQstatus(conn_) != CONNECTION_OK || code.starts_with("08") || code == "57P01" || code == "57P02" ||
      code == "57P03" || code == "53300" || code == "40001" || code == "40P01" || code == "25006") {
    return Error::Unavailable("the database is unavailable: " + message);
  }
  if (code == "23505") return Error::Conflict("already_exists", "already exists");
  // A named prepared statement missing, or already there: another client had the server connection in between.
  if (code == "26000" || code == "42P05") {
    return Error::Internal("database error " + std::string(code) + ": " + message +
                           " (is a transaction-mode pooler between hookd and PostgreSQL? then run with "
                           "--database-pool-mode transaction)");
  }
  // Text the server cannot hold (bytes that are not UTF-8) can only have come from a request.
  if (code == "22021" || code == "22P05") return Error::BadRequest("a value is not valid UTF-8 text");
  return Error::Internal("database error " + std::string(code) + ": " + message);
}

Result<Rows> Connection::Exec(const char* sql, const Params& params) {
  std::vector<const char*> values(static_cast<size_t>(params.Count()));
  for (int i = 0; i < params.Count(); ++i) values[static_cast<size_t>(i)] = params.Value(i);
  if (transaction_pooling_) {
    return Finish(PQexecParams(conn_, sql, params.Count(), nullptr, values.data(), nullptr, nullptr, 0));
  }
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "hookd_" + std::to_string(prepared_.size() + 1);
    PGresult* prepared = PQprepare(conn_, name.c_str(), sql, 0, nullptr);
    const bool ok = prepared && PQresultStatus(prepared) == PGRES_COMMAND_OK;
    Error error = ok ? Error{} : ErrorOf(prepared);
    PQclear(prepared);
    if (!ok) return Fail(std::move(error));
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return Finish(PQexecPrepared(conn_, it->second.c_str(), params.Count(), values.data(), nullptr, nullptr, 0));
}

Result<Rows> Connection::QueryOnce(const std::string& sql) {
  return Finish(PQexec(conn_, sql.c_str()));
}

Result<Rows> Connection::Finish(pg_result* result) {
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error error = ErrorOf(result);
    PQclear(result);
    return Fail(std::move(error));
  }
  return Rows(result);
}

Status Connection::ExecOnce(const std::string& sql) {
  auto r = QueryOnce(sql);
  if (!r) return Fail(r.error());
  return Ok();
}

bool Connection::Healthy() {
  if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  // An idle connection has nothing to read. A terminated backend sends an error, then closes the socket: reading
  // until the socket is quiet reaches the end of the stream, which marks the connection bad.
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  for (int reads = 0; reads < 4 && ::poll(&fd, 1, 0) > 0; ++reads) {
    if (PQconsumeInput(conn_) == 0) return false;
    while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
    if (PQstatus(conn_) != CONNECTION_OK) return false;
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

Result<std::vector<Notification>> Connection::WaitForNotifications(int timeout_ms) {
  std::vector<Notification> out;
  auto take = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      out.push_back({n->relname, n->extra ? n->extra : ""});
      PQfreemem(n);
    }
  };
  take();  // some may have arrived with an earlier result
  if (out.empty()) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) < 0 && errno != EINTR) return Fail(Error::Unavailable("poll failed"));
  }
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    return Fail(Error::Unavailable("the database connection was lost"));
  }
  take();
  return out;
}

bool IsUnavailable(const Error& error) {
  return error.kind == ErrorKind::kUnavailable;
}

}  // namespace hookd::postgres
