#include "prepaid/test_process/child_process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace prepaid::test {

namespace {

std::string errorText(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

void closeFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

// The exit of `pid` without collecting it (WNOWAIT): the pid stays reserved as a zombie, so its
// process group id cannot be reused while we still signal the group.
std::optional<ExitStatus> peekExit(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid == 0) {
    return std::nullopt;
  }
  if (info.si_code == CLD_EXITED) {
    return ExitStatus{ExitStatus::Kind::Exited, info.si_status};
  }
  return ExitStatus{ExitStatus::Kind::Signalled, info.si_status};
}

ExitStatus fromWaitStatus(int raw) {
  if (WIFEXITED(raw)) {
    return ExitStatus{ExitStatus::Kind::Exited, WEXITSTATUS(raw)};
  }
  return ExitStatus{ExitStatus::Kind::Signalled, WIFSIGNALED(raw) ? WTERMSIG(raw) : 0};
}

std::vector<std::string> mergedEnvironment(const std::vector<std::string>& extra) {
  const auto nameOf = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> merged;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string entry = *variable;
    bool overridden = false;
    for (const auto& mine : extra) {
      overridden = overridden || nameOf(mine) == nameOf(entry);
    }
    if (!overridden) {
      merged.push_back(entry);
    }
  }
  merged.insert(merged.end(), extra.begin(), extra.end());
  return merged;
}

}  // namespace

std::string ExitStatus::describe() const {
  return kind == Kind::Exited ? "exited " + std::to_string(code)
                              : "killed by signal " + std::to_string(code);
}

struct ChildProcess::State {
  pid_t pid = -1;
  int outFd = -1;
  int wakeFd = -1;  // eventfd: tells the reader to drain and stop
  int pidFd = -1;   // readable once the child exited; -1 when the kernel has no pidfd
  int logFd = -1;
  std::chrono::milliseconds destroyTimeout{0};

  std::mutex mutex;
  std::condition_variable changed;
  std::string text;
  bool eof = false;
  bool exited = false;
  std::optional<ExitStatus> status;
  std::thread reader;

  ~State() {
    closeFd(outFd);
    closeFd(wakeFd);
    closeFd(pidFd);
    closeFd(logFd);
  }

  // Appends what one read() returned; false at end of file.
  bool readOnce() {
    std::array<char, 65536> buffer{};
    const ssize_t got = ::read(outFd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      return true;
    }
    std::lock_guard lock(mutex);
    if (got <= 0) {
      eof = true;
      changed.notify_all();
      return false;
    }
    const auto size = static_cast<std::size_t>(got);
    text.append(buffer.data(), size);
    if (logFd >= 0) {
      // A short log is better than a blocked reader: write errors are not retried.
      [[maybe_unused]] const auto written = ::write(logFd, buffer.data(), size);
    }
    changed.notify_all();
    return true;
  }

  // Reads whatever is in the pipe right now (without waiting for more).
  void drainAvailable() {
    bool open = !eof;
    while (open) {
      pollfd fd{outFd, POLLIN, 0};
      if (::poll(&fd, 1, 0) <= 0) {
        return;
      }
      open = readOnce();
    }
  }

  void markExited() {
    // Everything the child wrote before it exited is already in the pipe: read it first, so a
    // waiter that sees `exited` also sees the child's last words.
    drainAvailable();
    std::lock_guard lock(mutex);
    exited = true;
    changed.notify_all();
  }

