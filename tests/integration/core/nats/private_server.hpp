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
#include <vector>

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
  // More nats-server arguments for the next start() (cluster name, routes).
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }

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
      std::vector<std::string> args = {"nats-server", "-js",       "-sd", store,
                                       "-a",          "127.0.0.1", "-p",  port};
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp("nats-server", argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("nats-server did not start on port " + port + "; see " + log);
  }

  // SIGSTOP / SIGCONT: the server keeps its connections but answers nothing meanwhile, as a
  // stalled (overloaded, paused) server does.
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
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
  std::vector<std::string> extra_args_;
};

// Three PrivateNatsServers forming one JetStream cluster over loopback routes; url() lists
// all three, comma-separated, as cnats accepts. Node i may be killed and started again.
class PrivateNatsCluster {
 public:
  PrivateNatsCluster() {
    std::string routes;
    for (int i = 0; i < 3; ++i) {
      route_ports_[i] = free_port();
      routes +=
          (i > 0 ? "," : "") + std::string("nats://127.0.0.1:") + std::to_string(route_ports_[i]);
    }
    for (int i = 0; i < 3; ++i) {
      nodes_[i].set_extra_args({"-n", "n" + std::to_string(i + 1), "--cluster_name", "tapedeck",
                                "--cluster", "nats://127.0.0.1:" + std::to_string(route_ports_[i]),
                                "--routes", routes});
    }
  }
  void start() {
    for (auto& node : nodes_) node.start();
  }
  PrivateNatsServer& node(int i) { return nodes_[i]; }
  std::string url() const {
    return nodes_[0].url() + "," + nodes_[1].url() + "," + nodes_[2].url();
  }

 private:
  PrivateNatsServer nodes_[3];
  int route_ports_[3] = {};
};

}  // namespace tapedeck::nats::testing
