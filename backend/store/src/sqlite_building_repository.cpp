#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view ShopColumns =
    "SELECT id, floor_id, number, area_centi_m2, head_count FROM shops";

Shop shopFrom(const Statement& row) {
  return Shop{row.int64(0), row.int64(1), row.text(2), row.int64(3), row.int64(4)};
}

}  // namespace

std::expected<Building, StoreError> SqliteBuildingRepository::addBuilding(const std::string& name) {
  return guard([&] {
    m_ctx.db().run("INSERT INTO buildings (name) VALUES (?1)", name);
    return Building{m_ctx.db().lastInsertRowId(), name};
  });
}

std::expected<std::vector<Building>, StoreError> SqliteBuildingRepository::buildings() const {
  return guard([&] {
    std::vector<Building> result;
    auto row = m_ctx.db().prepare("SELECT id, name FROM buildings ORDER BY name");
    while (row.step()) {
      result.push_back(Building{row.int64(0), row.text(1)});
    }
    return result;
  });
}

std::expected<Floor, StoreError> SqliteBuildingRepository::addFloor(BuildingId building,
                                                                    const std::string& name,
                                                                    std::int64_t ordinal) {
  return guard([&] {
    m_ctx.db().run("INSERT INTO floors (building_id, name, ordinal) VALUES (?1, ?2, ?3)", building,
                   name, ordinal);
    return Floor{m_ctx.db().lastInsertRowId(), building, name, ordinal};
  });
}

std::expected<std::vector<Floor>, StoreError> SqliteBuildingRepository::floors(
    BuildingId building) const {
  return guard([&] {
    std::vector<Floor> result;
    auto row = m_ctx.db().prepare(
        "SELECT id, building_id, name, ordinal FROM floors WHERE building_id = ?1 "
        "ORDER BY ordinal, name");
    row.bindAll(building);
    while (row.step()) {
      result.push_back(Floor{row.int64(0), row.int64(1), row.text(2), row.int64(3)});
    }
    return result;
  });
}

std::expected<Shop, StoreError> SqliteBuildingRepository::addShop(const Shop& shop) {
  return guard([&] {
    m_ctx.db().run(
        "INSERT INTO shops (floor_id, number, area_centi_m2, head_count) VALUES (?1, ?2, ?3, ?4)",
        shop.floorId, shop.number, shop.areaCentiM2, shop.headCount);
    Shop stored = shop;
    stored.id = m_ctx.db().lastInsertRowId();
    return stored;
  });
}

std::expected<void, StoreError> SqliteBuildingRepository::updateShop(const Shop& shop) {
  return guard([&] {
    if (m_ctx.db().run("UPDATE shops SET floor_id = ?2, number = ?3, area_centi_m2 = ?4, "
                       "head_count = ?5 WHERE id = ?1",
                       shop.id, shop.floorId, shop.number, shop.areaCentiM2, shop.headCount) == 0) {
      fail(StoreErrorCode::NotFound, "shop " + std::to_string(shop.id) + " not found");
    }
  });
}

std::expected<Shop, StoreError> SqliteBuildingRepository::shop(ShopId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(ShopColumns) + " WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "shop " + std::to_string(id) + " not found");
    }
    return shopFrom(row);
  });
}

std::expected<Shop, StoreError> SqliteBuildingRepository::shopByNumber(
    const std::string& number) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(ShopColumns) + " WHERE number = ?1");
    row.bindAll(number);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "shop '" + number + "' not found");
    }
    return shopFrom(row);
  });
}

std::expected<std::vector<Shop>, StoreError> SqliteBuildingRepository::shops(
    std::optional<FloorId> floor) const {
  return guard([&] {
    std::vector<Shop> result;
    auto row = m_ctx.db().prepare(std::string(ShopColumns) +
                                  " WHERE ?1 IS NULL OR floor_id = ?1 ORDER BY number");
    row.bindAll(floor);
    while (row.step()) {
      result.push_back(shopFrom(row));
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
