#pragma once

// A scripted Modbus peer on loopback for the transport and driver tests: RTU over TCP, RTU on a
// pty, or Modbus TCP (MBAP). It parses requests independently of the code under test and answers
// from a register map, one scripted action per request (Good when the script is empty).

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace prepaid::devices::testing {

enum class PeerAction {
  Good,              // correct reply
  Late,              // correct reply after lateMs
  BadCrc,            // reply with a flipped CRC byte (RTU only)
  Garbage,           // random-looking bytes instead of a reply
  WrongUnit,         // correct reply but from unit + 1 (valid CRC)
  Exception,         // exception reply with exceptionCode
  NoReply,           // nothing (a write is NOT applied)
  ApplyNoReply,      // a write is applied, the reply is lost
  Oversized,         // correct reply followed by 3 extra bytes
  Short,             // the first half of the reply, then silence
  CloseConnection,   // close the TCP connection without replying
  WrongTransaction,  // Modbus TCP: correct reply with another transaction id
  BadMbapLength      // Modbus TCP: correct reply whose MBAP length field counts one byte more
};

struct ScriptStep {
  PeerAction action = PeerAction::Good;
  int lateMs = 0;
  std::uint8_t exceptionCode = 0x02;
};

class FakeModbusPeer {
 public:
  /// Decides a write: nullopt = accept (the values are stored), else the exception code. Runs
  /// under the peer's lock with direct access to its registers (to emulate meter logic).
  using WriteHook = std::function<std::optional<std::uint8_t>(
      std::uint16_t address, const std::vector<std::uint16_t>& values,
      std::map<std::uint16_t, std::uint16_t>& registers)>;

  /// Listens on a loopback TCP port (port()).
  explicit FakeModbusPeer(std::uint8_t unit = 1);
  /// Serves RTU on the master side of a pseudo-terminal; clients open ptyPath() (raw mode).
  struct OnPty {};
  FakeModbusPeer(OnPty, std::uint8_t unit = 1);
  /// Modbus TCP (MBAP header, no CRC) on a loopback TCP port (port()).
  struct OnMbap {};
  FakeModbusPeer(OnMbap, std::uint8_t unit = 1);
  ~FakeModbusPeer();
  FakeModbusPeer(const FakeModbusPeer&) = delete;
  FakeModbusPeer& operator=(const FakeModbusPeer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return m_port; }
  [[nodiscard]] const std::string& ptyPath() const { return m_ptyPath; }
  void setRegister(std::uint16_t address, std::uint16_t value);
  [[nodiscard]] std::uint16_t reg(std::uint16_t address);
  void script(std::vector<ScriptStep> steps);
  void setWriteHook(WriteHook hook);
  [[nodiscard]] int requestsSeen() const { return m_requests.load(); }
  [[nodiscard]] int writesApplied() const { return m_writesApplied.load(); }

 private:
  void run();
  void serve(int fd);
  bool serveOne(int fd, const std::vector<std::uint8_t>& request, const std::uint8_t* mbap);
  void listenOnLoopback();
  std::vector<std::uint8_t> answer(const std::vector<std::uint8_t>& request, bool& applyOnly,
                                   ScriptStep step);

  std::uint8_t m_unit;
  bool m_mbap = false;
  int m_listenFd = -1;
  int m_ptyMaster = -1;
  int m_ptySlave = -1;  // kept open so the raw settings stay while clients come and go
  std::string m_ptyPath;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_requests{0};
  std::atomic<int> m_writesApplied{0};
  std::mutex m_mutex;
  std::map<std::uint16_t, std::uint16_t> m_registers;
  std::deque<ScriptStep> m_script;
  WriteHook m_hook;
  std::thread m_thread;
};

/// Makes `peer` behave like the prepaid block of assets/meters/README.md: the recharge block
/// (0x0200) verifies the AES-CMAC under `key` and that the count is current + 1, then credits the
/// balance (0x0100) and sets purchase_count (0x0102); a refusal answers exception 0x07 with the
/// reason in command_result (0x0107) and changes nothing.
void emulatePrepaidMeter(FakeModbusPeer& peer, const std::array<std::uint8_t, 16>& key,
                         std::uint64_t meterAddress);

}  // namespace prepaid::devices::testing
