#include "prepaid/sim/meter_sim_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <sstream>
#include <unordered_map>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/sim/meter_sim_framing.hpp"
#include "prepaid/sim/meter_sim_gateway.hpp"
#include "prepaid/sim/meter_sim_timing.hpp"

namespace prepaid::devices::sim {

namespace {

using Clock = std::chrono::steady_clock;

// epoll user data: kind in the top byte, an index or connection id below.
enum class Tag : std::uint64_t { Listener = 1, Connection = 2, Timer = 3, Wake = 4, Control = 5 };
constexpr std::uint64_t tag(Tag kind, std::uint64_t value) {
  return (static_cast<std::uint64_t>(kind) << 56U) | value;
}

constexpr std::size_t MaxInputBuffer = 64 * 1024;
constexpr std::size_t MaxControlLine = 4096;
// RTU on a stream has no silence to delimit frames; a partial frame older than this is noise.
constexpr auto StalePartialFrame = std::chrono::milliseconds(200);
constexpr auto TickInterval = std::chrono::seconds(1);

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

void setNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::expected<int, std::string> listenTcp(const std::string& bindAddress, int port,
                                          int& boundPort) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::unexpected(errnoText("socket"));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, bindAddress.c_str(), &address.sin_addr) != 1) {
    close(fd);
    return std::unexpected("bad IPv4 bind address '" + bindAddress + "'");
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = errnoText("bind " + bindAddress + ":" + std::to_string(port));
    close(fd);
    return std::unexpected(error);
  }
  if (listen(fd, 64) != 0) {
    const std::string error = errnoText("listen");
    close(fd);
    return std::unexpected(error);
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  boundPort = ntohs(address.sin_port);
  return fd;
}

struct Connection {
  int fd = -1;
  int gateway = -1;  // -1: a control connection
  bool pty = false;
  std::vector<std::uint8_t> in;
  std::string out;
  Clock::time_point lastInput;
  bool wantWrite = false;
};

struct Pending {
  std::uint64_t connection = 0;
  std::vector<std::uint8_t> frame;
};

struct GatewayRuntime {
  std::unique_ptr<SimGateway> gateway;
  BusTiming timing;
  int listenFd = -1;
  int boundPort = 0;
  std::uint64_t ptyConnection = 0;
  int ptySlaveHold = -1;  // kept open so the master never sees a hang-up between clients
  std::string ptyPath;
  std::deque<Pending> queue;
  bool busy = false;
  Clock::time_point busyUntil{};
  bool down = false;
  std::uint64_t served = 0;
};

struct Timer {
  Clock::time_point when;
  std::uint64_t sequence = 0;
  std::function<void()> action;
  bool operator>(const Timer& other) const {
    return when != other.when ? when > other.when : sequence > other.sequence;
  }
};

}  // namespace

class MeterSimServer::Impl {
 public:
  explicit Impl(MeterSimOptions options) : m_options(std::move(options)) {}
  ~Impl();

  std::expected<void, std::string> open();
  std::expected<void, std::string> run();
  void stop() const;
  std::expected<void, std::string> saveState();
  std::vector<std::string> listeningLines() const;

 private:
  std::int64_t simNow() const;
  void schedule(Clock::time_point when, std::function<void()> action);
  void armTimer();
  void runTimers();
  void addFd(int fd, std::uint64_t data, std::uint32_t events) const;
  std::uint64_t addConnection(int fd, int gateway, bool pty);
  void closeConnection(std::uint64_t id);
  void acceptOn(int fd, int gateway);
  void readConnection(std::uint64_t id);
  void writeConnection(std::uint64_t id);
  void send(std::uint64_t id, std::span<const std::uint8_t> bytes);
  void cutFrames(std::uint64_t id, Connection& connection);
  void pump(int gatewayIndex);
  void tick();
  void setGatewayDown(int gatewayIndex, bool down);
  std::string control(const std::string& line);
  std::string describeUnit(SimUnit& unit);

