#include "prepaid/payments/wechat_pay_provider.hpp"

#include "test_support.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::backend::payments {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t Now = 1'700'000'000;
const domain::Instant NowInstant{std::chrono::seconds(Now)};
constexpr const char* ApiV3Key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

/// Plays the WeChat Pay platform: checks each request's merchant signature and answers with a
/// platform signature (optionally a broken one).
class FakePlatform final : public ProviderTransport {
 public:
  FakePlatform(RsaPublicKey merchant, RsaPrivateKey platform, std::string serial)
      : m_merchant(std::move(merchant)),
        m_platform(std::move(platform)),
        m_serial(std::move(serial)) {}

  std::expected<ProviderResponse, TransportError> send(const ProviderRequest& request) override {
    last = request;
    auto auth = parseWechatAuthorization(request.headers.at("Authorization"));
    requestSignatureValid =
        auth.size() == 5 && auth["mchid"] == "1230000109" &&
        auth["serial_no"] == "MERCHANTSERIAL" &&
        m_merchant.verifyBase64(
            wechatRequestMessage(request.method, request.target, std::stoll(auth["timestamp"]),
                                 auth["nonce_str"], request.body),
            auth["signature"]);
    ProviderResponse response;
    response.status = status;
    response.body = body;
    const std::string ts = std::to_string(Now + skewS);
    response.headers["Wechatpay-Timestamp"] = ts;
    response.headers["Wechatpay-Nonce"] = "nonce123";
    response.headers["Wechatpay-Serial"] = m_serial;
    auto signature = m_platform.signBase64(wechatResponseMessage(ts, "nonce123", body));
    response.headers["Wechatpay-Signature"] = breakSignature ? "AAAA" + *signature : *signature;
    return response;
  }

  int status = 200;
  std::string body;
  std::int64_t skewS = 0;
  bool breakSignature = false;
  bool requestSignatureValid = false;
  ProviderRequest last;

 private:
  RsaPublicKey m_merchant;
  RsaPrivateKey m_platform;
  std::string m_serial;
};

class WechatPayProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto platformKey = RsaPrivateKey::generate(2048);
    auto cert = Certificate::selfSigned(*platformKey, "platform", 30);
    m_platformKey = std::make_unique<RsaPrivateKey>(*platformKey);
    m_serial = cert->serialHex();
    WechatPayConfig config;
    config.mchid = "1230000109";
    config.appid = "wxd678efh567hg6787";
    config.merchantSerialNo = "MERCHANTSERIAL";
    config.merchantPrivateKeyPem = test::fixture("merchant_key.pem");
    config.apiV3Key = ApiV3Key;
    config.platformCertificatePems = {cert->toPem()};
    config.notifyUrl = "https://site.example/notify";
    auto transport = std::make_unique<FakePlatform>(
        *RsaPublicKey::fromPem(test::fixture("merchant_public.pem")), *platformKey, m_serial);
    m_transport = transport.get();
    auto provider =
        WechatPayProvider::create(config, std::move(transport), [] { return NowInstant; });
    ASSERT_TRUE(provider.has_value()) << provider.error().message;
    m_provider = std::move(*provider);
  }

  /// A notification signed by the platform whose resource holds `transaction`.
  std::pair<HeaderMap, std::string> notification(const Json& transaction, std::int64_t timestamp,
                                                 const std::string& serial) const {
    auto sealed = aes256GcmEncrypt(ApiV3Key, "abcdefghijkl", "transaction", transaction.dump());
    const Json body = {{"id", "EV-1"},
                       {"event_type", "TRANSACTION.SUCCESS"},
                       {"resource_type", "encrypt-resource"},
                       {"resource",
                        {{"algorithm", "AEAD_AES_256_GCM"},
                         {"ciphertext", *sealed},
                         {"associated_data", "transaction"},
                         {"nonce", "abcdefghijkl"},
                         {"original_type", "transaction"}}}};
    HeaderMap headers;
    headers["wechatpay-timestamp"] = std::to_string(timestamp);  // any case
    headers["Wechatpay-Nonce"] = "n1";
    headers["Wechatpay-Serial"] = serial;
    headers["Wechatpay-Signature"] = *m_platformKey->signBase64(
        wechatResponseMessage(std::to_string(timestamp), "n1", body.dump()));
    return {headers, body.dump()};
  }

  Json paidTransaction() const {
    return {{"mchid", "1230000109"},    {"appid", "wxd678efh567hg6787"},
            {"out_trade_no", "P1"},     {"transaction_id", "4200001"},
            {"trade_state", "SUCCESS"}, {"amount", {{"total", 1000}, {"currency", "CNY"}}}};
  }

  std::unique_ptr<RsaPrivateKey> m_platformKey;
  std::string m_serial;
  FakePlatform* m_transport = nullptr;
  std::unique_ptr<WechatPayProvider> m_provider;
};

