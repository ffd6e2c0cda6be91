#include "prepaid/sim/pay_sim_server.hpp"

#include <charconv>
#include <regex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "prepaid/domain/money.hpp"
#include "prepaid/payments/alipay_provider.hpp"
#include "prepaid/payments/wechat_pay_provider.hpp"

namespace prepaid::devices::sim {

using namespace backend::payments;
using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::int64_t epochNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339Now() {
  return wechatTime(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string yuan(std::int64_t fen) {
  return domain::formatYuan(domain::Money::fromFen(fen));
}

void jsonReply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

std::string text(const Json& object, const char* name) {
  return object.is_object() && object.contains(name) && object[name].is_string()
             ? object[name].get<std::string>()
             : std::string();
}

std::int64_t amountTotal(const Json& body) {
  if (body.contains("amount") && body["amount"].is_object() && body["amount"].contains("total") &&
      body["amount"]["total"].is_number_integer()) {
    return body["amount"]["total"].get<std::int64_t>();
  }
  return 0;
}

std::string notifyModeName(NotifyMode mode) {
  switch (mode) {
    case NotifyMode::Normal:
      return "normal";
    case NotifyMode::Duplicate:
      return "duplicate";
    case NotifyMode::Late:
      return "late";
    case NotifyMode::Lost:
      return "lost";
  }
  return "normal";
}

Json tradeJson(const SimTrade& trade) {
  return {{"provider", trade.provider},
          {"out_trade_no", trade.outTradeNo},
          {"amount_fen", trade.amountFen},
          {"state", trade.state},
          {"transaction_id", trade.transactionId},
          {"channel", trade.channel},
          {"notifications_sent", trade.notificationsSent}};
}

}  // namespace

PaySimServer::PaySimServer(PaySimKeys keys) : m_keys(std::move(keys)) {}

PaySimServer::~PaySimServer() {
  stop();
}

std::expected<int, std::string> PaySimServer::start(const std::string& host, int port) {
  if (m_server) {
    return std::unexpected("already running");
  }
  m_server = std::make_unique<httplib::Server>();
  m_host = host;
  routes();
  m_port = port == 0 ? m_server->bind_to_any_port(host)
                     : (m_server->bind_to_port(host, port) ? port : -1);
  if (m_port <= 0) {
    m_server.reset();
    return std::unexpected("cannot bind " + host + ":" + std::to_string(port));
  }
  {
    std::lock_guard lock(m_mutex);
    m_stopping = false;
  }
  m_sender = std::thread([this] { sender(); });
  m_listener = std::thread([this] { m_server->listen_after_bind(); });
  // Ready when the listener accepts: poll with a deadline rather than sleeping blindly.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (!m_server->is_running() && SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  return m_port;
}

void PaySimServer::stop() {
  if (m_server) {
    m_server->stop();
  }
  if (m_listener.joinable()) {
    m_listener.join();
  }
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_outboxWake.notify_all();
  if (m_sender.joinable()) {
    m_sender.join();
  }
  m_server.reset();
}

std::string PaySimServer::baseUrl() const {
  return "http://" + m_host + ":" + std::to_string(m_port);
}

void PaySimServer::setFaults(const PaySimFaults& faults) {
  std::lock_guard lock(m_mutex);
  m_faults = faults;
}

PaySimFaults PaySimServer::faults() const {
  std::lock_guard lock(m_mutex);
  return m_faults;
}

std::optional<SimTrade> PaySimServer::trade(const std::string& outTradeNo) const {
  std::lock_guard lock(m_mutex);
  auto it = m_trades.find(outTradeNo);
  if (it == m_trades.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<SimTrade> PaySimServer::trades() const {
  std::lock_guard lock(m_mutex);
  std::vector<SimTrade> all;
  for (const auto& [no, trade] : m_trades) {
    all.push_back(trade);
  }
  return all;
}

std::int64_t PaySimServer::notificationsDelivered() const {
  std::lock_guard lock(m_mutex);
  return m_delivered;
}

std::optional<SteadyClock::time_point> PaySimServer::paidAt(const std::string& outTradeNo) const {
  std::lock_guard lock(m_mutex);
  auto it = m_trades.find(outTradeNo);
  if (it == m_trades.end() || it->second.state != "SUCCESS") {
    return std::nullopt;
  }
  return it->second.paidAt;
}

std::expected<SimTrade, std::string> PaySimServer::pay(const std::string& outTradeNo) {
  std::lock_guard lock(m_mutex);
  auto it = m_trades.find(outTradeNo);
  if (it == m_trades.end()) {
    return std::unexpected("unknown trade " + outTradeNo);
  }
  SimTrade& trade = it->second;
  if (trade.state == "SUCCESS") {
    return trade;  // paying twice is a no-op, as scanning a paid code is
  }
  if (trade.state != "NOTPAY" && trade.state != "USERPAYING") {
    return std::unexpected("trade " + outTradeNo + " is " + trade.state + ", not payable");
  }
  if (m_faults.paymentError) {
    trade.state = "PAYERROR";
    return std::unexpected("payment error (fault mode)");
  }
  markPaidLocked(trade);
  return trade;
}

std::expected<void, std::string> PaySimServer::renotify(const std::string& outTradeNo) {
  std::lock_guard lock(m_mutex);
  auto it = m_trades.find(outTradeNo);
  if (it == m_trades.end()) {
    return std::unexpected("unknown trade " + outTradeNo);
  }
  scheduleNotificationLocked(it->second, std::chrono::milliseconds(0));
  return {};
}

void PaySimServer::markPaidLocked(SimTrade& trade) {
  trade.state = "SUCCESS";
  trade.paidAt = SteadyClock::now();
  trade.confirmAt.reset();
  if (trade.transactionId.empty()) {
    trade.transactionId = (trade.provider == "wechat" ? "4200" : "2024") +
                          std::to_string(1000000000000LL + m_nextTransaction++);
  }
  switch (m_faults.notify) {
    case NotifyMode::Normal:
      scheduleNotificationLocked(trade, std::chrono::milliseconds(0));
      break;
    case NotifyMode::Duplicate:
      for (int i = 0; i < std::max(1, m_faults.duplicates); ++i) {
        scheduleNotificationLocked(trade, std::chrono::milliseconds(i * 20));
      }
      break;
    case NotifyMode::Late:
      scheduleNotificationLocked(trade, std::chrono::milliseconds(m_faults.lateMs));
      break;
    case NotifyMode::Lost:
      break;
  }
}

void PaySimServer::settleLocked(SimTrade& trade) {
  if (trade.state == "USERPAYING" && trade.confirmAt && SteadyClock::now() >= *trade.confirmAt) {
    markPaidLocked(trade);
  }
}

void PaySimServer::scheduleNotificationLocked(const SimTrade& trade,
                                              std::chrono::milliseconds delay) {
  if (trade.notifyUrl.empty()) {
    return;
  }
  Pending pending;
  pending.due = SteadyClock::now() + delay;
  pending.url = trade.notifyUrl;
  if (trade.provider == "wechat") {
    const Json transaction = {
        {"mchid", m_keys.wechatMchid},
        {"appid", m_keys.wechatAppid},
        {"out_trade_no", trade.outTradeNo},
        {"transaction_id", trade.transactionId},
        {"trade_type", trade.channel == "code" ? "MICROPAY" : "NATIVE"},
        {"trade_state", trade.state},
        {"trade_state_desc", trade.state == "SUCCESS" ? "支付成功" : trade.state},
        {"success_time", rfc3339Now()},
        {"payer", {{"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}},
        {"amount",
         {{"total", trade.amountFen},
          {"payer_total", trade.amountFen},
          {"currency", "CNY"},
          {"payer_currency", "CNY"}}}};
    const std::string nonce = randomAlnum(12);
    auto sealed = aes256GcmEncrypt(m_keys.apiV3Key, nonce, "transaction", transaction.dump());
    const Json body = {{"id", randomAlnum(8) + "-" + randomAlnum(4) + "-" + randomAlnum(12)},
                       {"create_time", rfc3339Now()},
                       {"resource_type", "encrypt-resource"},
                       {"event_type", "TRANSACTION.SUCCESS"},
                       {"summary", "支付成功"},
                       {"resource",
                        {{"original_type", "transaction"},
                         {"algorithm", "AEAD_AES_256_GCM"},
                         {"ciphertext", sealed.value_or("")},
                         {"associated_data", "transaction"},
                         {"nonce", nonce}}}};
    pending.body = body.dump();
    pending.contentType = "application/json";
    const std::string timestamp = std::to_string(epochNow());
    const std::string headerNonce = randomAlnum(32);
    auto signature = m_keys.wechatPlatformKey->signBase64(
        wechatResponseMessage(timestamp, headerNonce, pending.body));
    pending.headers = {{"Wechatpay-Serial", m_keys.wechatPlatformCert->serialHex()},
                       {"Wechatpay-Timestamp", timestamp},
                       {"Wechatpay-Nonce", headerNonce},
                       {"Wechatpay-Signature", signature.value_or("")},
                       {"Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"}};
  } else {
    std::map<std::string, std::string> params = {
        {"notify_time", rfc3339Now().substr(0, 19)},
        {"notify_type", "trade_status_sync"},
        {"notify_id", randomAlnum(32)},
        {"app_id", m_keys.alipayAppId},
        {"charset", "utf-8"},
        {"version", "1.0"},
        {"sign_type", "RSA2"},
        {"trade_no", trade.transactionId},
        {"out_trade_no", trade.outTradeNo},
        {"trade_status", trade.state == "SUCCESS" ? "TRADE_SUCCESS" : "TRADE_CLOSED"},
        {"total_amount", yuan(trade.amountFen)},
        {"receipt_amount", yuan(trade.amountFen)},
        {"buyer_id", "2088102122524333"}};
    params["notify_time"][10] = ' ';
    auto signature = m_keys.alipayKey->signBase64(alipaySignContent(params, {"sign", "sign_type"}));
    params["sign"] = signature.value_or("");
    pending.body = formEncode(params);
    pending.contentType = "application/x-www-form-urlencoded; charset=utf-8";
  }
  m_outbox.push(std::move(pending));
  m_outboxWake.notify_all();
  // Counted when queued: the fault modes decide how many leave.
  if (auto it = m_trades.find(trade.outTradeNo); it != m_trades.end()) {
    ++it->second.notificationsSent;
  }
}

void PaySimServer::sender() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    // Customers confirming code payments (USERPAYING for N seconds) settle here.
    for (auto& [no, trade] : m_trades) {
      settleLocked(trade);
    }
    if (m_outbox.empty() || m_outbox.top().due > SteadyClock::now()) {
      auto wakeAt = SteadyClock::now() + std::chrono::milliseconds(50);
      if (!m_outbox.empty()) {
        wakeAt = std::min(wakeAt, m_outbox.top().due);
      }
      m_outboxWake.wait_until(lock, wakeAt);
      continue;
    }
    Pending pending = m_outbox.top();
    m_outbox.pop();
    lock.unlock();
    static const std::regex Url(R"(^(https?://[^/]+)(/.*)?$)");
    std::smatch match;
    bool delivered = false;
    if (std::regex_match(pending.url, match, Url)) {
      httplib::Client client(match[1].str());
      client.set_connection_timeout(std::chrono::seconds(2));
      client.set_read_timeout(std::chrono::seconds(5));
      httplib::Headers headers;
      for (const auto& [name, value] : pending.headers) {
        headers.emplace(name, value);
      }
      const std::string path = match[2].matched ? match[2].str() : "/";
      auto result = client.Post(path, headers, pending.body, pending.contentType);
      delivered =
          result && result->status >= 200 && result->status < 300 &&
          (pending.contentType.starts_with("application/json") || result->body == "success");
    }
    lock.lock();
    if (delivered) {
      ++m_delivered;
    }
  }
}

void PaySimServer::delayAnswer() const {
  std::int64_t delayMs = 0;
  {
    std::lock_guard lock(m_mutex);
    delayMs = m_faults.answerDelayMs;
  }
  if (delayMs > 0) {
    // The timeout fault: the answer is deliberately late (the work is already done), so the
    // client sees a timeout with an unknown outcome — exactly what a real network does.
    std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
  }
}

// [SECTION] WeChat Pay API v3

void PaySimServer::wechatAnswer(httplib::Response& res, int status, const std::string& body) {
  const std::string timestamp = std::to_string(epochNow());
  const std::string nonce = randomAlnum(32);
  auto signature =
      m_keys.wechatPlatformKey->signBase64(wechatResponseMessage(timestamp, nonce, body));
  res.status = status;
  res.set_header("Wechatpay-Serial", m_keys.wechatPlatformCert->serialHex());
  res.set_header("Wechatpay-Timestamp", timestamp);
  res.set_header("Wechatpay-Nonce", nonce);
  res.set_header("Wechatpay-Signature", signature.value_or(""));
  res.set_header("Request-ID", randomAlnum(16));
  res.set_content(body, "application/json");
}

void PaySimServer::wechat(const httplib::Request& req, httplib::Response& res) {
  auto fail = [&](int status, const std::string& code, const std::string& message) {
    wechatAnswer(res, status, Json{{"code", code}, {"message", message}}.dump());
  };
  // The merchant's signature: WECHATPAY2-SHA256-RSA2048 over METHOD\nTARGET\nts\nnonce\nbody\n.
  const auto auth = parseWechatAuthorization(req.get_header_value("Authorization"));
  if (auth.empty() || !auth.contains("signature") || !auth.contains("timestamp")) {
    return fail(401, "SIGN_ERROR", "missing or malformed Authorization");
  }
  std::int64_t timestamp = 0;
  const std::string& ts = auth.at("timestamp");
  std::from_chars(ts.data(), ts.data() + ts.size(), timestamp);
  if (auth.at("mchid") != m_keys.wechatMchid ||
      auth.at("serial_no") != m_keys.wechatMerchantSerial) {
    return fail(401, "SIGN_ERROR", "unknown merchant or certificate serial");
  }
  if (timestamp < epochNow() - 300 || timestamp > epochNow() + 300) {
    return fail(401, "SIGN_ERROR", "timestamp outside 5 minutes");
  }
  if (!m_keys.wechatMerchantPublic->verifyBase64(
          wechatRequestMessage(req.method, req.target, timestamp, auth.at("nonce_str"), req.body),
          auth.at("signature"))) {
    return fail(401, "SIGN_ERROR", "signature does not verify");
  }
  const Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    return fail(400, "PARAM_ERROR", "body is not a JSON object");
  }
  static const std::regex ByNo(
      R"(^/v3/pay/transactions/out-trade-no/([0-9A-Za-z_\-*|]+)(/close|/reverse)?$)");
  std::smatch match;
  std::unique_lock lock(m_mutex);

  if (req.method == "POST" &&
      (req.path == "/v3/pay/transactions/native" || req.path == "/v3/pay/transactions/codepay")) {
    const bool code = req.path.ends_with("codepay");
    const std::string no = text(body, "out_trade_no");
    const std::int64_t total = amountTotal(body);
    if (no.empty() || total <= 0 || text(body, "appid") != m_keys.wechatAppid ||
        text(body, "mchid") != m_keys.wechatMchid) {
      return fail(400, "PARAM_ERROR", "out_trade_no, amount.total, appid and mchid are required");
    }
    if (const auto it = m_trades.find(no); it != m_trades.end()) {
      // A repeated Native order with the same content (the merchant's retry after a lost
      // answer) gets the same code_url while unpaid; anything else is a reused out_trade_no.
      const SimTrade& existing = it->second;
      if (!code && existing.provider == "wechat" && existing.channel == "qr" &&
          existing.amountFen == total && existing.state == "NOTPAY") {
        return wechatAnswer(res, 200,
                            Json{{"code_url", baseUrl() + "/sim/qr/wechat/" + no}}.dump());
      }
      return fail(400, "OUT_TRADE_NO_USED", "out_trade_no already used");
    }
    SimTrade trade;
    trade.provider = "wechat";
    trade.outTradeNo = no;
    trade.amountFen = total;
    trade.state = "NOTPAY";
    trade.notifyUrl = text(body, "notify_url");
    trade.channel = code ? "code" : "qr";
    trade.createdAt = SteadyClock::now();
    if (!code) {
      m_trades[no] = trade;
      return wechatAnswer(res, 200, Json{{"code_url", baseUrl() + "/sim/qr/wechat/" + no}}.dump());
    }
    if (!body.contains("payer") || text(body["payer"], "auth_code").size() != 18) {
      return fail(400, "PARAM_ERROR", "payer.auth_code is required");
    }
    if (m_faults.paymentError) {
      trade.state = "PAYERROR";
      m_trades[no] = trade;
      return fail(403, "AUTH_CODE_INVALID", "payment code invalid (fault mode)");
    }
    if (m_faults.userPayingS != 0) {
      trade.state = "USERPAYING";
      if (m_faults.userPayingS > 0) {
        trade.confirmAt = SteadyClock::now() + std::chrono::seconds(m_faults.userPayingS);
      }
      m_trades[no] = trade;
      return fail(202, "USERPAYING", "waiting for the customer to enter the password");
    }
    auto& stored = m_trades[no] = trade;
    markPaidLocked(stored);
    const Json answer = {
        {"appid", m_keys.wechatAppid},
        {"mchid", m_keys.wechatMchid},
        {"out_trade_no", no},
        {"transaction_id", stored.transactionId},
        {"trade_type", "MICROPAY"},
        {"trade_state", "SUCCESS"},
        {"success_time", rfc3339Now()},
        {"amount", {{"total", total}, {"payer_total", total}, {"currency", "CNY"}}}};
    return wechatAnswer(res, 200, answer.dump());
  }
  if (std::regex_match(req.path, match, ByNo)) {
    const std::string no = match[1].str();
    const std::string action = match[2].str();
    auto it = m_trades.find(no);
    if (it == m_trades.end()) {
      return fail(404, "ORDER_NOT_EXIST", "order does not exist");
    }
    SimTrade& trade = it->second;
    settleLocked(trade);
    if (req.method == "GET" && action.empty()) {
      Json answer = {{"appid", m_keys.wechatAppid},
                     {"mchid", m_keys.wechatMchid},
                     {"out_trade_no", no},
                     {"trade_state", trade.state},
                     {"trade_state_desc", trade.state},
                     {"amount", {{"total", trade.amountFen}, {"currency", "CNY"}}}};
      if (!trade.transactionId.empty()) {
        answer["transaction_id"] = trade.transactionId;
      }
      return wechatAnswer(res, 200, answer.dump());
    }
    if (req.method == "POST" && action == "/close") {
      if (trade.state == "SUCCESS" || trade.state == "REFUND") {
        return fail(400, "ORDER_PAID", "order paid, cannot close");
      }
      trade.state = "CLOSED";
      return wechatAnswer(res, 204, "");
    }
    if (req.method == "POST" && action == "/reverse") {
      trade.state = trade.state == "SUCCESS" ? "REVOKED" : "REVOKED";
      trade.confirmAt.reset();
      return wechatAnswer(res, 200, Json{{"out_trade_no", no}}.dump());
    }
  }
  if (req.method == "POST" && req.path == "/v3/refund/domestic/refunds") {
    const std::string no = text(body, "out_trade_no");
    const std::string refundNo = text(body, "out_refund_no");
    auto it = m_trades.find(no);
    if (it == m_trades.end()) {
      return fail(404, "RESOURCE_NOT_EXISTS", "order does not exist");
    }
    SimTrade& trade = it->second;
    std::int64_t refundFen = 0;
    if (body.contains("amount") && body["amount"].contains("refund") &&
        body["amount"]["refund"].is_number_integer()) {
      refundFen = body["amount"]["refund"].get<std::int64_t>();
    }
    if (!trade.refunds.contains(refundNo)) {
      std::int64_t refunded = 0;
      for (const auto& [n, fen] : trade.refunds) {
        refunded += fen;
      }
      if ((trade.state != "SUCCESS" && trade.state != "REFUND") || refundFen <= 0 ||
          refunded + refundFen > trade.amountFen) {
        return fail(403, "NOT_ENOUGH", "refund not possible for this order");
      }
      trade.refunds[refundNo] = refundFen;
      trade.state = "REFUND";
    }
    return wechatAnswer(
        res, 200,
        Json{{"refund_id", "5030" + refundNo},
             {"out_refund_no", refundNo},
             {"out_trade_no", no},
             {"status", "SUCCESS"},
             {"amount", {{"refund", trade.refunds[refundNo]}, {"total", trade.amountFen}}}}
            .dump());
  }
  return fail(404, "NOT_FOUND", "no such API in the simulator");
}

// [SECTION] Alipay

void PaySimServer::alipayAnswer(httplib::Response& res, const std::string& method,
                                const std::string& json) {
  std::string member = method;
  std::replace(member.begin(), member.end(), '.', '_');
  auto signature = m_keys.alipayKey->signBase64(json);
  res.status = 200;
  res.set_content(
      "{\"" + member + "_response\":" + json + ",\"sign\":\"" + signature.value_or("") + "\"}",
      "application/json;charset=utf-8");
}

void PaySimServer::alipay(const httplib::Request& req, httplib::Response& res) {
  auto params = formDecode(req.body);
  std::string method = params ? (*params)["method"] : std::string();
  auto answer = [&](const Json& json) { alipayAnswer(res, method, json.dump()); };
  auto refuse = [&](const std::string& code, const std::string& subCode, const std::string& msg) {
    answer(
        Json{{"code", code}, {"msg", "Business Failed"}, {"sub_code", subCode}, {"sub_msg", msg}});
  };
  if (!params || method.empty()) {
    method = "error";
    return refuse("40002", "isv.invalid-parameter", "malformed request");
  }
  // The app's RSA2 signature over every parameter but sign, sorted.
  if ((*params)["app_id"] != m_keys.alipayAppId || (*params)["sign_type"] != "RSA2" ||
      !m_keys.alipayAppPublic->verifyBase64(alipaySignContent(*params, {"sign"}),
                                            (*params)["sign"])) {
    return refuse("40002", "isv.invalid-signature", "signature does not verify");
  }
  const Json biz = Json::parse((*params)["biz_content"], nullptr, false);
  const std::string no = text(biz, "out_trade_no");
  std::unique_lock lock(m_mutex);
  if (method == "alipay.trade.precreate" || method == "alipay.trade.pay") {
    auto amount = domain::parseYuan(text(biz, "total_amount"));
    if (no.empty() || !amount || amount->fen() <= 0) {
      return refuse("40004", "ACQ.INVALID_PARAMETER", "out_trade_no and total_amount required");
    }
    if (const auto it = m_trades.find(no); it != m_trades.end()) {
      // As WeChat: a repeated precreate with the same content returns the same qr_code.
      const SimTrade& existing = it->second;
      if (method == "alipay.trade.precreate" && existing.provider == "alipay" &&
          existing.channel == "qr" && existing.amountFen == amount->fen() &&
          existing.state == "NOTPAY") {
        return answer(Json{{"code", "10000"},
                           {"msg", "Success"},
                           {"out_trade_no", no},
                           {"qr_code", baseUrl() + "/sim/qr/alipay/" + no}});
      }
      return refuse("40004", "ACQ.CONTEXT_INCONSISTENT", "out_trade_no already used");
    }
    SimTrade trade;
    trade.provider = "alipay";
    trade.outTradeNo = no;
    trade.amountFen = amount->fen();
    trade.state = "NOTPAY";
    trade.notifyUrl = (*params)["notify_url"];
    trade.createdAt = SteadyClock::now();
    if (method == "alipay.trade.precreate") {
      trade.channel = "qr";
      m_trades[no] = trade;
      return answer(Json{{"code", "10000"},
                         {"msg", "Success"},
                         {"out_trade_no", no},
                         {"qr_code", baseUrl() + "/sim/qr/alipay/" + no}});
    }
    trade.channel = "code";
    if (text(biz, "scene") != "bar_code" || text(biz, "auth_code").empty()) {
      return refuse("40004", "ACQ.INVALID_PARAMETER", "scene bar_code and auth_code required");
    }
    if (m_faults.paymentError) {
      trade.state = "PAYERROR";
      m_trades[no] = trade;
      return refuse("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID", "payment code invalid (fault mode)");
    }
    if (m_faults.userPayingS != 0) {
      trade.state = "USERPAYING";
      if (m_faults.userPayingS > 0) {
        trade.confirmAt = SteadyClock::now() + std::chrono::seconds(m_faults.userPayingS);
      }
      m_trades[no] = trade;
      return answer(Json{{"code", "10003"},
                         {"msg", "order success pay inprocess"},
                         {"out_trade_no", no},
                         {"total_amount", yuan(trade.amountFen)}});
    }
    auto& stored = m_trades[no] = trade;
    markPaidLocked(stored);
    return answer(Json{{"code", "10000"},
                       {"msg", "Success"},
                       {"out_trade_no", no},
                       {"trade_no", stored.transactionId},
                       {"total_amount", yuan(stored.amountFen)}});
  }
  auto it = m_trades.find(no);
  if (it == m_trades.end()) {
    return refuse("40004", "ACQ.TRADE_NOT_EXIST", "trade does not exist");
  }
  SimTrade& trade = it->second;
  settleLocked(trade);
  if (method == "alipay.trade.query") {
    const std::string status = trade.state == "SUCCESS" ? "TRADE_SUCCESS"
                               : trade.state == "NOTPAY" || trade.state == "USERPAYING"
                                   ? "WAIT_BUYER_PAY"
                                   : "TRADE_CLOSED";
    return answer(Json{{"code", "10000"},
                       {"msg", "Success"},
                       {"out_trade_no", no},
                       {"trade_no", trade.transactionId},
                       {"trade_status", status},
                       {"total_amount", yuan(trade.amountFen)}});
  }
  if (method == "alipay.trade.cancel") {
    const bool paid = trade.state == "SUCCESS";
    trade.state = paid ? "REFUND" : "CLOSED";
    trade.confirmAt.reset();
    return answer(Json{{"code", "10000"},
                       {"msg", "Success"},
                       {"out_trade_no", no},
                       {"retry_flag", "N"},
                       {"action", paid ? "refund" : "close"}});
  }
  if (method == "alipay.trade.refund") {
    const std::string requestNo = text(biz, "out_request_no");
    auto amount = domain::parseYuan(text(biz, "refund_amount"));
    if (trade.refunds.contains(requestNo)) {
      return answer(Json{{"code", "10000"},
                         {"msg", "Success"},
                         {"out_trade_no", no},
                         {"fund_change", "N"},
                         {"refund_fee", yuan(trade.refunds[requestNo])}});
    }
    std::int64_t refunded = 0;
    for (const auto& [n, fen] : trade.refunds) {
      refunded += fen;
    }
    if ((trade.state != "SUCCESS" && trade.state != "REFUND") || !amount || amount->fen() <= 0 ||
        refunded + amount->fen() > trade.amountFen) {
      return refuse("40004", "ACQ.TRADE_STATUS_ERROR", "refund not possible for this trade");
    }
    trade.refunds[requestNo] = amount->fen();
    trade.state = "REFUND";
    return answer(Json{{"code", "10000"},
                       {"msg", "Success"},
                       {"out_trade_no", no},
                       {"fund_change", "Y"},
                       {"refund_fee", yuan(amount->fen())}});
  }
  return refuse("40004", "ACQ.INVALID_METHOD", "method not simulated: " + method);
}

// [SECTION] control API

void PaySimServer::control(const httplib::Request& req, httplib::Response& res) {
  static const std::regex TradePath(R"(^/sim/trades/([0-9A-Za-z_\-*|]+)(/pay|/notify)?$)");
  static const std::regex QrPath(R"(^/sim/qr/(wechat|alipay)/([0-9A-Za-z_\-*|]+)$)");
  std::smatch match;
  if (req.path == "/sim/health") {
    return jsonReply(res, 200, Json{{"status", "ok"}});
  }
  if (req.path == "/sim/faults") {
    if (req.method == "POST" || req.method == "PUT") {
      const Json body = Json::parse(req.body, nullptr, false);
      if (!body.is_object()) {
        return jsonReply(res, 400, Json{{"error", "body must be a JSON object"}});
      }
      PaySimFaults faults;  // unspecified fields return to their defaults
      const std::string mode = text(body, "notify");
      if (mode == "duplicate") {
        faults.notify = NotifyMode::Duplicate;
      } else if (mode == "late") {
        faults.notify = NotifyMode::Late;
      } else if (mode == "lost") {
        faults.notify = NotifyMode::Lost;
      } else if (!mode.empty() && mode != "normal") {
        return jsonReply(res, 400, Json{{"error", "notify: normal|duplicate|late|lost"}});
      }
      auto integer = [&](const char* name, std::int64_t fallback) {
        return body.contains(name) && body[name].is_number_integer()
                   ? body[name].get<std::int64_t>()
                   : fallback;
      };
      faults.duplicates =
          static_cast<int>(std::clamp<std::int64_t>(integer("duplicates", 3), 1, 20));
      faults.lateMs = integer("late_ms", 3000);
      faults.userPayingS = integer("userpaying_s", 0);
      faults.paymentError = body.contains("payment_error") && body["payment_error"].is_boolean() &&
                            body["payment_error"].get<bool>();
      faults.answerDelayMs = integer("answer_delay_ms", 0);
      setFaults(faults);
    }
    const PaySimFaults f = faults();
    return jsonReply(res, 200,
                     Json{{"notify", notifyModeName(f.notify)},
                          {"duplicates", f.duplicates},
                          {"late_ms", f.lateMs},
                          {"userpaying_s", f.userPayingS},
                          {"payment_error", f.paymentError},
                          {"answer_delay_ms", f.answerDelayMs}});
  }
  if (req.path == "/sim/trades" && req.method == "GET") {
    Json all = Json::array();
    for (const auto& trade : trades()) {
      all.push_back(tradeJson(trade));
    }
    return jsonReply(res, 200, Json{{"trades", all}});
  }
  std::string no;
  std::string action;
  if (std::regex_match(req.path, match, TradePath)) {
    no = match[1].str();
    action = match[2].str();
  } else if (std::regex_match(req.path, match, QrPath)) {
    // The URL inside the QR code: GET shows the trade, POST pays it (the customer's phone).
    no = match[2].str();
    action = req.method == "POST" ? "/pay" : "";
  } else {
    return jsonReply(res, 404, Json{{"error", "no such control path"}});
  }
  if (action == "/pay" && req.method == "POST") {
    auto paid = pay(no);
    if (!paid) {
      return jsonReply(res, 409, Json{{"error", paid.error()}});
    }
    return jsonReply(res, 200, tradeJson(*paid));
  }
  if (action == "/notify" && req.method == "POST") {
    auto sent = renotify(no);
    if (!sent) {
      return jsonReply(res, 404, Json{{"error", sent.error()}});
    }
    return jsonReply(res, 202, Json{{"queued", true}});
  }
  auto found = trade(no);
  if (!found) {
    return jsonReply(res, 404, Json{{"error", "unknown trade " + no}});
  }
  return jsonReply(res, 200, tradeJson(*found));
}

void PaySimServer::routes() {
  // The timeout fault delays the answer after the work is done (not before it): the client
  // times out while the provider already holds the result, as when a real answer is lost.
  auto wechatHandler = [this](const httplib::Request& req, httplib::Response& res) {
    wechat(req, res);
    delayAnswer();
  };
  auto controlHandler = [this](const httplib::Request& req, httplib::Response& res) {
    control(req, res);
  };
  m_server->Get(R"(/v3/.*)", wechatHandler);
  m_server->Post(R"(/v3/.*)", wechatHandler);
  m_server->Post("/alipay/gateway.do", [this](const httplib::Request& req, httplib::Response& res) {
    alipay(req, res);
    delayAnswer();
  });
  m_server->Get(R"(/sim/.*)", controlHandler);
  m_server->Post(R"(/sim/.*)", controlHandler);
  m_server->Put(R"(/sim/.*)", controlHandler);
}

}  // namespace prepaid::devices::sim
