#include "prepaid/meter/dlt645_meter.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <vector>

namespace prepaid::devices {

namespace {

DeviceError errorReply(const Dlt645Frame& reply, std::string_view what) {
  const std::uint8_t bits = reply.data.empty() ? 0 : reply.data[0];
  char text[64];
  std::snprintf(text, sizeof text, "%.*s: error reply ERR=0x%02X", static_cast<int>(what.size()),
                what.data(), bits);
  DeviceError error = makeError(DeviceErrorKind::Dlt645Error, text);
  error.dlt645ErrorBits = bits;
  return error;
}

std::optional<std::uint8_t> controlByte(ControlCode code) {
  switch (code) {
    case ControlCode::Trip:
      return dlt645::CtrlTrip;
    case ControlCode::Close:
      return dlt645::CtrlCloseDirect;
    case ControlCode::ResumePrepaid:
      return dlt645::CtrlCloseAllowed;
    case ControlCode::KeepPowerOn:
      return dlt645::CtrlKeepPower;
    case ControlCode::KeepPowerOff:
      return dlt645::CtrlKeepPowerOff;
  }
  return std::nullopt;
}

void putU32BigEndian(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (const int shift : {24, 16, 8, 0}) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFFU));
  }
}

std::uint8_t bcdByte(int value) {
  return static_cast<std::uint8_t>(((value / 10) << 4) | (value % 10));
}

}  // namespace

Dlt645Meter::Dlt645Meter(std::shared_ptr<Dlt645Link> link, Dlt645Address address,
                         Dlt645Options options)
    : m_link(std::move(link)), m_address(address), m_options(options) {}

std::uint64_t Dlt645Meter::macAddress() const {
  std::uint64_t number = 0;
  for (auto it = m_address.wire.rbegin(); it != m_address.wire.rend(); ++it) {
    number = number * 100 + static_cast<std::uint64_t>((*it >> 4) * 10 + (*it & 0x0F));
  }
  return number;
}

std::expected<std::optional<std::vector<std::uint8_t>>, DeviceError> Dlt645Meter::readDi(
    std::uint32_t di) {
  const auto reply = m_link->transact(dlt645ReadRequest(m_address, di), Dlt645Retry::Allowed);
  if (!reply) {
    return std::unexpected(reply.error());
  }
  if ((reply->control & dlt645::ErrorBit) != 0) {
    if (!reply->data.empty() && (reply->data[0] & dlt645::ErrNoData) != 0) {
      return std::optional<std::vector<std::uint8_t>>();
    }
    return std::unexpected(errorReply(*reply, "read"));
  }
  const auto diBytes = dlt645DiBytes(di);
  if (reply->data.size() < 4 || !std::equal(diBytes.begin(), diBytes.end(), reply->data.begin())) {
    return std::unexpected(
        makeError(DeviceErrorKind::MalformedReply, "read reply does not echo the data identifier"));
  }
  return std::optional(std::vector<std::uint8_t>(reply->data.begin() + 4, reply->data.end()));
}

