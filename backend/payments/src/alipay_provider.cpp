#include "prepaid/payments/alipay_provider.hpp"

#include <algorithm>

#include "provider_common.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/domain/money.hpp"

namespace prepaid::backend::payments {

using detail::providerError;
using Json = nlohmann::json;

std::string alipaySignContent(const std::map<std::string, std::string>& params,
                              std::initializer_list<std::string_view> excluded) {
  std::string content;
  for (const auto& [name, value] : params) {  // std::map: already sorted by name (byte order)
    if (value.empty() || std::find(excluded.begin(), excluded.end(), name) != excluded.end()) {
      continue;
    }
    if (!content.empty()) {
      content += '&';
    }
    content += name + "=" + value;
  }
  return content;
}

std::string formEncode(const std::map<std::string, std::string>& params) {
  static constexpr std::string_view Hex = "0123456789ABCDEF";
  auto encode = [](const std::string& text) {
    std::string out;
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~') {
        out.push_back(c);
      } else {
        out.push_back('%');
        out.push_back(Hex[byte >> 4U]);
        out.push_back(Hex[byte & 0x0FU]);
      }
    }
    return out;
  };
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) {
      body += '&';
    }
    body += encode(name) + "=" + encode(value);
  }
  return body;
}

std::expected<std::map<std::string, std::string>, ProviderError> formDecode(
    const std::string& body) {
  auto hexValue = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  auto decode = [&](std::string_view text) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out.push_back(' ');
      } else if (text[i] == '%') {
        if (i + 2 >= text.size()) {
          return std::nullopt;
        }
        const int high = hexValue(text[i + 1]);
        const int low = hexValue(text[i + 2]);
        if (high < 0 || low < 0) {
          return std::nullopt;
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  };
  std::map<std::string, std::string> params;
  std::string_view rest(body);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value || name->empty()) {
      return std::unexpected(
          providerError(ProviderErrorCode::BadMessage, "form body: malformed percent-encoding"));
    }
    if (!params.emplace(std::move(*name), std::move(*value)).second) {
      return std::unexpected(
          providerError(ProviderErrorCode::BadMessage, "form body: a parameter appears twice"));
    }
  }
  return params;
}

std::optional<std::string> rawJsonMember(const std::string& json, const std::string& member) {
  const std::string key = "\"" + member + "\"";
  std::size_t at = json.find(key);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  at += key.size();
  while (at < json.size() &&
         (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' || json[at] == '\t')) {
    ++at;
  }
  if (at >= json.size() || json[at] != ':') {
    return std::nullopt;
  }
  ++at;
  while (at < json.size() &&
         (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' || json[at] == '\t')) {
    ++at;
  }
  if (at >= json.size() || json[at] != '{') {
    return std::nullopt;
  }
  int depth = 0;
  bool inString = false;
  for (std::size_t i = at; i < json.size(); ++i) {
    const char c = json[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) {
        return json.substr(at, i - at + 1);
      }
    }
  }
  return std::nullopt;
}

namespace {

std::string text(const Json& object, const char* name) {
  return object.is_object() && object.contains(name) && object[name].is_string()
             ? object[name].get<std::string>()
             : std::string();
}

std::int64_t yuanToFen(const std::string& yuan) {
  auto money = domain::parseYuan(yuan);
  return money ? money->fen() : 0;
}

TradeState tradeState(const std::string& status) {
  if (status == "TRADE_SUCCESS" || status == "TRADE_FINISHED") {
    return TradeState::Paid;
  }
  if (status == "TRADE_CLOSED") {
    return TradeState::Closed;
  }
  return TradeState::NotPaid;  // WAIT_BUYER_PAY
}

std::unexpected<ProviderError> refusedBy(const std::string& what, const Json& response) {
  const std::string code = text(response, "code");
  const std::string subCode = text(response, "sub_code");
  return std::unexpected(providerError(
      code == "20000" ? ProviderErrorCode::Unknown : ProviderErrorCode::Rejected,
      "alipay " + what + ": " + code + " " + subCode + " " + text(response, "sub_msg"),
      subCode.empty() ? code : subCode));
}

}  // namespace

std::expected<std::unique_ptr<AlipayProvider>, ProviderError> AlipayProvider::create(
    AlipayConfig config, std::unique_ptr<ProviderTransport> transport, ProviderClock clock) {
  if (config.appId.empty()) {
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration, "alipay: app_id required"));
  }
  auto appKey = RsaPrivateKey::fromPem(config.appPrivateKeyPem);
  if (!appKey) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "alipay app private key: " + appKey.error().message));
  }
  auto alipayKey = config.alipayPublicKeyPem.find("BEGIN") != std::string::npos
                       ? RsaPublicKey::fromPem(config.alipayPublicKeyPem)
                       : RsaPublicKey::fromBase64Der(config.alipayPublicKeyPem);
  if (!alipayKey) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "alipay public key: " + alipayKey.error().message));
  }
  if (!transport || !clock) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "alipay: transport and clock are required"));
  }
  return std::unique_ptr<AlipayProvider>(new AlipayProvider(std::move(config), std::move(transport),
                                                            std::move(clock), std::move(*appKey),
                                                            std::move(*alipayKey)));
}

