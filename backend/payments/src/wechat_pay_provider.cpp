#include "prepaid/payments/wechat_pay_provider.hpp"

#include <charconv>
#include <chrono>
#include <regex>

#include "provider_common.hpp"
#include <nlohmann/json.hpp>

namespace prepaid::backend::payments {

using detail::providerError;
using Json = nlohmann::json;

std::string wechatRequestMessage(const std::string& method, const std::string& target,
                                 std::int64_t timestamp, const std::string& nonce,
                                 const std::string& body) {
  return method + "\n" + target + "\n" + std::to_string(timestamp) + "\n" + nonce + "\n" + body +
         "\n";
}

std::string wechatResponseMessage(const std::string& timestamp, const std::string& nonce,
                                  const std::string& body) {
  return timestamp + "\n" + nonce + "\n" + body + "\n";
}

std::string wechatAuthorization(const std::string& mchid, const std::string& nonce,
                                const std::string& signature, std::int64_t timestamp,
                                const std::string& serialNo) {
  return "WECHATPAY2-SHA256-RSA2048 mchid=\"" + mchid + "\",nonce_str=\"" + nonce +
         "\",signature=\"" + signature + "\",timestamp=\"" + std::to_string(timestamp) +
         "\",serial_no=\"" + serialNo + "\"";
}

std::map<std::string, std::string> parseWechatAuthorization(const std::string& header) {
  static constexpr std::string_view Scheme = "WECHATPAY2-SHA256-RSA2048 ";
  std::map<std::string, std::string> fields;
  if (!header.starts_with(Scheme)) {
    return fields;
  }
  static const std::regex Field(R"re(([a-z_]+)="([^"]*)")re");
  const std::string rest = header.substr(Scheme.size());
  for (auto it = std::sregex_iterator(rest.begin(), rest.end(), Field);
       it != std::sregex_iterator(); ++it) {
    fields[(*it)[1].str()] = (*it)[2].str();
  }
  return fields;
}

std::string wechatTime(domain::Instant instant) {
  std::string text = detail::chinaDateTime(instant);
  text[10] = 'T';
  return text + "+08:00";
}

namespace {

std::string header(const HeaderMap& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::int64_t epochSeconds(domain::Instant instant) {
  return instant.time_since_epoch().count();
}

/// Maps a v3 trade_state onto TradeState.
TradeState tradeState(const std::string& state) {
  if (state == "SUCCESS") {
    return TradeState::Paid;
  }
  if (state == "USERPAYING" || state == "ACCEPT") {
    return TradeState::Paying;
  }
  if (state == "CLOSED" || state == "REVOKED") {
    return TradeState::Closed;
  }
  if (state == "REFUND") {
    return TradeState::Refunded;
  }
  if (state == "PAYERROR") {
    return TradeState::Failed;
  }
  return TradeState::NotPaid;  // NOTPAY
}

std::expected<TradeStatus, ProviderError> transactionStatus(const Json& transaction) {
  if (!transaction.is_object() || !transaction.contains("trade_state") ||
      !transaction["trade_state"].is_string()) {
    return std::unexpected(
        providerError(ProviderErrorCode::BadMessage, "transaction without trade_state"));
  }
  TradeStatus status;
  status.detail = transaction["trade_state"].get<std::string>();
  status.state = tradeState(status.detail);
  if (transaction.contains("transaction_id") && transaction["transaction_id"].is_string()) {
    status.providerTradeNo = transaction["transaction_id"].get<std::string>();
  }
  if (transaction.contains("amount") && transaction["amount"].is_object() &&
      transaction["amount"].contains("total") &&
      transaction["amount"]["total"].is_number_integer()) {
    status.amountFen = transaction["amount"]["total"].get<std::int64_t>();
  }
  return status;
}

/// {"code": "...", "message": "..."} of a v3 error answer.
std::pair<std::string, std::string> errorOf(const std::string& body) {
  const Json json = Json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("code") && json["code"].is_string()) {
    return {json["code"].get<std::string>(), json.contains("message") && json["message"].is_string()
                                                 ? json["message"].get<std::string>()
                                                 : std::string()};
  }
  return {"", body.substr(0, 200)};
}

/// Codes after which the outcome of a payment is not known (documented as "retry / query").
bool unknownOutcome(const std::string& code) {
  return code == "SYSTEM_ERROR" || code == "SYSTEMERROR" || code == "BANK_ERROR" ||
         code == "BANKERROR" || code == "FREQUENCY_LIMITED";
}

}  // namespace

std::expected<std::unique_ptr<WechatPayProvider>, ProviderError> WechatPayProvider::create(
    WechatPayConfig config, std::unique_ptr<ProviderTransport> transport, ProviderClock clock) {
  if (config.mchid.empty() || config.appid.empty() || config.merchantSerialNo.empty()) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "wechat: mchid, appid and merchant serial are required"));
  }
  if (config.apiV3Key.size() != 32) {
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration, "wechat: the APIv3 key must be 32 bytes"));
  }
  auto key = RsaPrivateKey::fromPem(config.merchantPrivateKeyPem);
  if (!key) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "wechat merchant key: " + key.error().message));
  }
  std::map<std::string, RsaPublicKey> platformKeys;
  for (const auto& pem : config.platformCertificatePems) {
    auto cert = Certificate::fromPem(pem);
    if (!cert) {
      return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                           "wechat platform certificate: " + cert.error().message));
    }
    platformKeys.emplace(cert->serialHex(), cert->publicKey());
  }
  if (!config.platformPublicKeyId.empty()) {
    auto publicKey = RsaPublicKey::fromPem(config.platformPublicKeyPem);
    if (!publicKey) {
      return std::unexpected(
          providerError(ProviderErrorCode::Configuration,
                        "wechat platform public key: " + publicKey.error().message));
    }
    platformKeys.emplace(config.platformPublicKeyId, *publicKey);
  }
  if (platformKeys.empty()) {
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration,
                      "wechat: no platform certificate or public key to verify answers with"));
  }
  if (!transport || !clock) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "wechat: transport and clock are required"));
  }
  return std::unique_ptr<WechatPayProvider>(
      new WechatPayProvider(std::move(config), std::move(transport), std::move(clock),
                            std::move(*key), std::move(platformKeys)));
}