  void readLoop() {
    // Without a pidfd the child's exit is checked between reads; 20 ms bounds how late it is seen.
    const int sliceMs = pidFd >= 0 ? -1 : 20;
    bool outputOpen = true;
    bool watchingExit = true;
    for (;;) {
      std::array<pollfd, 3> fds{pollfd{outputOpen ? outFd : -1, POLLIN, 0},
                                pollfd{wakeFd, POLLIN, 0},
                                pollfd{watchingExit ? pidFd : -1, POLLIN, 0}};
      const int ready = ::poll(fds.data(), fds.size(), sliceMs);
      if (ready < 0 && errno != EINTR) {
        return;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        drainAvailable();
        return;
      }
      if (outputOpen && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        outputOpen = readOnce();
      }
      if (watchingExit &&
          (pidFd >= 0 ? (fds[2].revents & POLLIN) != 0 : peekExit(pid).has_value())) {
        watchingExit = false;
        markExited();
      }
    }
  }
};

std::expected<ChildProcess, SpawnError> ChildProcess::spawn(std::vector<std::string> argv,
                                                            ChildOptions options) {
  if (argv.empty()) {
    return std::unexpected(SpawnError{"no program given"});
  }
  auto state = std::make_unique<State>();
  state->destroyTimeout = options.destroyTimeout;
  if (options.logFile) {
    state->logFd =
        ::open(options.logFile->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (state->logFd < 0) {
      return std::unexpected(SpawnError{errorText("open " + options.logFile->string(), errno)});
    }
  }
  std::array<int, 2> pipeFds{-1, -1};
  // O_CLOEXEC: children other threads spawn meanwhile must not hold our pipe open.
  if (::pipe2(pipeFds.data(), O_CLOEXEC) != 0) {
    return std::unexpected(SpawnError{errorText("pipe", errno)});
  }
  state->outFd = pipeFds[0];
  state->wakeFd = ::eventfd(0, EFD_CLOEXEC);
  if (state->wakeFd < 0) {
    const int error = errno;
    ::close(pipeFds[1]);
    return std::unexpected(SpawnError{errorText("eventfd", error)});
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
  if (options.stderrMode == StderrMode::Capture) {
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Own process group (so the group can be killed as one), no signal blocked, and the signals we
  // stop it with at their default action even when this process ignores them.
  sigset_t noSignals;
  sigemptyset(&noSignals);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGHUP);
  posix_spawnattr_setflags(
      &attributes,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &noSignals);
  posix_spawnattr_setsigdefault(&attributes, &defaults);

  std::vector<std::string> environment = mergedEnvironment(options.environment);
  std::vector<char*> envp;
  for (auto& entry : environment) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);

  const int spawned =
      ::posix_spawn(&state->pid, args.front(), &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pipeFds[1]);
  if (spawned != 0) {
    state->pid = -1;
    return std::unexpected(SpawnError{errorText("posix_spawn " + argv.front(), spawned)});
  }
  // Through syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  state->pidFd = static_cast<int>(::syscall(SYS_pidfd_open, state->pid, 0U));
  State* raw = state.get();
  state->reader = std::thread([raw] { raw->readLoop(); });
  return ChildProcess(std::move(state));
}

ChildProcess::ChildProcess(std::unique_ptr<State> state) : m_state(std::move(state)) {}

ChildProcess::ChildProcess(ChildProcess&&) noexcept = default;

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (m_state && !m_state->status) {
      finish(m_state->destroyTimeout);
    }
    m_state = std::move(other.m_state);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (m_state && !m_state->status) {
    finish(m_state->destroyTimeout);
  }
}

pid_t ChildProcess::pid() const {
  if (!m_state) {
    return -1;
  }
  std::lock_guard lock(m_state->mutex);
  return m_state->status ? -1 : m_state->pid;
}

bool ChildProcess::running() const {
  if (!m_state) {
    return false;
  }
  std::lock_guard lock(m_state->mutex);
  return !m_state->exited && !m_state->status;
}

std::string ChildProcess::output() const {
  if (!m_state) {
    return {};
  }
  std::lock_guard lock(m_state->mutex);
  return m_state->text;
}

std::optional<ExitStatus> ChildProcess::exitStatus() const {
  if (!m_state) {
    return std::nullopt;
  }
  std::lock_guard lock(m_state->mutex);
  return m_state->status;
}