  MeterSimOptions m_options;
  std::vector<GatewayRuntime> m_gateways;
  std::unordered_map<std::uint64_t, Connection> m_connections;
  std::uint64_t m_nextConnection = 1;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
  std::uint64_t m_timerSequence = 0;
  int m_epoll = -1;
  int m_timerFd = -1;
  int m_wakeFd = -1;
  int m_controlFd = -1;
  int m_controlPort = 0;
  bool m_running = false;
  std::int64_t m_simStartMs = 0;
  std::int64_t m_advancedMs = 0;
  Clock::time_point m_steadyStart = Clock::now();
};

MeterSimServer::Impl::~Impl() {
  for (auto& [id, connection] : m_connections) {
    close(connection.fd);
  }
  for (auto& gateway : m_gateways) {
    if (gateway.listenFd >= 0) {
      close(gateway.listenFd);
    }
    if (gateway.ptySlaveHold >= 0) {
      close(gateway.ptySlaveHold);
    }
  }
  for (const int fd : {m_epoll, m_timerFd, m_wakeFd, m_controlFd}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

std::expected<void, std::string> MeterSimServer::Impl::open() {
  m_epoll = epoll_create1(EPOLL_CLOEXEC);
  m_timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_epoll < 0 || m_timerFd < 0 || m_wakeFd < 0) {
    return std::unexpected(errnoText("epoll/timerfd/eventfd"));
  }
  addFd(m_timerFd, tag(Tag::Timer, 0), EPOLLIN);
  addFd(m_wakeFd, tag(Tag::Wake, 0), EPOLLIN);

  // Profiles: loaded once per model, shared by every meter of that model.
  std::map<std::string, std::shared_ptr<const MeterProfile>> profiles;
  std::optional<SavedFleet> saved;
  if (!m_options.statePath.empty() && std::filesystem::exists(m_options.statePath)) {
    auto loaded = loadState(m_options.statePath);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    saved = std::move(*loaded);
  }
  std::map<std::pair<int, int>, const SimMeterState*> savedMeters;
  if (saved) {
    for (const auto& meter : saved->meters) {
      savedMeters[{meter.gateway, meter.unit}] = &meter.state;
    }
  }
  const auto wallMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  m_simStartMs = m_options.startSimMs.value_or(saved ? saved->simMs : wallMs);
  m_steadyStart = Clock::now();

  for (const auto& spec : m_options.fleet.gateways) {
    std::vector<SimUnit> units;
    for (const auto& meterSpec : spec.meters) {
      auto& profile = profiles[meterSpec.profile];
      if (!profile) {
        auto loaded = loadMeterProfileByName(m_options.profileDir, meterSpec.profile);
        if (!loaded) {
          return std::unexpected(loaded.error().describe());
        }
        profile = std::make_shared<const MeterProfile>(std::move(*loaded));
      }
      SimMeterState state = meterSpec.initial;
      if (const auto it = savedMeters.find({spec.index, meterSpec.unit}); it != savedMeters.end()) {
        state = *it->second;
      }
      SimUnit unit{meterSpec, SimMeter(meterSpec.config, state), profile, 0, 0, meterSpec.fault, 0};
      // MAC address: the DL/T 645 meter number on 645 buses; on Modbus buses the unit id unless
      // the fleet file configured a meter number (command_mac.hpp).
      unit.macAddress = std::strtoull(meterSpec.address.c_str(), nullptr, 10);
      if (spec.protocol != GatewayProtocol::Dlt645Tcp && !meterSpec.addressConfigured) {
        unit.macAddress = static_cast<std::uint64_t>(meterSpec.unit);
      }
      units.push_back(std::move(unit));
    }
    GatewayRuntime runtime;
    runtime.gateway = std::make_unique<SimGateway>(spec, std::move(units), m_options.fleet.seed);
    runtime.gateway->fault() = spec.fault;
    runtime.timing = BusTiming(spec.line, spec.turnaround);
    m_gateways.push_back(std::move(runtime));
  }
  for (std::size_t g = 0; g < m_gateways.size(); ++g) {
    auto& runtime = m_gateways[g];
    const auto& spec = runtime.gateway->spec();
    if (spec.protocol == GatewayProtocol::RtuPty) {
      const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        return std::unexpected(errnoText("posix_openpt"));
      }
      const char* name = ptsname(master);
      if (name == nullptr) {
        return std::unexpected(errnoText("ptsname"));
      }
      runtime.ptyPath = name;
      runtime.ptySlaveHold = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (runtime.ptySlaveHold < 0) {
        return std::unexpected(errnoText("open " + runtime.ptyPath));
      }
      // Raw line discipline: no echo, no CR/LF translation of binary frames.
      termios settings{};
      tcgetattr(runtime.ptySlaveHold, &settings);
      cfmakeraw(&settings);
      tcsetattr(runtime.ptySlaveHold, TCSANOW, &settings);
      tcgetattr(master, &settings);
      cfmakeraw(&settings);
      tcsetattr(master, TCSANOW, &settings);
      setNonBlocking(master);
      runtime.ptyConnection = addConnection(master, static_cast<int>(g), true);
      continue;
    }
    auto fd = listenTcp(spec.bindAddress, spec.port, runtime.boundPort);
    if (!fd) {
      return std::unexpected("gateway " + std::to_string(spec.index) + ": " + fd.error());
    }
    runtime.listenFd = *fd;
    addFd(runtime.listenFd, tag(Tag::Listener, g), EPOLLIN);
  }
  if (m_options.controlPort >= 0) {
    auto fd = listenTcp("127.0.0.1", m_options.controlPort, m_controlPort);
    if (!fd) {
      return std::unexpected("control port: " + fd.error());
    }
    m_controlFd = *fd;
    addFd(m_controlFd, tag(Tag::Control, 0), EPOLLIN);
  }
  return {};
}

