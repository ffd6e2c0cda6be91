#pragma once

// Buildings (建筑群), floors and shops (户号).

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct Building {
  BuildingId id = 0;
  std::string name;  // unique
};

struct Floor {
  FloorId id = 0;
  BuildingId buildingId = 0;
  std::string name;          // unique within its building
  std::int64_t ordinal = 0;  // sort order (e.g. -1 for B1)
};

struct Shop {
  ShopId id = 0;
  FloorId floorId = 0;
  std::string number;            // 户号, unique on the site
  std::int64_t areaCentiM2 = 0;  // floor area in 0.01 m² (for 公摊 by area)
  std::int64_t headCount = 0;    // people (for 公摊 by head count)
};

class BuildingRepository {
 public:
  virtual ~BuildingRepository() = default;

  /// Adds a building; Duplicate when the name exists.
  [[nodiscard]] virtual std::expected<Building, StoreError> addBuilding(
      const std::string& name) = 0;
  /// All buildings by name.
  [[nodiscard]] virtual std::expected<std::vector<Building>, StoreError> buildings() const = 0;

  /// Adds a floor; NotFound/Constraint for an unknown building, Duplicate for a name taken.
  [[nodiscard]] virtual std::expected<Floor, StoreError> addFloor(BuildingId building,
                                                                  const std::string& name,
                                                                  std::int64_t ordinal) = 0;
  /// The floors of one building by ordinal.
  [[nodiscard]] virtual std::expected<std::vector<Floor>, StoreError> floors(
      BuildingId building) const = 0;

  /// Adds a shop (shop.id is ignored); Duplicate when the number exists.
  [[nodiscard]] virtual std::expected<Shop, StoreError> addShop(const Shop& shop) = 0;
  /// Updates area, head count, floor and number of an existing shop.
  [[nodiscard]] virtual std::expected<void, StoreError> updateShop(const Shop& shop) = 0;
  /// One shop; NotFound when absent.
  [[nodiscard]] virtual std::expected<Shop, StoreError> shop(ShopId id) const = 0;
  /// The shop with this 户号; NotFound when absent.
  [[nodiscard]] virtual std::expected<Shop, StoreError> shopByNumber(
      const std::string& number) const = 0;
  /// Shops on one floor, or every shop when floor is nullopt, by number.
  [[nodiscard]] virtual std::expected<std::vector<Shop>, StoreError> shops(
      std::optional<FloorId> floor) const = 0;
};

}  // namespace prepaid::store
