// The kiosk usage series' money per TOU rate: real readings rated by the real BillingService
// under a TOU tariff (sharp 1.38, valley 0.31 yuan/kWh); the hour, day and month points split the
// charged money by each rate's energy x price, exactly, parts summing to the total.

#include <chrono>

#include "api_fixture.hpp"

namespace prepaid::backend::http::testing {
namespace {

using Headers = httplib::Headers;

Json touTariff() {
  return Json::parse(R"({
    "kind": "tou",
    "prices_micro_yuan": {"sharp": 1380000, "peak": 1000000, "flat": 700000, "valley": 310000},
    "seasons": [
      {"first": "01-01", "last": "12-31",
       "workday": [{"from": "00:00", "to": "08:00", "rate": "valley"},
                   {"from": "08:00", "to": "12:00", "rate": "sharp"},
                   {"from": "12:00", "to": "18:00", "rate": "peak"},
                   {"from": "18:00", "to": "24:00", "rate": "flat"}]}
    ]
  })");
}

constexpr std::size_t Sharp = 0;
constexpr std::size_t Valley = 3;

TEST_F(ApiFixture, UsageMoneyIsSplitByEachRatesPrice) {
  const auto site = makeSite(1);
  const auto meterId = site.meterIds[0];
  const auto account = openAccount("韩梅梅", meterId);
  auto reply = staff("POST", "/api/v1/tariffs", Json{{"name", "tou"}, {"definition", touTariff()}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"default_tariff_id", reply.json["tariff_id"]}})
                .status,
            200);
  ASSERT_EQ(staff("POST", "/api/v1/sales", Json{{"meter_id", meterId}, {"amount_fen", 20000}},
                  Headers{{"Idempotency-Key", "usage-money"}})
                .status,
            201);

  // The tariff took effect when it was created: the readings come an hour later, and on the
  // same local day (UTC+8) as the server's "now" (20 minutes after midnight would not be).
  m_clockOffsetS = 3600;
  const auto local = (m_clock().time_since_epoch().count() + 8 * 3600) % 86400;
  if (local < 3600) {
    m_clockOffsetS = 7200;
  }
  // The meter's own rate registers: 1.00 kWh sharp and 1.00 kWh valley between the readings.
  const auto now = m_clock();
  std::vector<store::Reading> readings(2);
  for (std::size_t i = 0; i < readings.size(); ++i) {
    auto& reading = readings[i];
    reading.meterId = meterId;
    reading.readAt = now - std::chrono::minutes(20 - 10 * static_cast<int>(i));
    const std::int64_t perRate = 500 + 100 * static_cast<std::int64_t>(i);
    reading.energyByRateCentiKwh = {perRate, 0, 0, perRate};
    reading.energyTotalCentiKwh = 2 * perRate;
    reading.relay = domain::RelayState::Closed;
  }
  ASSERT_TRUE(m_store->writeReadings(readings));
  const auto processed = m_billing->processReadings(readings);
  ASSERT_TRUE(processed);
  ASSERT_EQ(processed->readings.size(), 2U);
  EXPECT_EQ(processed->readings[1].outcome, billing::ReadingOutcome::Charged)
      << processed->readings[1].detail;
  // What billing charged: 1 kWh x 1.38 + 1 kWh x 0.31 = 1.69 yuan.
  ASSERT_EQ(sqlInt("SELECT -SUM(amount_fen) FROM ledger_entries WHERE kind = 'charge'"), 169);

  const auto identified = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}});
  const auto token = identified.json["tenant_token"].get<std::string>();
  const auto base = "/api/v1/kiosk/accounts/" + std::to_string(account) + "/meters/" +
                    std::to_string(meterId) + "/usage?granularity=";
  for (const std::string granularity : {"hour", "day", "month"}) {
    reply = kiosk("GET", base + granularity, nullptr, token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    std::int64_t money = 0;
    int charged = 0;
    for (const auto& point : reply.json["points"]) {
      const auto fen = point["money_fen"].get<std::int64_t>();
      std::int64_t parts = 0;
      for (const auto& part : point["money_by_rate_fen"]) {
        parts += part.get<std::int64_t>();
      }
      EXPECT_EQ(parts, fen) << granularity << " " << point.dump();
      money += fen;
      if (fen == 0) {
        continue;
      }
      ++charged;
      // Not 85 / 84 (the energy share): each rate's own price.
      EXPECT_EQ(point["money_by_rate_fen"][Sharp], 138) << granularity << " " << point.dump();
      EXPECT_EQ(point["money_by_rate_fen"][Valley], 31) << granularity << " " << point.dump();
      EXPECT_EQ(point["energy_by_rate_centi_kwh"][Sharp], 100);
      EXPECT_EQ(point["energy_by_rate_centi_kwh"][Valley], 100);
    }
    EXPECT_EQ(money, 169) << granularity;
    EXPECT_EQ(charged, 1) << granularity;
  }
}

}  // namespace
}  // namespace prepaid::backend::http::testing
