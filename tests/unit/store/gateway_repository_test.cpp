// GatewayRepository: configuration and link state.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class GatewayRepositoryTest : public StoreTest {};

TEST_F(GatewayRepositoryTest, ConfigurationAndLinkState) {
  Gateway g;
  g.name = "1F-east";
  g.transportUri = "rtu-tcp://10.0.0.7:4001";
  g.responseTimeoutMs = 300;
  g.byteTimeoutMs = 20;
  g.interRequestDelayMs = 5;
  g.retries = 1;
  auto added = tx([&](WriteTransaction& t) { return t.gateways().add(g); });
  ASSERT_TRUE(added);
  EXPECT_EQ(added->linkState, LinkState::Online);
  Gateway changed = *added;
  changed.enabled = GatewayEnabled::Disabled;
  changed.responseTimeoutMs = 800;
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.gateways().update(changed); }));
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.gateways().setLinkState(added->id, LinkState::Lost, utc(2024, 3, 1));
  }));
  auto loaded = rd([&](const ReadTransaction& t) { return t.gateways().gateway(added->id); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->transportUri, "rtu-tcp://10.0.0.7:4001");
  EXPECT_EQ(loaded->responseTimeoutMs, 800);
  EXPECT_EQ(loaded->byteTimeoutMs, 20);
  EXPECT_EQ(loaded->interRequestDelayMs, 5);
  EXPECT_EQ(loaded->retries, 1);
  EXPECT_EQ(loaded->enabled, GatewayEnabled::Disabled);
  EXPECT_EQ(loaded->linkState, LinkState::Lost);
  EXPECT_EQ(loaded->linkChangedAt, utc(2024, 3, 1));
  EXPECT_EQ(rd([](const ReadTransaction& t) { return t.gateways().gateways(); })->size(), 1U);

  Gateway bad = g;
  bad.name = "other";
  bad.responseTimeoutMs = 0;
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.gateways().add(bad); })),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.gateways().add(g); })),
            StoreErrorCode::Duplicate);
  EXPECT_EQ(errorCode(tx([](WriteTransaction& t) {
              return t.gateways().setLinkState(999, LinkState::Lost, utc(2024, 3, 1));
            })),
            StoreErrorCode::NotFound);
}

}  // namespace
}  // namespace prepaid::store::testing
