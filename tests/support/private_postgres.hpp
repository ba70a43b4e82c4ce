// A PostgreSQL cluster of the test's own (initdb in a temporary folder, own port) that the
// test may stop and start again: the shared stack must never be stopped.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/free_port.hpp"

namespace tapedeck::testing {

// Owns the cluster folder and the server process (through pg_ctl). Used by one thread.
class PrivatePostgres {
 public:
  PrivatePostgres() : port_(free_port()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tapedeck-pg-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    // PostgreSQL refuses to run as root: then the stack's unprivileged user runs it.
    if (geteuid() == 0) {
      as_user_ = "runuser -u tapedeck -- ";
      run("chown tapedeck " + dir_.string());
    }
    run(as_user_ + bin("initdb") + " -D " + data() +
        " -U tapedeck --auth=trust -E UTF8 --no-sync >" + (dir_ / "initdb.log").string() + " 2>&1");
  }
  ~PrivatePostgres() {
    std::system((as_user_ + bin("pg_ctl") + " -D " + data() + " -m immediate stop >/dev/null 2>&1")
                    .c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // `settings`: more server options, e.g. "-c wal_level=logical".
  void start(const std::string& settings = {}) {
    run(as_user_ + bin("pg_ctl") + " -D " + data() + " -l " + log_path() + " -w -o \"-p " +
        std::to_string(port_) + " -k " + dir_.string() +
        " -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB " + settings +
        "\" start >/dev/null");
  }
  // Immediate shutdown: connections are cut as in a crash.
  void stop() {
    run(as_user_ + bin("pg_ctl") + " -D " + data() + " -m immediate -w stop >/dev/null");
  }

  std::string dsn() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=tapedeck dbname=postgres";
  }
  std::string log_path() const { return (dir_ / "server.log").string(); }

 private:
  static std::string bin(const std::string& name) { return "/usr/lib/postgresql/15/bin/" + name; }
  std::string data() const { return (dir_ / "data").string(); }
  static void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }

  int port_;
  std::filesystem::path dir_;
  std::string as_user_;  // command prefix that drops root
};

}  // namespace tapedeck::testing
