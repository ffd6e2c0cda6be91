#pragma once

// Starts tests/integration/thirdparty/modbus_profile_server.py (python3-pymodbus) on a free
// loopback port and stops it again; waitReady polls with a deadline.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace prepaid::devices::testing {

inline const std::filesystem::path Source(PREPAID_SOURCE_DIR);

inline std::uint16_t freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class PymodbusServer {
 public:
  PymodbusServer(const std::string& profile, std::uint8_t unit, std::vector<std::string> points)
      : port(freeLoopbackPort()) {
    std::vector<std::string> args = {
        "/usr/bin/python3",
        (Source / "tests/integration/thirdparty/modbus_profile_server.py").string(),
        "--profile",
        (Source / "assets/meters" / (profile + ".toml")).string(),
        "--port",
        std::to_string(port),
        "--unit",
        std::to_string(unit)};
    for (auto& p : points) {
      args.push_back("--point");
      args.push_back(p);
    }
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (::posix_spawn(&m_pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      m_pid = -1;
    }
  }
  ~PymodbusServer() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  // Polls until the server accepts connections, or the deadline passes / the child exited.
  bool waitReady(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (m_pid <= 0 || ::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        m_pid = -1;
        return false;
      }
      if (accepting(port)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // poll interval
    }
    return false;
  }
  std::uint16_t port;

 private:
  pid_t m_pid = -1;
};

}  // namespace prepaid::devices::testing
