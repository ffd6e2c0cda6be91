#pragma once

// WeChat Pay API v3 (direct merchant): Native pay, code pay, query, close, reverse, refund and
// payment notifications.
//
// Protocol facts (WeChat Pay API v3 documentation, "签名认证" / "回调通知"):
// - request signature: SHA256withRSA with the merchant key over
//   "METHOD\nURL-path-and-query\ntimestamp\nnonce\nbody\n", sent as
//   Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
//   timestamp="…",serial_no="…" (serial of the merchant certificate);
// - answers and notifications are signed by the platform over "timestamp\nnonce\nbody\n" in
//   Wechatpay-Signature, with Wechatpay-Timestamp, Wechatpay-Nonce and Wechatpay-Serial naming
//   the platform certificate (or platform public key id "PUB_KEY_ID_…");
// - notification resources are AEAD_AES_256_GCM with the APIv3 key;
// - a timestamp further than the skew limit (5 minutes) from our clock is refused.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prepaid/payments/crypto.hpp"
#include "prepaid/payments/payment_provider.hpp"

namespace prepaid::backend::payments {

/// The current instant (UTC); callable from any thread.
using ProviderClock = std::function<domain::Instant()>;

struct WechatPayConfig {
  std::string mchid;                                 // 商户号
  std::string appid;                                 // 应用 AppID
  std::string merchantSerialNo;                      // serial of the merchant API certificate
  std::string merchantPrivateKeyPem;                 // apiclient_key.pem
  std::string apiV3Key;                              // 32-byte APIv3 key
  std::vector<std::string> platformCertificatePems;  // verify answers (by serial)
  std::string platformPublicKeyId;                   // optional: "PUB_KEY_ID_…"
  std::string platformPublicKeyPem;                  // with platformPublicKeyId
  std::string notifyUrl;                             // our notification URL
  std::int64_t clockSkewS = 300;                     // answers/notifications outside: refused
};

/// "METHOD\ntarget\ntimestamp\nnonce\nbody\n" — the string a request signature covers.
[[nodiscard]] std::string wechatRequestMessage(const std::string& method, const std::string& target,
                                               std::int64_t timestamp, const std::string& nonce,
                                               const std::string& body);
/// "timestamp\nnonce\nbody\n" — what an answer or notification signature covers.
[[nodiscard]] std::string wechatResponseMessage(const std::string& timestamp,
                                                const std::string& nonce, const std::string& body);
/// The Authorization header value.
[[nodiscard]] std::string wechatAuthorization(const std::string& mchid, const std::string& nonce,
                                              const std::string& signature, std::int64_t timestamp,
                                              const std::string& serialNo);
/// Parses an Authorization header back into its fields (mchid, nonce_str, signature,
/// timestamp, serial_no); empty map when it is not WECHATPAY2-SHA256-RSA2048.
[[nodiscard]] std::map<std::string, std::string> parseWechatAuthorization(
    const std::string& header);
/// RFC 3339 in China Standard Time ("2024-05-01T12:00:00+08:00"), as time_expire wants it.
[[nodiscard]] std::string wechatTime(domain::Instant instant);

class WechatPayProvider final : public PaymentProvider {
 public:
  /// Loads the keys and certificates; Configuration error when any is unusable.
  [[nodiscard]] static std::expected<std::unique_ptr<WechatPayProvider>, ProviderError> create(
      WechatPayConfig config, std::unique_ptr<ProviderTransport> transport, ProviderClock clock);

  ProviderKind kind() const override { return ProviderKind::Wechat; }
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

  /// Verifies a signed answer or notification (serial, skew, signature) at `now`.
  [[nodiscard]] std::expected<void, ProviderError> verifySigned(const HeaderMap& headers,
                                                                const std::string& body,
                                                                domain::Instant now) const;

 private:
  WechatPayProvider(WechatPayConfig config, std::unique_ptr<ProviderTransport> transport,
                    ProviderClock clock, RsaPrivateKey merchantKey,
                    std::map<std::string, RsaPublicKey> platformKeys);

  struct Answer {
    int status = 0;
    std::string body;
  };
  /// Signs, sends, verifies the answer's signature. Unreachable/Unknown on transport failure,
  /// Unknown on 5xx or an answer that does not verify.
  std::expected<Answer, ProviderError> call(const std::string& method, const std::string& target,
                                            const std::string& body);

  WechatPayConfig m_config;
  std::unique_ptr<ProviderTransport> m_transport;
  ProviderClock m_clock;
  RsaPrivateKey m_merchantKey;
  std::map<std::string, RsaPublicKey> m_platformKeys;  // by serial / public key id
};

}  // namespace prepaid::backend::payments
