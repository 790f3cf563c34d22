// The web UI's static files (src/ui/static/), embedded into the binary at build time by cmake/embed_ui.cmake.
// Immutable; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace hookd {

struct UiAsset {
  std::string_view path;  // "/ui/app.js"
  std::string_view content_type;
  std::string_view body;
};

[[nodiscard]] const std::vector<UiAsset>& UiAssets();

}  // namespace hookd
