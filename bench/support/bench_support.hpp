// What several benchmarks need: the stack's settings from the environment and a tapedeck
// component run as a child process.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace tapedeck::bench {

// The value of environment variable `name`. When it is missing or empty, says how to set it
// and exits with status 2: every benchmark needs the stack's settings.
std::string required_env(const char* name);

// The value of environment variable `name`, or `fallback` when it is missing or empty.
std::string env_or(const char* name, const std::string& fallback);

// The tapedeck binary: TAPEDECK_BINARY, or the one built beside the bench folder.
std::string tapedeck_binary();

// `tapedeck <arguments>` as a child process with this process's environment plus `extra`,
// its output appended to `log_file`. stop() (and the destructor) sends SIGTERM and waits,
// then SIGKILL after 20 s.
class TapedeckProcess {
 public:
  TapedeckProcess(const std::vector<std::string>& arguments,
                  const std::map<std::string, std::string>& extra, const std::string& log_file);
  ~TapedeckProcess();
  TapedeckProcess(const TapedeckProcess&) = delete;
  TapedeckProcess& operator=(const TapedeckProcess&) = delete;

  pid_t pid() const { return pid_; }
  void stop();

 private:
  pid_t pid_ = -1;
};

// CPU time (user + system) that process `pid` has used so far, in seconds; 0 once it is gone.
double cpu_seconds(pid_t pid);

}  // namespace tapedeck::bench
