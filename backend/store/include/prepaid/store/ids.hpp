#pragma once

// Row ids of the store. Plain int64 aliases: they are database keys, not arithmetic values.

#include <cstdint>

namespace prepaid::store {

using BuildingId = std::int64_t;
using FloorId = std::int64_t;
using ShopId = std::int64_t;
using TenantId = std::int64_t;
using AccountId = std::int64_t;
using GatewayId = std::int64_t;
using MeterId = std::int64_t;
using TariffId = std::int64_t;
using TariffVersionId = std::int64_t;
using ReadingId = std::int64_t;
using LedgerEntryId = std::int64_t;
using CommandId = std::int64_t;
using AlarmId = std::int64_t;

/// Whether a meter or gateway answers (失联 = Lost).
enum class LinkState {
  Online,
  Lost,
};

}  // namespace prepaid::store
