// Payments end to end with the real stack (issue 7): prepaid-meter-sim (one 9600-baud Modbus TCP
// bus, tests/fixtures/payments/stack_fleet.toml), prepaid-pay-sim and prepaid-backend as child
// processes, a site created with `prepaidctl init --site` (stack_site.toml), driven over HTTP as
// the kiosk and staff do. Every check that a credit happened looks in three places: the order
// (credited), the ledger (GET /api/v1/sales: exactly one recharge, the order's entry), and the
// meter itself, read over Modbus TCP by a third-party client (mbpoll): purchase count +1 and the
// balance up by the amount, exactly once. The meters use no energy (peak_w = 0), so the expected
// register values are exact.

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backend_process.hpp"
#include "meter_sim_process.hpp"
#include "pay_sim_process.hpp"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prepaid/payments/alipay_provider.hpp"
#include "prepaid/payments/crypto.hpp"
#include "prepaid/payments/wechat_pay_provider.hpp"
#include "prepaid/sim/pay_sim_server.hpp"

namespace prepaid::test {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace payments = backend::payments;

constexpr const char* KioskKey = "pk_stack_test_kiosk_0001";
constexpr const char* AdminPassword = "stack-admin-123";
// Payment codes as the kiosk's scanner reads them (WeChat: 18 digits 10-15; Alipay: 25-30).
// The backend's code-pay timeout here: long enough for the 11 s provider-answer delay below,
// short enough that the never-confirming customer does not dominate the test's run time.
constexpr std::int64_t CodePayTimeoutS = 20;
constexpr const char* WechatPaymentCode = "134567890123456789";
constexpr const char* AlipayPaymentCode = "283456789012345678";

/// Polls `condition` until true or the deadline (a short pause between looks, never a blind wait
/// for readiness).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

std::string readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeText(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

/// The last `lines` lines of a log file, for failure messages.
std::string tail(const fs::path& file, std::size_t lines = 40) {
  const std::string text = readText(file);
  std::size_t at = text.size();
  for (std::size_t seen = 0; at > 0 && seen <= lines; --at) {
    if (text[at - 1] == '\n') {
      ++seen;
    }
  }
  return text.substr(at);
}

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return 0;
  }
  socklen_t length = sizeof address;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

struct ProgramResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

/// Runs a program to completion (no shell), collecting its output.
ProgramResult run(std::vector<std::string> args) {
  ProgramResult result;
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) {
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::array<char, 1024> buffer{};
  for (ssize_t got = 0; (got = read(fds[0], buffer.data(), buffer.size())) != 0;) {
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      break;
    }
    result.output.append(buffer.data(), static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// A meter's prepaid registers as a third-party Modbus client sees them.
struct MeterRegisters {
  long long balanceFen = -1;
  long long purchaseCount = -1;
  bool operator==(const MeterRegisters&) const = default;
};

std::ostream& operator<<(std::ostream& out, const MeterRegisters& registers) {
  return out << "{balance_fen " << registers.balanceFen << ", purchase_count "
             << registers.purchaseCount << "}";
}

/// Reads balance (0x0100, i32, fen) and purchase count (0x0102, u32) of the single-phase
/// prepaid profile (assets/meters/single-phase-prepaid.toml) with mbpoll over Modbus TCP. mbpoll
/// numbers registers from 1 (257, 259) and shows 32-bit values with -t 4:int -B (high word
/// first). The bus is shared with the backend's polling, hence the generous timeout.
std::optional<MeterRegisters> readOverModbus(int port, int unit, std::string& output) {
  const auto result =
      run({"mbpoll", "-m", "tcp", "-p", std::to_string(port), "-a", std::to_string(unit), "-r",
           "257", "-c", "2", "-t", "4:int", "-B", "-1", "-o", "3", "127.0.0.1"});
  output = result.output;
  if (result.status != 0) {
    return std::nullopt;
  }
  std::map<int, long long> values;
  const std::regex line(R"(\[(\d+)\]:\s+(-?\d+))");
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
    values[std::stoi((*it)[1])] = std::stoll((*it)[2]);
  }
  if (!values.contains(257) || !values.contains(259)) {
    return std::nullopt;
  }
  return MeterRegisters{values[257], values[259]};
}

std::string yuanText(std::int64_t fen) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%lld.%02lld", static_cast<long long>(fen / 100),
                static_cast<long long>(fen % 100));
  return text.data();
}

struct Reply {
  int status = 0;
  Json json;
  std::string body;
};

enum class Caller { Kiosk, Staff, Anyone };

