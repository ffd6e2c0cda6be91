#pragma once

// The real BusFactory: opens the transport a gateway row names (devices/meter URIs; the
// gateway's timeouts and inter-request delay override the URI's) and builds ModbusMeter /
// Dlt645Meter drivers from the meter profiles in a directory. The only place (with prepaidctl)
// where collection meets concrete drivers.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "prepaid/collect/bus_factory.hpp"
#include "prepaid/meter/meter_profile.hpp"

namespace prepaid::backend::app {

class DeviceBusFactory final : public collect::BusFactory {
 public:
  /// `quietMs`: line-quiet time after a failed exchange (drivers' quiet_ms) unless the URI sets it.
  DeviceBusFactory(std::filesystem::path profileDir, int quietMs);

  [[nodiscard]] std::expected<std::unique_ptr<collect::Bus>, std::string> open(
      const store::Gateway& gateway) override;

  /// A profile by model name, loaded once (thread-safe).
  [[nodiscard]] std::expected<devices::MeterProfile, std::string> profile(const std::string& name);

 private:
  std::filesystem::path m_profileDir;
  int m_quietMs;
  std::mutex m_mutex;
  std::map<std::string, devices::MeterProfile> m_profiles;
};

/// <exe>/../share/prepaid/meters, or $PREPAID_PROFILE_DIR when set.
[[nodiscard]] std::filesystem::path defaultProfileDir();

}  // namespace prepaid::backend::app
