// The web console's files (src/replaymgr/console/), embedded in the binary at build time by
// cmake/embed_files.cmake: the console works without any file installed beside the binary and
// without internet access.
#pragma once

#include <string_view>

namespace tapedeck::replaymgr {

struct ConsoleAsset {
  std::string_view name;  // "index.html", "console.js"
  std::string_view content_type;
  std::string_view bytes;
};

// The file of that name, nullptr when there is none. The data lives for the whole program.
const ConsoleAsset* find_console_asset(std::string_view name);

}  // namespace tapedeck::replaymgr