WechatPayProvider::WechatPayProvider(WechatPayConfig config,
                                     std::unique_ptr<ProviderTransport> transport,
                                     ProviderClock clock, RsaPrivateKey merchantKey,
                                     std::map<std::string, RsaPublicKey> platformKeys)
    : m_config(std::move(config)),
      m_transport(std::move(transport)),
      m_clock(std::move(clock)),
      m_merchantKey(std::move(merchantKey)),
      m_platformKeys(std::move(platformKeys)) {}

std::expected<void, ProviderError> WechatPayProvider::verifySigned(const HeaderMap& headers,
                                                                   const std::string& body,
                                                                   domain::Instant now) const {
  const std::string serial = header(headers, "Wechatpay-Serial");
  const std::string timestamp = header(headers, "Wechatpay-Timestamp");
  const std::string nonce = header(headers, "Wechatpay-Nonce");
  const std::string signature = header(headers, "Wechatpay-Signature");
  if (serial.empty() || timestamp.empty() || nonce.empty() || signature.empty()) {
    return std::unexpected(
        providerError(ProviderErrorCode::BadSignature,
                      "wechat: Wechatpay-Serial/Timestamp/Nonce/Signature missing"));
  }
  auto key = m_platformKeys.find(serial);
  if (key == m_platformKeys.end()) {
    return std::unexpected(providerError(ProviderErrorCode::BadSignature,
                                         "wechat: unknown platform certificate serial " + serial));
  }
  std::int64_t seconds = 0;
  const auto [end, ec] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage,
                                         "wechat: Wechatpay-Timestamp is not a number"));
  }
  const std::int64_t skew = seconds - epochSeconds(now);
  if (skew > m_config.clockSkewS || -skew > m_config.clockSkewS) {
    return std::unexpected(providerError(
        ProviderErrorCode::StaleTimestamp,
        "wechat: timestamp " + timestamp + " is " + std::to_string(skew) + " s from our clock"));
  }
  if (!key->second.verifyBase64(wechatResponseMessage(timestamp, nonce, body), signature)) {
    return std::unexpected(
        providerError(ProviderErrorCode::BadSignature, "wechat: signature does not verify"));
  }
  return {};
}

