// Ids, time formatting/parsing, durations and configuration parsing.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include "common/config.h"
#include "common/egress_proxy.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/metrics.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/utf8.h"

namespace hookd {
namespace {

TEST(Metrics, HistogramBucketsAreCumulativeAndEndWithInf) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // on a bound: counted in that bucket (le = less or equal)
  h.Observe(0.5);
  h.Observe(7);
  std::string out;
  h.Render(out, "x_seconds", "route=\"/a\"");
  EXPECT_NE(out.find("x_seconds_bucket{route=\"/a\",le=\"0.10000000000000001\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum{route=\"/a\"} 7.6500000000000004\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count{route=\"/a\"} 4\n"), std::string::npos) << out;
}

TEST(Metrics, AttemptsAreClassifiedByStatusClassOrError) {
  EXPECT_EQ(ClassifyAttempt(204, ""), AttemptOutcome::k2xx);
  EXPECT_EQ(ClassifyAttempt(301, ""), AttemptOutcome::k3xx);
  EXPECT_EQ(ClassifyAttempt(410, ""), AttemptOutcome::k4xx);
  EXPECT_EQ(ClassifyAttempt(503, ""), AttemptOutcome::k5xx);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "timeout"), AttemptOutcome::kTimeout);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "connection_refused"), AttemptOutcome::kConnection);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "connection_reset"), AttemptOutcome::kConnection);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "network_error"), AttemptOutcome::kConnection);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "tls"), AttemptOutcome::kTls);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "dns"), AttemptOutcome::kDns);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "blocked_address"), AttemptOutcome::kBlocked);
  EXPECT_EQ(ClassifyAttempt(std::nullopt, "too_many_redirects"), AttemptOutcome::kOther);
}

TEST(Ids, PrefixedSortableAndUnique) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.push_back(NewId("evt_"));
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const auto& id : ids) ASSERT_TRUE(IsWellFormedId(id, "evt_")) << id;
  EXPECT_FALSE(IsWellFormedId(ids[0], "wh_"));
  EXPECT_FALSE(IsWellFormedId("evt_01JD3Z", "evt_"));
  EXPECT_FALSE(IsWellFormedId("evt_01JD3Z0000000000000000000U", "evt_"));  // 'U' is not Crockford
}

TEST(Ids, UlidEncodingMatchesKnownValue) {
  EXPECT_EQ(EncodeUlid(0, 0, 0), "00000000000000000000000000");
  EXPECT_EQ(EncodeUlid(1469918176385, 0, 0).substr(0, 10), "01ARYZ6S41");  // the ULID spec's example time
}

TEST(Ids, UlidValueDecodesAndOrdersLikeTheIds) {
  EXPECT_EQ(UlidValue("dlv_" + EncodeUlid(5, 7, 9)),
            (static_cast<unsigned __int128>(5) << 80) | (static_cast<unsigned __int128>(7) << 64) | 9);
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(NewId("dlv_"));
  for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(UlidValue(ids[i - 1]), UlidValue(ids[i])) << ids[i];
}

TEST(Json, QuoteWritesTheBytesBoostJsonWrites) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  for (std::string_view s : {std::string_view(""), std::string_view("plain"), std::string_view("a\"b\\c\nd\x01"),
                             std::string_view("caf\xc3\xa9 \xe2\x82\xac"), std::string_view(every_byte)}) {
    EXPECT_EQ(JsonQuote(s), json::serialize(json::string_view(s.data(), s.size()))) << s;
  }
  for (char special : {'\x01', '\x1f', '"', '\\', ' ', '\x7f', '\x80'}) {  // at every offset of a word
    for (size_t at = 0; at < 20; ++at) {
      std::string s(24, 'a');
      s[at] = special;
      EXPECT_EQ(JsonQuote(s), json::serialize(json::string_view(s.data(), s.size()))) << at;
    }
  }
  std::string out = "{";
  AppendJsonQuoted(out, "k");
  EXPECT_EQ(out, "{\"k\"");
}

