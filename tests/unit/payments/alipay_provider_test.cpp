#include "prepaid/payments/alipay_provider.hpp"

#include "test_support.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::backend::payments {
namespace {

using Json = nlohmann::json;
const domain::Instant NowInstant{std::chrono::seconds(1'700'000'000)};

TEST(AlipaySigning, SignContentSortsSkipsEmptyAndExcluded) {
  const std::map<std::string, std::string> params = {
      {"method", "alipay.trade.precreate"},
      {"app_id", "2014072300007148"},
      {"charset", "utf-8"},
      {"sign_type", "RSA2"},
      {"timestamp", "2014-07-24 03:07:50"},
      {"version", "1.0"},
      {"notify_url", ""},
      {"sign", "ignored"},
      {"biz_content",
       R"({"out_trade_no":"20150320010101001","total_amount":"88.88","subject":"Iphone6 16G"})"}};
  const std::string content = alipaySignContent(params, {"sign"});
  EXPECT_EQ(content, test::fixture("alipay_sign_content.txt"));
  auto key = RsaPrivateKey::fromPem(test::fixture("merchant_key.pem"));
  EXPECT_EQ(key->signBase64(content).value(), test::fixture("alipay_signature.b64"));
  EXPECT_EQ(alipaySignContent(params, {"sign", "sign_type"}).find("sign_type"), std::string::npos);
}

TEST(AlipaySigning, FormEncodingRoundTrips) {
  const std::map<std::string, std::string> params = {
      {"a", "x y&z=1"}, {"subject", "电费 充值"}, {"total_amount", "12.30"}};
  auto decoded = formDecode(formEncode(params));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, params);
  EXPECT_EQ(formDecode("a=1+2&b=%E7%94%B5").value().at("a"), "1 2");
  EXPECT_FALSE(formDecode("a=%G1").has_value());
  EXPECT_FALSE(formDecode("a=%1").has_value());
  EXPECT_FALSE(formDecode("a=1&a=2").has_value());
}

TEST(AlipaySigning, RawJsonMemberKeepsTheExactText) {
  const std::string body =
      R"({"alipay_trade_query_response": {"code":"10000","msg":"Success","x":"a}\"b{"} ,"sign":"S"})";
  EXPECT_EQ(rawJsonMember(body, "alipay_trade_query_response").value(),
            R"({"code":"10000","msg":"Success","x":"a}\"b{"})");
  EXPECT_FALSE(rawJsonMember(body, "missing").has_value());
  EXPECT_FALSE(rawJsonMember(R"({"m":{"a":1)", "m").has_value());
}

/// Plays the Alipay gateway: checks the app signature and answers signed by "Alipay".
class FakeGateway final : public ProviderTransport {
 public:
  FakeGateway(RsaPublicKey app, RsaPrivateKey alipay)
      : m_app(std::move(app)), m_alipay(std::move(alipay)) {}
  std::expected<ProviderResponse, TransportError> send(const ProviderRequest& request) override {
    auto params = formDecode(request.body);
    requestSignatureValid =
        params && m_app.verifyBase64(alipaySignContent(*params, {"sign"}), params->at("sign"));
    lastParams = params.value_or(std::map<std::string, std::string>{});
    std::string member = lastParams["method"];
    std::replace(member.begin(), member.end(), '.', '_');
    ProviderResponse response;
    response.status = 200;
    const std::string signature = *m_alipay.signBase64(answer);
    response.body = "{\"" + member + "_response\":" + answer + ",\"sign\":\"" +
                    (breakSignature ? "x" + signature : signature) + "\"}";
    return response;
  }
  std::string answer;
  bool breakSignature = false;
  bool requestSignatureValid = false;
  std::map<std::string, std::string> lastParams;

 private:
  RsaPublicKey m_app;
  RsaPrivateKey m_alipay;
};

class AlipayProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto alipayKey = RsaPrivateKey::generate(2048);
    m_alipayKey = std::make_unique<RsaPrivateKey>(*alipayKey);
    AlipayConfig config;
    config.appId = "2021000000000001";
    config.appPrivateKeyPem = test::fixture("merchant_key.pem");
    config.alipayPublicKeyPem = alipayKey->publicKey().toBase64Der();  // console form
    config.notifyUrl = "https://site.example/notify/alipay";
    auto gateway = std::make_unique<FakeGateway>(
        *RsaPublicKey::fromPem(test::fixture("merchant_public.pem")), *alipayKey);
    m_gateway = gateway.get();
    auto provider = AlipayProvider::create(config, std::move(gateway), [] { return NowInstant; });
    ASSERT_TRUE(provider.has_value()) << provider.error().message;
    m_provider = std::move(*provider);
  }

  std::string signedNotification(std::map<std::string, std::string> params) const {
    params["sign_type"] = "RSA2";
    params["sign"] = *m_alipayKey->signBase64(alipaySignContent(params, {"sign", "sign_type"}));
    return formEncode(params);
  }

  std::unique_ptr<RsaPrivateKey> m_alipayKey;
  FakeGateway* m_gateway = nullptr;
  std::unique_ptr<AlipayProvider> m_provider;
};

