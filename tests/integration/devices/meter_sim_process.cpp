#include "meter_sim_process.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <sstream>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace prepaid::test {

std::string meterSimPath() {
  return PREPAID_METER_SIM;
}

MeterSimProcess::MeterSimProcess(std::vector<std::string> args,
                                 std::chrono::milliseconds readyTimeout) {
  // The program is argv[0]; no insert at the front of `args` (GCC 12 -O2 reports a false
  // -Wnull-dereference inside vector<string>::insert).
  std::vector<std::string> argv{meterSimPath()};
  for (auto& arg : args) {
    argv.push_back(std::move(arg));
  }
  auto process = ChildProcess::spawn(std::move(argv));
  if (!process) {
    m_startFailure = process.error().message;
    ADD_FAILURE() << "prepaid-meter-sim: " << m_startFailure;
    return;
  }
  m_process.emplace(std::move(*process));
  // "ready" on a line of its own, after every gateway and the control port were printed.
  const auto text = m_process->waitForOutput(std::regex("(^|\n)ready\n"), readyTimeout);
  if (!text) {
    ADD_FAILURE() << "prepaid-meter-sim not ready: " << text.error().summary << "; output so far:\n"
                  << text.error().output;
    return;
  }
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    int gateway = -1;
    std::array<char, 32> protocol{};
    std::array<char, 256> where{};
    if (std::sscanf(line.c_str(), "gateway %d %31s listening on %255s", &gateway, protocol.data(),
                    where.data()) == 3) {
      m_endpoints[gateway] = where.data();
    } else if (line.rfind("control listening on 127.0.0.1:", 0) == 0) {
      m_controlPort = std::stoi(line.substr(std::strlen("control listening on 127.0.0.1:")));
    }
  }
  m_ready = true;
}

MeterSimProcess::~MeterSimProcess() {
  stop();
}

int MeterSimProcess::stop() {
  if (!m_process) {
    return -1;
  }
  const auto status = m_process->terminate(std::chrono::seconds(20));
  return status.kind == ExitStatus::Kind::Exited ? status.code : -1;
}

std::string MeterSimProcess::output() const {
  return m_process ? m_process->output() : m_startFailure;
}

std::string MeterSimProcess::endpoint(int gateway) const {
  const auto it = m_endpoints.find(gateway);
  return it == m_endpoints.end() ? std::string() : it->second;
}

int MeterSimProcess::port(int gateway) const {
  const auto where = endpoint(gateway);
  const auto colon = where.rfind(':');
  return colon == std::string::npos || where.front() == '/' ? 0
                                                            : std::stoi(where.substr(colon + 1));
}

std::string MeterSimProcess::control(const std::string& command) const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(m_controlPort));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    ADD_FAILURE() << "control port " << m_controlPort << ": " << std::strerror(errno);
    return "error no control port";
  }
  const std::string line = command + "\n";
  [[maybe_unused]] const auto sent = write(fd, line.data(), line.size());
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (reply.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 5000) <= 0) {
      break;
    }
    std::array<char, 4096> buffer{};
    const ssize_t got = read(fd, buffer.data(), buffer.size());
    if (got <= 0) {
      break;
    }
    reply.append(buffer.data(), static_cast<std::size_t>(got));
  }
  close(fd);
  if (const auto newline = reply.find('\n'); newline != std::string::npos) {
    reply.resize(newline);
  }
  return reply;
}

std::string MeterSimProcess::valueOf(const std::string& reply, const std::string& name) {
  std::istringstream in(reply);
  for (std::string word; in >> word;) {
    if (word.rfind(name + "=", 0) == 0) {
      return word.substr(name.size() + 1);
    }
  }
  return {};
}

long long MeterSimProcess::field(int gateway, int unit, const std::string& name) const {
  const auto reply = control("get " + std::to_string(gateway) + " " + std::to_string(unit));
  const auto value = valueOf(reply, name);
  if (value.empty()) {
    ADD_FAILURE() << "no " << name << " in '" << reply << "'";
    return -1;
  }
  return std::stoll(value);
}

}  // namespace prepaid::test
