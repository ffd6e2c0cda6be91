#include "pay_sim_process.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace prepaid::test {

std::string paySimPath() {
  return PREPAID_PAY_SIM;
}

PaySimProcess::PaySimProcess(std::vector<std::string> args,
                             std::chrono::milliseconds readyTimeout) {
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  std::string program = paySimPath();
  m_pid = fork();
  if (m_pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv{program.data()};
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  m_stdout = fds[0];
  const std::string listening = "prepaid-pay-sim listening on ";
  const auto deadline = std::chrono::steady_clock::now() + readyTimeout;
  std::string pending;
  while (!m_ready) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << "prepaid-pay-sim not ready within " << readyTimeout.count()
                    << " ms; output so far:\n"
                    << m_output;
      return;
    }
    pollfd fd{m_stdout, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    std::array<char, 1024> buffer{};
    const ssize_t got = read(m_stdout, buffer.data(), buffer.size());
    if (got <= 0) {
      int status = 0;
      waitpid(m_pid, &status, 0);
      m_pid = -1;
      ADD_FAILURE() << "prepaid-pay-sim exited before ready (status " << status
                    << "): " << m_output;
      return;
    }
    m_output.append(buffer.data(), static_cast<std::size_t>(got));
    pending.append(buffer.data(), static_cast<std::size_t>(got));
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n')) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (line.rfind(listening, 0) == 0) {
        m_baseUrl = line.substr(listening.size());
      } else if (line == "ready") {
        m_ready = !m_baseUrl.empty();
      }
    }
  }
}

PaySimProcess::~PaySimProcess() {
  stop();
}

int PaySimProcess::stop() {
  int status = -1;
  if (m_pid > 0) {
    kill(m_pid, SIGTERM);
    while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  if (m_stdout >= 0) {
    close(m_stdout);
    m_stdout = -1;
  }
  return status;
}

}  // namespace prepaid::test