std::vector<std::string> MeterSimServer::Impl::listeningLines() const {
  std::vector<std::string> lines;
  for (const auto& runtime : m_gateways) {
    const auto& spec = runtime.gateway->spec();
    const std::string where = spec.protocol == GatewayProtocol::RtuPty
                                  ? runtime.ptyPath
                                  : spec.bindAddress + ":" + std::to_string(runtime.boundPort);
    lines.push_back("gateway " + std::to_string(spec.index) + " " + toString(spec.protocol) +
                    " listening on " + where);
  }
  if (m_controlFd >= 0) {
    lines.push_back("control listening on 127.0.0.1:" + std::to_string(m_controlPort));
  }
  return lines;
}

std::int64_t MeterSimServer::Impl::simNow() const {
  const double elapsedMs =
      std::chrono::duration<double, std::milli>(Clock::now() - m_steadyStart).count();
  return m_simStartMs + static_cast<std::int64_t>(elapsedMs * m_options.fleet.timeScale) +
         m_advancedMs;
}

void MeterSimServer::Impl::addFd(int fd, std::uint64_t data, std::uint32_t events) const {
  epoll_event event{};
  event.events = events;
  event.data.u64 = data;
  epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
}

std::uint64_t MeterSimServer::Impl::addConnection(int fd, int gateway, bool pty) {
  const std::uint64_t id = m_nextConnection++;
  Connection connection;
  connection.fd = fd;
  connection.gateway = gateway;
  connection.pty = pty;
  connection.lastInput = Clock::now();
  m_connections.emplace(id, std::move(connection));
  addFd(fd, tag(Tag::Connection, id), EPOLLIN);
  return id;
}

void MeterSimServer::Impl::closeConnection(std::uint64_t id) {
  const auto it = m_connections.find(id);
  if (it == m_connections.end()) {
    return;
  }
  epoll_ctl(m_epoll, EPOLL_CTL_DEL, it->second.fd, nullptr);
  close(it->second.fd);
  m_connections.erase(it);
}

