#include "fake_modbus_peer.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices::testing {

namespace {

void appendCrc(std::vector<std::uint8_t>& frame) {
  const std::uint16_t crc = crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
}

bool sendAll(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

FakeModbusPeer::FakeModbusPeer(std::uint8_t unit) : m_unit(unit) {
  listenOnLoopback();
}

FakeModbusPeer::FakeModbusPeer(OnMbap, std::uint8_t unit) : m_unit(unit), m_mbap(true) {
  listenOnLoopback();
}

void FakeModbusPeer::listenOnLoopback() {
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error return, not a signal
  m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(m_listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(m_listenFd, 4) != 0) {
    throw std::runtime_error("fake peer: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
  m_thread = std::thread([this] { run(); });
}

FakeModbusPeer::FakeModbusPeer(OnPty, std::uint8_t unit) : m_unit(unit) {
  std::signal(SIGPIPE, SIG_IGN);
  m_ptyMaster = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m_ptyMaster < 0 || ::grantpt(m_ptyMaster) != 0 || ::unlockpt(m_ptyMaster) != 0) {
    throw std::runtime_error("fake peer: no pty");
  }
  m_ptyPath = ::ptsname(m_ptyMaster);
  m_ptySlave = ::open(m_ptyPath.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  termios tio{};
  ::tcgetattr(m_ptySlave, &tio);
  ::cfmakeraw(&tio);  // no echo: our replies must not come back to us as requests
  ::tcsetattr(m_ptySlave, TCSANOW, &tio);
  m_thread = std::thread([this] { serve(m_ptyMaster); });
}

FakeModbusPeer::~FakeModbusPeer() {
  m_stop = true;
  m_thread.join();
  for (const int fd : {m_listenFd, m_ptyMaster, m_ptySlave}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void FakeModbusPeer::setRegister(std::uint16_t address, std::uint16_t value) {
  std::lock_guard lock(m_mutex);
  m_registers[address] = value;
}

std::uint16_t FakeModbusPeer::reg(std::uint16_t address) {
  std::lock_guard lock(m_mutex);
  return m_registers[address];
}

void FakeModbusPeer::script(std::vector<ScriptStep> steps) {
  std::lock_guard lock(m_mutex);
  m_script.assign(steps.begin(), steps.end());
}

void FakeModbusPeer::setWriteHook(WriteHook hook) {
  std::lock_guard lock(m_mutex);
  m_hook = std::move(hook);
}

void FakeModbusPeer::run() {
  while (!m_stop) {
    pollfd pfd{m_listenFd, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) {
      continue;
    }
    const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      serve(fd);
      ::close(fd);
    }
  }
}

void FakeModbusPeer::serve(int fd) {
  std::vector<std::uint8_t> in;
  while (!m_stop) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) {
      continue;
    }
    std::uint8_t buffer[512];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EIO) {
      continue;  // pty: no client has the slave open right now
    }
    if (n <= 0) {
      return;
    }
    in.insert(in.end(), buffer, buffer + n);
    if (m_mbap) {
      // MBAP: transaction id, protocol id, length (unit id + PDU), unit id, PDU.
      while (in.size() >= 7) {
        const std::size_t length = 6 + ((std::size_t{in[4]} << 8) | in[5]);
        if (in.size() < length) {
          break;
        }
        const std::array<std::uint8_t, 7> header{in[0], in[1], in[2], in[3], in[4], in[5], in[6]};
        std::vector<std::uint8_t> request(in.begin() + 6,
                                          in.begin() + static_cast<std::ptrdiff_t>(length));
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(length));
        appendCrc(request);  // answer() speaks RTU
        if (!serveOne(fd, request, header.data())) {
          return;
        }
      }
      continue;
    }
    while (in.size() >= 8) {
      std::size_t length = 8;
      if (in[1] == 0x10) {
        if (in.size() < 7) {
          break;
        }
        length = 9 + std::size_t{in[6]};
      }
      if (in.size() < length) {
        break;
      }
      const std::vector<std::uint8_t> request(in.begin(),
                                              in.begin() + static_cast<std::ptrdiff_t>(length));
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(length));
      if (!serveOne(fd, request, nullptr)) {
        return;
      }
    }
  }
}

bool FakeModbusPeer::serveOne(int fd, const std::vector<std::uint8_t>& request,
                              const std::uint8_t* mbap) {
  ++m_requests;
  ScriptStep step;
  {
    std::lock_guard lock(m_mutex);
    if (!m_script.empty()) {
      step = m_script.front();
      m_script.pop_front();
    }
  }
  if (step.action == PeerAction::CloseConnection) {
    return false;
  }
  bool applyOnly = false;
  std::vector<std::uint8_t> reply = answer(request, applyOnly, step);
  if (reply.empty()) {
    return true;
  }
  if (mbap != nullptr && step.action != PeerAction::Garbage) {
    // The RTU reply without its CRC (and without the oversize tail) behind an MBAP header.
    const std::size_t tail = step.action == PeerAction::Oversized ? 3 : 0;
    std::vector<std::uint8_t> body(reply.begin(),
                                   reply.end() - static_cast<std::ptrdiff_t>(2 + tail));
    body.insert(body.end(), reply.end() - static_cast<std::ptrdiff_t>(tail), reply.end());
    const std::size_t length = body.size() + (step.action == PeerAction::BadMbapLength ? 1 : 0);
    std::uint8_t tidLow = mbap[1];
    if (step.action == PeerAction::WrongTransaction) {
      tidLow = static_cast<std::uint8_t>(tidLow + 1);
    }
    std::vector<std::uint8_t> wire{mbap[0],
                                   tidLow,
                                   mbap[2],
                                   mbap[3],
                                   static_cast<std::uint8_t>(length >> 8),
                                   static_cast<std::uint8_t>(length & 0xFF)};
    wire.insert(wire.end(), body.begin(), body.end());
    reply = std::move(wire);
  }
  if (step.action == PeerAction::Late) {
    std::this_thread::sleep_for(std::chrono::milliseconds(step.lateMs));
  }
  if (step.action == PeerAction::Short) {
    reply.resize(reply.size() / 2);
  }
  return sendAll(fd, reply);
}

