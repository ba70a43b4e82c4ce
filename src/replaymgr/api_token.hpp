// The REST API's bearer token: configured, or kept in a file only its owner may read, which
// replaymgr writes at first start and `tapedeck session` reads.
#pragma once

#include <filesystem>
#include <string>

#include "core/config.hpp"

namespace tapedeck::replaymgr {

// replaymgr.token_file, a leading "~/" standing for $HOME.
std::filesystem::path token_file(const config::Config& config);

// The token replaymgr requires, and where it comes from (for the log: never the token).
struct ServerToken {
  std::string token;   // empty: replaymgr.open, every client is trusted
  std::string origin;  // "replaymgr.api_token", the token file's path, or "replaymgr.open"
};

// replaymgr.api_token when set; none when replaymgr.open; otherwise the token in the token file,
// which is created when missing (32 random bytes from /dev/urandom as hex, mode 0600, its
// folder created 0700). Throws Error(config, invalid) when api_token and open are both set, or
// the token file may be read by its group or others (naming the chmod to run) or is empty.
ServerToken server_token(const config::Config& config);

// The token a client sends: replaymgr.api_token when set, none when replaymgr.open, else the
// token file's when there is one (checked like server_token), else none (an API that requires
// one answers 401).
std::string client_token(const config::Config& config);

}  // namespace tapedeck::replaymgr