void MeterSimServer::Impl::schedule(Clock::time_point when, std::function<void()> action) {
  m_timers.push(Timer{when, m_timerSequence++, std::move(action)});
  armTimer();
}

void MeterSimServer::Impl::armTimer() {
  itimerspec spec{};
  if (!m_timers.empty()) {
    // steady_clock is CLOCK_MONOTONIC on Linux: an absolute deadline does not drift.
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(m_timers.top().when.time_since_epoch())
            .count();
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) {
      spec.it_value.tv_nsec = 1;  // zero would disarm
    }
  }
  timerfd_settime(m_timerFd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void MeterSimServer::Impl::runTimers() {
  std::uint64_t expirations = 0;
  [[maybe_unused]] const auto ignored = read(m_timerFd, &expirations, sizeof expirations);
  while (!m_timers.empty() && m_timers.top().when <= Clock::now()) {
    auto action = m_timers.top().action;
    m_timers.pop();
    action();
  }
  armTimer();
}

void MeterSimServer::Impl::acceptOn(int fd, int gateway) {
  for (;;) {
    const int client = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      return;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    addConnection(client, gateway, false);
  }
}

void MeterSimServer::Impl::readConnection(std::uint64_t id) {
  auto it = m_connections.find(id);
  if (it == m_connections.end()) {
    return;
  }
  auto& connection = it->second;
  std::array<std::uint8_t, 4096> buffer{};
  bool closed = false;
  const auto now = Clock::now();
  if (connection.gateway >= 0 && !connection.in.empty() &&
      m_gateways[static_cast<std::size_t>(connection.gateway)].gateway->spec().protocol !=
          GatewayProtocol::ModbusTcp &&
      now - connection.lastInput > StalePartialFrame) {
    connection.in.clear();  // the line was silent: a real slave discards a partial frame
  }
  for (;;) {
    const ssize_t got = read(connection.fd, buffer.data(), buffer.size());
    if (got > 0) {
      connection.in.insert(connection.in.end(), buffer.begin(), buffer.begin() + got);
      connection.lastInput = now;
      if (connection.in.size() > MaxInputBuffer) {
        connection.in.clear();
      }
      continue;
    }
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed = !connection.pty;
    }
    break;
  }
  if (connection.gateway < 0) {
    // Control connection: one command per line.
    for (;;) {
      const auto newline = std::find(connection.in.begin(), connection.in.end(), '\n');
      if (newline == connection.in.end()) {
        if (connection.in.size() > MaxControlLine) {
          closed = true;
        }
        break;
      }
      std::string line(connection.in.begin(), newline);
      connection.in.erase(connection.in.begin(), newline + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line == "quit") {
        closed = true;
        break;
      }
      const std::string reply = control(line) + "\n";
      send(id, std::span(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()));
      it = m_connections.find(id);
      if (it == m_connections.end()) {
        return;
      }
    }
  } else {
    cutFrames(id, connection);
  }
  if (closed) {
    closeConnection(id);
  }
}

void MeterSimServer::Impl::cutFrames(std::uint64_t id, Connection& connection) {
  auto& runtime = m_gateways[static_cast<std::size_t>(connection.gateway)];
  if (runtime.down) {
    connection.in.clear();
    return;
  }
  const auto protocol = runtime.gateway->spec().protocol;
  while (!connection.in.empty()) {
    FrameCut cut;
    switch (protocol) {
      case GatewayProtocol::ModbusTcp:
        cut = cutMbapFrame(connection.in);
        break;
      case GatewayProtocol::RtuOverTcp:
      case GatewayProtocol::RtuPty:
        cut = cutRtuRequest(connection.in);
        break;
      case GatewayProtocol::Dlt645Tcp:
        cut = cutDlt645Frame(connection.in);
        break;
    }
    if (cut.status == FrameStatus::NeedMore) {
      break;
    }
    if (cut.status == FrameStatus::Close) {
      connection.in.clear();
      if (!connection.pty) {
        // Closed after the loop by the caller's read path: mark via an empty frame queue.
        shutdown(connection.fd, SHUT_RDWR);
      }
      break;
    }
    const auto length = std::min(cut.length, connection.in.size());
    if (cut.status == FrameStatus::Frame) {
      runtime.queue.push_back(Pending{
          id,
          std::vector<std::uint8_t>(connection.in.begin(),
                                    connection.in.begin() + static_cast<std::ptrdiff_t>(length))});
    }
    connection.in.erase(connection.in.begin(),
                        connection.in.begin() + static_cast<std::ptrdiff_t>(length));
  }
  pump(connection.gateway);
}