std::expected<WechatPayProvider::Answer, ProviderError> WechatPayProvider::call(
    const std::string& method, const std::string& target, const std::string& body) {
  const std::int64_t timestamp = epochSeconds(m_clock());
  const std::string nonce = randomAlnum(32);
  auto signature =
      m_merchantKey.signBase64(wechatRequestMessage(method, target, timestamp, nonce, body));
  if (!signature) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "wechat sign: " + signature.error().message));
  }
  ProviderRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.contentType = "application/json";
  request.headers["Authorization"] =
      wechatAuthorization(m_config.mchid, nonce, *signature, timestamp, m_config.merchantSerialNo);
  request.headers["Accept"] = "application/json";
  request.headers["User-Agent"] = "prepaid-backend";
  auto response = m_transport->send(request);
  if (!response) {
    return std::unexpected(detail::fromTransport(response.error()));
  }
  if (response->status >= 500) {
    auto [code, message] = errorOf(response->body);
    return std::unexpected(providerError(
        ProviderErrorCode::Unknown,
        "wechat " + target + ": HTTP " + std::to_string(response->status) + " " + message, code));
  }
  // Every answer, error answers included, carries the platform signature; an unverifiable answer
  // is treated like no answer at all (it could be forged by anyone on the path).
  if (auto verified = verifySigned(response->headers, response->body, m_clock()); !verified) {
    return std::unexpected(
        providerError(ProviderErrorCode::Unknown,
                      "wechat " + target + ": answer not verified: " + verified.error().message));
  }
  return Answer{response->status, response->body};
}

namespace {

std::unexpected<ProviderError> rejected(const std::string& what, const std::string& body) {
  auto [code, message] = errorOf(body);
  return std::unexpected(
      providerError(unknownOutcome(code) ? ProviderErrorCode::Unknown : ProviderErrorCode::Rejected,
                    "wechat " + what + ": " + code + " " + message, code));
}

Json parseObject(const std::string& body) {
  Json json = Json::parse(body, nullptr, false);
  return json.is_object() ? json : Json();
}

}  // namespace

std::expected<std::string, ProviderError> WechatPayProvider::createQr(const QrOrder& order) {
  Json body = {{"appid", m_config.appid},
               {"mchid", m_config.mchid},
               {"description", order.description},
               {"out_trade_no", order.outTradeNo},
               {"time_expire", wechatTime(order.expiresAt)},
               {"notify_url", m_config.notifyUrl},
               {"amount", {{"total", order.amountFen}, {"currency", "CNY"}}}};
  auto answer = call("POST", "/v3/pay/transactions/native", body.dump());
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status != 200) {
    return rejected("native", answer->body);
  }
  const Json json = parseObject(answer->body);
  if (!json.contains("code_url") || !json["code_url"].is_string()) {
    return std::unexpected(providerError(ProviderErrorCode::Unknown, "wechat native: no code_url"));
  }
  return json["code_url"].get<std::string>();
}

std::expected<TradeStatus, ProviderError> WechatPayProvider::payByCode(const CodeOrder& order) {
  Json body = {{"appid", m_config.appid},
               {"mchid", m_config.mchid},
               {"description", order.description},
               {"out_trade_no", order.outTradeNo},
               {"payer", {{"auth_code", order.authCode}}},
               {"amount", {{"total", order.amountFen}, {"currency", "CNY"}}},
               {"scene_info", {{"store_info", {{"out_id", order.storeId}}}}}};
  auto answer = call("POST", "/v3/pay/transactions/codepay", body.dump());
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status == 200 || answer->status == 202) {
    const Json json = parseObject(answer->body);
    if (json.contains("trade_state")) {
      return transactionStatus(json);
    }
  }
  auto [code, message] = errorOf(answer->body);
  if (code == "USERPAYING") {
    TradeStatus paying;
    paying.state = TradeState::Paying;
    paying.detail = code;
    return paying;
  }
  return rejected("codepay", answer->body);
}

std::expected<TradeStatus, ProviderError> WechatPayProvider::query(const std::string& outTradeNo) {
  auto answer = call(
      "GET", "/v3/pay/transactions/out-trade-no/" + outTradeNo + "?mchid=" + m_config.mchid, "");
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status == 200) {
    return transactionStatus(parseObject(answer->body));
  }
  auto [code, message] = errorOf(answer->body);
  if (code == "ORDER_NOT_EXIST" || code == "ORDERNOTEXIST") {
    TradeStatus missing;
    missing.state = TradeState::NotFound;
    missing.detail = code;
    return missing;
  }
  return rejected("query", answer->body);
}

