// BuildingRepository: buildings, floors, shops (户号).

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class BuildingRepositoryTest : public StoreTest {};

TEST_F(BuildingRepositoryTest, BuildingsFloorsAndShops) {
  auto building = tx([](WriteTransaction& t) { return t.buildings().addBuilding("A座"); });
  ASSERT_TRUE(building);
  auto b1 = tx([&](WriteTransaction& t) { return t.buildings().addFloor(building->id, "B1", -1); });
  auto f1 = tx([&](WriteTransaction& t) { return t.buildings().addFloor(building->id, "1F", 1); });
  ASSERT_TRUE(b1 && f1);
  auto floors = rd([&](const ReadTransaction& t) { return t.buildings().floors(building->id); });
  ASSERT_TRUE(floors);
  ASSERT_EQ(floors->size(), 2U);
  EXPECT_EQ((*floors)[0].name, "B1");

  auto shop = tx([&](WriteTransaction& t) {
    return t.buildings().addShop(Shop{0, f1->id, "1-101", 4550, 3});
  });
  ASSERT_TRUE(shop);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.buildings().addShop(Shop{0, b1->id, "B-01", 100, 1});
  }));
  auto byNumber = rd([](const ReadTransaction& t) { return t.buildings().shopByNumber("1-101"); });
  ASSERT_TRUE(byNumber);
  EXPECT_EQ(byNumber->areaCentiM2, 4550);
  EXPECT_EQ(byNumber->headCount, 3);
  Shop changed = *shop;
  changed.headCount = 5;
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.buildings().updateShop(changed); }));
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.buildings().shop(shop->id); })->headCount,
            5);
  EXPECT_EQ(rd([](const ReadTransaction& t) { return t.buildings().shops(std::nullopt); })->size(),
            2U);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.buildings().shops(f1->id); })->size(), 1U);

  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.buildings().addShop(Shop{0, f1->id, "1-101", 0, 0});
            })),
            StoreErrorCode::Duplicate);
  EXPECT_EQ(errorCode(tx([](WriteTransaction& t) { return t.buildings().addBuilding("A座"); })),
            StoreErrorCode::Duplicate);
  EXPECT_EQ(errorCode(tx([](WriteTransaction& t) { return t.buildings().addFloor(999, "x", 0); })),
            StoreErrorCode::Constraint);
  EXPECT_EQ(
      errorCode(rd([](const ReadTransaction& t) { return t.buildings().shopByNumber("nope"); })),
      StoreErrorCode::NotFound);
  // SQL metacharacters are data, not SQL.
  auto odd = tx([&](WriteTransaction& t) {
    return t.buildings().addShop(Shop{0, f1->id, "x'); DROP TABLE shops; --", 0, 0});
  });
  ASSERT_TRUE(odd);
  EXPECT_TRUE(rd([](const ReadTransaction& t) {
    return t.buildings().shopByNumber("x'); DROP TABLE shops; --");
  }));
}

}  // namespace
}  // namespace prepaid::store::testing