class PaymentsStack : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run({"sh", "-c", "command -v mbpoll"}).status != 0) {
      GTEST_SKIP() << "mbpoll is not installed (installer/debian-packages.txt lists it)";
    }
    std::string pattern = (fs::temp_directory_path() / "prepaid-pay-stack-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
    const fs::path fixtures = fs::path(PREPAID_SOURCE_DIR) / "tests/fixtures/payments";
    const std::string profiles = (fs::path(PREPAID_SOURCE_DIR) / "assets/meters").string();

    // The meters: their gateway port decides the site's gateway URI.
    m_meterSim = std::make_unique<MeterSimProcess>(
        std::vector<std::string>{"--fleet", (fixtures / "stack_fleet.toml").string(),
                                 "--profile-dir", profiles, "--control-port", "0"});
    ASSERT_TRUE(m_meterSim->ready());
    m_gatewayPort = m_meterSim->port(0);
    ASSERT_GT(m_gatewayPort, 0) << m_meterSim->output();

    std::string site = readText(fixtures / "stack_site.toml");
    const std::string placeholder = "@GATEWAY_PORT@";
    ASSERT_NE(site.find(placeholder), std::string::npos);
    for (auto at = site.find(placeholder); at != std::string::npos; at = site.find(placeholder)) {
      site.replace(at, placeholder.size(), std::to_string(m_gatewayPort));
    }
    writeText(m_dir / "site.toml", site);
    const std::string db = (m_dir / "site.db").string();
    for (const auto& step : std::vector<std::vector<std::string>>{
             {PREPAID_CTL, "init", "--site", (m_dir / "site.toml").string(), "--db", db},
             {PREPAID_CTL, "operator", "add", "--db", db, "--username", "admin", "--role", "admin",
              "--password", AdminPassword},
             {PREPAID_CTL, "kiosk", "add", "--db", db, "--name", "kiosk-1", "--key", KioskKey}}) {
      const auto done = run(step);
      ASSERT_EQ(done.status, 0) << step[1] << ": " << done.output;
    }

    // The providers: keys and providers.json in pay/, notifications to the backend's port.
    m_apiPort = freePort();
    ASSERT_GT(m_apiPort, 0);
    m_paySim = std::make_unique<PaySimProcess>(std::vector<std::string>{
        "--port", "0", "--keys-dir", (m_dir / "pay").string(), "--notify-base",
        "http://127.0.0.1:" + std::to_string(m_apiPort) + "/api/v1/payments/notify"});
    ASSERT_TRUE(m_paySim->ready());

    writeText(m_dir / "backend.toml",
              "[store]\ndatabase = \"site.db\"\n"
              "[log]\nlevel = \"debug\"\nfile = \"backend.log\"\n"
              "[meters]\nprofile_dir = \"" +
                  profiles +
                  "\"\n"
                  "[http]\nhost = \"127.0.0.1\"\nport = " +
                  std::to_string(m_apiPort) +
                  "\nkiosks = 1\nconsoles = 1\n"
                  "[payments]\nproviders = \"pay/providers.json\"\n"
                  "tick_ms = 100\ncode_pay_timeout_s = " +
                  std::to_string(CodePayTimeoutS) + "\n");
    m_backend = std::make_unique<BackendProcess>((m_dir / "backend.toml").string(), 30s);
    ASSERT_TRUE(m_backend->ready()) << tail(m_dir / "backend.log");
    m_api = std::make_unique<httplib::Client>("127.0.0.1", m_apiPort);
    m_api->set_read_timeout(20, 0);
    m_sim = std::make_unique<httplib::Client>(m_paySim->baseUrl());
    m_sim->set_read_timeout(10, 0);

    const auto login =
        call("POST", "/api/v1/auth/login", Json{{"username", "admin"}, {"password", AdminPassword}},
             Caller::Anyone);
    ASSERT_EQ(login.status, 200) << login.body;
    m_token = login.json.at("token").get<std::string>();
    // Before any payment: every meter as the Modbus client reads it.
    for (int unit = 1; unit <= 6; ++unit) {
      ASSERT_NO_FATAL_FAILURE(m_opening[unit] = meterRegisters(unit));
    }
    // What stack_fleet.toml gives them (and stack_site.toml's opening balances say).
    ASSERT_EQ(m_opening[1], (MeterRegisters{5000, 0}));
    ASSERT_EQ(m_opening[2], (MeterRegisters{6000, 0}));
    ASSERT_EQ(m_opening[3], (MeterRegisters{7000, 0}));
    ASSERT_EQ(m_opening[4], (MeterRegisters{8000, 0}));
  }

  void TearDown() override {
    if (HasFailure() && !m_dir.empty()) {
      std::cerr << "--- backend.log (tail) ---\n" << tail(m_dir / "backend.log", 60);
    }
    if (m_backend) {
      EXPECT_EQ(m_backend->stop(), 0) << "prepaid-backend did not stop cleanly";
    }
    m_api.reset();
    m_sim.reset();
    if (m_paySim) {
      m_paySim->stop();
    }
    if (m_meterSim) {
      m_meterSim->stop();
    }
    if (!m_dir.empty() && !HasFailure()) {
      std::error_code ignored;
      fs::remove_all(m_dir, ignored);  // kept for inspection when anything failed
    }
  }

  Reply call(const std::string& method, const std::string& path, const Json& body, Caller caller,
             const std::string& idempotencyKey = {}) {
    httplib::Headers headers;
    if (caller == Caller::Kiosk) {
      headers.emplace("X-Kiosk-Key", KioskKey);
    } else if (caller == Caller::Staff) {
      headers.emplace("Authorization", "Bearer " + m_token);
    }
    if (!idempotencyKey.empty()) {
      headers.emplace("Idempotency-Key", idempotencyKey);
    }
    const std::string text = body.is_null() ? std::string() : body.dump();
    auto answer = method == "GET"   ? m_api->Get(path, headers)
                  : method == "PUT" ? m_api->Put(path, headers, text, "application/json")
                                    : m_api->Post(path, headers, text, "application/json");
    Reply reply;
    if (!answer) {
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(answer.error());
      return reply;
    }
    reply.status = answer->status;
    reply.body = answer->body;
    reply.json = Json::parse(answer->body, nullptr, false);
    return reply;
  }

  /// pay-sim's control API.
  Reply sim(const std::string& method, const std::string& path, const Json& body = nullptr) {
    const std::string text = body.is_null() ? std::string() : body.dump();
    auto answer = method == "GET"   ? m_sim->Get(path)
                  : method == "PUT" ? m_sim->Put(path, text, "application/json")
                                    : m_sim->Post(path, text, "application/json");
    Reply reply;
    if (!answer) {
      ADD_FAILURE() << "pay-sim " << method << " " << path << ": "
                    << httplib::to_string(answer.error());
      return reply;
    }
    reply.status = answer->status;
    reply.body = answer->body;
    reply.json = Json::parse(answer->body, nullptr, false);
    return reply;
  }

  void setFaults(const Json& faults) {
    const auto set = sim("PUT", "/sim/faults", faults);
    ASSERT_EQ(set.status, 200) << set.body;
  }

  MeterRegisters meterRegisters(int unit) {
    std::string output;
    std::optional<MeterRegisters> read;
    // A read may time out while the bus is busy with a recharge: ask again within a deadline.
    EXPECT_TRUE(eventually(
        [&] {
          read = readOverModbus(m_gatewayPort, unit, output);
          return read.has_value();
        },
        20s))
        << "mbpoll could not read unit " << unit << ": " << output;
    return read.value_or(MeterRegisters{});
  }

  /// The kiosk's way to a meter: identify the shop, take its meter id.
  std::int64_t meterOfShop(const std::string& shop) {
    const auto found =
        call("POST", "/api/v1/kiosk/identify", Json{{"shop_number", shop}}, Caller::Kiosk);
    EXPECT_EQ(found.status, 200) << found.body;
    if (found.status != 200 || found.json.at("meters").empty()) {
      return 0;
    }
    return found.json.at("meters").at(0).at("meter_id").get<std::int64_t>();
  }

  Json createOrder(std::int64_t meterId, std::int64_t amountFen, const std::string& channel,
                   const std::string& provider = {}) {
    Json body{{"meter_id", meterId}, {"amount_fen", amountFen}, {"channel", channel}};
    if (!provider.empty()) {
      body["provider"] = provider;
    }
    const auto created = call("POST", "/api/v1/kiosk/orders", body, Caller::Kiosk,
                              "order-" + std::to_string(++m_keys));
    EXPECT_EQ(created.status, 201) << created.body;
    return created.json;
  }

  /// The order as staff see it (no provider query: what the backend itself knows).
  Json staffOrder(const std::string& orderNo) {
    const auto got = call("GET", "/api/v1/orders/" + orderNo, nullptr, Caller::Staff);
    EXPECT_EQ(got.status, 200) << got.body;
    return got.json;
  }

  /// Polls the order until its state is one of `states`; `kiosk` polls as the kiosk does (which
  /// also asks the provider when a check is due), otherwise only the backend's own worker moves
  /// it. Returns the last order view.
  Json waitForState(const std::string& orderNo, const std::set<std::string>& states,
                    std::chrono::milliseconds deadline, bool kiosk = true) {
    Json last;
    const bool reached = eventually(
        [&] {
          if (kiosk) {
            last = call("GET", "/api/v1/kiosk/orders/" + orderNo, nullptr, Caller::Kiosk).json;
          } else {
            last = staffOrder(orderNo).value("order", Json());
          }
          return last.is_object() && states.contains(last.value("state", ""));
        },
        deadline);
    EXPECT_TRUE(reached) << "order " << orderNo
                         << " did not reach the expected state: " << last.dump();
    return last;
  }

  Json sales(std::int64_t meterId, const std::string& kind = {}) {
    std::string path = "/api/v1/sales?meter_id=" + std::to_string(meterId);
    if (!kind.empty()) {
      path += "&kind=" + kind;
    }
    const auto got = call("GET", path, nullptr, Caller::Staff);
    EXPECT_EQ(got.status, 200) << got.body;
    return got.json.value("sales", Json::array());
  }

  /// The ledger holds exactly one recharge, the order's; a meter-side meter really got it once.
  void expectCreditedOnce(const Json& order, int unit, bool meterSide = true) {
    const std::string orderNo = order.at("order_no").get<std::string>();
    const auto meterId = order.at("meter_id").get<std::int64_t>();
    const auto amountFen = order.at("amount_fen").get<std::int64_t>();
    const Json detail = staffOrder(orderNo).value("order", Json());
    ASSERT_TRUE(detail.contains("ledger_entry_id")) << detail.dump();
    const Json recharges = sales(meterId, "recharge");
    ASSERT_EQ(recharges.size(), 1U) << recharges.dump();
    EXPECT_EQ(recharges[0].at("entry_id"), detail.at("ledger_entry_id")) << recharges.dump();
    EXPECT_EQ(recharges[0].at("amount_fen").get<std::int64_t>(), amountFen);
    EXPECT_EQ(sales(meterId, "correction").size(), 0U);
    const MeterRegisters opening = m_opening.at(unit);
    const MeterRegisters now = meterRegisters(unit);
    if (meterSide) {
      EXPECT_EQ(now.purchaseCount, opening.purchaseCount + 1) << "unit " << unit;
      EXPECT_EQ(now.balanceFen, opening.balanceFen + amountFen) << "unit " << unit;
      // The ledger (opening balance + this recharge) says what the meter holds.
      EXPECT_EQ(detail.value("balance_after_fen", Json()), Json(now.balanceFen)) << detail.dump();
    } else {
      EXPECT_EQ(now, opening) << "a server-side meter holds no balance: nothing is written";
    }
  }

  /// Nothing reached the ledger or the meter for this meter.
  void expectNothingCredited(std::int64_t meterId, int unit) {
    EXPECT_EQ(sales(meterId).size(), 0U) << sales(meterId).dump();
    EXPECT_EQ(meterRegisters(unit), m_opening.at(unit)) << "unit " << unit;
  }

  /// Notifications the backend recorded for the order (with their verdicts).
  Json notifications(const std::string& orderNo) {
    return staffOrder(orderNo).value("notifications", Json::array());
  }

  std::size_t countVerdict(const std::string& orderNo, const std::string& verdict) {
    std::size_t found = 0;
    for (const auto& record : notifications(orderNo)) {
      found += record.value("verdict", "") == verdict ? 1U : 0U;
    }
    return found;
  }

  /// The customer's phone: the QR text is a pay-sim URL naming the order; posting to it pays.
  void customerPays(const Json& order) {
    const std::string qr = order.value("qr_code", "");
    ASSERT_TRUE(qr.starts_with(m_paySim->baseUrl())) << order.dump();
    const auto paid = sim("POST", qr.substr(m_paySim->baseUrl().size()));
    ASSERT_EQ(paid.status, 200) << paid.body;
  }

  std::string tradeState(const std::string& orderNo) {
    return sim("GET", "/sim/trades/" + orderNo).json.value("state", "");
  }

  /// Keys of the running pay-sim (the provider's own platform keys: a forger who had them could
  /// sign, so the backend's amount and order checks must still hold).
  devices::sim::PaySimKeys providerKeys() {
    auto keys = devices::sim::loadOrCreatePaySimKeys(m_dir / "pay");
    EXPECT_TRUE(keys.has_value()) << (keys ? "" : keys.error());
    return keys.value_or(devices::sim::PaySimKeys{});
  }

  Reply postNotification(const std::string& provider, const httplib::Headers& headers,
                         const std::string& body, const std::string& contentType) {
    auto answer =
        m_api->Post("/api/v1/payments/notify/" + provider, headers, body, contentType.c_str());
    Reply reply;
    if (!answer) {
      ADD_FAILURE() << "notify " << provider << ": " << httplib::to_string(answer.error());
      return reply;
    }
    reply.status = answer->status;
    reply.body = answer->body;
    return reply;
  }

  /// A WeChat Pay v3 TRANSACTION.SUCCESS notification as pay-sim builds it, sealed with the
  /// APIv3 key and signed by `signer`.
  Reply postWechatNotification(const devices::sim::PaySimKeys& keys,
                               const payments::RsaPrivateKey& signer, const std::string& orderNo,
                               std::int64_t totalFen) {
    const Json transaction = {{"mchid", keys.wechatMchid},
                              {"appid", keys.wechatAppid},
                              {"out_trade_no", orderNo},
                              {"transaction_id", "4200000000" + payments::randomDigits(10)},
                              {"trade_type", "NATIVE"},
                              {"trade_state", "SUCCESS"},
                              {"trade_state_desc", "支付成功"},
                              {"success_time", "2026-01-01T12:00:00+08:00"},
                              {"payer", {{"openid", "oForgedOpenId"}}},
                              {"amount",
                               {{"total", totalFen},
                                {"payer_total", totalFen},
                                {"currency", "CNY"},
                                {"payer_currency", "CNY"}}}};
    const std::string nonce = payments::randomAlnum(12);
    auto sealed =
        payments::aes256GcmEncrypt(keys.apiV3Key, nonce, "transaction", transaction.dump());
    EXPECT_TRUE(sealed.has_value());
    const Json body = {{"id", "forged-" + payments::randomAlnum(12)},
                       {"create_time", "2026-01-01T12:00:00+08:00"},
                       {"resource_type", "encrypt-resource"},
                       {"event_type", "TRANSACTION.SUCCESS"},
                       {"summary", "支付成功"},
                       {"resource",
                        {{"original_type", "transaction"},
                         {"algorithm", "AEAD_AES_256_GCM"},
                         {"ciphertext", sealed.value_or("")},
                         {"associated_data", "transaction"},
                         {"nonce", nonce}}}};
    const std::string text = body.dump();
    const std::string timestamp =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    const std::string headerNonce = payments::randomAlnum(32);
    auto signature =
        signer.signBase64(payments::wechatResponseMessage(timestamp, headerNonce, text));
    EXPECT_TRUE(signature.has_value());
    const httplib::Headers headers{{"Wechatpay-Serial", keys.wechatPlatformCert->serialHex()},
                                   {"Wechatpay-Timestamp", timestamp},
                                   {"Wechatpay-Nonce", headerNonce},
                                   {"Wechatpay-Signature", signature.value_or("")},
                                   {"Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"}};
    return postNotification("wechat", headers, text, "application/json");
  }

  /// An Alipay trade_status_sync notification signed (RSA2) by `signer`.
  Reply postAlipayNotification(const devices::sim::PaySimKeys& keys,
                               const payments::RsaPrivateKey& signer, const std::string& orderNo,
                               std::int64_t totalFen) {
    std::map<std::string, std::string> params = {{"notify_time", "2026-01-01 12:00:00"},
                                                 {"notify_type", "trade_status_sync"},
                                                 {"notify_id", payments::randomAlnum(32)},
                                                 {"app_id", keys.alipayAppId},
                                                 {"charset", "utf-8"},
                                                 {"version", "1.0"},
                                                 {"sign_type", "RSA2"},
                                                 {"trade_no", "2026" + payments::randomDigits(24)},
                                                 {"out_trade_no", orderNo},
                                                 {"trade_status", "TRADE_SUCCESS"},
                                                 {"total_amount", yuanText(totalFen)},
                                                 {"receipt_amount", yuanText(totalFen)},
                                                 {"buyer_id", "2088102122524333"}};
    auto signature = signer.signBase64(payments::alipaySignContent(params, {"sign", "sign_type"}));
    EXPECT_TRUE(signature.has_value());
    params["sign"] = signature.value_or("");
    return postNotification("alipay", {}, payments::formEncode(params),
                            "application/x-www-form-urlencoded; charset=utf-8");
  }

  /// The timeout fault: the provider does the work but answers after the backend's 10 s read
  /// timeout, so the backend does not know the outcome. (1) A QR order's creation: the kiosk gets
  /// provider_unavailable and retries with the same Idempotency-Key, which asks the provider again
  /// for the same out_trade_no; the customer pays; one credit (meter-side, A104). (2) A payment
  /// code: the payment went through while the backend saw a timeout; querying finds it; one
  /// credit (server-side, A105).
  void providerAnswerTimeoutsCreditOnce() {
    ASSERT_NO_FATAL_FAILURE(setFaults({{"answer_delay_ms", 11000}}));
    const auto meter4 = meterOfShop("A104");
    const Json body{
        {"meter_id", meter4}, {"amount_fen", 1700}, {"channel", "qr"}, {"provider", "wechat"}};
    const auto first = call("POST", "/api/v1/kiosk/orders", body, Caller::Kiosk, "timeout-qr");
    EXPECT_EQ(first.status, 503) << first.body;
    ASSERT_NO_FATAL_FAILURE(setFaults(Json::object()));
    const auto retried = call("POST", "/api/v1/kiosk/orders", body, Caller::Kiosk, "timeout-qr");
    ASSERT_EQ(retried.status, 201) << retried.body;
    EXPECT_EQ(retried.json.value("state", ""), "pending") << retried.body;
    ASSERT_NO_FATAL_FAILURE(customerPays(retried.json));
    waitForState(retried.json.at("order_no").get<std::string>(), {"credited"}, 20s);
    ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(retried.json, 4));

    const auto meter5 = meterOfShop("A105");
    const Json code = createOrder(meter5, 2100, "code");
    const std::string codeNo = code.at("order_no").get<std::string>();
    ASSERT_NO_FATAL_FAILURE(setFaults({{"answer_delay_ms", 11000}}));
    const auto submitted = call("POST", "/api/v1/kiosk/orders/" + codeNo + "/code",
                                Json{{"auth_code", WechatPaymentCode}}, Caller::Kiosk);
    ASSERT_NO_FATAL_FAILURE(setFaults(Json::object()));
    EXPECT_TRUE(submitted.status == 200 || submitted.status == 503) << submitted.body;
    waitForState(codeNo, {"credited"}, 30s);
    ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(code, 5, false));
    EXPECT_EQ(tradeState(codeNo), "SUCCESS");
  }

  fs::path m_dir;
  std::unique_ptr<MeterSimProcess> m_meterSim;
  std::unique_ptr<PaySimProcess> m_paySim;
  std::unique_ptr<BackendProcess> m_backend;
  std::unique_ptr<httplib::Client> m_api;
  std::unique_ptr<httplib::Client> m_sim;
  std::string m_token;
  int m_gatewayPort = 0;
  int m_apiPort = 0;
  int m_keys = 0;
  std::map<int, MeterRegisters> m_opening;
};

