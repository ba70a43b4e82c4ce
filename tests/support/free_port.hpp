// A loopback TCP port free at the moment of asking, for servers a test starts itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace tapedeck::testing {

// True when 127.0.0.1:`port` can be bound now (0: the kernel picks; `picked` gets it).
inline bool loopback_port_binds(int port, int* picked = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  socklen_t length = sizeof address;
  bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (bound && picked != nullptr) {
    bound = ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    *picked = ntohs(address.sin_port);
  }
  ::close(fd);
  return bound;
}

// A free port outside the kernel's ephemeral range, or 0 when none could be had. The kernel
// hands ports of that range to every outgoing connection and port-0 bind of the parallel tests,
// so a port picked there can be taken before the test's server binds it; outside it, only
// another test picking at random could, in the same instant.
inline int free_port() {
  int low = 32768;
  int high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  std::random_device device;
  std::mt19937 generator(device());
  const int below = low > 10000 ? low - 10000 : 0;    // ports 10000 .. low-1
  const int above = high < 65535 ? 65535 - high : 0;  // ports high+1 .. 65535
  if (below + above > 0) {
    std::uniform_int_distribution<int> pick(0, below + above - 1);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int n = pick(generator);
      const int port = n < below ? 10000 + n : high + 1 + (n - below);
      if (loopback_port_binds(port)) return port;
    }
  }
  int picked = 0;
  return loopback_port_binds(0, &picked) ? picked : 0;
}

}  // namespace tapedeck::testing