std::expected<CancelOutcome, ProviderError> WechatPayProvider::close(
    const std::string& outTradeNo) {
  Json body = {{"mchid", m_config.mchid}};
  auto answer =
      call("POST", "/v3/pay/transactions/out-trade-no/" + outTradeNo + "/close", body.dump());
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status == 204 || answer->status == 200) {
    return CancelOutcome::Closed;
  }
  return rejected("close", answer->body);
}

std::expected<CancelOutcome, ProviderError> WechatPayProvider::reverse(
    const std::string& outTradeNo) {
  Json body = {{"appid", m_config.appid}, {"mchid", m_config.mchid}};
  auto answer =
      call("POST", "/v3/pay/transactions/out-trade-no/" + outTradeNo + "/reverse", body.dump());
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status == 200 || answer->status == 204) {
    // The answer does not say whether money moved; a query afterwards shows REVOKED either way.
    return CancelOutcome::Closed;
  }
  return rejected("reverse", answer->body);
}

std::expected<RefundState, ProviderError> WechatPayProvider::refund(const RefundOrder& order) {
  Json body = {
      {"out_trade_no", order.outTradeNo},
      {"out_refund_no", order.outRefundNo},
      {"reason", order.reason},
      {"amount", {{"refund", order.refundFen}, {"total", order.totalFen}, {"currency", "CNY"}}}};
  auto answer = call("POST", "/v3/refund/domestic/refunds", body.dump());
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status != 200) {
    return rejected("refund", answer->body);
  }
  const Json json = parseObject(answer->body);
  const std::string status = json.contains("status") && json["status"].is_string()
                                 ? json["status"].get<std::string>()
                                 : "";
  if (status == "SUCCESS") {
    return RefundState::Success;
  }
  if (status == "PROCESSING") {
    return RefundState::Processing;
  }
  return RefundState::Failed;
}

std::expected<Notification, ProviderError> WechatPayProvider::parseNotification(
    const HeaderMap& headers, const std::string& body, domain::Instant now) {
  if (auto verified = verifySigned(headers, body, now); !verified) {
    return std::unexpected(verified.error());
  }
  const Json json = parseObject(body);
  if (!json.contains("resource") || !json["resource"].is_object()) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage, "wechat: no resource"));
  }
  const Json& resource = json["resource"];
  auto text = [&](const Json& object, const char* name) {
    return object.contains(name) && object[name].is_string() ? object[name].get<std::string>()
                                                             : std::string();
  };
  if (text(resource, "algorithm") != "AEAD_AES_256_GCM") {
    return std::unexpected(
        providerError(ProviderErrorCode::BadMessage, "wechat: unsupported resource algorithm"));
  }
  auto plain = aes256GcmDecrypt(m_config.apiV3Key, text(resource, "nonce"),
                                text(resource, "associated_data"), text(resource, "ciphertext"));
  if (!plain) {
    return std::unexpected(
        providerError(ProviderErrorCode::BadMessage, "wechat resource: " + plain.error().message));
  }
  const Json transaction = parseObject(*plain);
  if (text(transaction, "mchid") != m_config.mchid ||
      (transaction.contains("appid") && text(transaction, "appid") != m_config.appid)) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage,
                                         "wechat: notification for another merchant or app"));
  }
  auto status = transactionStatus(transaction);
  if (!status) {
    return std::unexpected(status.error());
  }
  Notification notification;
  notification.outTradeNo = text(transaction, "out_trade_no");
  notification.status = *status;
  notification.eventId = text(json, "id");
  if (notification.outTradeNo.empty()) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage, "wechat: no out_trade_no"));
  }
  return notification;
}

NotificationAck WechatPayProvider::acknowledge(Verdict verdict, const std::string& reason) const {
  // v3: 200/204 acknowledges; anything else makes WeChat Pay resend, with {"code":"FAIL"}.
  if (verdict == Verdict::Accepted) {
    return {204, "application/json", ""};
  }
  return {400, "application/json", Json{{"code", "FAIL"}, {"message", reason}}.dump()};
}

}  // namespace prepaid::backend::payments