AlipayProvider::AlipayProvider(AlipayConfig config, std::unique_ptr<ProviderTransport> transport,
                               ProviderClock clock, RsaPrivateKey appKey, RsaPublicKey alipayKey)
    : m_config(std::move(config)),
      m_transport(std::move(transport)),
      m_clock(std::move(clock)),
      m_appKey(std::move(appKey)),
      m_alipayKey(std::move(alipayKey)) {}

std::expected<std::string, ProviderError> AlipayProvider::call(const std::string& method,
                                                               const std::string& bizContent,
                                                               bool withNotifyUrl) {
  std::map<std::string, std::string> params = {
      {"app_id", m_config.appId}, {"method", method},
      {"format", "JSON"},         {"charset", "utf-8"},
      {"sign_type", "RSA2"},      {"timestamp", detail::chinaDateTime(m_clock())},
      {"version", "1.0"},         {"biz_content", bizContent}};
  if (withNotifyUrl && !m_config.notifyUrl.empty()) {
    params["notify_url"] = m_config.notifyUrl;
  }
  auto signature = m_appKey.signBase64(alipaySignContent(params, {"sign"}));
  if (!signature) {
    return std::unexpected(providerError(ProviderErrorCode::Configuration,
                                         "alipay sign: " + signature.error().message));
  }
  params["sign"] = *signature;
  ProviderRequest request;
  request.method = "POST";
  request.target = "?charset=utf-8";
  request.contentType = "application/x-www-form-urlencoded;charset=utf-8";
  request.body = formEncode(params);
  auto response = m_transport->send(request);
  if (!response) {
    return std::unexpected(detail::fromTransport(response.error()));
  }
  if (response->status != 200) {
    return std::unexpected(
        providerError(ProviderErrorCode::Unknown,
                      "alipay " + method + ": HTTP " + std::to_string(response->status)));
  }
  std::string member = method;
  std::replace(member.begin(), member.end(), '.', '_');
  member += "_response";
  auto raw = rawJsonMember(response->body, member);
  if (!raw) {
    raw = rawJsonMember(response->body, "error_response");
  }
  const Json json = Json::parse(response->body, nullptr, false);
  const std::string sign = text(json, "sign");
  if (!raw || sign.empty() || !m_alipayKey.verifyBase64(*raw, sign)) {
    return std::unexpected(providerError(
        ProviderErrorCode::Unknown, "alipay " + method + ": answer signature does not verify"));
  }
  return *raw;
}

std::expected<std::string, ProviderError> AlipayProvider::createQr(const QrOrder& order) {
  Json biz = {{"out_trade_no", order.outTradeNo},
              {"total_amount", domain::formatYuan(domain::Money::fromFen(order.amountFen))},
              {"subject", order.description},
              {"time_expire", detail::chinaDateTime(order.expiresAt)}};
  auto raw = call("alipay.trade.precreate", biz.dump(), true);
  if (!raw) {
    return std::unexpected(raw.error());
  }
  const Json response = Json::parse(*raw, nullptr, false);
  if (text(response, "code") != "10000") {
    return refusedBy("precreate", response);
  }
  const std::string qr = text(response, "qr_code");
  if (qr.empty()) {
    return std::unexpected(
        providerError(ProviderErrorCode::Unknown, "alipay precreate: no qr_code"));
  }
  return qr;
}

std::expected<TradeStatus, ProviderError> AlipayProvider::payByCode(const CodeOrder& order) {
  Json biz = {{"out_trade_no", order.outTradeNo},
              {"scene", "bar_code"},
              {"auth_code", order.authCode},
              {"subject", order.description},
              {"store_id", order.storeId},
              {"total_amount", domain::formatYuan(domain::Money::fromFen(order.amountFen))}};
  auto raw = call("alipay.trade.pay", biz.dump(), true);
  if (!raw) {
    return std::unexpected(raw.error());
  }
  const Json response = Json::parse(*raw, nullptr, false);
  const std::string code = text(response, "code");
  TradeStatus status;
  status.detail = code;
  status.providerTradeNo = text(response, "trade_no");
  status.amountFen = yuanToFen(text(response, "total_amount"));
  if (code == "10000") {
    status.state = TradeState::Paid;
    return status;
  }
  if (code == "10003") {
    status.state = TradeState::Paying;
    return status;
  }
  return refusedBy("pay", response);
}