// Normal, duplicate, late and lost notifications, a notification replayed after the credit, and a
// server-side meter: every paid order is credited exactly once, on the ledger and on the meter.
TEST_F(PaymentsStack, QrOrdersCreditedExactlyOnceInEveryNotificationMode) {
  // Normal (WeChat): one notification right after payment; the kiosk polls as it does.
  const auto meter1 = meterOfShop("A101");
  const Json normal = createOrder(meter1, 1234, "qr", "wechat");
  ASSERT_EQ(normal.value("state", ""), "pending") << normal.dump();
  ASSERT_NO_FATAL_FAILURE(customerPays(normal));
  const std::string normalNo = normal.at("order_no").get<std::string>();
  const Json credited = waitForState(normalNo, {"credited"}, 20s);
  EXPECT_EQ(credited.value("stage", ""), "credited");
  EXPECT_TRUE(credited.contains("receipt")) << credited.dump();
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(normal, 1));
  // Out of order: the provider sends the same notification again after the credit.
  const auto renotified = sim("POST", "/sim/trades/" + normalNo + "/notify");
  ASSERT_TRUE(renotified.status == 200 || renotified.status == 202) << renotified.body;
  ASSERT_TRUE(eventually([&] { return notifications(normalNo).size() >= 2; }, 10s))
      << notifications(normalNo).dump();
  EXPECT_EQ(countVerdict(normalNo, "accepted"), 1U) << notifications(normalNo).dump();
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(normal, 1));

  // Duplicate (Alipay): three copies of the notification.
  ASSERT_NO_FATAL_FAILURE(setFaults({{"notify", "duplicate"}, {"duplicates", 3}}));
  const auto meter2 = meterOfShop("A102");
  const Json duplicate = createOrder(meter2, 2000, "qr", "alipay");
  ASSERT_NO_FATAL_FAILURE(customerPays(duplicate));
  const std::string duplicateNo = duplicate.at("order_no").get<std::string>();
  waitForState(duplicateNo, {"credited"}, 20s, false);
  ASSERT_TRUE(eventually([&] { return notifications(duplicateNo).size() >= 3; }, 10s))
      << notifications(duplicateNo).dump();
  EXPECT_EQ(countVerdict(duplicateNo, "accepted"), 1U) << notifications(duplicateNo).dump();
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(duplicate, 2));

  // Late (WeChat): the notification comes 3 s after payment; the kiosk's polling finds the
  // payment first, the late notification must not credit again.
  ASSERT_NO_FATAL_FAILURE(setFaults({{"notify", "late"}, {"late_ms", 3000}}));
  const auto meter3 = meterOfShop("A103");
  const Json late = createOrder(meter3, 3000, "qr", "wechat");
  ASSERT_NO_FATAL_FAILURE(customerPays(late));
  const std::string lateNo = late.at("order_no").get<std::string>();
  waitForState(lateNo, {"credited"}, 20s);
  ASSERT_TRUE(eventually([&] { return !notifications(lateNo).empty(); }, 15s))
      << "the late notification never arrived";
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(late, 3));

  // Lost (Alipay): no notification at all; the backend's own worker polls the provider (the
  // test looks only through the staff view, which never queries the provider).
  ASSERT_NO_FATAL_FAILURE(setFaults({{"notify", "lost"}}));
  const auto meter4 = meterOfShop("A104");
  const Json lost = createOrder(meter4, 4000, "qr", "alipay");
  ASSERT_NO_FATAL_FAILURE(customerPays(lost));
  const std::string lostNo = lost.at("order_no").get<std::string>();
  waitForState(lostNo, {"credited"}, 20s, false);
  EXPECT_TRUE(notifications(lostNo).empty());
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(lost, 4));

  // Server-side meter: credited on the ledger at once (the backend holds the balance); the meter's
  // own registers are not touched.
  ASSERT_NO_FATAL_FAILURE(setFaults({{"notify", "normal"}}));
  const auto meter5 = meterOfShop("A105");
  const Json serverSide = createOrder(meter5, 5000, "qr", "wechat");
  ASSERT_NO_FATAL_FAILURE(customerPays(serverSide));
  waitForState(serverSide.at("order_no").get<std::string>(), {"credited"}, 20s);
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(serverSide, 5, false));

  // Every pay-sim trade is settled as paid, once.
  for (const auto& no : {normalNo, duplicateNo, lateNo, lostNo}) {
    EXPECT_EQ(tradeState(no), "SUCCESS") << no;
  }
}