std::expected<std::string, OutputError> ChildProcess::waitForOutput(
    std::string_view marker, std::chrono::milliseconds timeout) {
  return waitFor(
      [marker](const std::string& text) { return text.find(marker) != std::string::npos; },
      timeout);
}

std::expected<std::string, OutputError> ChildProcess::waitForOutput(
    const std::regex& pattern, std::chrono::milliseconds timeout) {
  return waitFor([&pattern](const std::string& text) { return std::regex_search(text, pattern); },
                 timeout);
}

std::expected<std::string, OutputError> ChildProcess::waitFor(
    const std::function<bool(const std::string&)>& found, std::chrono::milliseconds timeout) {
  if (!m_state) {
    return std::unexpected(OutputError{OutputError::Reason::Exited, {}, "no child process"});
  }
  State& state = *m_state;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(state.mutex);
  for (;;) {
    if (found(state.text)) {
      return state.text;
    }
    if (state.exited || state.status) {
      const auto how = state.status ? state.status : peekExit(state.pid);
      return std::unexpected(
          OutputError{OutputError::Reason::Exited, state.text,
                      (how ? how->describe() : std::string("exited")) + " before the output"});
    }
    // End of output alone is not an answer yet: a dying child closes its output just before it
    // exits, and the exit (with its status) follows within moments.
    if (state.changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      if (found(state.text)) {
        return state.text;
      }
      return std::unexpected(OutputError{
          OutputError::Reason::TimedOut, state.text,
          (state.eof ? "output closed and not seen within " : "output not seen within ") +
              std::to_string(timeout.count()) + " ms"});
    }
  }
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds timeout) {
  return finish(timeout);
}

std::optional<ExitStatus> ChildProcess::waitForExit(std::chrono::milliseconds timeout) {
  if (!m_state) {
    return std::nullopt;
  }
  {
    std::unique_lock lock(m_state->mutex);
    if (!m_state->changed.wait_for(
            lock, timeout, [this] { return m_state->exited || m_state->status.has_value(); })) {
      return std::nullopt;
    }
  }
  return finish(std::nullopt);
}

ExitStatus ChildProcess::kill() {
  return finish(std::nullopt);
}

ExitStatus ChildProcess::finish(std::optional<std::chrono::milliseconds> termTimeout) {
  if (!m_state) {
    return ExitStatus{ExitStatus::Kind::Signalled, 0};
  }
  State& state = *m_state;
  {
    std::unique_lock lock(state.mutex);
    if (state.status) {
      return *state.status;
    }
    // The reader reports the exit; asking waitpid too keeps this safe should the reader ever
    // have stopped early.
    const auto gone = [&state] { return state.exited || peekExit(state.pid).has_value(); };
    constexpr auto Slice = std::chrono::milliseconds(50);
    if (termTimeout && !gone()) {
      ::kill(state.pid, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + *termTimeout;
      while (!gone() && std::chrono::steady_clock::now() < deadline) {
        state.changed.wait_until(lock,
                                 std::min(deadline, std::chrono::steady_clock::now() + Slice));
      }
    }
    if (!gone()) {
      ::kill(-state.pid, SIGKILL);
      // SIGKILL cannot be caught or ignored: the exit follows promptly.
      while (!gone()) {
        state.changed.wait_for(lock, Slice);
      }
    }
  }
  // The child is a zombie now, so its group id is still ours: whatever it left running in its
  // group (a script's programs) goes too.
  ::kill(-state.pid, SIGKILL);
  int raw = 0;
  while (::waitpid(state.pid, &raw, 0) < 0 && errno == EINTR) {
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto woken = ::write(state.wakeFd, &one, sizeof one);
  if (state.reader.joinable()) {
    state.reader.join();
  }
  std::lock_guard lock(state.mutex);
  state.status = fromWaitStatus(raw);
  return *state.status;
}

}  // namespace prepaid::test