TEST(Json, SerializeWritesNumbersAsSendersWriteThemAndRoundTrips) {
  const std::string text =
      R"({"price":31.5,"ratio":0.1,"n":-7,"big":18446744073709551615,"tiny":1e-7,"huge":1e+300,"whole":3.0,)"
      R"("s":"caf\u00e9 \"q\"","a":[true,false,null,[],{}]})";
  const json::value v = json::parse(text);
  const std::string out = SerializeJson(v);
  EXPECT_EQ(out, std::string(R"({"price":31.5,"ratio":0.1,"n":-7,"big":18446744073709551615,"tiny":1e-07,)") +
                     R"("huge":1e+300,"whole":3.0,"s":"caf)" + "\xc3\xa9" + R"( \"q\"","a":[true,false,null,[],{}]})")
      << "Boost.JSON would write 3.15E1";
  EXPECT_EQ(json::parse(out), v);
  EXPECT_EQ(SerializeJson(json::value(std::nan(""))), "null");
}

TEST(Json, DuplicateMembersAreRefusedAtEveryDepthNamingTheMember) {
  struct Case {
    const char* body;
    const char* member;
  };
  for (const Case& c :
       {Case{R"({"a": 1, "a": 2})", "\"a\""}, Case{R"({"x": {"y": {"z": 1, "z": 1}}})", "\"x.y.z\""},
        Case{R"({"x": [1, {"k": 1, "j": 2, "k": 3}]})", "\"x.[].k\""}, Case{R"({"\u0061": 1, "a": 2})", "\"a\""},
        Case{R"({"big": {"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7,
                               "k8": 8, "k9": 9, "k10": 10, "k11": 11, "k12": 12, "k13": 13, "k14": 14,
                               "k15": 15, "k16": 16, "k17": 17, "k18": 18, "k19": 19, "k3": 20}})",
             "\"big.k3\""}}) {
    auto parsed = ParseJsonObject(c.body);
    ASSERT_FALSE(parsed.has_value()) << c.body;
    EXPECT_EQ(parsed.error().HttpStatus(), 400);
    EXPECT_NE(parsed.error().message.find(c.member), std::string::npos) << parsed.error().message;
  }
  for (const char* fine : {R"({"a": 1, "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]})", R"({})", R"({"a": {}})"}) {
    EXPECT_TRUE(ParseJsonObject(fine).has_value()) << fine;
  }
}

TEST(Json, NumbersBeyondADoubleAreRefused) {
  // Found by the json_inputs fuzzer: Boost.JSON parses them as infinity and writes that back as `Infinity`, which
  // is not JSON, into the payload every receiver gets.
  for (const char* body : {R"({"a": 5849464464188205E59946})", R"({"data": {"x": [-1e400]}})"}) {
    auto parsed = ParseJsonObject(body);
    ASSERT_FALSE(parsed.has_value()) << body;
    EXPECT_EQ(parsed.error().HttpStatus(), 400);
  }
  EXPECT_TRUE(ParseJsonObject(R"({"a": 1.7976931348623157e308, "b": -5e-324, "c": 18446744073709551615})"));
}

