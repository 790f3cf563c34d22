// Table-driven flag parsing: each setting is declared once with its flag name, help text and a setter that
// validates the value. The environment variable name and the configuration file's name are derived from the flag.
#include "common/config.h"

#include <charconv>
#include <cstdlib>
#include <sstream>

#include "common/egress_proxy.h"
#include "common/time_util.h"

namespace hookd {
namespace {

struct Setting {
  const char* flag;  // without leading dashes
  const char* help;
  bool is_bool;
  // Applies a value; returns an error message on bad input.
  std::function<std::optional<std::string>(Config&, const std::string&)> apply;
};

std::optional<int64_t> ParseInt(const std::string& s, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

// "a, b,,c" -> {"a", "b", "c"}.
std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> items;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t begin = item.find_first_not_of(' ');
    if (begin != std::string::npos) items.push_back(item.substr(begin, item.find_last_not_of(' ') - begin + 1));
  }
  return items;
}

// An origin as browsers write it: http:// or https://, a host name (letters, digits, dots, hyphens) or a bracketed
// IPv6 address, and an optional port; nothing else (it goes into a Content-Security-Policy header).
bool IsWebOrigin(std::string_view s) {
  if (s.starts_with("https://")) {
    s.remove_prefix(8);
  } else if (s.starts_with("http://")) {
    s.remove_prefix(7);
  } else {
    return false;
  }
  std::string_view host = s;
  if (const size_t colon = s.rfind(':');
      colon != std::string_view::npos && s.find(']', colon) == std::string_view::npos) {
    const std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    host = s.substr(0, colon);
  }
  if (host.starts_with('[')) {
    return host.size() > 2 && host.ends_with(']') &&
           host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  return !host.empty() && host.size() <= 253 &&
         host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
             std::string_view::npos;
}

bool IsPostgresUrl(const std::string& v) {
  return v.starts_with("postgres://") || v.starts_with("postgresql://");
}

std::optional<bool> ParseBool(const std::string& s) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::string EnvName(const std::string& flag) {
  std::string name = "HOOKD_";
  for (char c : flag) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

template <class Int>
std::function<std::optional<std::string>(Config&, const std::string&)> IntSetter(Int Config::* field, int64_t lo,
                                                                                 int64_t hi) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto n = ParseInt(v, lo, hi);
    if (!n) return "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    c.*field = static_cast<Int>(*n);
    return std::nullopt;
  };
}

std::function<std::optional<std::string>(Config&, const std::string&)> DurationSetter(int64_t Config::* field,
                                                                                      int64_t min_ms) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto ms = ParseDurationMs(v);
    if (!ms || *ms < min_ms) return "must be a duration like 250ms, 30s, 5m, 2h or 30d";
    c.*field = *ms;
    return std::nullopt;
  };
}

std::function<std::optional<std::string>(Config&, const std::string&)> BoolSetter(bool Config::* field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto b = ParseBool(v);
    if (!b) return "must be true or false";
    c.*field = *b;
    return std::nullopt;
  };
}

std::function<std::optional<std::string>(Config&, const std::string&)> StringSetter(std::string Config::* field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    c.*field = v;
    return std::nullopt;
  };
}