TEST(WechatPaySigning, MessageAndHeaderFormats) {
  EXPECT_EQ(wechatRequestMessage("GET", "/v3/certificates", 1554208460,
                                 "593BEC0C930BF1AFEB40B4A08C8FB242", ""),
            "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
  EXPECT_EQ(wechatResponseMessage("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", "{}"),
            "1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{}\n");
  const std::string header =
      wechatAuthorization("1900009191", "593BEC0C930BF1AFEB40B4A08C8FB242", "SIG==", 1554208460,
                          "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
  EXPECT_EQ(header,
            "WECHATPAY2-SHA256-RSA2048 "
            "mchid=\"1900009191\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\","
            "signature=\"SIG==\",timestamp=\"1554208460\",serial_no="
            "\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\"");
  auto fields = parseWechatAuthorization(header);
  EXPECT_EQ(fields["signature"], "SIG==");
  EXPECT_EQ(fields["timestamp"], "1554208460");
  EXPECT_TRUE(parseWechatAuthorization("Bearer x").empty());
  EXPECT_EQ(wechatTime(domain::Instant(std::chrono::seconds(1528425296))),
            "2018-06-08T10:34:56+08:00");
}

TEST(WechatPaySigning, DocumentationExampleSignatureMatchesOpenssl) {
  // The signing string of the documented Native pay request, signed by the OpenSSL CLI.
  auto key = RsaPrivateKey::fromPem(test::fixture("merchant_key.pem"));
  const std::string body =
      R"({"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"}})";
  const std::string message = wechatRequestMessage(
      "POST", "/v3/pay/transactions/native", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", body);
  EXPECT_EQ(message, test::fixture("wechat_request_message.txt"));
  EXPECT_EQ(key->signBase64(message).value(), test::fixture("wechat_request_signature.b64"));
}

TEST_F(WechatPayProviderTest, NativePaySignsRequestAndSetsTimeExpire) {
  m_transport->body = R"({"code_url":"weixin://wxpay/bizpayurl?pr=abc"})";
  QrOrder order;
  order.outTradeNo = "P1";
  order.amountFen = 1000;
  order.description = "electricity";
  order.expiresAt = NowInstant + std::chrono::minutes(3);
  auto code = m_provider->createQr(order);
  ASSERT_TRUE(code.has_value()) << code.error().message;
  EXPECT_EQ(*code, "weixin://wxpay/bizpayurl?pr=abc");
  EXPECT_TRUE(m_transport->requestSignatureValid);
  const Json sent = Json::parse(m_transport->last.body);
  EXPECT_EQ(sent["amount"]["total"], 1000);
  EXPECT_EQ(sent["time_expire"], wechatTime(order.expiresAt));
  EXPECT_EQ(sent["notify_url"], "https://site.example/notify");
  EXPECT_EQ(m_transport->last.target, "/v3/pay/transactions/native");
}

TEST_F(WechatPayProviderTest, AnswersThatDoNotVerifyAreUnknownNotBelieved) {
  m_transport->body = R"({"trade_state":"SUCCESS","amount":{"total":1000}})";
  m_transport->breakSignature = true;
  auto status = m_provider->query("P1");
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ProviderErrorCode::Unknown);
  m_transport->breakSignature = false;
  m_transport->skewS = 301;  // beyond the 5-minute skew limit
  EXPECT_FALSE(m_provider->query("P1").has_value());
  m_transport->skewS = -290;
  auto ok = m_provider->query("P1");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->state, TradeState::Paid);
  EXPECT_EQ(ok->amountFen, 1000);
  EXPECT_EQ(m_transport->last.target, "/v3/pay/transactions/out-trade-no/P1?mchid=1230000109");
}

TEST_F(WechatPayProviderTest, QueryMapsStatesAndMissingOrders) {
  m_transport->status = 404;
  m_transport->body = R"({"code":"ORDER_NOT_EXIST","message":"no"})";
  EXPECT_EQ(m_provider->query("P9")->state, TradeState::NotFound);
  m_transport->status = 200;
  m_transport->body = R"({"trade_state":"USERPAYING"})";
  EXPECT_EQ(m_provider->query("P9")->state, TradeState::Paying);
  m_transport->body = R"({"trade_state":"CLOSED"})";
  EXPECT_EQ(m_provider->query("P9")->state, TradeState::Closed);
  m_transport->status = 500;
  m_transport->body = R"({"code":"SYSTEM_ERROR","message":"busy"})";
  EXPECT_EQ(m_provider->query("P9").error().code, ProviderErrorCode::Unknown);
}

TEST_F(WechatPayProviderTest, CodePayUserPayingAndRefundIdempotencyFields) {
  m_transport->status = 202;
  m_transport->body = R"({"code":"USERPAYING","message":"wait"})";
  CodeOrder order;
  order.outTradeNo = "P2";
  order.amountFen = 500;
  order.authCode = "134567890123456789";
  auto status = m_provider->payByCode(order);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, TradeState::Paying);
  EXPECT_EQ(Json::parse(m_transport->last.body)["payer"]["auth_code"], "134567890123456789");

  m_transport->status = 200;
  m_transport->body = R"({"status":"SUCCESS","out_refund_no":"RP2"})";
  RefundOrder refund{"P2", "RP2", 500, 500, "customer"};
  EXPECT_EQ(m_provider->refund(refund).value(), RefundState::Success);
  const Json sent = Json::parse(m_transport->last.body);
  EXPECT_EQ(sent["out_refund_no"], "RP2");
  EXPECT_EQ(sent["amount"]["refund"], 500);

  m_transport->status = 204;
  m_transport->body = "";
  EXPECT_TRUE(m_provider->close("P2").has_value());
  EXPECT_EQ(m_transport->last.target, "/v3/pay/transactions/out-trade-no/P2/close");
}