std::vector<std::uint8_t> FakeModbusPeer::answer(const std::vector<std::uint8_t>& request,
                                                 bool& applyOnly, ScriptStep step) {
  if (!hasValidCrc16(request) || request[0] != m_unit) {
    return {};  // a real slave stays silent
  }
  const std::uint8_t function = request[1];
  const auto address = static_cast<std::uint16_t>((request[2] << 8) | request[3]);
  const auto count = static_cast<std::uint16_t>((request[4] << 8) | request[5]);
  std::vector<std::uint8_t> reply{m_unit, function};
  const auto exception = [&](std::uint8_t code) {
    reply = {m_unit, static_cast<std::uint8_t>(function | 0x80), code};
  };
  if (step.action == PeerAction::Exception) {
    exception(step.exceptionCode);
  } else if (function == 0x03 || function == 0x04) {
    reply.push_back(static_cast<std::uint8_t>(2 * count));
    std::lock_guard lock(m_mutex);
    for (std::uint16_t i = 0; i < count; ++i) {
      const std::uint16_t value = m_registers[static_cast<std::uint16_t>(address + i)];
      reply.push_back(static_cast<std::uint8_t>(value >> 8));
      reply.push_back(static_cast<std::uint8_t>(value & 0xFF));
    }
  } else if (function == 0x10) {
    std::vector<std::uint16_t> values;
    for (std::uint16_t i = 0; i < count; ++i) {
      values.push_back(static_cast<std::uint16_t>((request[7 + 2 * std::size_t{i}] << 8) |
                                                  request[8 + 2 * std::size_t{i}]));
    }
    if (step.action == PeerAction::NoReply) {
      return {};  // lost on the way in: not applied
    }
    std::optional<std::uint8_t> refused;
    {
      std::lock_guard lock(m_mutex);
      if (m_hook) {
        refused = m_hook(address, values, m_registers);
      }
      if (!refused) {
        for (std::uint16_t i = 0; i < count; ++i) {
          m_registers[static_cast<std::uint16_t>(address + i)] = values[i];
        }
        ++m_writesApplied;
      }
    }
    if (refused) {
      exception(*refused);
    } else {
      reply.insert(reply.end(), request.begin() + 2, request.begin() + 6);
    }
  } else {
    exception(0x01);
  }
  switch (step.action) {
    case PeerAction::NoReply:
      return {};
    case PeerAction::ApplyNoReply:
      applyOnly = true;
      return {};
    case PeerAction::WrongUnit:
      reply[0] = static_cast<std::uint8_t>(m_unit + 1);
      appendCrc(reply);
      return reply;
    case PeerAction::Garbage:
      return {0x5A, 0xA5, 0x00, 0xFF, 0x13, 0x37, 0x42};
    default:
      break;
  }
  appendCrc(reply);
  if (step.action == PeerAction::BadCrc) {
    reply.back() ^= 0x55;
  }
  if (step.action == PeerAction::Oversized) {
    reply.insert(reply.end(), {0x00, 0x11, 0x22});
  }
  return reply;
}

void emulatePrepaidMeter(FakeModbusPeer& peer, const std::array<std::uint8_t, 16>& key,
                         std::uint64_t meterAddress) {
  peer.setWriteHook([key, meterAddress](std::uint16_t address, const std::vector<std::uint16_t>& v,
                                        std::map<std::uint16_t, std::uint16_t>& regs)
                        -> std::optional<std::uint8_t> {
    if (address != 0x0200) {
      return std::nullopt;  // plain register write
    }
    if (v.size() != 14) {
      return 0x03;
    }
    const auto u32 = [&](std::size_t i) { return (std::uint32_t{v[i]} << 16) | v[i + 1]; };
    const std::uint32_t current = (std::uint32_t{regs[0x0102]} << 16) | regs[0x0103];
    CommandMac mac{};
    for (std::size_t i = 0; i < 8; ++i) {
      mac[2 * i] = static_cast<std::uint8_t>(v[6 + i] >> 8);
      mac[2 * i + 1] = static_cast<std::uint8_t>(v[6 + i] & 0xFF);
    }
    const MacFields fields{meterAddress, CommandKind::Recharge, u32(2), u32(0), u32(4)};
    if (!verifyCommandMac(MacAlgorithm::AesCmac, key, fields, mac)) {
      regs[0x0107] = 1;
      return 0x07;
    }
    if (u32(2) != current + 1) {
      regs[0x0107] = 2;
      return 0x07;
    }
    const auto balance =
        static_cast<std::int32_t>((std::uint32_t{regs[0x0100]} << 16) | regs[0x0101]);
    const auto credited = static_cast<std::uint32_t>(balance + static_cast<std::int32_t>(u32(0)));
    regs[0x0100] = static_cast<std::uint16_t>(credited >> 16);
    regs[0x0101] = static_cast<std::uint16_t>(credited & 0xFFFF);
    regs[0x0102] = v[2];
    regs[0x0103] = v[3];
    regs[0x0107] = 0;
    return std::nullopt;  // the block itself is stored too (harmless, write-only area)
  });
}

}  // namespace prepaid::devices::testing
