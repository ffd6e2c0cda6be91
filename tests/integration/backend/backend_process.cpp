#include "backend_process.hpp"

#include <array>
#include <cerrno>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace prepaid::test {

std::string backendPath() {
  return PREPAID_BACKEND;
}

BackendProcess::BackendProcess(const std::string& configFile,
                               std::chrono::milliseconds readyTimeout) {
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  std::vector<std::string> args{backendPath(), "--config", configFile};
  m_pid = fork();
  if (m_pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  m_stdout = fds[0];
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + readyTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{m_stdout, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) {
      continue;
    }
    std::array<char, 256> buffer{};
    const ssize_t got = read(m_stdout, buffer.data(), buffer.size());
    if (got <= 0) {
      // Exited before ready: say how, for the failure message.
      int status = 0;
      if (waitpid(m_pid, &status, 0) == m_pid) {
        m_pid = -1;
        text += WIFEXITED(status)
                    ? "[exited with status " + std::to_string(WEXITSTATUS(status)) + "]"
                    : "[killed by signal " + std::to_string(WTERMSIG(status)) + "]";
      }
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(got));
    if (text.find("ready\n") != std::string::npos) {
      m_ready = true;
      return;
    }
  }
  ADD_FAILURE() << "prepaid-backend not ready; stdout: " << text;
}

BackendProcess::~BackendProcess() {
  if (m_pid > 0) {
    kill();
  }
  if (m_stdout >= 0) {
    close(m_stdout);
  }
}

int BackendProcess::stop(std::chrono::milliseconds timeout) {
  if (m_pid <= 0) {
    return -1;
  }
  ::kill(m_pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    pollfd none{-1, 0, 0};
    poll(&none, 0, 10);
  }
  ADD_FAILURE() << "prepaid-backend did not stop within the timeout after SIGTERM";
  kill();
  return -1;
}

void BackendProcess::kill() {
  if (m_pid <= 0) {
    return;
  }
  ::kill(m_pid, SIGKILL);
  int status = 0;
  while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
  m_pid = -1;
}

}  // namespace prepaid::test
