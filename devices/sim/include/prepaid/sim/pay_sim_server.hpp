#pragma once

// prepaid-pay-sim: a loopback stand-in for the WeChat Pay API v3 and Alipay servers. It speaks
// their signed protocols (it verifies the merchant's request signatures and signs its answers
// and notifications with its own platform keys), keeps trades in memory, and lets a test or the
// demo "pay" a trade as a customer would. Faults: duplicate, late and lost notifications,
// USERPAYING for N seconds (or forever), payment errors, and answers slower than the client's
// timeout. The control API is documented in devices/sim/README.md ("Payment simulator").
//
// Threading: start()/stop() from the owning thread; requests are served on the server's pool,
// notifications are sent from one sender thread. Every public method is thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "prepaid/payments/crypto.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace prepaid::devices::sim {

/// The key material of a simulated WeChat merchant + platform and Alipay app + Alipay, written to
/// a directory at first start (RSA 2048 keys, a self-signed platform certificate, the APIv3
/// key) together with providers.json, the backend's provider settings file.
struct PaySimKeys {
  std::string wechatMchid = "1900000109";
  std::string wechatAppid = "wxd678efh567hg6787";
  std::string wechatMerchantSerial;
  std::string apiV3Key;  // 32 characters
  std::shared_ptr<backend::payments::RsaPrivateKey> wechatPlatformKey;
  std::shared_ptr<backend::payments::Certificate> wechatPlatformCert;
  std::shared_ptr<backend::payments::RsaPublicKey> wechatMerchantPublic;
  std::string alipayAppId = "2021000000000001";
  std::shared_ptr<backend::payments::RsaPrivateKey> alipayKey;       // the sim signs with it
  std::shared_ptr<backend::payments::RsaPublicKey> alipayAppPublic;  // verifies the backend
};

/// Loads the keys from `dir`, or generates and writes them there (first start). Also (re)writes
/// `dir`/providers.json with `baseUrl` (http://127.0.0.1:PORT) and the notify URLs.
[[nodiscard]] std::expected<PaySimKeys, std::string> loadOrCreatePaySimKeys(
    const std::filesystem::path& dir);
/// Writes providers.json for a simulator at `baseUrl` whose notifications go to
/// `notifyBaseUrl` + "/wechat" and "/alipay".
[[nodiscard]] std::expected<void, std::string> writeProviderSettings(
    const std::filesystem::path& dir, const PaySimKeys& keys, const std::string& baseUrl,
    const std::string& notifyBaseUrl);

enum class NotifyMode {
  Normal,     // one notification right after payment
  Duplicate,  // `duplicates` copies
  Late,       // one notification `lateMs` after payment
  Lost,       // none (the backend must poll)
};

struct PaySimFaults {
  NotifyMode notify = NotifyMode::Normal;
  int duplicates = 3;
  std::int64_t lateMs = 3000;
  std::int64_t userPayingS = 0;    // code pay: USERPAYING this long, then paid; < 0: never
  bool paymentError = false;       // code pay: PAYERROR / 40004; QR pay via control: refused
  std::int64_t answerDelayMs = 0;  // every API answer delayed (timeout faults); 0 = none
};

struct SimTrade {
  std::string provider;  // "wechat" | "alipay"
  std::string outTradeNo;
  std::int64_t amountFen = 0;
  std::string state;  // NOTPAY USERPAYING SUCCESS CLOSED REVOKED REFUND PAYERROR
  std::string transactionId;
  std::string notifyUrl;
  std::string channel;  // "qr" | "code"
  std::chrono::steady_clock::time_point createdAt;
  std::optional<std::chrono::steady_clock::time_point> confirmAt;  // USERPAYING ends
  std::chrono::steady_clock::time_point paidAt;
  std::map<std::string, std::int64_t> refunds;  // out_refund_no -> fen
  int notificationsSent = 0;
};

class PaySimServer {
 public:
  explicit PaySimServer(PaySimKeys keys);
  ~PaySimServer();
  PaySimServer(const PaySimServer&) = delete;
  PaySimServer& operator=(const PaySimServer&) = delete;

  /// Binds `host`:`port` (0 = any free port) and serves in the background; returns the port.
  [[nodiscard]] std::expected<int, std::string> start(const std::string& host, int port);
  void stop();
  [[nodiscard]] std::string baseUrl() const;

  // Control (the same as the HTTP control API).
  void setFaults(const PaySimFaults& faults);
  [[nodiscard]] PaySimFaults faults() const;
  /// The customer pays a QR trade (as after scanning the code_url / qr_code). Error when the
  /// trade is unknown, not payable, or the payment-error fault is on.
  [[nodiscard]] std::expected<SimTrade, std::string> pay(const std::string& outTradeNo);
  /// Sends the trade's notification again now (even in Lost mode).
  [[nodiscard]] std::expected<void, std::string> renotify(const std::string& outTradeNo);
  [[nodiscard]] std::optional<SimTrade> trade(const std::string& outTradeNo) const;
  [[nodiscard]] std::vector<SimTrade> trades() const;
  /// Notifications delivered (answered 2xx / "success") and attempted in total.
  [[nodiscard]] std::int64_t notificationsDelivered() const;

  /// The instant (steady clock) a trade became paid: for latency measurements.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> paidAt(
      const std::string& outTradeNo) const;

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::string url;
    std::string contentType;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool operator>(const Pending& other) const { return due > other.due; }
  };

  void routes();
  void wechat(const httplib::Request& req, httplib::Response& res);
  void alipay(const httplib::Request& req, httplib::Response& res);
  void control(const httplib::Request& req, httplib::Response& res);
  void wechatAnswer(httplib::Response& res, int status, const std::string& body);
  void alipayAnswer(httplib::Response& res, const std::string& method, const std::string& json);
  /// Marks paid (lock held) and schedules notifications per the fault mode.
  void markPaidLocked(SimTrade& trade);
  void scheduleNotificationLocked(const SimTrade& trade, std::chrono::milliseconds delay);
  void settleLocked(SimTrade& trade);
  void sender();
  void delayAnswer() const;

  PaySimKeys m_keys;
  mutable std::mutex m_mutex;
  PaySimFaults m_faults;
  std::map<std::string, SimTrade> m_trades;
  std::int64_t m_nextTransaction = 1;
  std::int64_t m_delivered = 0;

  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> m_outbox;
  std::condition_variable m_outboxWake;
  bool m_stopping = false;
  std::thread m_sender;

  std::unique_ptr<httplib::Server> m_server;
  std::thread m_listener;
  int m_port = 0;
  std::string m_host;
};

}  // namespace prepaid::devices::sim