void MeterSimServer::Impl::pump(int gatewayIndex) {
  auto& runtime = m_gateways[static_cast<std::size_t>(gatewayIndex)];
  if (runtime.busy || runtime.queue.empty()) {
    return;
  }
  Pending request = std::move(runtime.queue.front());
  runtime.queue.pop_front();
  if (!m_connections.contains(request.connection)) {
    pump(gatewayIndex);  // the client went away before its turn
    return;
  }
  runtime.busy = true;
  ++runtime.served;
  // The request goes onto the bus when the bus is free (one transaction at a time).
  const auto start = std::max(Clock::now(), runtime.busyUntil);
  const Exchange exchange = runtime.gateway->exchange(request.frame, simNow());
  const auto& timing = runtime.timing;
  if (exchange.reply) {
    const auto sendAt =
        start + timing.replyDelay(exchange.requestChars, exchange.replyChars) + exchange.extraDelay;
    runtime.busyUntil = sendAt + timing.t35();
    schedule(sendAt, [this, connection = request.connection, reply = *exchange.reply] {
      send(connection, reply);
    });
  } else {
    runtime.busyUntil = start + timing.frameTime(exchange.requestChars) + timing.t35();
  }
  schedule(runtime.busyUntil, [this, gatewayIndex] {
    m_gateways[static_cast<std::size_t>(gatewayIndex)].busy = false;
    pump(gatewayIndex);
  });
}

void MeterSimServer::Impl::send(std::uint64_t id, std::span<const std::uint8_t> bytes) {
  const auto it = m_connections.find(id);
  if (it == m_connections.end()) {
    return;  // the client hung up: the reply is lost, as on a real gateway
  }
  it->second.out.append(bytes.begin(), bytes.end());
  writeConnection(id);
}

void MeterSimServer::Impl::writeConnection(std::uint64_t id) {
  const auto it = m_connections.find(id);
  if (it == m_connections.end()) {
    return;
  }
  auto& connection = it->second;
  while (!connection.out.empty()) {
    // MSG_NOSIGNAL: a client that hung up must not kill the simulator with SIGPIPE.
    const ssize_t written =
        connection.pty
            ? write(connection.fd, connection.out.data(), connection.out.size())
            : ::send(connection.fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (written <= 0) {
      break;
    }
    connection.out.erase(0, static_cast<std::size_t>(written));
  }
  const bool wantWrite = !connection.out.empty();
  if (wantWrite != connection.wantWrite) {
    connection.wantWrite = wantWrite;
    epoll_event event{};
    event.events = EPOLLIN | (wantWrite ? EPOLLOUT : 0U);
    event.data.u64 = tag(Tag::Connection, id);
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, connection.fd, &event);
  }
}

void MeterSimServer::Impl::tick() {
  const auto now = simNow();
  for (auto& runtime : m_gateways) {
    runtime.gateway->advanceAll(now);
  }
  schedule(Clock::now() + TickInterval, [this] { tick(); });
}