TEST(Utf8, ValidatesAndReplacesIllFormedSequences) {
  for (const char* valid : {"", "plain ascii text, longer than eight bytes", "caf\xc3\xa9", "\xe2\x82\xac",
                            "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(valid)) << valid;
    EXPECT_EQ(ToValidUtf8(valid), valid);
  }
  struct Case {
    std::string in, out;
  };
  const std::string r = "\xef\xbf\xbd";
  for (const Case& c : {Case{"a\xff", "a" + r}, Case{"\xc0\xae", r + r},  // overlong
                        Case{"\xed\xa0\x80x", r + r + r + "x"},           // a surrogate
                        Case{"\xf4\x90\x80\x80", r + r + r + r},          // above U+10FFFF
                        Case{"\xe2\x82", r}, Case{"\xe2\x82x", r + "x"},  // truncated
                        Case{"ok\x80ok", "ok" + r + "ok"}, Case{"12345678\xc3", "12345678" + r}}) {
    EXPECT_FALSE(IsValidUtf8(c.in)) << c.in;
    EXPECT_EQ(ToValidUtf8(c.in), c.out) << c.in;
    EXPECT_TRUE(IsValidUtf8(ToValidUtf8(c.in)));
  }
}

TEST(Text, AsciiLowerAndLineBreaks) {
  EXPECT_EQ(AsciiLower("Content-TYPE: X-Ab_9"), "content-type: x-ab_9");
  EXPECT_EQ(AsciiLower("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // bytes outside A–Z are left alone
  EXPECT_FALSE(HasLineBreak("v1,abc def"));
  EXPECT_TRUE(HasLineBreak("a\rb"));
  EXPECT_TRUE(HasLineBreak("a\nb"));
  EXPECT_FALSE(HasLineBreak(""));
}

TEST(Time, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1614265330123), "2021-02-25T15:02:10.123Z");
  EXPECT_EQ(FormatRfc3339(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  // Against the C library's calendar, over every year from 1970 to 9999.
  std::mt19937_64 rng(3339);
  std::uniform_int_distribution<int64_t> any_ms(0, 253402300799999);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ms = any_ms(rng);
    const time_t secs = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char expected[96];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    ASSERT_EQ(FormatRfc3339(ms), expected) << ms;
  }
}

TEST(Time, ParsesRfc3339Variants) {
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.123Z"), 1614265330123);
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10Z"), 1614265330000);
  EXPECT_EQ(ParseRfc3339("2021-02-25T16:02:10+01:00"), 1614265330000);
  EXPECT_EQ(ParseRfc3339("2021-02-25"), 1614211200000);
  for (const char* bad : {"", "yesterday", "2021-13-01", "2021-02-25T25:00:00Z", "2021-02-25T15:02:10",
                          "2021-02-25T15:02:10.Z", "2021-02-25T15:02:10Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
  for (int64_t ms : {0LL, 1614265330123LL, 4102444800999LL}) EXPECT_EQ(ParseRfc3339(FormatRfc3339(ms)), ms);
}

TEST(Time, ParsesDurations) {
  EXPECT_EQ(ParseDurationMs("250ms"), 250);
  EXPECT_EQ(ParseDurationMs("30s"), 30'000);
  EXPECT_EQ(ParseDurationMs("5m"), 300'000);
  EXPECT_EQ(ParseDurationMs("2h"), 7'200'000);
  EXPECT_EQ(ParseDurationMs("30d"), 2'592'000'000);
  for (const char* bad : {"", "s", "-1s", "1", "1w", "1.5s", "99999999999999s", "999999999999d"}) {
    EXPECT_FALSE(ParseDurationMs(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseTimeBound("24h", 100'000'000), 100'000'000 - 86'400'000);
}

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
}

TEST(Config, DefaultsMatchTheSpec) {
  auto c = ParseConfig({}, FakeEnv({}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8084);
  EXPECT_EQ(c->DatabaseUrl(), "sqlite:./data/hookd.db");
  EXPECT_EQ(c->retry_schedule_ms, (std::vector<int64_t>{60'000, 300'000, 1'800'000, 7'200'000, 86'400'000}));
  EXPECT_EQ(c->attempt_timeout_ms, 30'000);
  EXPECT_EQ(c->max_endpoint_rate, 100);
  EXPECT_FALSE(c->allow_http);
  EXPECT_FALSE(c->allow_private_networks);
  EXPECT_EQ(c->api_rate_limit_per_s, 1000);
  EXPECT_EQ(c->retention_ms, 30LL * 86'400'000);
  EXPECT_EQ(c->stats_retention_ms, 90LL * 86'400'000);
  EXPECT_EQ(c->audit_retention_ms, 400LL * 86'400'000);
}

TEST(Config, FlagsWinOverEnvironment) {
  auto c = ParseConfig({"--listen", "0.0.0.0:9000", "--allow-http", "--retry-schedule=1s,2s", "--data-dir", "/tmp/x"},
                       FakeEnv({{"HOOKD_LISTEN", "127.0.0.1:1"},
                                {"HOOKD_MAX_ENDPOINT_RATE", "50"},
                                {"HOOKD_ALLOW_PRIVATE_NETWORKS", "true"}}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 9000);
  EXPECT_TRUE(c->allow_http);
  EXPECT_TRUE(c->allow_private_networks);
  EXPECT_EQ(c->max_endpoint_rate, 50);
  EXPECT_EQ(c->retry_schedule_ms, (std::vector<int64_t>{1000, 2000}));
  EXPECT_EQ(c->DatabaseUrl(), "sqlite:/tmp/x/hookd.db");
}

TEST(Config, BooleanFlagAcceptsExplicitValue) {
  auto c = ParseConfig({"--allow-http", "false", "--allow-private-networks"}, FakeEnv({}));
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->allow_http);
  EXPECT_TRUE(c->allow_private_networks);
}

TEST(Config, RejectsBadInputNamingTheFlag) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"--listen", "nope"},
                                                                             {"--retry-schedule", "1m,,5m"},
                                                                             {"--retry-schedule", "fast"},
                                                                             {"--max-endpoint-rate", "0"},
                                                                             {"--attempt-timeout", "30"},
                                                                             {"--unknown"},
                                                                             {"--role", "boss"},
                                                                             {"--database", "mysql://x"},
                                                                             {"--log-format", "xml"},
                                                                             {"--api-rate-limit", "lots"},
                                                                             {"--data-dir"},
                                                                             {"--lease-duration", "soon"},
                                                                             {"--lease-duration", "-5s"},
                                                                             {"--stats-retention", "forever"},
                                                                             {"--stats-retention", "0s"}}) {
    auto c = ParseConfig(args, FakeEnv({}));
    EXPECT_FALSE(c.has_value()) << args[0];
  }
  auto env = ParseConfig({}, FakeEnv({{"HOOKD_ATTEMPT_TIMEOUT", "forever"}}));
  ASSERT_FALSE(env.has_value());
  EXPECT_NE(env.error().message.find("HOOKD_ATTEMPT_TIMEOUT"), std::string::npos);
}

TEST(EgressProxy, ReadsHostPortAndCredentials) {
  auto plain = ParseEgressProxy("http://proxy.internal:3128");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "proxy.internal");
  EXPECT_EQ(plain->port, 3128);
  EXPECT_FALSE(plain->has_credentials);
  auto v6 = ParseEgressProxy("http://u%40x:p%3Aw@[fd00::1]:8080/");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "fd00::1");
  EXPECT_EQ(v6->user, "u@x");
  EXPECT_EQ(v6->password, "p:w");
  EXPECT_TRUE(v6->has_credentials);
  for (const char* bad :
       {"https://proxy:3128", "socks5://proxy:1080", "http://proxy", "http://proxy:0", "http://proxy:99999",
        "http://proxy:3128/path", "http://proxy:3128?x=1", "proxy:3128", "http://:3128"}) {
    std::string why;
    EXPECT_FALSE(ParseEgressProxy(bad, &why).has_value()) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_FALSE(ParseConfig({"--egress-proxy", "socks5://proxy:1080"}, FakeEnv({})).has_value());
  auto c = ParseConfig({"--egress-proxy", "http://proxy.internal:3128"}, FakeEnv({}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->egress_proxy, "http://proxy.internal:3128");
}

TEST(Config, TransactionPoolingNeedsADirectUrl) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--database-pool-mode", "statement"},
           {"--database-pool-mode", "transaction"},
           {"--database-direct-url", "mysql://db/hookd"},
           {"--database-pool-mode", "transaction", "--database-direct-url", "sqlite:/tmp/x.db"}}) {
    EXPECT_FALSE(ParseConfig(args, FakeEnv({})).has_value()) << args[1];
  }
  auto pooled = ParseConfig({"--database", "postgres://pooler:6543/hookd", "--database-pool-mode", "transaction",
                             "--database-direct-url", "postgresql://db:5432/hookd"},
                            FakeEnv({}));
  ASSERT_TRUE(pooled.has_value()) << pooled.error().message;
  EXPECT_TRUE(pooled->database_transaction_pooling);
  EXPECT_EQ(pooled->database_direct_url, "postgresql://db:5432/hookd");
  auto session = ParseConfig({"--database-pool-mode", "session"}, FakeEnv({}));
  ASSERT_TRUE(session.has_value());
  EXPECT_FALSE(session->database_transaction_pooling);
}

TEST(Config, ALeaseMustOutlastAnAttempt) {
  auto c = ParseConfig({"--attempt-timeout", "10s"}, FakeEnv({}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->LeaseDurationMs(), 25'000);  // attempt timeout + 15 s
  EXPECT_TRUE(c->RunsApi() && c->RunsWorker());
  auto worker = ParseConfig({"--role", "worker", "--lease-duration", "11s", "--attempt-timeout", "10s"}, FakeEnv({}));
  ASSERT_TRUE(worker.has_value()) << worker.error().message;
  EXPECT_EQ(worker->LeaseDurationMs(), 11'000);
  EXPECT_FALSE(worker->RunsApi());
  auto short_lease = ParseConfig({"--lease-duration", "10s", "--attempt-timeout", "10s"}, FakeEnv({}));
  ASSERT_FALSE(short_lease.has_value());
  EXPECT_NE(short_lease.error().message.find("--lease-duration"), std::string::npos);
}

TEST(Config, RetryScheduleNoneMeansOneAttempt) {
  EXPECT_EQ(ParseRetrySchedule("none"), std::vector<int64_t>{});
  EXPECT_EQ(ParseRetrySchedule("100ms"), std::vector<int64_t>{100});
  EXPECT_FALSE(ParseRetrySchedule("").has_value());
  EXPECT_FALSE(ParseRetrySchedule("1s,").has_value());
}

TEST(Config, PortalOriginsAndPublicUrlTakeOnlyPlainWebAddresses) {
  auto c = ParseConfig(
      {"--portal-allowed-origins", "https://app.example.com, http://localhost:3000,https://[::1]:8443"}, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->portal_allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "http://localhost:3000", "https://[::1]:8443"}));
  // They go into a Content-Security-Policy header: anything but an origin could widen or break it.
  for (const char* bad : {"app.example.com", "https://app.example.com/settings", "https://a.com; script-src *", "*",
                          "https://*.example.com", "javascript:alert(1)", "https://a.com:", "https://a.com:123456",
                          "ftp://a.com", "https://a.com\r\nX-Evil: 1"}) {
    auto refused = ParseConfig({"--portal-allowed-origins", bad}, FakeEnv({}));
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("--portal-allowed-origins"), std::string::npos) << refused.error().message;
  }
  EXPECT_EQ(ParseConfig({"--public-url", "https://hooks.example.com/"}, FakeEnv({}))->public_url,
            "https://hooks.example.com");
  EXPECT_EQ(ParseConfig({"--public-url", "https://example.com/hooks/"}, FakeEnv({}))->public_url,
            "https://example.com/hooks");
  for (const char* bad : {"hooks.example.com", "https://h.com/a b", "https://h.com/?x=1", "https://h.com/#x",
                          "javascript:alert(1)", "https://h.com/<script>"}) {
    EXPECT_FALSE(ParseConfig({"--public-url", bad}, FakeEnv({})).has_value()) << bad;
  }
}

TEST(Config, ApiRateLimitForms) {
  EXPECT_EQ(ParseConfig({"--api-rate-limit", "50/s"}, FakeEnv({}))->api_rate_limit_per_s, 50);
  EXPECT_EQ(ParseConfig({"--api-rate-limit", "0"}, FakeEnv({}))->api_rate_limit_per_s, 0);
}

// A file system holding `files` (path → text); any other path does not exist.
FileLookup FakeFiles(std::map<std::string, std::string> files) {
  return [files](const std::string& path) -> Result<std::optional<std::string>> {
    auto it = files.find(path);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  };
}

TEST(Config, FileIsTheLastFallback) {
  const std::string text =
      "# hookd\n\nlisten = 0.0.0.0:9100\nmax-endpoint-rate = 7\n  allow-http = true  \n"
      "retry-schedule = \"1s,2s\"\ndata-dir=/var/lib/hookd\n";
  auto c = ParseConfig({"--listen", "127.0.0.1:9200"}, FakeEnv({{"HOOKD_MAX_ENDPOINT_RATE", "9"}}),
                       FakeFiles({{kDefaultConfigFile, text}}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->listen_port, 9200);     // the flag wins
  EXPECT_EQ(c->max_endpoint_rate, 9);  // the variable wins over the file
  EXPECT_TRUE(c->allow_http);          // the file
  EXPECT_EQ(c->retry_schedule_ms, (std::vector<int64_t>{1000, 2000}));
  EXPECT_EQ(c->data_dir, "/var/lib/hookd");
  EXPECT_EQ(c->config_file, kDefaultConfigFile);
  // Without the default file nothing is read; a named file must exist.
  EXPECT_TRUE(ParseConfig({}, FakeEnv({}), FakeFiles({}))->config_file.empty());
  auto missing = ParseConfig({"--config", "/etc/other.conf"}, FakeEnv({}), FakeFiles({}));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("/etc/other.conf"), std::string::npos);
  auto by_variable = ParseConfig({}, FakeEnv({{"HOOKD_CONFIG", "/srv/h.conf"}}),
                                 FakeFiles({{"/srv/h.conf", "role = worker\ndatabase = postgres://db/h\n"}}));
  ASSERT_TRUE(by_variable.has_value()) << by_variable.error().message;
  EXPECT_EQ(by_variable->role, "worker");
}

TEST(Config, FileErrorsNameTheLine) {
  const std::map<std::string, std::string> bad = {
      {"listen 0.0.0.0:1\n", ":1: expected 'name = value'"},
      {"# ok\nno-such-flag = 1\n", ":2: unknown setting 'no-such-flag'"},
      {"config = /etc/x\n", ":1: unknown setting 'config'"},
      {"role = all\nrole = api\n", ":2: 'role' is set twice"},
      {"\nattempt-timeout = soon\n", ":2: attempt-timeout: must be a duration"},
      {"--listen = 1.2.3.4:5\n", ":1: unknown setting '--listen'"},
  };
  for (const auto& [text, expected] : bad) {
    auto c = ParseConfig({}, FakeEnv({}), FakeFiles({{kDefaultConfigFile, text}}));
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find(std::string(kDefaultConfigFile) + expected), std::string::npos)
        << c.error().message;
  }
}

TEST(Config, MetricsAddressAndAdminTokenFile) {
  auto c = ParseConfig({"--metrics-listen", "[::1]:9090", "--admin-token-file", "/run/secrets/admin"}, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->metrics_listen_host, "::1");
  EXPECT_EQ(c->metrics_listen_port, 9090);
  EXPECT_EQ(c->admin_token_file, "/run/secrets/admin");
  EXPECT_TRUE(ParseConfig({}, FakeEnv({}))->metrics_listen_host.empty());
  EXPECT_FALSE(ParseConfig({"--metrics-listen", "9090"}, FakeEnv({})).has_value());
  auto both = ParseConfig({"--admin-token-file", "/x"}, FakeEnv({{"HOOKD_ADMIN_TOKEN", "0123456789abcdef0"}}));
  ASSERT_FALSE(both.has_value());
  EXPECT_NE(both.error().message.find("one way"), std::string::npos);
  auto two_keys = ParseConfig({"--master-key-file", "/run/secrets/key"}, FakeEnv({{"HOOKD_MASTER_KEY", "a2V5"}}));
  ASSERT_FALSE(two_keys.has_value());
  EXPECT_NE(two_keys.error().message.find("--master-key-file"), std::string::npos);
}

}  // namespace
}  // namespace hookd
