#include "prepaid/api/wire_types.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::api {
namespace {

TEST(WireTypesTest, AccountViewRoundTripsAndHidesPersonalFields) {
  AccountView view;
  view.accountId = 7;
  view.shopNumber = "A101";
  view.tenantName = "张*";
  view.personal = true;
  view.tenantToken = "t";
  view.tenantTokenExpiresInS = 300;
  MeterView meter;
  meter.meterId = 3;
  meter.serial = "S1";
  meter.medium = "electricity";
  meter.billingMode = "server_side";
  meter.personal = true;
  meter.balanceFen = 12345;
  meter.status = MeterStatusCode::Alarm2;
  meter.relay = "closed";
  meter.lastReadingAt = "2024-05-01T08:00:00+08:00";
  meter.daysLeftState = DaysLeftState::Known;
  meter.daysLeft = 12;
  view.meters.push_back(meter);
  const nlohmann::json json = view;
  EXPECT_EQ(json["meters"][0]["status"], "alarm2");
  EXPECT_EQ(json["meters"][0]["balance_fen"], 12345);
  EXPECT_EQ(json.get<AccountView>(), view);

  meter.personal = false;
  const nlohmann::json limited = meter;
  EXPECT_FALSE(limited.contains("balance_fen"));
  EXPECT_FALSE(limited.contains("status"));
}

TEST(WireTypesTest, ReceiptUsageAndNames) {
  Receipt receipt;
  receipt.receiptNumber = "R9";
  receipt.entryId = 9;
  receipt.meterId = 3;
  receipt.kind = "recharge";
  receipt.amountFen = 10000;
  receipt.balanceAfterFen = 15000;
  receipt.purchaseCount = 4;
  receipt.createdAt = "2024-05-01T08:00:00+08:00";
  EXPECT_EQ(nlohmann::json(receipt).get<Receipt>(), receipt);

  UsageSeries series;
  series.meterId = 3;
  series.granularity = "hour";
  series.points.push_back(
      UsagePoint{"2024-05-01T00:00:00+08:00", 100, {0, 40, 60, 0}, 80, {0, 32, 48, 0}});
  EXPECT_EQ(nlohmann::json(series).get<UsageSeries>(), series);

  for (const auto colour :
       {StatusColour::Opened, StatusColour::Alarm1, StatusColour::Alarm2, StatusColour::Arrears,
        StatusColour::NotOpened, StatusColour::LostContact}) {
    EXPECT_EQ(parseStatusColour(toString(colour)), colour);
    EXPECT_EQ(colourHex(colour).size(), 7u);
  }
  EXPECT_EQ(parseMeterStatusCode("keep_power"), MeterStatusCode::KeepPower);
  EXPECT_EQ(parseMeterStatusCode("lost_contact"), MeterStatusCode::LostContact);
}

}  // namespace
}  // namespace prepaid::backend::api