TEST_F(WechatPayProviderTest, VerifiedNotificationIsDecrypted) {
  auto [headers, body] = notification(paidTransaction(), Now - 10, m_serial);
  auto parsed = m_provider->parseNotification(headers, body, NowInstant);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->outTradeNo, "P1");
  EXPECT_EQ(parsed->status.state, TradeState::Paid);
  EXPECT_EQ(parsed->status.amountFen, 1000);
  EXPECT_EQ(parsed->status.providerTradeNo, "4200001");
  EXPECT_EQ(parsed->eventId, "EV-1");
}

TEST_F(WechatPayProviderTest, ForgedStaleOrForeignNotificationsAreRefused) {
  {
    auto [headers, body] = notification(paidTransaction(), Now, m_serial);
    body[body.size() - 2] = ' ';  // any change breaks the signature
    EXPECT_EQ(m_provider->parseNotification(headers, body, NowInstant).error().code,
              ProviderErrorCode::BadSignature);
  }
  {
    auto [headers, body] = notification(paidTransaction(), Now - 301, m_serial);
    EXPECT_EQ(m_provider->parseNotification(headers, body, NowInstant).error().code,
              ProviderErrorCode::StaleTimestamp);
  }
  {
    auto [headers, body] = notification(paidTransaction(), Now, "UNKNOWNSERIAL");
    EXPECT_EQ(m_provider->parseNotification(headers, body, NowInstant).error().code,
              ProviderErrorCode::BadSignature);
  }
  {
    Json other = paidTransaction();
    other["mchid"] = "999";
    auto [headers, body] = notification(other, Now, m_serial);
    EXPECT_EQ(m_provider->parseNotification(headers, body, NowInstant).error().code,
              ProviderErrorCode::BadMessage);
  }
  EXPECT_EQ(m_provider->acknowledge(PaymentProvider::Verdict::Accepted, "").status, 204);
  EXPECT_GE(m_provider->acknowledge(PaymentProvider::Verdict::Refused, "x").status, 400);
}