// Notifications that do not verify, that carry another amount, or that name no order of ours
// change nothing: the order stays unpaid, nothing reaches the ledger or the meter; the refusals
// are recorded. Then the real payment is credited exactly once.
TEST_F(PaymentsStack, ForgedNotificationsChangeNothing) {
  const auto keys = providerKeys();
  ASSERT_TRUE(keys.wechatPlatformKey && keys.alipayKey);
  auto stranger = payments::RsaPrivateKey::generate(2048);
  ASSERT_TRUE(stranger.has_value());

  const auto meter1 = meterOfShop("A101");
  const Json wechat = createOrder(meter1, 1500, "qr", "wechat");
  const std::string wechatNo = wechat.at("order_no").get<std::string>();
  const auto meter2 = meterOfShop("A102");
  const Json alipay = createOrder(meter2, 2500, "qr", "alipay");
  const std::string alipayNo = alipay.at("order_no").get<std::string>();

  // Bad signature: the right order and amount, signed with a key that is not the provider's.
  EXPECT_GE(postWechatNotification(keys, *stranger, wechatNo, 1500).status, 400);
  EXPECT_EQ(postAlipayNotification(keys, *stranger, alipayNo, 2500).body, "fail");
  // Changed amount: verifies, but pays less than the order.
  EXPECT_GE(postWechatNotification(keys, *keys.wechatPlatformKey, wechatNo, 1).status, 400);
  EXPECT_EQ(postAlipayNotification(keys, *keys.alipayKey, alipayNo, 1).body, "fail");
  // Unknown order: verifies, names an order we never created.
  EXPECT_GE(
      postWechatNotification(keys, *keys.wechatPlatformKey, "P000000000000000000", 1500).status,
      400);
  EXPECT_EQ(postAlipayNotification(keys, *keys.alipayKey, "P000000000000000001", 2500).body,
            "fail");

  // Every refusal is logged with its reason.
  const std::string log = readText(m_dir / "backend.log");
  const auto count = [&log](const std::string& text) {
    std::size_t found = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
      ++found;
    }
    return found;
  };
  EXPECT_EQ(count("payment notification rejected"), 6U) << log;
  EXPECT_EQ(count("signature does not verify"), 2U) << log;
  EXPECT_EQ(count("amount mismatch"), 2U) << log;
  EXPECT_EQ(count("unknown order"), 2U) << log;

  for (const auto& [no, meterId, unit] :
       {std::tuple{wechatNo, meter1, 1}, std::tuple{alipayNo, meter2, 2}}) {
    const Json order = staffOrder(no).value("order", Json());
    EXPECT_EQ(order.value("state", ""), "pending") << order.dump();
    EXPECT_EQ(tradeState(no), "NOTPAY");
    // The changed amount verified, so it is recorded against the order; the bad signature is
    // not (nothing in an unverified body is believed, the order number included).
    const Json records = notifications(no);
    ASSERT_EQ(records.size(), 1U) << records.dump();
    EXPECT_EQ(records[0].value("verdict", ""), "rejected") << records.dump();
    EXPECT_NE(records[0].value("reason", "").find("amount"), std::string::npos) << records.dump();
    ASSERT_NO_FATAL_FAILURE(expectNothingCredited(meterId, unit));
  }

  // The customers then really pay: one credit each, for the order's amount.
  ASSERT_NO_FATAL_FAILURE(customerPays(wechat));
  ASSERT_NO_FATAL_FAILURE(customerPays(alipay));
  waitForState(wechatNo, {"credited"}, 20s);
  waitForState(alipayNo, {"credited"}, 20s);
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(wechat, 1));
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(alipay, 2));
}