void MeterSimServer::Impl::setGatewayDown(int gatewayIndex, bool down) {
  auto& runtime = m_gateways[static_cast<std::size_t>(gatewayIndex)];
  if (runtime.down == down) {
    return;
  }
  runtime.down = down;
  if (runtime.gateway->spec().protocol == GatewayProtocol::RtuPty) {
    return;  // a dead serial line: requests are read and ignored
  }
  if (down) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, connection] : m_connections) {
      if (connection.gateway == gatewayIndex) {
        ids.push_back(id);
      }
    }
    for (const auto id : ids) {
      closeConnection(id);
    }
    runtime.queue.clear();
    if (runtime.listenFd >= 0) {
      epoll_ctl(m_epoll, EPOLL_CTL_DEL, runtime.listenFd, nullptr);
      close(runtime.listenFd);
      runtime.listenFd = -1;
    }
  } else {
    int port = 0;
    auto fd = listenTcp(runtime.gateway->spec().bindAddress, runtime.boundPort, port);
    if (fd) {
      runtime.listenFd = *fd;
      addFd(runtime.listenFd, tag(Tag::Listener, static_cast<std::uint64_t>(gatewayIndex)),
            EPOLLIN);
    } else {
      runtime.down = true;
    }
  }
}

std::expected<void, std::string> MeterSimServer::Impl::run() {
  m_running = true;
  for (std::size_t g = 0; g < m_gateways.size(); ++g) {
    if (m_gateways[g].gateway->fault().kind == FaultKind::GatewayDown) {
      setGatewayDown(static_cast<int>(g), true);
    }
  }
  tick();
  std::array<epoll_event, 256> events{};
  while (m_running) {
    const int count = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), -1);
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(errnoText("epoll_wait"));
    }
    for (int i = 0; i < count; ++i) {
      const auto& event = events[static_cast<std::size_t>(i)];
      const auto kind = static_cast<Tag>(event.data.u64 >> 56U);
      const std::uint64_t value = event.data.u64 & ((1ULL << 56U) - 1);
      switch (kind) {
        case Tag::Listener:
          if (m_gateways[value].listenFd >= 0) {
            acceptOn(m_gateways[value].listenFd, static_cast<int>(value));
          }
          break;
        case Tag::Control:
          acceptOn(m_controlFd, -1);
          break;
        case Tag::Connection:
          if ((event.events & EPOLLOUT) != 0U) {
            writeConnection(value);
          }
          if ((event.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0U) {
            readConnection(value);
          }
          break;
        case Tag::Timer:
          runTimers();
          break;
        case Tag::Wake: {
          std::uint64_t ignored = 0;
          [[maybe_unused]] const auto got = read(m_wakeFd, &ignored, sizeof ignored);
          m_running = false;
          break;
        }
      }
    }
  }
  const auto now = simNow();
  for (auto& runtime : m_gateways) {
    runtime.gateway->advanceAll(now);
  }
  return {};
}

void MeterSimServer::Impl::stop() const {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = write(m_wakeFd, &one, sizeof one);
}

std::expected<void, std::string> MeterSimServer::Impl::saveState() {
  if (m_options.statePath.empty()) {
    return {};
  }
  SavedFleet fleet;
  fleet.simMs = simNow();
  for (auto& runtime : m_gateways) {
    runtime.gateway->advanceAll(fleet.simMs);
    for (const auto& unit : runtime.gateway->units()) {
      fleet.meters.push_back(
          SavedMeter{runtime.gateway->spec().index, unit.spec.unit, unit.meter.state()});
    }
  }
  return sim::saveState(m_options.statePath, fleet);
}

