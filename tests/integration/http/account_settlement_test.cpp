// Account routes with meter-side meters: the old-meter balance transfer reaches a meter-side new
// meter as a Recharge command (so the next reading does not charge it away), and closing an
// account settles through billing: undelivered recharges cancelled, relay tripped, refused while
// a recharge is on its way to the meter.

#include "api_fixture.hpp"

namespace prepaid::backend::http::testing {
namespace {

class AccountSettlementTest : public ApiFixture {
 protected:
  std::int64_t meterSideMeter(const Site& site, const std::string& serial, int unit) {
    const auto reply = staff("POST", "/api/v1/meters",
                             Json{{"serial", serial},
                                  {"profile", "ddsy1352"},
                                  {"unit_address", unit},
                                  {"billing_mode", "meter_side"},
                                  {"gateway_id", site.gatewayId},
                                  {"shop_id", site.shopIds[0]}});
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.json.value("meter_id", 0);
  }
  Reply sell(std::int64_t meter, std::int64_t fen, const std::string& key) {
    return staff("POST", "/api/v1/sales", Json{{"meter_id", meter}, {"amount_fen", fen}},
                 {{"Idempotency-Key", key}});
  }
  std::int64_t balance(std::int64_t meter) {
    return staff("GET", "/api/v1/meters/" + std::to_string(meter)).json["balance_fen"];
  }
  /// A meter-side reading stored and billed as collection does.
  billing::ReadingReport feed(std::int64_t meter, std::int64_t balanceFen,
                              std::int64_t purchaseCount) {
    store::Reading r;
    r.meterId = meter;
    r.readAt = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
               std::chrono::seconds(m_readings++);
    r.energyTotalCentiKwh = 0;
    r.balanceFen = balanceFen;
    r.purchaseCount = purchaseCount;
    EXPECT_TRUE(m_store->writeReadings({r}));
    auto summary = m_billing->processReadings(std::vector<store::Reading>{r});
    EXPECT_TRUE(summary);
    return summary->readings.at(0);
  }
  /// Well after anything the server queued (its clock may be shifted by the fixture).
  static domain::Instant later() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
           std::chrono::hours(24);
  }
  std::int64_t m_readings = 1;
};

TEST_F(AccountSettlementTest, ReplacementByAMeterSideMeterDeliversTheBalanceAndCloseSettlesIt) {
  const auto site = makeSite(1);
  const auto account = openAccount("张三", site.meterIds[0]);
  ASSERT_EQ(sell(site.meterIds[0], 5000, "s1").status, 201);
  const auto newMeter = meterSideMeter(site, "MS1", 10);

  auto reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/meters",
                     Json{{"meter_id", newMeter}, {"replaces_meter_id", site.meterIds[0]}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["transferred_fen"], 5000);
  ASSERT_TRUE(reply.json["recharge_command_id"].is_number()) << reply.body;
  const auto command = reply.json["recharge_command_id"].get<std::int64_t>();
  const auto id = std::to_string(command);
  EXPECT_EQ(
      sqlText("SELECT kind || ':' || state || ':' || purchase_count FROM commands WHERE id = " +
              id),
      "recharge:queued:1");
  EXPECT_EQ(sqlText("SELECT l.kind FROM commands c JOIN ledger_entries l ON l.id = "
                    "c.ledger_entry_id WHERE c.id = " +
                    id),
            "transfer_in");
  // The meter has not received it yet and reports 0 with count 0: nothing is charged.
  const auto report = feed(newMeter, 0, 0);
  EXPECT_EQ(report.outcome, billing::ReadingOutcome::Mirrored) << report.detail;
  EXPECT_EQ(report.chargedFen, 0);
  EXPECT_EQ(balance(newMeter), 5000);

  ASSERT_EQ(sell(newMeter, 1000, "s2").status, 201);  // queued too (count 2)
  reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["total_settled_fen"], 6000);
  ASSERT_EQ(reply.json["settlements"].size(), 1u) << reply.body;
  const auto& settled = reply.json["settlements"][0];
  EXPECT_EQ(settled["meter_id"], newMeter);
  EXPECT_EQ(settled["balance_fen"], 6000);
  EXPECT_EQ(settled["cancelled_command_ids"].size(), 2u) << reply.body;
  ASSERT_EQ(settled["queued_command_ids"].size(), 1u) << reply.body;
  EXPECT_EQ(sqlText("SELECT kind || ':' || state FROM commands WHERE id = " +
                    std::to_string(settled["queued_command_ids"][0].get<std::int64_t>())),
            "trip:queued");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM commands WHERE meter_id = " + std::to_string(newMeter) +
                   " AND kind = 'recharge' AND state = 'queued'"),
            0);
  EXPECT_EQ(sqlInt("SELECT purchase_count FROM meters WHERE id = " + std::to_string(newMeter)), 0);
  EXPECT_EQ(balance(newMeter), 0);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(newMeter)).json["status"], "closed");
  // Audited with the settlement record.
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE action = 'account.close'"), 1);
  EXPECT_EQ(staff("GET", "/api/v1/audit/verify").json["ok"], true);
}

TEST_F(AccountSettlementTest, CloseIsRefusedWhileARechargeIsOnItsWayAndChangesNothing) {
  const auto site = makeSite(1);
  const auto meter = meterSideMeter(site, "MS2", 11);
  const auto account = openAccount("李四", meter);
  ASSERT_EQ(sell(meter, 2000, "s1").status, 201);
  // The bus worker has sent it; no reply yet.
  const auto claimed =
      m_store->write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto next = tx.commands().claimNext(site.gatewayId, later());
        if (!next) {
          return std::unexpected(next.error());
        }
        EXPECT_TRUE(next->has_value());
        return {};
      });
  ASSERT_TRUE(claimed);
  const auto entries = sqlInt("SELECT COUNT(*) FROM ledger_entries");

  auto reply =
      staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object());
  EXPECT_EQ(reply.code(), "invalid_state") << reply.body;
  EXPECT_NE(reply.body.find("retry"), std::string::npos) << reply.body;
  EXPECT_EQ(staff("GET", "/api/v1/accounts/" + std::to_string(account)).json["state"], "open");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM ledger_entries"), entries);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM commands WHERE kind = 'trip'"), 0);

  // Confirmed: now it closes.
  const auto done =
      m_store->write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto sending = tx.commands().inState(store::CommandState::Sending, 10);
        if (!sending) {
          return std::unexpected(sending.error());
        }
        for (const auto& c : *sending) {
          if (auto marked = tx.commands().markDone(c.id, later()); !marked) {
            return std::unexpected(marked.error());
          }
        }
        return {};
      });
  ASSERT_TRUE(done);
  reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["total_settled_fen"], 2000);
}

}  // namespace
}  // namespace prepaid::backend::http::testing