// Payment codes (付款码): the customer confirms after USERPAYING for 2 s and the order is credited;
// a customer who never confirms is reversed after the backend's code-pay timeout
// ([payments] code_pay_timeout_s, CodePayTimeoutS here instead of the default 60 s; the other cases
// run meanwhile: a refused code fails the order, and the provider-answer timeouts of QR creation
// and code pay credit once). Nothing but the confirmed payments reaches a meter.
TEST_F(PaymentsStack, CodePayUserpayingThenSuccessTimeoutThenReverseAndProviderTimeouts) {
  // Timeout first (the pay-sim takes the USERPAYING duration when the code is submitted).
  ASSERT_NO_FATAL_FAILURE(setFaults({{"userpaying_s", -1}}));
  const auto meter3 = meterOfShop("A103");
  const Json never = createOrder(meter3, 3300, "code");
  ASSERT_EQ(never.value("state", ""), "created") << never.dump();
  const std::string neverNo = never.at("order_no").get<std::string>();
  const auto submitted = call("POST", "/api/v1/kiosk/orders/" + neverNo + "/code",
                              Json{{"auth_code", WechatPaymentCode}}, Caller::Kiosk);
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(submitted.json.value("state", ""), "pending") << submitted.body;
  EXPECT_EQ(submitted.json.value("provider", ""), "wechat") << submitted.body;
  const auto timeoutStarted = std::chrono::steady_clock::now();

  // USERPAYING for 2 s, then paid (Alipay code: 10003 then success on query).
  ASSERT_NO_FATAL_FAILURE(setFaults({{"userpaying_s", 2}}));
  const auto meter1 = meterOfShop("A101");
  const Json confirming = createOrder(meter1, 1800, "code");
  const std::string confirmingNo = confirming.at("order_no").get<std::string>();
  const auto pending = call("POST", "/api/v1/kiosk/orders/" + confirmingNo + "/code",
                            Json{{"auth_code", AlipayPaymentCode}}, Caller::Kiosk);
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.json.value("state", ""), "pending") << pending.body;
  // The provider holds it as USERPAYING (or, on a slow machine, the 2 s are already over).
  const std::string confirmingTrade = tradeState(confirmingNo);
  EXPECT_TRUE(confirmingTrade == "USERPAYING" || confirmingTrade == "SUCCESS") << confirmingTrade;
  waitForState(confirmingNo, {"credited"}, 25s);
  ASSERT_NO_FATAL_FAILURE(expectCreditedOnce(confirming, 1));
  EXPECT_EQ(tradeState(confirmingNo), "SUCCESS");

  // A refused code (payment error): the order fails, nothing is posted.
  ASSERT_NO_FATAL_FAILURE(setFaults({{"payment_error", true}}));
  const auto meter2 = meterOfShop("A102");
  const Json refused = createOrder(meter2, 2200, "code");
  const std::string refusedNo = refused.at("order_no").get<std::string>();
  const auto failed = call("POST", "/api/v1/kiosk/orders/" + refusedNo + "/code",
                           Json{{"auth_code", WechatPaymentCode}}, Caller::Kiosk);
  EXPECT_TRUE(failed.status == 200 || failed.status >= 400) << failed.body;
  const Json failedOrder = waitForState(refusedNo, {"failed"}, 10s, false);
  EXPECT_EQ(failedOrder.value("stage", ""), "not_paid") << failedOrder.dump();
  ASSERT_NO_FATAL_FAILURE(setFaults(Json::object()));

  // A code the scanner read that is neither WeChat's nor Alipay's is refused with a message.
  const Json other = createOrder(meter2, 2200, "code");
  const auto wrongCode =
      call("POST", "/api/v1/kiosk/orders/" + other.at("order_no").get<std::string>() + "/code",
           Json{{"auth_code", "9912345678"}}, Caller::Kiosk);
  EXPECT_EQ(wrongCode.status, 400) << wrongCode.body;
  EXPECT_EQ(wrongCode.json["error"].value("code", ""), "invalid_payment_code") << wrongCode.body;

  // Meanwhile, the provider's answers time out (the other timeout fault).
  ASSERT_NO_FATAL_FAILURE(providerAnswerTimeoutsCreditOnce());

  // The never-confirming customer: reversed at the provider after the code-pay timeout.
  const Json reversed = waitForState(neverNo, {"reversed"}, 60s, false);
  EXPECT_EQ(reversed.value("stage", ""), "not_paid") << reversed.dump();
  EXPECT_GE(std::chrono::steady_clock::now() - timeoutStarted,
            std::chrono::seconds(CodePayTimeoutS - 1))
      << "reversed before the timeout";
  EXPECT_EQ(tradeState(neverNo), "REVOKED");
  ASSERT_NO_FATAL_FAILURE(expectNothingCredited(meter3, 3));
  ASSERT_NO_FATAL_FAILURE(expectNothingCredited(meter2, 2));
}