std::expected<MeterSnapshot, DeviceError> Dlt645Meter::readSnapshot() {
  MeterSnapshot snapshot;
  PrepaidState prepaid;
  bool anyPrepaid = false;
  // value = BCD x multiplier / divisor in the base unit; DI formats from DL/T 645-2007 annex A.
  struct Item {
    std::uint32_t di;
    std::size_t size;
    BcdSign sign;
    std::int64_t multiplier;
    std::int64_t divisor;
    std::function<void(std::int64_t)> store;
  };
  const auto energy = [&](std::size_t index) {
    return [&, index](std::int64_t v) {
      snapshot.rateEnergy[index] = domain::Energy::fromCentiKwh(v);
    };
  };
  const std::vector<Item> items = {
      {dlt645::DiTotalEnergy, 4, BcdSign::Unsigned, 1, 1,
       [&](std::int64_t v) { snapshot.totalEnergy = domain::Energy::fromCentiKwh(v); }},
      {dlt645::DiSharpEnergy, 4, BcdSign::Unsigned, 1, 1, energy(0)},
      {dlt645::DiPeakEnergy, 4, BcdSign::Unsigned, 1, 1, energy(1)},
      {dlt645::DiFlatEnergy, 4, BcdSign::Unsigned, 1, 1, energy(2)},
      {dlt645::DiValleyEnergy, 4, BcdSign::Unsigned, 1, 1, energy(3)},
      {dlt645::DiVoltageA, 2, BcdSign::Unsigned, 100, 1,  // XXX.X V -> mV
       [&](std::int64_t v) { snapshot.voltageMilliVolts = v; }},
      {dlt645::DiCurrentA, 3, BcdSign::SignBit, 1, 1,  // XXX.XXX A -> mA
       [&](std::int64_t v) { snapshot.currentMilliAmps = v; }},
      {dlt645::DiActivePower, 3, BcdSign::SignBit, 1, 10,  // XX.XXXX kW -> W
       [&](std::int64_t v) { snapshot.activePowerWatts = v; }},
      {dlt645::DiPowerFactor, 2, BcdSign::SignBit, 1, 1,  // X.XXX
       [&](std::int64_t v) { snapshot.powerFactorMilli = v; }},
      {dlt645::DiRemainingAmount, 4, BcdSign::Unsigned, 1, 1,  // XXXXXX.XX yuan -> fen
       [&](std::int64_t v) {
         prepaid.balance = domain::Money::fromFen(v);
         anyPrepaid = true;
       }},
      {dlt645::DiPurchaseCount, 2, BcdSign::Unsigned, 1, 1,
       [&](std::int64_t v) {
         prepaid.purchaseCount = static_cast<std::uint32_t>(v);
         anyPrepaid = true;
       }},
      {dlt645::DiAlarmAmount1, 4, BcdSign::Unsigned, 1, 1,
       [&](std::int64_t v) {
         prepaid.alarmThreshold1 = domain::Money::fromFen(v);
         anyPrepaid = true;
       }},
      {dlt645::DiAlarmAmount2, 4, BcdSign::Unsigned, 1, 1,
       [&](std::int64_t v) {
         prepaid.alarmThreshold2 = domain::Money::fromFen(v);
         anyPrepaid = true;
       }},
  };
  for (const auto& item : items) {
    auto data = readDi(item.di);
    if (!data) {
      return std::unexpected(data.error());
    }
    if (!*data) {
      continue;
    }
    if ((*data)->size() != item.size) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                       "data identifier value of " +
                                           std::to_string((*data)->size()) + " bytes, expected " +
                                           std::to_string(item.size)));
    }
    const auto value = decodeBcd(**data, item.sign);
    if (!value) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply, "non-BCD digit in reply"));
    }
    item.store(*value * item.multiplier / item.divisor);
  }
  for (std::size_t i = 0; i < domain::RateCount; ++i) {
    auto data = readDi(dlt645::DiPrice1 + static_cast<std::uint32_t>(i));
    if (!data) {
      return std::unexpected(data.error());
    }
    if (*data) {
      const auto value = (*data)->size() == 4 ? decodeBcd(**data) : std::nullopt;
      if (!value) {
        return std::unexpected(makeError(DeviceErrorKind::MalformedReply, "bad price value"));
      }
      prepaid.prices[i] = domain::UnitPrice::fromMicroYuan(*value * 100);  // XXXX.XXXX yuan
      anyPrepaid = true;
    }
  }
  auto status = readDi(dlt645::DiRunStatus3);
  if (!status) {
    return std::unexpected(status.error());
  }
  if (*status) {
    if ((*status)->size() != 2) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply, "bad status word 3"));
    }
    // Status words are binary, low byte first; bit 4 is the relay (0 closed, 1 open).
    const std::uint32_t word = static_cast<std::uint32_t>((**status)[0]) |
                               (static_cast<std::uint32_t>((**status)[1]) << 8);
    prepaid.statusBits = word;
    prepaid.relay = (word & 0x10U) != 0 ? domain::RelayState::Open : domain::RelayState::Closed;
    anyPrepaid = true;
  }
  if (anyPrepaid) {
    snapshot.prepaid = prepaid;
  }
  return snapshot;
}

std::expected<std::uint32_t, DeviceError> Dlt645Meter::readPurchaseCount() {
  auto data = readDi(dlt645::DiPurchaseCount);
  if (!data) {
    return std::unexpected(data.error());
  }
  if (!*data) {
    return std::unexpected(makeError(DeviceErrorKind::Unsupported, "meter has no purchase count"));
  }
  const auto value = (*data)->size() == 2 ? decodeBcd(**data) : std::nullopt;
  if (!value) {
    return std::unexpected(makeError(DeviceErrorKind::MalformedReply, "bad purchase count"));
  }
  return static_cast<std::uint32_t>(*value);
}

std::expected<void, DeviceError> Dlt645Meter::recharge(const RechargeCommand&) {
  return std::unexpected(makeError(DeviceErrorKind::Unsupported,
                                   "DL/T 645 recharge needs the meter's ESAM security commands, "
                                   "which this driver does not implement"));
}

std::expected<void, DeviceError> Dlt645Meter::writeDi(std::uint32_t di,
                                                      std::span<const std::uint8_t> value) {
  Dlt645Frame request;
  request.address = m_address;
  request.control = dlt645::WriteData;
  const auto diBytes = dlt645DiBytes(di);
  request.data.assign(diBytes.begin(), diBytes.end());
  request.data.insert(request.data.end(), m_options.password.begin(), m_options.password.end());
  request.data.insert(request.data.end(), m_options.operatorCode.begin(),
                      m_options.operatorCode.end());
  request.data.insert(request.data.end(), value.begin(), value.end());
  const auto reply = m_link->transact(request, Dlt645Retry::Never);
  if (!reply) {
    return std::unexpected(reply.error());
  }
  if ((reply->control & dlt645::ErrorBit) != 0) {
    DeviceError error = errorReply(*reply, "write");
    if ((error.dlt645ErrorBits & dlt645::ErrUnauthorized) != 0) {
      error.kind = DeviceErrorKind::Rejected;
      error.rejectReason = RejectReason::Unauthorized;
    }
    return std::unexpected(error);
  }
  return {};
}

