// The OpenAPI document against the API: every route the API registers is described, and every operation
// described is served. (The integration tests check the bodies the API returns against the document's schemas.)
#include "api/openapi.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api.h"
#include "common/config.h"
#include "fakes/fake_api_ports.h"
#include "store/sqlite/sqlite_store.h"
#include "test_dir.h"

namespace hookd {
namespace {

TEST(OpenApi, TheDocumentDescribesExactlyTheRoutesTheApiServes) {
  testing::TestDir dir("hookd-openapi-");
  auto store = sqlite::SqliteStore::Open(dir.File("hookd.db"), std::string(32, 'k'), std::chrono::milliseconds(0));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  testing::FakeApiPorts ports;
  Config config;
  Api api(config, "admin-token", **store, ports.Ports());
  ASSERT_GT(api.Routes().size(), 40u);
  EXPECT_EQ(OpenApiMismatches(api.Routes()), std::vector<std::string>{});

  std::vector<Router::Route> one_more = api.Routes();
  one_more.push_back(Router::Route{"POST", "/api/v1/undocumented", "", {}});
  one_more.erase(one_more.begin());
  EXPECT_EQ(OpenApiMismatches(one_more), (std::vector<std::string>{"post /api/v1/undocumented: not in the document",
                                                                   "get /healthz: no such route"}));
}

TEST(OpenApi, TheServedDocumentIsOpenApi31WithThisBuildsVersion) {
  const boost::json::value doc = boost::json::parse(OpenApiDocument("9.9.9"));
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version"), "9.9.9");
  for (const char* schema : {"Webhook", "Event", "Delivery", "Attempt", "Account", "ApiKey", "Stats", "Error"}) {
    EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains(schema)) << schema;
  }
}

}  // namespace
}  // namespace hookd
