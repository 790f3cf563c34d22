// hookd's version: printed by `hookd version`, sent in every delivery's User-Agent (`hookd/<version>`), and shown
// by the API (server-info, the OpenAPI document).
#pragma once

namespace hookd {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace hookd
