#include "prepaid/client/wire_mapping.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::kiosk {
namespace {

TEST(WireMapping, ParsesAnOrder) {
  auto order = parseOrder(R"({"order_no":"O1","meter_id":3,"amount_fen":10000,"channel":"qr",
    "provider":"wechat","state":"pending","qr_code":"weixin://wxpay/bizpayurl?pr=x",
    "expires_at":"2024-05-01T08:35:00+08:00","ledger_entry_id":null,"extra":1})");
  ASSERT_TRUE(order) << order.error().message;
  EXPECT_EQ(order->orderNo, "O1");
  EXPECT_EQ(order->state, OrderState::Pending);
  EXPECT_EQ(order->qrCode, "weixin://wxpay/bizpayurl?pr=x");
  EXPECT_FALSE(order->ledgerEntryId);
}

TEST(WireMapping, OrderAcceptsCodeUrlAndNumericId) {
  auto order = parseOrder(
      R"({"order_id":42,"meter_id":3,"amount_fen":1,"state":"credited","code_url":"u",
          "ledger_entry_id":9,"balance_after_fen":500,"attention":"needs_staff"})");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->orderNo, "42");
  EXPECT_EQ(order->qrCode, "u");
  EXPECT_EQ(order->ledgerEntryId, 9);
  EXPECT_EQ(order->balanceAfterFen, 500);
  EXPECT_TRUE(order->needsStaff);
}

TEST(WireMapping, CreditedOrderCarriesItsReceiptAndCountdown) {
  auto order = parseOrder(R"({"order_no":"O2","meter_id":3,"amount_fen":10000,"state":"credited",
    "stage":"credited","credit_pending":false,"qr_code":"","expires_in_s":0,
    "ledger_entry_id":12,"balance_after_fen":15000,"attention":"none",
    "receipt":{"receipt_number":"R12","entry_id":12,"site_name":"示范广场","shop_number":"101",
      "meter_serial":"S3","meter_id":3,"kind":"recharge","amount_fen":10000,
      "balance_after_fen":15000,"purchase_count":4,"operator":"","payment_method":"wechat",
      "created_at":"2024-05-01T08:30:00+08:00"}})");
  ASSERT_TRUE(order) << order.error().message;
  ASSERT_TRUE(order->receipt);
  EXPECT_EQ(order->receipt->purchaseCount, 4);
  EXPECT_EQ(order->receipt->balanceAfterFen, 15000);
  auto pending = parseOrder(
      R"({"order_no":"O3","meter_id":3,"amount_fen":1,"state":"pending","expires_in_s":290})");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->expiresInS, 290);
  EXPECT_FALSE(pending->receipt);
}

TEST(WireMapping, BadAnswersAreProtocolErrorsNotExceptions) {
  for (auto body : {"", "[]", "{", R"({"order_no":"O1"})",
                    R"({"order_no":"O1","meter_id":1,"amount_fen":1,"state":"weird"})",
                    R"({"order_no":"O1","meter_id":"x","amount_fen":1,"state":"paid"})"}) {
    auto order = parseOrder(body);
    ASSERT_FALSE(order) << body;
    EXPECT_EQ(order.error().kind, ClientErrorKind::Protocol);
  }
  EXPECT_FALSE(parseAccount("{}"));
  EXPECT_FALSE(parseAlarms(R"({"alarms":5})"));
}

TEST(WireMapping, ErrorBodiesMapToApiCodes) {
  auto error = errorFromResponse(404, R"({"error":{"code":"unknown_shop","message":"no"}})");
  EXPECT_EQ(error.kind, ClientErrorKind::Api);
  EXPECT_EQ(error.apiCode, api::ErrorCode::UnknownShop);
  EXPECT_EQ(error.httpStatus, 404);
  EXPECT_FALSE(error.offline());
  auto gateway = errorFromResponse(502, "<html>bad gateway</html>");
  EXPECT_EQ(gateway.kind, ClientErrorKind::Protocol);
  EXPECT_TRUE(gateway.offline());
}

TEST(WireMapping, RequestBodies) {
  IdentifyRequest identify;
  identify.shopNumber = "A101";
  identify.pin = "1234";
  EXPECT_EQ(nlohmann::json::parse(identifyBody(identify)),
            nlohmann::json::parse(R"({"shop_number":"A101","pin":"1234"})"));
  CreateOrderRequest create;
  create.meterId = 3;
  create.amountFen = 10000;
  EXPECT_EQ(nlohmann::json::parse(createOrderBody(create)),
            nlohmann::json::parse(
                R"({"meter_id":3,"amount_fen":10000,"channel":"qr","provider":"wechat"})"));
  create.channel = PaymentChannel::Code;
  EXPECT_FALSE(nlohmann::json::parse(createOrderBody(create)).contains("provider"));
}

TEST(WireMapping, OrderStateNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(OrderState::Failed); ++i) {
    const auto state = static_cast<OrderState>(i);
    EXPECT_EQ(parseOrderState(toString(state)), state);
  }
}

}  // namespace
}  // namespace prepaid::kiosk