// host:port, with an IPv6 host in brackets.
std::function<std::optional<std::string>(Config&, const std::string&)> AddressSetter(std::string Config::* host_field,
                                                                                     uint16_t Config::* port_field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    const auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0) return "must be host:port";
    auto port = ParseInt(v.substr(colon + 1), 0, 65535);
    if (!port) return "port must be 0..65535";
    std::string host = v.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    c.*host_field = host;
    c.*port_field = static_cast<uint16_t>(*port);
    return std::nullopt;
  };
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"config", "configuration file of name = value lines (default /etc/hookd/hookd.conf when it exists)", false,
       StringSetter(&Config::config_file)},
      {"listen", "API/UI address host:port (default 127.0.0.1:8084)", false,
       AddressSetter(&Config::listen_host, &Config::listen_port)},
      {"metrics-listen", "also serve /metrics, /healthz and /readyz on this host:port; /metrics then leaves --listen",
       false, AddressSetter(&Config::metrics_listen_host, &Config::metrics_listen_port)},
      {"data-dir", "directory for the SQLite file and generated keys (default ./data)", false,
       StringSetter(&Config::data_dir)},
      {"database", "sqlite:PATH or postgres://... (default sqlite:<data-dir>/hookd.db)", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!v.starts_with("sqlite:") && !IsPostgresUrl(v)) {
           return "must start with sqlite: or postgres://";
         }
         c.database = v;
         return std::nullopt;
       }},
      {"database-pool", "PostgreSQL connections per process (default 16)", false,
       IntSetter(&Config::database_pool, 1, 1000)},
      {"database-pool-mode",
       "session or transaction: how a pooler between hookd and PostgreSQL (PgBouncer) hands out connections; "
       "transaction needs --database-direct-url (default session)",
       false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "session" && v != "transaction") return "must be session or transaction";
         c.database_transaction_pooling = v == "transaction";
         return std::nullopt;
       }},
      {"database-direct-url",
       "postgres://... reaching PostgreSQL with a session of hookd's own (directly, or a session-mode pooler): "
       "used for LISTEN, migrations and maintenance",
       false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!IsPostgresUrl(v)) return "must start with postgres://";
         c.database_direct_url = v;
         return std::nullopt;
       }},
      {"admin-token", "admin credential (default: generated into <data-dir>/admin-token)", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.size() < 16) return "must be at least 16 characters";
         c.admin_token = v;
         return std::nullopt;
       }},
      {"admin-token-file", "read the admin token from this file (never printed)", false,
       StringSetter(&Config::admin_token_file)},
      {"master-key", "base64 32-byte key encrypting secrets at rest (default: generated into <data-dir>/master.key)",
       false, StringSetter(&Config::master_key)},
      {"master-key-file", "read the master key (base64 of 32 bytes) from this file, e.g. a container secret", false,
       StringSetter(&Config::master_key_file)},
      {"retry-schedule", "delays before retry 1..n, e.g. 1m,5m,30m,2h,24h; none = one attempt", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto schedule = ParseRetrySchedule(v);
         if (!schedule) return "must be a comma-separated list of durations (ms,s,m,h,d) or none";
         c.retry_schedule_ms = *schedule;
         return std::nullopt;
       }},
      {"attempt-timeout", "whole-request timeout of one attempt (default 30s)", false,
       DurationSetter(&Config::attempt_timeout_ms, 1)},
      {"max-endpoint-rate", "platform cap on deliveries/second to one webhook (default 100)", false,
       IntSetter(&Config::max_endpoint_rate, 1, 1'000'000)},
      {"allow-http", "accept http:// webhook URLs (default false)", true, BoolSetter(&Config::allow_http)},
      {"allow-private-networks", "allow delivering to loopback/private/link-local addresses (default false)", true,
       BoolSetter(&Config::allow_private_networks)},
      {"egress-proxy",
       "http://[user:password@]host:port of an HTTP proxy every delivery leaves through, tunnelled with CONNECT to "
       "the address hookd checked (default: direct)",
       false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         std::string why;
         if (!v.empty() && !ParseEgressProxy(v, &why)) return why;
         c.egress_proxy = v;
         return std::nullopt;
       }},
      {"circuit-threshold", "consecutive failed attempts that open a webhook's circuit (default 5)", false,
       IntSetter(&Config::circuit_threshold, 1, 1'000'000)},
      {"circuit-cooldown", "first open period of a circuit; doubles up to 10m (default 30s)", false,
       DurationSetter(&Config::circuit_cooldown_ms, 1)},
      {"disable-after", "consecutive dead deliveries that disable a webhook; 0 = never (default 5)", false,
       IntSetter(&Config::disable_after, 0, 1'000'000)},
      {"api-rate-limit", "API requests per second per credential, e.g. 1000/s; 0 = unlimited (default 1000/s)", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         std::string n = v;
         if (n.size() > 2 && n.compare(n.size() - 2, 2, "/s") == 0) n.resize(n.size() - 2);
         auto rate = ParseInt(n, 0, 10'000'000);
         if (!rate) return "must be N/s (or 0 for unlimited)";
         c.api_rate_limit_per_s = static_cast<int>(*rate);
         return std::nullopt;
       }},
      {"max-webhooks-per-account", "webhooks one account may have; bounds an event's fan-out (default 100)", false,
       IntSetter(&Config::max_webhooks_per_account, 1, 100'000)},
      {"max-connections", "open API connections; more are answered 503 and closed (default 4096)", false,
       IntSetter(&Config::max_connections, 1, 1'000'000)},
      {"retention", "age after which events, deliveries and attempts are purged (default 30d)", false,
       DurationSetter(&Config::retention_ms, 1000)},
      {"stats-retention", "age after which pre-aggregated statistics are purged (default 90d)", false,
       DurationSetter(&Config::stats_retention_ms, 1000)},
      {"audit-retention", "age after which audit records are purged (default 400d)", false,
       DurationSetter(&Config::audit_retention_ms, 1000)},
      {"smtp-url", "SMTP server for alert emails: smtp://host:port or smtps://host:port", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!v.empty() && v.rfind("smtp://", 0) != 0 && v.rfind("smtps://", 0) != 0) {
           return "must start with smtp:// or smtps://";
         }
         c.smtp_url = v;
         return std::nullopt;
       }},
      {"smtp-from", "sender address of alert emails", false, StringSetter(&Config::smtp_from)},
      {"role", "api, worker or all (default all)", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "api" && v != "worker" && v != "all") return "must be api, worker or all";
         c.role = v;
         return std::nullopt;
       }},
      {"lease-duration",
       "how long a worker's shard lease lasts unrenewed; must exceed --attempt-timeout "
       "(default attempt timeout + 15s)",
       false, DurationSetter(&Config::lease_duration_ms, 1)},
      {"portal-allowed-origins",
       "comma-separated origins allowed to frame the web UI, e.g. https://app.example.com "
       "(default none: framing refused)",
       false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.portal_allowed_origins.clear();
         for (const std::string& origin : SplitList(v)) {
           if (!IsWebOrigin(origin)) return "'" + origin + "' is not an origin like https://app.example.com";
           c.portal_allowed_origins.push_back(origin);
         }
         return std::nullopt;
       }},
      {"public-url",
       "the URL browsers reach hookd at, for portal links, e.g. https://hooks.example.com "
       "(default: from each request's Host header)",
       false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         std::string url = v;
         while (!url.empty() && url.back() == '/') url.pop_back();
         const size_t path = url.find('/', url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
         // An origin, then an optional path of plain URL characters (no query or fragment: the link adds its own).
         const bool plain_path =
             path == std::string::npos || url.find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "-._~/%",
                                              path) == std::string::npos;
         if (!IsWebOrigin(url.substr(0, path)) || !plain_path) return "must be an http:// or https:// URL";
         c.public_url = url;
         return std::nullopt;
       }},
      {"log-format", "text or json (default text)", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "text" && v != "json") return "must be text or json";
         c.log_format = v;
         return std::nullopt;
       }},
  };
  return settings;
}

}  // namespace

