// libcurl's easy interface: the CLI makes one request at a time.
#include "cli/api_client.h"

#include <curl/curl.h>

#include <memory>

#include "common/json.h"

namespace hookd {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

Result<ApiAnswer> SendHttp(const std::string& method, const std::string& url, const HeaderList& headers,
                           const std::string& body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Fail(Error::Internal("cannot start libcurl"));
  ApiAnswer answer;
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) list = curl_slist_append(list, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
  if (!body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    return Fail(Error::Unavailable("cannot reach " + url + ": " + curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

Result<ApiAnswer> CallApi(const std::string& server, const std::string& api_key, const std::string& method,
                          const std::string& path, const std::string& body) {
  std::string url = server;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return SendHttp(method, url + path, {{"Authorization", "Bearer " + api_key}, {"Content-Type", "application/json"}},
                  body);
}

std::string ApiErrorMessage(const ApiAnswer& answer) {
  const json::value v = ParseJsonOrNull(answer.body);
  if (const auto* o = v.if_object()) {
    if (const auto* e = o->if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
        return std::string(m->as_string()) + " (" + std::to_string(answer.status) + ")";
      }
    }
  }
  return "the server answered " + std::to_string(answer.status);
}

}  // namespace hookd
