#include "device_bus_factory.hpp"

#include <cstdlib>

#include "prepaid/meter/dlt645_link.hpp"
#include "prepaid/meter/dlt645_meter.hpp"
#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/meter/modbus_transport.hpp"
#include "prepaid/meter/transport_uri.hpp"

namespace prepaid::backend::app {

namespace {

bool uriSets(const std::string& uri, const std::string& key) {
  return uri.find("?" + key + "=") != std::string::npos ||
         uri.find("&" + key + "=") != std::string::npos;
}

class DeviceBus final : public collect::Bus {
 public:
  DeviceBus(DeviceBusFactory& factory, devices::TransportUri uri)
      : m_factory(factory), m_uri(std::move(uri)) {}

  std::expected<devices::Meter*, std::string> meter(const store::Meter& meter) override {
    auto& slot = m_meters[meter.id];
    if (slot.driver && slot.unit == meter.unitAddress && slot.profile == meter.profile &&
        slot.serial == meter.serial) {
      return slot.driver.get();
    }
    auto created = create(meter);
    if (!created) {
      m_meters.erase(meter.id);
      return std::unexpected(created.error());
    }
    slot.driver = std::move(*created);
    slot.unit = meter.unitAddress;
    slot.profile = meter.profile;
    slot.serial = meter.serial;
    return slot.driver.get();
  }

  void reset() override {
    // Drivers hold the transport: dropping both closes the connection; the next request opens
    // a fresh one.
    m_meters.clear();
    m_modbus.reset();
    m_dlt645.reset();
  }

 private:
  struct Slot {
    std::unique_ptr<devices::Meter> driver;
    std::int64_t unit = 0;
    std::string profile;
    std::string serial;
  };

  std::expected<std::unique_ptr<devices::Meter>, std::string> create(const store::Meter& meter) {
    if (meter.unitAddress < 1 || meter.unitAddress > 247) {
      return std::unexpected("unit address " + std::to_string(meter.unitAddress) +
                             " outside 1..247");
    }
    const bool dlt645 = m_uri.scheme == devices::TransportScheme::Dlt645Tcp ||
                        m_uri.scheme == devices::TransportScheme::Dlt645Serial;
    if (dlt645) {
      if (!m_dlt645) {
        auto link = devices::openDlt645Link(m_uri);
        if (!link) {
          return std::unexpected(devices::describe(link.error()));
        }
        m_dlt645 = *link;
      }
      auto address = devices::Dlt645Address::parse(meter.serial);
      if (!address) {
        return std::unexpected("DL/T 645 meter serial '" + meter.serial +
                               "' is not a 12-digit address");
      }
      return std::make_unique<devices::Dlt645Meter>(m_dlt645, *address);
    }
    auto profile = m_factory.profile(meter.profile);
    if (!profile) {
      return std::unexpected(profile.error());
    }
    if (!m_modbus) {
      auto transport = devices::openModbusTransport(m_uri);
      if (!transport) {
        return std::unexpected(devices::describe(transport.error()));
      }
      m_modbus = *transport;
    }
    return std::make_unique<devices::ModbusMeter>(
        m_modbus, static_cast<std::uint8_t>(meter.unitAddress), std::move(*profile));
  }

  DeviceBusFactory& m_factory;
  devices::TransportUri m_uri;
  std::shared_ptr<devices::ModbusTransport> m_modbus;
  std::shared_ptr<devices::Dlt645Link> m_dlt645;
  std::map<store::MeterId, Slot> m_meters;
};

}  // namespace

std::filesystem::path defaultProfileDir() {
  if (const char* env = std::getenv("PREPAID_PROFILE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return "share/prepaid/meters";
  }
  return exe.parent_path().parent_path() / "share" / "prepaid" / "meters";
}

DeviceBusFactory::DeviceBusFactory(std::filesystem::path profileDir, int quietMs)
    : m_profileDir(std::move(profileDir)), m_quietMs(quietMs) {}

std::expected<devices::MeterProfile, std::string> DeviceBusFactory::profile(
    const std::string& name) {
  std::lock_guard lock(m_mutex);
  if (const auto found = m_profiles.find(name); found != m_profiles.end()) {
    return found->second;
  }
  auto loaded = devices::loadMeterProfileByName(m_profileDir, name);
  if (!loaded) {
    return std::unexpected(loaded.error().describe());
  }
  m_profiles.emplace(name, *loaded);
  return std::move(*loaded);
}

std::expected<std::unique_ptr<collect::Bus>, std::string> DeviceBusFactory::open(
    const store::Gateway& gateway) {
  auto uri = devices::parseTransportUri(gateway.transportUri);
  if (!uri) {
    return std::unexpected(devices::describe(uri.error()));
  }
  // The gateway row is the operator's configuration of this bus: its timings win over the URI's.
  // Read retries are done by the bus worker (a timeout is never retried at once), so the
  // transport makes none.
  uri->timing.responseTimeoutMs = static_cast<int>(gateway.responseTimeoutMs);
  uri->timing.byteTimeoutMs = static_cast<int>(gateway.byteTimeoutMs);
  uri->timing.interRequestDelayMs = static_cast<int>(gateway.interRequestDelayMs);
  uri->timing.retries = 0;
  if (!uriSets(gateway.transportUri, "quiet_ms")) {
    uri->timing.quietMs = m_quietMs;
  }
  return std::make_unique<DeviceBus>(*this, std::move(*uri));
}

}  // namespace prepaid::backend::app