// A paid order that cannot be credited stays visible to staff, who refund it: (1) the account
// was closed between the order and the payment; (2) the meter does not answer, so its recharge
// is still queued (billing cancels it). The money goes back at the provider, the meter never
// gets the credit, and nothing is dropped.
TEST_F(PaymentsStack, RefundOfUncreditableOrders) {
  // (1) Account closed after the QR was shown.
  const auto meter1 = meterOfShop("A101");
  const auto identified =
      call("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}}, Caller::Kiosk);
  const auto accountId = identified.json.at("account_id").get<std::int64_t>();
  const Json closedOrder = createOrder(meter1, 1600, "qr", "wechat");
  const std::string closedNo = closedOrder.at("order_no").get<std::string>();
  const auto closed = call("POST", "/api/v1/accounts/" + std::to_string(accountId) + "/close",
                           Json{{"note", "tenant moved out"}}, Caller::Staff);
  ASSERT_EQ(closed.status, 200) << closed.body;
  ASSERT_NO_FATAL_FAILURE(customerPays(closedOrder));
  Json stuck;
  ASSERT_TRUE(eventually(
      [&] {
        stuck = staffOrder(closedNo).value("order", Json());
        return stuck.value("state", "") == "paid" && stuck.value("attention", "") == "needs_staff";
      },
      20s))
      << stuck.dump();
  const auto attention = call("GET", "/api/v1/orders?needs_staff=true", nullptr, Caller::Staff);
  ASSERT_EQ(attention.status, 200) << attention.body;
  EXPECT_NE(attention.body.find(closedNo), std::string::npos) << attention.body;
  const auto refunded = call("POST", "/api/v1/orders/" + closedNo + "/refund",
                             Json{{"reason", "account closed"}}, Caller::Staff, "refund-closed");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  waitForState(closedNo, {"refunded"}, 20s, false);
  EXPECT_EQ(tradeState(closedNo), "REFUND");
  EXPECT_EQ(sales(meter1, "recharge").size(), 0U);
  EXPECT_EQ(meterRegisters(1), m_opening.at(1)) << "the closed account's meter got nothing";

  // (2) The meter stops answering before the payment: the recharge cannot be delivered.
  const auto meter2 = meterOfShop("A102");
  ASSERT_EQ(m_meterSim->control("fault 0 2 no-reply"), "ok");
  const Json unreachable = createOrder(meter2, 2700, "qr", "alipay");
  const std::string unreachableNo = unreachable.at("order_no").get<std::string>();
  ASSERT_NO_FATAL_FAILURE(customerPays(unreachable));
  const Json crediting = waitForState(unreachableNo, {"crediting"}, 20s, false);
  EXPECT_EQ(crediting.value("stage", ""), "credit_pending") << crediting.dump();
  // While the bus worker is trying to deliver the recharge (command sending) the refund is
  // refused, since the meter may be taking it; staff ask again once the attempt has failed and
  // the command is queued again (a refused request is not stored under its Idempotency-Key).
  Reply refundedUnreachable;
  ASSERT_TRUE(eventually(
      [&] {
        refundedUnreachable =
            call("POST", "/api/v1/orders/" + unreachableNo + "/refund",
                 Json{{"reason", "meter unreachable"}}, Caller::Staff, "refund-unreachable");
        const bool inFlight =
            refundedUnreachable.status == 409 &&
            refundedUnreachable.json["error"].value("code", "") == "not_refundable";
        return !inFlight;
      },
      20s));
  ASSERT_EQ(refundedUnreachable.status, 200) << refundedUnreachable.body;
  waitForState(unreachableNo, {"refunded"}, 20s, false);
  EXPECT_EQ(tradeState(unreachableNo), "REFUND");
  // The ledger: the recharge and its correction; the meter answers again and never gets it.
  const Json corrections = sales(meter2, "correction");
  ASSERT_EQ(corrections.size(), 1U) << corrections.dump();
  EXPECT_EQ(corrections[0].at("amount_fen").get<std::int64_t>(), -2700);
  ASSERT_EQ(m_meterSim->control("clear 0 2"), "ok");
  const auto requestsBefore = m_meterSim->field(0, 2, "requests");
  // Let the backend read the meter again (a few of its polls) before looking.
  ASSERT_TRUE(
      eventually([&] { return m_meterSim->field(0, 2, "requests") >= requestsBefore + 3; }, 20s));
  EXPECT_EQ(meterRegisters(2), m_opening.at(2)) << "a refunded recharge reached the meter";
}

}  // namespace
}  // namespace prepaid::test
