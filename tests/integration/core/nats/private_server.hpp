// A nats-server of the test's own, on a free loopback port, that the test may kill.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/free_port.hpp"

namespace tapedeck::nats::testing {

using tapedeck::testing::free_port;

// Owns one nats-server child process (JetStream on, store in a temporary folder) and the
// folder. start() again after kill() reuses the port and the store. Used by one thread.
class PrivateNatsServer {
 public:
  PrivateNatsServer() : port_(free_port()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tapedeck-nats-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~PrivateNatsServer() {
    kill();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrivateNatsServer(const PrivateNatsServer&) = delete;
  PrivateNatsServer& operator=(const PrivateNatsServer&) = delete;

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

  // Starts the server and waits until it accepts connections.
  void start() {
    const std::string port = std::to_string(port_);
    const std::string store = (dir_ / "store").string();
    const std::string log = (dir_ / "server.log").string();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      execlp("nats-server", "nats-server", "-js", "-sd", store.c_str(), "-a", "127.0.0.1", "-p",
             port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("nats-server did not start on port " + port + "; see " + log);
  }

  // SIGKILL: no goodbye to clients, as when a host dies.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  bool accepts_connections() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return ok;
  }

  int port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace tapedeck::nats::testing
