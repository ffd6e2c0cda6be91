#pragma once

// ChildProcess: a program a test or benchmark runs next to itself (a simulator, the backend, the
// demo script). It is spawned in its own process group with its output captured by a reader
// thread (so the child never blocks on a full pipe), optionally copied to a log file; the caller
// waits for a ready marker with a deadline (no sleeps) and stops it with SIGTERM, escalating to
// SIGKILL of the whole group when the deadline passes.

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace prepaid::test {

/// Where the child's stderr goes; stdout is always captured.
enum class StderrMode {
  Inherit,  ///< the test's own stderr (visible in the ctest log)
  Capture,  ///< the same pipe as stdout, in the order written
};

struct ChildOptions {
  /// Extra "NAME=value" entries; they override the parent's variables of the same name.
  std::vector<std::string> environment;
  StderrMode stderrMode = StderrMode::Inherit;
  /// When set, every byte captured is also appended to this file as it arrives.
  std::optional<std::filesystem::path> logFile;
  /// The SIGTERM deadline the destructor gives a child still running (then SIGKILL).
  std::chrono::milliseconds destroyTimeout = std::chrono::seconds(5);
};

/// How a child ended, as waitpid reported it.
struct ExitStatus {
  enum class Kind { Exited, Signalled };
  Kind kind = Kind::Exited;
  int code = 0;  ///< exit code (Exited) or signal number (Signalled)

  [[nodiscard]] bool exitedWith(int exitCode) const {
    return kind == Kind::Exited && code == exitCode;
  }
  /// "exited 0" / "killed by signal 9".
  [[nodiscard]] std::string describe() const;
};

struct SpawnError {
  std::string message;  ///< e.g. "posix_spawn /no/such: No such file or directory"
};

struct OutputError {
  enum class Reason {
    TimedOut,  ///< the deadline passed with the child still running
    Exited,    ///< the child ended before the pattern appeared
  };
  Reason reason = Reason::TimedOut;
  std::string output;  ///< everything captured so far
  /// One line for a failure message: "output not seen within 500 ms" / "exited 3 before …".
  std::string summary;
};

class ChildProcess {
 public:
  /// Spawns argv[0] (a path, not searched in PATH) with argv; fails when argv is empty, the
  /// program cannot be executed or the pipe/log file cannot be opened.
  [[nodiscard]] static std::expected<ChildProcess, SpawnError> spawn(std::vector<std::string> argv,
                                                                     ChildOptions options = {});

  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// Terminates a child still running (ChildOptions::destroyTimeout, then SIGKILL).
  ~ChildProcess();

  /// The child's pid, which is also its process group id; -1 after terminate().
  [[nodiscard]] pid_t pid() const;
  /// True until the child has exited (it may still be a zombie, not yet collected).
  [[nodiscard]] bool running() const;

  /// Waits until the captured output contains `marker` (or matches `pattern` with
  /// std::regex_search); returns all output so far. Fails with the output when the deadline
  /// passes or the child ends first.
  [[nodiscard]] std::expected<std::string, OutputError> waitForOutput(
      std::string_view marker, std::chrono::milliseconds timeout);
  [[nodiscard]] std::expected<std::string, OutputError> waitForOutput(
      const std::regex& pattern, std::chrono::milliseconds timeout);

  /// Everything captured so far (stdout, and stderr with StderrMode::Capture).
  [[nodiscard]] std::string output() const;

  /// Sends SIGTERM to the child and waits up to `timeout` for it to exit; then SIGKILL to its
  /// whole process group (the child too if it did not exit). Collects the rest of its output and
  /// its exit status. Calling it again returns the same status.
  ExitStatus terminate(std::chrono::milliseconds timeout);
  /// Waits up to `timeout` for the child to exit by itself, then collects it as terminate()
  /// does (anything left in its group is killed); nullopt (child untouched) when it still runs.
  std::optional<ExitStatus> waitForExit(std::chrono::milliseconds timeout);
  /// SIGKILL to the whole process group at once (a crash test), then as terminate().
  ExitStatus kill();
  /// The status once terminate()/kill() collected it.
  [[nodiscard]] std::optional<ExitStatus> exitStatus() const;

 private:
  struct State;
  explicit ChildProcess(std::unique_ptr<State> state);
  std::expected<std::string, OutputError> waitFor(
      const std::function<bool(const std::string&)>& found, std::chrono::milliseconds timeout);
  ExitStatus finish(std::optional<std::chrono::milliseconds> termTimeout);

  std::unique_ptr<State> m_state;
};

}  // namespace prepaid::test
