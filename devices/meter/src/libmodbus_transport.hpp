#pragma once

#include <expected>
#include <memory>

#include "prepaid/meter/modbus_transport.hpp"

namespace prepaid::devices {

/// Modbus RTU (serial) and Modbus TCP through libmodbus. Private to the meter module.
[[nodiscard]] std::expected<std::shared_ptr<ModbusTransport>, DeviceError> makeLibmodbusTransport(
    const TransportUri& uri);

}  // namespace prepaid::devices
