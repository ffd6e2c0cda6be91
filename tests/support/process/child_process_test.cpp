#include "prepaid/test_process/child_process.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

namespace prepaid::test {
namespace {

using namespace std::chrono_literals;

ChildProcess shell(const std::string& script, ChildOptions options = {}) {
  auto child = ChildProcess::spawn({"/bin/sh", "-c", script}, std::move(options));
  if (!child) {
    ADD_FAILURE() << child.error().message;
    std::abort();
  }
  return std::move(*child);
}

ChildOptions options(std::vector<std::string> environment, StderrMode stderrMode,
                     std::optional<std::filesystem::path> logFile = std::nullopt) {
  ChildOptions result;
  result.environment = std::move(environment);
  result.stderrMode = stderrMode;
  result.logFile = std::move(logFile);
  return result;
}

// Running, not a zombie waiting for whoever adopted it (in a container that may be slow).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return false;
  }
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(ChildProcessTest, ReadyMarkerFoundWithTheOutputBeforeIt) {
  auto child = shell("echo 'listening on 127.0.0.1:4242'; echo ready; exec sleep 30");
  const auto text = child.waitForOutput("ready\n", 10s);
  ASSERT_TRUE(text) << text.error().summary << ": " << text.error().output;
  EXPECT_EQ(*text, "listening on 127.0.0.1:4242\nready\n");
  EXPECT_TRUE(child.running());
  EXPECT_GT(child.pid(), 0);
  // Its own process group.
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
  const auto status = child.terminate(5s);
  EXPECT_EQ(status.describe(), "killed by signal 15");
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.pid(), -1);
}

TEST(ChildProcessTest, RegexMarkerAndPortsFromTheOutput) {
  auto child = shell("echo 'gateway 0 at 127.0.0.1:15020'; echo 'gateway 1 at 127.0.0.1:15021'");
  const auto text = child.waitForOutput(std::regex(R"(gateway 1 at [0-9.]+:(\d+)\n)"), 10s);
  ASSERT_TRUE(text) << text.error().summary;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(*text, match, std::regex(R"(gateway 1 at [0-9.]+:(\d+))")));
  EXPECT_EQ(match[1], "15021");
}

TEST(ChildProcessTest, DeadlinePassesWhileTheProgramRuns) {
  auto child = shell("echo starting; exec sleep 30");
  const auto start = std::chrono::steady_clock::now();
  const auto text = child.waitForOutput("ready", 300ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().reason, OutputError::Reason::TimedOut);
  EXPECT_EQ(text.error().output, "starting\n");
  EXPECT_EQ(text.error().summary, "output not seen within 300 ms");
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 5s);
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.waitForExit(50ms));
  EXPECT_TRUE(child.running());
}

TEST(ChildProcessTest, ProgramDiesEarlyIsReportedAtOnceWithItsStatus) {
  auto child =
      shell("echo 'bad config' >&2; echo partial; exit 3", options({}, StderrMode::Capture));
  const auto start = std::chrono::steady_clock::now();
  const auto text = child.waitForOutput("ready", 30s);
  ASSERT_FALSE(text);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // not the whole deadline
  EXPECT_EQ(text.error().reason, OutputError::Reason::Exited);
  EXPECT_EQ(text.error().output, "bad config\npartial\n");
  EXPECT_EQ(text.error().summary, "exited 3 before the output");
  EXPECT_FALSE(child.running());
  EXPECT_TRUE(child.terminate(1s).exitedWith(3));
  EXPECT_TRUE(child.exitStatus()->exitedWith(3));
}

TEST(ChildProcessTest, LastWordsBeforeExitAreNotLost) {
  // The marker is the very last thing written before exit: seen, not reported as "exited".
  for (int round = 0; round < 20; ++round) {
    auto child = shell("printf 'done\\n'");
    const auto text = child.waitForOutput("done\n", 10s);
    ASSERT_TRUE(text) << "round " << round << ": " << text.error().summary;
    const auto status = child.waitForExit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->exitedWith(0)) << status->describe();
  }
}

TEST(ChildProcessTest, StderrInheritedIsNotCaptured) {
  auto child = shell("echo to-stderr >&2; echo to-stdout");
  const auto status = child.waitForExit(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exitedWith(0)) << status->describe();
  EXPECT_EQ(child.output(), "to-stdout\n");
}