std::string Config::DatabaseUrl() const {
  return database.empty() ? "sqlite:" + data_dir + "/hookd.db" : database;
}

std::string Config::PrintableDatabaseUrl() const {
  const std::string url = DatabaseUrl();
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('?'));
  if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  return url.substr(0, scheme_end + 3) + rest;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
}

std::optional<std::vector<int64_t>> ParseRetrySchedule(const std::string& text) {
  std::vector<int64_t> delays;
  if (text == "none") return delays;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto ms = ParseDurationMs(part);
    if (!ms) return std::nullopt;
    delays.push_back(*ms);
  }
  if (delays.empty() || delays.size() > 50 || text.back() == ',') return std::nullopt;
  return delays;
}

namespace {

const Setting* FindSetting(const std::string& flag) {
  for (const Setting& s : Settings()) {
    if (flag == s.flag) return &s;
  }
  return nullptr;
}

// The flags of `args` with their values, in order; nothing applied yet.
Result<std::vector<std::pair<const Setting*, std::string>>> ReadFlags(const std::vector<std::string>& args) {
  std::vector<std::pair<const Setting*, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) return Fail(Error::BadRequest("unexpected argument: " + arg));
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Setting* setting = FindSetting(name);
    if (!setting) return Fail(Error::BadRequest("unknown flag: --" + name));
    if (!value) {
      const bool next_is_value = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
      if (setting->is_bool && (!next_is_value || !ParseBool(args[i + 1]))) {
        value = "true";
      } else if (next_is_value) {
        value = args[++i];
      } else {
        return Fail(Error::Invalid("--" + name, "needs a value"));
      }
    }
    flags.emplace_back(setting, std::move(*value));
  }
  return flags;
}

