#pragma once

// Alipay open platform (alipay.trade.*): precreate (QR), pay with bar_code (payment code), query,
// cancel, refund, and asynchronous notifications.
//
// Protocol facts (Alipay open platform documentation, "签名" / "异步通知验签"):
// - requests are form posts to the gateway with the common parameters (app_id, method, format,
//   charset, sign_type=RSA2, timestamp "yyyy-MM-dd HH:mm:ss" in CST, version 1.0, notify_url,
//   biz_content JSON); `sign` is SHA256withRSA over the parameters sorted by name, empty values
//   and `sign` left out, joined as k=v&k=v;
// - the answer's `sign` covers the raw JSON text of the "<method>_response" member;
// - notifications are form posts verified the same way without `sign` and `sign_type`, and
//   answered with exactly `success`;
// - codes: 10000 success, 10003 waiting for the customer, 20000 unknown (query), 40004 refused.

#include <map>
#include <memory>
#include <string>

#include "prepaid/payments/crypto.hpp"
#include "prepaid/payments/payment_provider.hpp"
#include "prepaid/payments/wechat_pay_provider.hpp"

namespace prepaid::backend::payments {

struct AlipayConfig {
  std::string appId;
  std::string appPrivateKeyPem;  // our application private key (RSA2)
  std::string
      alipayPublicKeyPem;  // Alipay's public key (PEM, or Base64 DER as shown in the console)
  std::string notifyUrl;
  std::string sellerId;  // optional: notifications for another seller are refused when set
};

/// The string the RSA2 signature covers: parameters sorted by name, empty values and the
/// `excluded` names left out, "k=v" joined with '&' (values not URL-encoded).
[[nodiscard]] std::string alipaySignContent(const std::map<std::string, std::string>& params,
                                            std::initializer_list<std::string_view> excluded);
/// application/x-www-form-urlencoded encoding and decoding (UTF-8, '+' for space on decode).
[[nodiscard]] std::string formEncode(const std::map<std::string, std::string>& params);
[[nodiscard]] std::expected<std::map<std::string, std::string>, ProviderError> formDecode(
    const std::string& body);
/// The raw text of the JSON object that is the value of `member` in `json` (what Alipay signs);
/// nullopt when absent or unbalanced.
[[nodiscard]] std::optional<std::string> rawJsonMember(const std::string& json,
                                                       const std::string& member);

class AlipayProvider final : public PaymentProvider {
 public:
  [[nodiscard]] static std::expected<std::unique_ptr<AlipayProvider>, ProviderError> create(
      AlipayConfig config, std::unique_ptr<ProviderTransport> transport, ProviderClock clock);

  ProviderKind kind() const override { return ProviderKind::Alipay; }
  std::expected<std::string, ProviderError> createQr(const QrOrder& order) override;
  std::expected<TradeStatus, ProviderError> payByCode(const CodeOrder& order) override;
  std::expected<TradeStatus, ProviderError> query(const std::string& outTradeNo) override;
  std::expected<CancelOutcome, ProviderError> close(const std::string& outTradeNo) override;
  std::expected<CancelOutcome, ProviderError> reverse(const std::string& outTradeNo) override;
  std::expected<RefundState, ProviderError> refund(const RefundOrder& order) override;
  std::expected<Notification, ProviderError> parseNotification(const HeaderMap& headers,
                                                               const std::string& body,
                                                               domain::Instant now) override;
  NotificationAck acknowledge(Verdict verdict, const std::string& reason) const override;

 private:
  AlipayProvider(AlipayConfig config, std::unique_ptr<ProviderTransport> transport,
                 ProviderClock clock, RsaPrivateKey appKey, RsaPublicKey alipayKey);

  /// Signs and posts one API call; returns the verified "<method>_response" object.
  std::expected<std::string, ProviderError> call(const std::string& method,
                                                 const std::string& bizContent, bool withNotifyUrl);

  AlipayConfig m_config;
  std::unique_ptr<ProviderTransport> m_transport;
  ProviderClock m_clock;
  RsaPrivateKey m_appKey;
  RsaPublicKey m_alipayKey;
};

}  // namespace prepaid::backend::payments