TEST(ChildProcessTest, CleanExitOnSigtermKeepsTheOutputPrintedOnTheWayOut) {
  auto child =
      shell("trap 'echo state saved; exit 0' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE(child.waitForOutput("ready\n", 10s));
  const auto status = child.terminate(5s);
  EXPECT_TRUE(status.exitedWith(0)) << status.describe();
  EXPECT_EQ(child.output(), "ready\nstate saved\n");
}

TEST(ChildProcessTest, TerminateEscalatesToSigkillAfterTheDeadline) {
  auto child = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE(child.waitForOutput("ready\n", 10s));
  const auto start = std::chrono::steady_clock::now();
  const auto status = child.terminate(300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.describe(), "killed by signal 9");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  // Asking again gives the same answer.
  EXPECT_EQ(child.terminate(1s).describe(), "killed by signal 9");
}

TEST(ChildProcessTest, WholeProcessGroupGoesWithIt) {
  // The script starts a grandchild that ignores SIGTERM and prints its pid.
  auto child = shell("(trap '' TERM; exec sleep 30) & echo \"grandchild $!\"; echo ready; wait");
  const auto text = child.waitForOutput("ready\n", 10s);
  ASSERT_TRUE(text) << text.error().summary;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(*text, match, std::regex(R"(grandchild (\d+))")));
  const pid_t grandchild = std::stoi(match[1]);
  ASSERT_TRUE(alive(grandchild));
  child.terminate(5s);
  // The grandchild was our child's child, now reparented and collected by init: poll with a
  // deadline until it is gone.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (alive(grandchild) && std::chrono::steady_clock::now() < deadline) {
    ::poll(nullptr, 0, 10);
  }
  EXPECT_FALSE(alive(grandchild));
}

TEST(ChildProcessTest, DestructorUsesItsOwnDeadlineThenSigkill) {
  ChildOptions quick;
  quick.destroyTimeout = 200ms;
  pid_t pid = -1;
  const auto start = std::chrono::steady_clock::now();
  {
    auto child = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done", quick);
    ASSERT_TRUE(child.waitForOutput("ready\n", 10s));
    pid = child.pid();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(alive(pid));
}

TEST(ChildProcessTest, KillIsImmediate) {
  auto child = shell("trap 'echo ignored' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE(child.waitForOutput("ready\n", 10s));
  EXPECT_EQ(child.kill().describe(), "killed by signal 9");
  EXPECT_EQ(child.output(), "ready\n");
}

TEST(ChildProcessTest, EnvironmentIsAddedAndOverridden) {
  ::setenv("PREPAID_CHILD_TEST_KEEP", "kept", 1);
  ::setenv("PREPAID_CHILD_TEST_OVERRIDE", "old", 1);
  auto child =
      shell("echo \"$PREPAID_CHILD_TEST_KEEP $PREPAID_CHILD_TEST_OVERRIDE $EXTRA\"",
            options({"PREPAID_CHILD_TEST_OVERRIDE=new", "EXTRA=x y"}, StderrMode::Inherit));
  const auto text = child.waitForOutput("\n", 10s);
  ASSERT_TRUE(text) << text.error().summary;
  EXPECT_EQ(*text, "kept new x y\n");
}

TEST(ChildProcessTest, LogFileGetsEveryByte) {
  std::string pattern = (std::filesystem::temp_directory_path() / "child-process-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path log = std::filesystem::path(pattern) / "child.log";
  {
    auto child = shell("echo one; echo two >&2; echo three", options({}, StderrMode::Capture, log));
    const auto status = child.waitForExit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->exitedWith(0)) << status->describe();
    EXPECT_EQ(child.output(), "one\ntwo\nthree\n");
  }
  std::ifstream in(log);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "one\ntwo\nthree\n");
  std::filesystem::remove_all(pattern);
}

TEST(ChildProcessTest, MissingProgramIsASpawnError) {
  const auto child = ChildProcess::spawn({"/nonexistent/prepaid-program"});
  ASSERT_FALSE(child);
  EXPECT_NE(child.error().message.find("No such file"), std::string::npos) << child.error().message;
  EXPECT_FALSE(ChildProcess::spawn({}));
}

TEST(ChildProcessTest, LogFileThatCannotBeOpenedIsASpawnError) {
  const auto child =
      ChildProcess::spawn({"/bin/true"}, options({}, StderrMode::Inherit, "/nonexistent/dir/log"));
  ASSERT_FALSE(child);
  EXPECT_NE(child.error().message.find("/nonexistent/dir/log"), std::string::npos);
}

TEST(ChildProcessTest, MovedChildKeepsRunning) {
  auto first = shell("echo ready; exec sleep 30");
  ChildProcess second = std::move(first);
  ASSERT_TRUE(second.waitForOutput("ready\n", 10s));
  EXPECT_TRUE(second.running());
  EXPECT_EQ(second.terminate(5s).describe(), "killed by signal 15");
}

}  // namespace
}  // namespace prepaid::test