// Applies the configuration file's entries: the file named by --config or HOOKD_CONFIG (which must exist), else
// the default file when it exists.
Status ApplyConfigFile(Config& config, const std::optional<std::string>& named, const FileLookup& files) {
  const std::string path = named.value_or(kDefaultConfigFile);
  auto text = files(path);
  if (!text) return Fail(text.error());
  if (!*text) {
    if (named) return Fail(Error::Invalid("--config", "no such file: " + path));
    return Ok();
  }
  auto entries = ParseConfigFile(path, **text);
  if (!entries) return Fail(entries.error());
  for (const ConfigFileEntry& entry : *entries) {
    const std::string where = path + ":" + std::to_string(entry.line);
    const Setting* setting = FindSetting(entry.name);
    if (!setting || entry.name == "config") {
      return Fail(Error::BadRequest(where + ": unknown setting '" + entry.name + "' (names are the flags without --)"));
    }
    if (auto err = setting->apply(config, entry.value)) return Fail(Error::Invalid(where + ": " + entry.name, *err));
  }
  config.config_file = path;
  return Ok();
}

}  // namespace

Result<Config> ParseConfig(const std::vector<std::string>& args, const EnvLookup& env, const FileLookup& files) {
  auto flags = ReadFlags(args);
  if (!flags) return Fail(flags.error());
  Config config;
  // The file first, then the environment, then flags, so a flag wins over its variable and a variable over the file.
  if (files) {
    std::optional<std::string> named = env(EnvName("config"));
    for (const auto& [setting, value] : *flags) {
      if (std::string(setting->flag) == "config") named = value;
    }
    if (auto applied = ApplyConfigFile(config, named, files); !applied) return Fail(applied.error());
  }
  for (const Setting& s : Settings()) {
    if (auto v = env(EnvName(s.flag))) {
      if (auto err = s.apply(config, *v)) return Fail(Error::Invalid(EnvName(s.flag), *err));
    }
  }
  for (const auto& [setting, value] : *flags) {
    if (auto err = setting->apply(config, value)) return Fail(Error::Invalid(std::string("--") + setting->flag, *err));
  }
  if (!config.admin_token.empty() && !config.admin_token_file.empty()) {
    return Fail(Error::Invalid("--admin-token-file", "give the admin token one way: --admin-token or this file"));
  }
  if (!config.master_key.empty() && !config.master_key_file.empty()) {
    return Fail(Error::Invalid("--master-key-file", "give the master key one way: --master-key or this file"));
  }
  if (config.database_transaction_pooling && config.database_direct_url.empty()) {
    return Fail(Error::Invalid("--database-pool-mode",
                               "transaction pooling keeps no session, which notifications, migrations and "
                               "maintenance need: give --database-direct-url as well"));
  }
  if (config.LeaseDurationMs() <= config.attempt_timeout_ms) {
    return Fail(Error::Invalid("--lease-duration",
                               "must exceed --attempt-timeout, so that an attempt always ends "
                               "before its shard can move"));
  }
  return config;
}

std::string ConfigUsage() {
  std::string out =
      "Usage: hookd serve [flags]\n\nFlags (each also settable as HOOKD_<NAME>, or as 'name = value' in the "
      "configuration file; a flag wins over its variable, a variable over the file):\n";
  for (const Setting& s : Settings()) {
    out += "  --";
    out += s.flag;
    out += std::string(s.flag).size() < 24 ? std::string(24 - std::string(s.flag).size(), ' ') : " ";
    out += s.help;
    out += "\n";
  }
  return out;
}

}  // namespace hookd