std::string MeterSimServer::Impl::describeUnit(SimUnit& unit) {
  const auto& meter = unit.meter;
  const auto& s = meter.state();
  std::ostringstream out;
  out << "ok gateway_unit=" << unit.spec.unit << " address=" << unit.spec.address
      << " mac_address=" << unit.macAddress << " profile=" << unit.spec.profile
      << " total_centi_kwh=" << meter.totalEnergyCentiKwh()
      << " sharp_centi_kwh=" << meter.energyCentiKwh(SimRate::Sharp)
      << " peak_centi_kwh=" << meter.energyCentiKwh(SimRate::Peak)
      << " flat_centi_kwh=" << meter.energyCentiKwh(SimRate::Flat)
      << " valley_centi_kwh=" << meter.energyCentiKwh(SimRate::Valley)
      << " balance_fen=" << meter.balanceFen() << " purchase_count=" << s.purchaseCount
      << " relay=" << toString(s.relay) << " keep_power=" << (s.keepPower ? 1 : 0)
      << " status=" << meter.statusBits() << " power_w=" << s.powerW
      << " voltage_deci_v=" << meter.voltageDeciV() << " current_centi_a=" << meter.currentCentiA()
      << " power_factor_milli=" << meter.powerFactorPermille() << " alarm1_fen=" << s.alarm1Fen
      << " alarm2_fen=" << s.alarm2Fen << " overload_w=" << s.overloadW
      << " prices_micro_yuan=" << s.pricesMicroYuan[0] << "," << s.pricesMicroYuan[1] << ","
      << s.pricesMicroYuan[2] << "," << s.pricesMicroYuan[3]
      << " last_result=" << int{unit.lastResult} << " requests=" << unit.requests
      << " fault=" << toString(unit.fault) << " sim_ms=" << s.simMs;
  return out.str();
}