TEST_F(AlipayProviderTest, PrecreateSignsAndReturnsQrCode) {
  m_gateway->answer =
      R"({"code":"10000","msg":"Success","out_trade_no":"P1","qr_code":"https://qr.alipay.com/x"})";
  QrOrder order{"P1", 1234, "electricity", NowInstant + std::chrono::minutes(3)};
  auto qr = m_provider->createQr(order);
  ASSERT_TRUE(qr.has_value()) << qr.error().message;
  EXPECT_EQ(*qr, "https://qr.alipay.com/x");
  EXPECT_TRUE(m_gateway->requestSignatureValid);
  EXPECT_EQ(m_gateway->lastParams["method"], "alipay.trade.precreate");
  EXPECT_EQ(m_gateway->lastParams["sign_type"], "RSA2");
  EXPECT_EQ(Json::parse(m_gateway->lastParams["biz_content"])["total_amount"], "12.34");
  EXPECT_EQ(m_gateway->lastParams["timestamp"], "2023-11-15 06:13:20");  // CST
}

TEST_F(AlipayProviderTest, PayCodesMapToPaidWaitingUnknownRefused) {
  CodeOrder order{"P2", 500, "electricity", "2812345678901234", "kiosk-1"};
  m_gateway->answer = R"({"code":"10000","msg":"Success","trade_no":"2024","total_amount":"5.00"})";
  auto paid = m_provider->payByCode(order);
  ASSERT_TRUE(paid.has_value());
  EXPECT_EQ(paid->state, TradeState::Paid);
  EXPECT_EQ(paid->amountFen, 500);
  EXPECT_EQ(Json::parse(m_gateway->lastParams["biz_content"])["scene"], "bar_code");
  m_gateway->answer = R"({"code":"10003","msg":"wait"})";
  EXPECT_EQ(m_provider->payByCode(order)->state, TradeState::Paying);
  m_gateway->answer = R"({"code":"20000","msg":"unknown","sub_code":"ACQ.SYSTEM_ERROR"})";
  EXPECT_EQ(m_provider->payByCode(order).error().code, ProviderErrorCode::Unknown);
  m_gateway->answer = R"({"code":"40004","msg":"fail","sub_code":"ACQ.PAYMENT_AUTH_CODE_INVALID"})";
  auto refused = m_provider->payByCode(order);
  EXPECT_EQ(refused.error().code, ProviderErrorCode::Rejected);
  EXPECT_EQ(refused.error().providerCode, "ACQ.PAYMENT_AUTH_CODE_INVALID");
  m_gateway->answer = R"({"code":"10000","msg":"Success"})";
  m_gateway->breakSignature = true;
  EXPECT_EQ(m_provider->payByCode(order).error().code, ProviderErrorCode::Unknown);
}

TEST_F(AlipayProviderTest, QueryCancelRefund) {
  m_gateway->answer = R"({"code":"40004","msg":"fail","sub_code":"ACQ.TRADE_NOT_EXIST"})";
  EXPECT_EQ(m_provider->query("P3")->state, TradeState::NotFound);
  m_gateway->answer = R"({"code":"10000","trade_status":"WAIT_BUYER_PAY","total_amount":"1.00"})";
  EXPECT_EQ(m_provider->query("P3")->state, TradeState::NotPaid);
  m_gateway->answer = R"({"code":"10000","action":"refund","retry_flag":"N"})";
  EXPECT_EQ(m_provider->reverse("P3").value(), CancelOutcome::Refunded);
  m_gateway->answer = R"({"code":"10000","fund_change":"Y","refund_fee":"1.00"})";
  EXPECT_EQ(m_provider->refund({"P3", "RP3", 100, 100, "r"}).value(), RefundState::Success);
  EXPECT_EQ(Json::parse(m_gateway->lastParams["biz_content"])["out_request_no"], "RP3");
}

TEST_F(AlipayProviderTest, NotificationVerifiedWithoutSignAndSignType) {
  const std::map<std::string, std::string> params = {{"app_id", "2021000000000001"},
                                                     {"out_trade_no", "P4"},
                                                     {"trade_no", "2024X"},
                                                     {"trade_status", "TRADE_SUCCESS"},
                                                     {"total_amount", "20.00"},
                                                     {"notify_id", "N1"},
                                                     {"subject", "电费"}};
  auto parsed = m_provider->parseNotification({}, signedNotification(params), NowInstant);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->status.state, TradeState::Paid);
  EXPECT_EQ(parsed->status.amountFen, 2000);

  auto forged = params;
  const std::string body = signedNotification(params);
  std::string tampered = body;
  tampered.replace(tampered.find("20.00"), 5, "90.00");
  EXPECT_EQ(m_provider->parseNotification({}, tampered, NowInstant).error().code,
            ProviderErrorCode::BadSignature);
  forged["app_id"] = "other";
  EXPECT_EQ(m_provider->parseNotification({}, signedNotification(forged), NowInstant).error().code,
            ProviderErrorCode::BadMessage);
  EXPECT_EQ(m_provider->acknowledge(PaymentProvider::Verdict::Accepted, "").body, "success");
  EXPECT_NE(m_provider->acknowledge(PaymentProvider::Verdict::Refused, "").body, "success");
}

}  // namespace
}  // namespace prepaid::backend::payments
