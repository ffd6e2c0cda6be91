#include "prepaid/viewmodels/account_view_model.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using testing::Harness;

TEST(AccountViewModel, CardsShowBalanceStatusReadingEnergyAndDaysLeft) {
  Harness h;
  auto account = testing::account();
  account.meters[0].status = api::MeterStatusCode::Alarm2;
  h.api.identifyResult = account;
  h.api.accountResult = account;
  h.identifyShop("A101");
  const auto cards = h.session.account().cards();
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].balanceYuan, "50.00");
  EXPECT_EQ(cards[0].statusKey, "status.alarm2");
  EXPECT_EQ(cards[0].statusColour, 0xEF6C00U);
  EXPECT_EQ(cards[0].lastReading, "2024-05-01 08:30");
  EXPECT_EQ(cards[0].todayKwh, "12.34");
  EXPECT_EQ(cards[0].daysLeft, (Message{"account.days_left", {"12"}}));
  EXPECT_EQ(h.api.lastToken, "tenant-token");
}

TEST(AccountViewModel, NoRecentUseSaysWaterForWaterMeters) {
  Harness h;
  auto account = testing::account();
  auto water = testing::meter(12, 3000);
  water.medium = "water";
  account.meters.push_back(water);
  for (auto& m : account.meters) {
    m.daysLeftState = api::DaysLeftState::NoRecentUse;
    m.daysLeft.reset();
  }
  h.api.identifyResult = account;
  h.api.accountResult = account;
  h.identifyShop("A101");
  const auto cards = h.session.account().cards();
  ASSERT_EQ(cards.size(), 2U);
  EXPECT_EQ(cards[0].daysLeft, (Message{"account.days_left_no_use", {}}));
  EXPECT_EQ(cards[1].daysLeft, (Message{"account.days_left_no_use_water", {}}));
}

TEST(AccountViewModel, RefreshKeepsTheTenantToken) {
  Harness h;
  h.identifyShop("A101");
  auto fresh = testing::account();
  fresh.tenantToken.clear();
  fresh.meters[0].balanceFen = 777;
  h.api.accountResult = fresh;
  h.session.account().refresh();
  h.runner.settle();
  EXPECT_EQ(h.session.tenant().account.tenantToken, "tenant-token");
  EXPECT_EQ(h.session.account().cards()[0].balanceYuan, "7.77");
}

TEST(AccountViewModel, AlarmAndRechargeRowsNameTheMeter) {
  Harness h;
  api::AlarmView alarm;
  alarm.alarmId = 1;
  alarm.meterId = 11;
  alarm.kind = "alarm1";
  alarm.raisedAt = "2024-05-01T07:00:00+08:00";
  h.api.alarmsResult = {alarm};
  api::RechargeView recharge;
  recharge.entryId = 5;
  recharge.meterId = 11;
  recharge.kind = "recharge";
  recharge.amountFen = 10000;
  recharge.source = "online";
  recharge.createdAt = "2024-04-30T10:00:00+08:00";
  h.api.rechargesResult = {recharge};
  h.identifyShop("A101");
  const auto alarms = h.session.account().alarmRows();
  ASSERT_EQ(alarms.size(), 1U);
  EXPECT_EQ(alarms[0].meterSerial, "MTR11");
  EXPECT_EQ(alarms[0].kindKey, "alarm.kind.alarm1");
  const auto rows = h.session.account().rechargeRows();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].amountYuan, "100.00");
  EXPECT_EQ(rows[0].sourceKey, "history.source.online");
}

TEST(AccountViewModel, ReprintFetchesTheReceiptAndPrintsItMarked) {
  Harness h;
  api::Receipt receipt;
  receipt.receiptNumber = "R5";
  receipt.entryId = 5;
  receipt.siteName = "示范广场";
  receipt.shopNumber = "A101";
  receipt.meterSerial = "MTR11";
  receipt.amountFen = 10000;
  receipt.balanceAfterFen = 15000;
  receipt.paymentMethod = "wechat";
  receipt.createdAt = "2024-04-30T10:00:00+08:00";
  h.api.receiptResult = receipt;
  h.identifyShop("A101");
  h.session.account().reprint(5);
  EXPECT_TRUE(h.session.account().printing());
  h.runner.settle();
  EXPECT_EQ(h.api.receiptCalls, (std::vector<std::int64_t>{5}));
  ASSERT_EQ(h.printer.printed.size(), 1U);
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "REPRINT"));
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "150.00"));
  EXPECT_EQ(h.session.account().printMessage().key, "print.done");
}

TEST(AccountViewModel, ReceiptPaymentMethodComesFromTheCatalogueInBothLanguages) {
  auto reprintWith = [](bool catalogue, const std::string& method) {
    Harness h;
    if (catalogue) {
      h.session.context().translate = [](Language language, const Message& message) {
        const std::map<std::string, std::pair<std::string, std::string>> texts{
            {"payment.method.wechat", {"微信支付", "WeChat Pay"}},
            {"payment.method.alipay", {"支付宝", "Alipay"}},
            {"payment.method.cash", {"现金", "Cash"}}};
        const auto it = texts.find(message.key);
        if (it == texts.end()) {
          return message.key;
        }
        return language == Language::ZhCn ? it->second.first : it->second.second;
      };
    }
    api::Receipt receipt;
    receipt.entryId = 5;
    receipt.amountFen = 10000;
    receipt.paymentMethod = method;
    receipt.createdAt = "2024-04-30T10:00:00+08:00";
    h.api.receiptResult = receipt;
    h.identifyShop("A101");
    h.session.account().reprint(5);
    h.runner.settle();
    EXPECT_EQ(h.printer.printed.size(), 1U);
    return h.printer.printed.empty() ? devices::ReceiptDocument{} : h.printer.printed[0];
  };
  EXPECT_TRUE(testing::docContains(reprintWith(true, "wechat"), "微信支付 WeChat Pay"));
  EXPECT_TRUE(testing::docContains(reprintWith(true, "alipay"), "支付宝 Alipay"));
  EXPECT_TRUE(testing::docContains(reprintWith(true, "cash"), "现金 Cash"));
  // Not in the catalogue, or no catalogue: the API's code as sent.
  EXPECT_TRUE(testing::docContains(reprintWith(true, "unionpay"), "unionpay"));
  const auto bare = reprintWith(false, "wechat");
  EXPECT_TRUE(testing::docContains(bare, "wechat"));
  EXPECT_FALSE(testing::docContains(bare, "WeChat Pay"));
}

TEST(AccountViewModel, OfflineLookUpsAreRetriedWhenTheBackendReturns) {
  Harness h;
  h.identifyShop("A101");
  h.api.offline = true;
  h.session.account().refresh();
  h.runner.settle();
  EXPECT_TRUE(h.session.account().needsRetry());
  EXPECT_FALSE(h.session.online());
  const int before = h.api.accountCalls;
  h.api.offline = false;
  h.advance(std::chrono::seconds(4));  // health check says online again
  h.advance(std::chrono::seconds(4));  // retry
  EXPECT_TRUE(h.session.online());
  EXPECT_GT(h.api.accountCalls, before);
  EXPECT_FALSE(h.session.account().needsRetry());
}

}  // namespace
}  // namespace prepaid::kiosk
