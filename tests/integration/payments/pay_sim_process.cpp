#include "pay_sim_process.hpp"

#include <regex>
#include <sstream>

#include <gtest/gtest.h>

namespace prepaid::test {

std::string paySimPath() {
  return PREPAID_PAY_SIM;
}

PaySimProcess::PaySimProcess(std::vector<std::string> args,
                             std::chrono::milliseconds readyTimeout) {
  std::vector<std::string> argv{paySimPath()};
  for (auto& arg : args) {
    argv.push_back(std::move(arg));
  }
  auto process = ChildProcess::spawn(std::move(argv));
  if (!process) {
    m_startFailure = process.error().message;
    ADD_FAILURE() << "prepaid-pay-sim: " << m_startFailure;
    return;
  }
  m_process.emplace(std::move(*process));
  // "ready" on a line of its own, after the "listening on" line.
  const auto text = m_process->waitForOutput(std::regex("(^|\n)ready\n"), readyTimeout);
  if (!text) {
    ADD_FAILURE() << "prepaid-pay-sim not ready: " << text.error().summary << "; output so far:\n"
                  << text.error().output;
    return;
  }
  const std::string listening = "prepaid-pay-sim listening on ";
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(listening, 0) == 0) {
      m_baseUrl = line.substr(listening.size());
    }
  }
  m_ready = !m_baseUrl.empty();
  if (!m_ready) {
    ADD_FAILURE() << "prepaid-pay-sim ready without a \"listening on\" line:\n" << *text;
  }
}

PaySimProcess::~PaySimProcess() {
  stop();
}

int PaySimProcess::stop() {
  if (!m_process) {
    return -1;
  }
  const auto status = m_process->terminate(std::chrono::seconds(20));
  return status.kind == ExitStatus::Kind::Exited ? status.code : -1;
}

std::string PaySimProcess::output() const {
  return m_process ? m_process->output() : m_startFailure;
}

}  // namespace prepaid::test