std::string MeterSimServer::Impl::control(const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  std::vector<std::string> args;
  for (std::string word; in >> word;) {
    args.push_back(word);
  }
  const auto gatewayArg = [&](std::size_t i) -> GatewayRuntime* {
    if (i >= args.size()) {
      return nullptr;
    }
    char* end = nullptr;
    const long g = std::strtol(args[i].c_str(), &end, 10);
    if (end == args[i].c_str() || *end != '\0' || g < 0 ||
        static_cast<std::size_t>(g) >= m_gateways.size()) {
      return nullptr;
    }
    return &m_gateways[static_cast<std::size_t>(g)];
  };
  const auto unitArg = [&](GatewayRuntime& runtime, std::size_t i) -> SimUnit* {
    if (i >= args.size()) {
      return nullptr;
    }
    char* end = nullptr;
    const long unit = std::strtol(args[i].c_str(), &end, 10);
    if (end == args[i].c_str() || *end != '\0') {
      return nullptr;
    }
    return runtime.gateway->findUnit(static_cast<int>(unit));
  };
  if (command.empty() || command == "help") {
    return "ok commands: get G U | fault G U SPEC | gateway-fault G SPEC | clear G [U] | "
           "set G U FIELD VALUE | key G U | advance MS | time | stats G | save | quit";
  }
  if (command == "time") {
    return "ok sim_ms=" + std::to_string(simNow());
  }
  if (command == "save") {
    auto saved = saveState();
    return saved ? "ok" : "error " + saved.error();
  }
  if (command == "advance") {
    char* end = nullptr;
    const long long ms = args.empty() ? -1 : std::strtoll(args[0].c_str(), &end, 10);
    if (args.empty() || *end != '\0' || ms < 0 || ms > 366LL * 24 * 3600 * 1000) {
      return "error usage: advance MS (0..one year)";
    }
    m_advancedMs += ms;
    const auto now = simNow();
    for (auto& runtime : m_gateways) {
      runtime.gateway->advanceAll(now);
    }
    return "ok sim_ms=" + std::to_string(now);
  }
  auto* runtime = gatewayArg(0);
  if (runtime == nullptr) {
    return "error unknown command or gateway (try: help)";
  }
  const int gatewayIndex = static_cast<int>(runtime - m_gateways.data());
  if (command == "stats") {
    return "ok served=" + std::to_string(runtime->served) +
           " queued=" + std::to_string(runtime->queue.size()) +
           " down=" + std::to_string(runtime->down ? 1 : 0) +
           " fault=" + toString(runtime->gateway->fault());
  }
  if (command == "gateway-fault") {
    if (args.size() != 2) {
      return "error usage: gateway-fault G SPEC";
    }
    auto fault = parseFault(args[1]);
    if (!fault) {
      return "error " + fault.error();
    }
    runtime->gateway->fault() = *fault;
    setGatewayDown(gatewayIndex, fault->kind == FaultKind::GatewayDown);
    return "ok";
  }
  if (command == "clear" && args.size() == 1) {
    runtime->gateway->fault() = Fault{};
    setGatewayDown(gatewayIndex, false);
    return "ok";
  }
  auto* unit = unitArg(*runtime, 1);
  if (unit == nullptr) {
    return "error unknown unit on gateway " + std::to_string(gatewayIndex);
  }
  unit->meter.advanceTo(simNow(), runtime->gateway->loadProfile());
  if (command == "get" && args.size() == 2) {
    return describeUnit(*unit);
  }
  if (command == "key" && args.size() == 2) {
    return "ok key=" + toHex(unit->spec.key) + " mac_address=" + std::to_string(unit->macAddress) +
           " mac=" +
           std::string(toString(unit->profile->prepaid ? unit->profile->prepaid->mac
                                                       : MacAlgorithm::AesCmac));
  }
  if (command == "clear" && args.size() == 2) {
    unit->fault = Fault{};
    return "ok";
  }
  if (command == "fault" && args.size() == 3) {
    auto fault = parseFault(args[2]);
    if (!fault) {
      return "error " + fault.error();
    }
    if (fault->kind == FaultKind::GatewayDown) {
      return "error gateway-down is a gateway fault: gateway-fault G gateway-down";
    }
    unit->fault = *fault;
    return "ok";
  }
  if (command == "set" && args.size() == 4) {
    auto& s = unit->meter.mutableState();
    const std::string& field = args[2];
    const std::string& text = args[3];
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    const bool numeric = end != text.c_str() && *end == '\0';
    if (field == "relay" && (text == "open" || text == "closed")) {
      s.relay = text == "open" ? SimRelay::Open : SimRelay::Closed;
      s.tripCause = text == "open" ? TripCause::Remote : TripCause::None;
    } else if (!numeric) {
      return "error value must be an integer (relay: open|closed)";
    } else if (field == "balance_fen") {
      s.balanceMicroYuan = value * 10'000;
      s.costRemainder = 0;
    } else if (field == "purchase_count" && value >= 0 && value <= 0xFFFF'FFFFLL) {
      s.purchaseCount = static_cast<std::uint32_t>(value);
    } else if (field == "keep_power" && (value == 0 || value == 1)) {
      s.keepPower = value == 1;
    } else if (field == "peak_w" && value >= 0) {
      // Not persisted: a live tweak of the load (e.g. to provoke an overload).
      auto config = unit->meter.config();
      config.peakW = value;
      unit->meter = SimMeter(config, s);
    } else {
      return "error unknown field or bad value (balance_fen, purchase_count, keep_power, relay, "
             "peak_w)";
    }
    return "ok";
  }
  return "error unknown command or wrong arguments (try: help)";
}

MeterSimServer::MeterSimServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
MeterSimServer::~MeterSimServer() = default;

std::expected<std::unique_ptr<MeterSimServer>, std::string> MeterSimServer::create(
    MeterSimOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto opened = impl->open(); !opened) {
    return std::unexpected(opened.error());
  }
  return std::unique_ptr<MeterSimServer>(new MeterSimServer(std::move(impl)));
}

std::vector<std::string> MeterSimServer::listeningLines() const {
  return m_impl->listeningLines();
}

std::expected<void, std::string> MeterSimServer::run() {
  return m_impl->run();
}

void MeterSimServer::stop() {
  m_impl->stop();
}

std::expected<void, std::string> MeterSimServer::saveState() {
  return m_impl->saveState();
}

}  // namespace prepaid::devices::sim
