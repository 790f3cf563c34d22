// An example `data` object for every built-in event type, made from the type's name: the resource it is about
// (its first segment) with plausible fields, and what the action (the rest) adds. `hookd trigger` sends it when no
// --data is given, and the integration guide shows it. Pure.
#pragma once

#include <string>
#include <string_view>

namespace hookd {

// The example data of `type` as JSON text; `{}` for a type the catalog does not know (a custom type).
[[nodiscard]] std::string ExamplePayload(std::string_view type);

}  // namespace hookd