std::expected<TradeStatus, ProviderError> AlipayProvider::query(const std::string& outTradeNo) {
  auto raw = call("alipay.trade.query", Json{{"out_trade_no", outTradeNo}}.dump(), false);
  if (!raw) {
    return std::unexpected(raw.error());
  }
  const Json response = Json::parse(*raw, nullptr, false);
  if (text(response, "code") != "10000") {
    if (text(response, "sub_code") == "ACQ.TRADE_NOT_EXIST") {
      TradeStatus missing;
      missing.state = TradeState::NotFound;
      missing.detail = "ACQ.TRADE_NOT_EXIST";
      return missing;
    }
    return refusedBy("query", response);
  }
  TradeStatus status;
  status.detail = text(response, "trade_status");
  status.state = tradeState(status.detail);
  status.providerTradeNo = text(response, "trade_no");
  status.amountFen = yuanToFen(text(response, "total_amount"));
  return status;
}

std::expected<CancelOutcome, ProviderError> AlipayProvider::close(const std::string& outTradeNo) {
  return reverse(outTradeNo);
}

std::expected<CancelOutcome, ProviderError> AlipayProvider::reverse(const std::string& outTradeNo) {
  auto raw = call("alipay.trade.cancel", Json{{"out_trade_no", outTradeNo}}.dump(), false);
  if (!raw) {
    return std::unexpected(raw.error());
  }
  const Json response = Json::parse(*raw, nullptr, false);
  if (text(response, "code") != "10000") {
    return refusedBy("cancel", response);
  }
  if (text(response, "retry_flag") == "Y") {
    return std::unexpected(
        providerError(ProviderErrorCode::Unknown, "alipay cancel: retry_flag=Y", "RETRY"));
  }
  return text(response, "action") == "refund" ? CancelOutcome::Refunded : CancelOutcome::Closed;
}

std::expected<RefundState, ProviderError> AlipayProvider::refund(const RefundOrder& order) {
  Json biz = {{"out_trade_no", order.outTradeNo},
              {"out_request_no", order.outRefundNo},
              {"refund_amount", domain::formatYuan(domain::Money::fromFen(order.refundFen))},
              {"refund_reason", order.reason}};
  auto raw = call("alipay.trade.refund", biz.dump(), false);
  if (!raw) {
    return std::unexpected(raw.error());
  }
  const Json response = Json::parse(*raw, nullptr, false);
  if (text(response, "code") != "10000") {
    if (text(response, "code") == "20000") {
      return RefundState::Processing;
    }
    return refusedBy("refund", response);
  }
  return text(response, "fund_change") == "Y" || text(response, "fund_change") == "N"
             ? RefundState::Success  // N on a repeated out_request_no: the refund exists already
             : RefundState::Processing;
}

std::expected<Notification, ProviderError> AlipayProvider::parseNotification(
    const HeaderMap& /*headers*/, const std::string& body, domain::Instant /*now*/) {
  auto params = formDecode(body);
  if (!params) {
    return std::unexpected(params.error());
  }
  const std::string sign = (*params)["sign"];
  if (sign.empty() ||
      !m_alipayKey.verifyBase64(alipaySignContent(*params, {"sign", "sign_type"}), sign)) {
    return std::unexpected(providerError(ProviderErrorCode::BadSignature,
                                         "alipay: notification signature does not verify"));
  }
  if ((*params)["app_id"] != m_config.appId ||
      (!m_config.sellerId.empty() && (*params)["seller_id"] != m_config.sellerId)) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage,
                                         "alipay: notification for another app or seller"));
  }
  Notification notification;
  notification.outTradeNo = (*params)["out_trade_no"];
  notification.eventId = (*params)["notify_id"];
  notification.status.detail = (*params)["trade_status"];
  notification.status.state = tradeState(notification.status.detail);
  notification.status.providerTradeNo = (*params)["trade_no"];
  auto amount = domain::parseYuan((*params)["total_amount"]);
  if (notification.outTradeNo.empty() || !amount) {
    return std::unexpected(providerError(ProviderErrorCode::BadMessage,
                                         "alipay: notification without out_trade_no/total_amount"));
  }
  notification.status.amountFen = amount->fen();
  return notification;
}

NotificationAck AlipayProvider::acknowledge(Verdict verdict, const std::string& /*reason*/) const {
  // Alipay stops resending only on the exact body "success".
  return {200, "text/plain", verdict == Verdict::Accepted ? "success" : "fail"};
}

}  // namespace prepaid::backend::payments