// P12: a merchant on WeChat's "platform public key" mode has no platform certificate: answers
// and notifications carry Wechatpay-Serial = the public key id and are verified with that key;
// another id, or the key's signature under the certificate mode's serial, is refused.
TEST(WechatPayPublicKeyId, AnswersAndNotificationsVerifyWithThePlatformPublicKey) {
  constexpr const char* KeyId = "PUB_KEY_ID_0112345678902025112100000000000000";
  auto platformKey = RsaPrivateKey::generate(2048);
  ASSERT_TRUE(platformKey.has_value());
  WechatPayConfig config;
  config.mchid = "1230000109";
  config.appid = "wxd678efh567hg6787";
  config.merchantSerialNo = "MERCHANTSERIAL";
  config.merchantPrivateKeyPem = test::fixture("merchant_key.pem");
  config.apiV3Key = ApiV3Key;
  config.platformPublicKeyId = KeyId;
  config.platformPublicKeyPem = platformKey->publicKey().toPem();
  config.notifyUrl = "https://site.example/notify";
  auto transport = std::make_unique<FakePlatform>(
      *RsaPublicKey::fromPem(test::fixture("merchant_public.pem")), *platformKey, KeyId);
  FakePlatform* platform = transport.get();
  auto provider =
      WechatPayProvider::create(config, std::move(transport), [] { return NowInstant; });
  ASSERT_TRUE(provider.has_value()) << provider.error().message;

  // A signed query answer under the public key id is believed.
  platform->body = Json{{"mchid", "1230000109"},
                        {"appid", "wxd678efh567hg6787"},
                        {"out_trade_no", "P1"},
                        {"transaction_id", "4200001"},
                        {"trade_state", "SUCCESS"},
                        {"amount", {{"total", 1000}, {"payer_total", 1000}, {"currency", "CNY"}}}}
                       .dump();
  auto status = (*provider)->query("P1");
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_TRUE(platform->requestSignatureValid);
  EXPECT_EQ(status->state, TradeState::Paid);
  EXPECT_EQ(status->amountFen, 1000);
  // The same answer with a broken signature is not believed.
  platform->breakSignature = true;
  auto broken = (*provider)->query("P1");
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code, ProviderErrorCode::Unknown);

  // A notification signed with the platform key under its id verifies and decrypts; under
  // another id (e.g. a certificate serial we do not have) it is refused.
  auto notify = [&](const std::string& serial) {
    const Json transaction{
        {"mchid", "1230000109"},    {"appid", "wxd678efh567hg6787"},
        {"out_trade_no", "P1"},     {"transaction_id", "4200001"},
        {"trade_state", "SUCCESS"}, {"amount", {{"total", 1000}, {"currency", "CNY"}}}};
    auto sealed = aes256GcmEncrypt(ApiV3Key, "abcdefghijkl", "transaction", transaction.dump());
    const Json body = {{"id", "EV-9"},
                       {"event_type", "TRANSACTION.SUCCESS"},
                       {"resource_type", "encrypt-resource"},
                       {"resource",
                        {{"algorithm", "AEAD_AES_256_GCM"},
                         {"ciphertext", *sealed},
                         {"associated_data", "transaction"},
                         {"nonce", "abcdefghijkl"},
                         {"original_type", "transaction"}}}};
    HeaderMap headers;
    headers["Wechatpay-Timestamp"] = std::to_string(Now);
    headers["Wechatpay-Nonce"] = "n1";
    headers["Wechatpay-Serial"] = serial;
    headers["Wechatpay-Signature"] =
        *platformKey->signBase64(wechatResponseMessage(std::to_string(Now), "n1", body.dump()));
    return (*provider)->parseNotification(headers, body.dump(), NowInstant);
  };
  auto accepted = notify(KeyId);
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
  EXPECT_EQ(accepted->status.amountFen, 1000);
  EXPECT_EQ(accepted->eventId, "EV-9");
  auto refused = notify("5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ProviderErrorCode::BadSignature);
}

TEST(WechatPayProviderConfig, UnusableConfigurationIsRefused) {
  WechatPayConfig config;
  config.mchid = "1";
  config.appid = "a";
  config.merchantSerialNo = "s";
  config.apiV3Key = "short";
  auto provider = WechatPayProvider::create(config, nullptr, [] { return NowInstant; });
  ASSERT_FALSE(provider.has_value());
  EXPECT_EQ(provider.error().code, ProviderErrorCode::Configuration);
}

}  // namespace
}  // namespace prepaid::backend::payments
