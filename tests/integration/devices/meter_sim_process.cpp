#include "meter_sim_process.hpp"

#include <cstring>
#include <sstream>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace prepaid::test {

std::string meterSimPath() {
  return PREPAID_METER_SIM;
}

MeterSimProcess::MeterSimProcess(std::vector<std::string> args,
                                 std::chrono::milliseconds readyTimeout) {
  std::array<int, 2> pipeFds{};
  if (pipe(pipeFds.data()) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  // The program is argv[0]; no insert at the front of `args` (GCC 12 -O2 reports a false
  // -Wnull-dereference inside vector<string>::insert).
  std::string program = meterSimPath();
  m_pid = fork();
  if (m_pid == 0) {
    dup2(pipeFds[1], STDOUT_FILENO);
    close(pipeFds[0]);
    close(pipeFds[1]);
    std::vector<char*> argv{program.data()};
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipeFds[1]);
  m_stdout = pipeFds[0];
  const auto deadline = std::chrono::steady_clock::now() + readyTimeout;
  std::string pending;
  while (!m_ready) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << "prepaid-meter-sim not ready within " << readyTimeout.count()
                    << " ms; output so far:\n"
                    << m_output;
      return;
    }
    pollfd fd{m_stdout, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    std::array<char, 4096> buffer{};
    const ssize_t got = read(m_stdout, buffer.data(), buffer.size());
    if (got <= 0) {
      int status = 0;
      waitpid(m_pid, &status, 0);
      m_pid = -1;
      ADD_FAILURE() << "prepaid-meter-sim exited before ready (status " << status
                    << "): " << m_output;
      return;
    }
    m_output.append(buffer.data(), static_cast<std::size_t>(got));
    pending.append(buffer.data(), static_cast<std::size_t>(got));
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n')) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      int gateway = -1;
      std::array<char, 32> protocol{};
      std::array<char, 256> where{};
      if (std::sscanf(line.c_str(), "gateway %d %31s listening on %255s", &gateway, protocol.data(),
                      where.data()) == 3) {
        m_endpoints[gateway] = where.data();
      } else if (line.rfind("control listening on 127.0.0.1:", 0) == 0) {
        m_controlPort = std::stoi(line.substr(std::strlen("control listening on 127.0.0.1:")));
      } else if (line == "ready") {
        m_ready = true;
      }
    }
  }
}

MeterSimProcess::~MeterSimProcess() {
  stop();
}

int MeterSimProcess::stop() {
  int status = -1;
  if (m_pid > 0) {
    kill(m_pid, SIGTERM);
    waitpid(m_pid, &status, 0);
    m_pid = -1;
    // Collect what it printed on the way out (e.g. "state saved to …").
    std::array<char, 4096> buffer{};
    for (ssize_t got = 0; (got = read(m_stdout, buffer.data(), buffer.size())) > 0;) {
      m_output.append(buffer.data(), static_cast<std::size_t>(got));
    }
  }
  if (m_stdout >= 0) {
    close(m_stdout);
    m_stdout = -1;
  }
  return status;
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
