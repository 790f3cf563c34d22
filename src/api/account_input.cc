// An account's name is 1 to 200 characters; its email, where alerts go, is a plain address or empty.
#include "api/account_input.h"

namespace hookd {

Status ApplyAccountFields(const json::object& body, bool creating, Account& account) {
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->value().is_string() || it->value().as_string().empty() || it->value().as_string().size() > 200) {
      return Fail(Error::Invalid("name", "must be a string of 1 to 200 characters"));
    }
    account.name = std::string(it->value().as_string());
  } else if (creating) {
    return Fail(Error::Invalid("name", "is required"));
  }
  if (auto it = body.find("email"); it != body.end()) {
    if (it->value().is_null()) {
      account.email.clear();
    } else {
      const json::value& v = it->value();
      const bool ok = v.is_string() && v.as_string().size() <= 254 &&
                      (v.as_string().empty() ||
                       (std::string_view(v.as_string()).find('@') != std::string_view::npos &&
                        std::string_view(v.as_string()).find_first_of(" \t\r\n<>,;") == std::string_view::npos));
      if (!ok) return Fail(Error::Invalid("email", "must be an email address"));
      account.email = std::string(v.as_string());
    }
  }
  return Ok();
}

}  // namespace hookd