std::expected<void, DeviceError> Dlt645Meter::setPrices(const TouPrices& prices) {
  for (std::size_t i = 0; i < prices.size(); ++i) {
    const std::int64_t microYuan = prices[i].microYuan();
    const auto bcd = microYuan % 100 == 0 ? encodeBcd(microYuan / 100, 4) : std::nullopt;
    if (!bcd) {
      return std::unexpected(
          makeError(DeviceErrorKind::InvalidArgument, "price not representable as XXXX.XXXX yuan"));
    }
    if (auto written = writeDi(dlt645::DiPrice1 + static_cast<std::uint32_t>(i), *bcd); !written) {
      return written;
    }
  }
  return {};
}

std::expected<void, DeviceError> Dlt645Meter::setThresholds(const Thresholds& thresholds) {
  if (thresholds.overloadWatts != 0) {
    return std::unexpected(makeError(DeviceErrorKind::Unsupported,
                                     "no overload threshold in the DL/T 645 DI set; pass 0 to "
                                     "write the alarm amounts only"));
  }
  const auto first = encodeBcd(thresholds.alarm1.fen(), 4);
  const auto second = encodeBcd(thresholds.alarm2.fen(), 4);
  if (!first || !second) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument, "alarm amounts must be 0 .. 999999.99 yuan"));
  }
  if (auto written = writeDi(dlt645::DiAlarmAmount1, *first); !written) {
    return written;
  }
  return writeDi(dlt645::DiAlarmAmount2, *second);
}

std::expected<void, DeviceError> Dlt645Meter::control(const ControlCommand& command) {
  const auto code = controlByte(command.code);
  if (!code) {
    return std::unexpected(makeError(DeviceErrorKind::InvalidArgument, "unknown control code"));
  }
  Dlt645Frame request;
  request.address = m_address;
  request.control = dlt645::RemoteControl;
  request.data.insert(request.data.end(), m_options.password.begin(), m_options.password.end());
  request.data.insert(request.data.end(), m_options.operatorCode.begin(),
                      m_options.operatorCode.end());
  request.data.push_back(*code);
  request.data.push_back(0x00);  // N2 reserved
  // N3..N8: end of validity ss mm hh DD MM YY (BCD) in the meter's local time.
  const std::uint32_t minutes =
      command.validityMinutes != 0 ? command.validityMinutes : m_options.defaultValidityMinutes;
  const std::time_t end = static_cast<std::time_t>(command.timeUnixSeconds) +
                          static_cast<std::time_t>(minutes) * 60 +
                          static_cast<std::time_t>(m_options.utcOffsetMinutes) * 60;
  std::tm local{};
  gmtime_r(&end, &local);
  for (const int part : {local.tm_sec, local.tm_min, local.tm_hour, local.tm_mday, local.tm_mon + 1,
                         local.tm_year % 100}) {
    request.data.push_back(bcdByte(part));
  }
  // The password alone would let anyone on the bus trip a shop: like a recharge, a control
  // command carries the MAC over meter address, purchase count, command and time (issue 4 item
  // 5), sent behind the standard's 16 bytes with the two fields the meter cannot know.
  putU32BigEndian(request.data, command.purchaseCount);
  putU32BigEndian(request.data, command.timeUnixSeconds);
  request.data.insert(request.data.end(), command.mac.begin(), command.mac.end());
  const auto reply = m_link->transact(request, Dlt645Retry::Never);
  if (!reply) {
    if (reply.error().kind == DeviceErrorKind::ConnectionFailed) {
      return std::unexpected(reply.error());
    }
    DeviceError unknown = makeError(DeviceErrorKind::OutcomeUnknown,
                                    "control sent, no valid reply: " + reply.error().detail);
    unknown.cause = reply.error().kind;
    return std::unexpected(unknown);
  }
  if ((reply->control & dlt645::ErrorBit) != 0) {
    DeviceError error = errorReply(*reply, "control");
    if ((error.dlt645ErrorBits & dlt645::ErrUnauthorized) != 0) {
      // One ERR bit for every refusal of the authorisation: password, MAC or purchase count.
      error.kind = DeviceErrorKind::Rejected;
      error.rejectReason = RejectReason::Unauthorized;
      error.detail += " (password, MAC or purchase count refused)";
    }
    return std::unexpected(error);
  }
  return {};
}

}  // namespace prepaid::devices
