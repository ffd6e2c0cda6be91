#include "backend_process.hpp"

#include <csignal>

#include <gtest/gtest.h>

namespace prepaid::test {

std::string backendPath() {
  return PREPAID_BACKEND;
}

BackendProcess::BackendProcess(const std::string& configFile,
                               std::chrono::milliseconds readyTimeout) {
  auto process = ChildProcess::spawn({backendPath(), "--config", configFile});
  if (!process) {
    ADD_FAILURE() << "prepaid-backend: " << process.error().message;
    return;
  }
  m_process.emplace(std::move(*process));
  const auto text = m_process->waitForOutput("ready\n", readyTimeout);
  if (!text) {
    ADD_FAILURE() << "prepaid-backend not ready: " << text.error().summary
                  << "; stdout: " << text.error().output;
    return;
  }
  m_ready = true;
}

BackendProcess::~BackendProcess() {
  kill();
}

int BackendProcess::stop(std::chrono::milliseconds timeout) {
  if (!m_process || m_process->exitStatus()) {
    return -1;
  }
  const auto status = m_process->terminate(timeout);
  if (status.kind == ExitStatus::Kind::Signalled && status.code == SIGKILL) {
    ADD_FAILURE() << "prepaid-backend did not stop within the timeout after SIGTERM ("
                  << status.describe() << ")";
  }
  return status.kind == ExitStatus::Kind::Exited ? status.code : -1;
}

void BackendProcess::kill() {
  if (m_process) {
    m_process->kill();
  }
}

}  // namespace prepaid::test
