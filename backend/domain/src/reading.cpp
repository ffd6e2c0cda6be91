#include "prepaid/domain/reading.hpp"

namespace prepaid::domain {
namespace {

std::string formatCentis(Energy energy) {
  const auto value = energy.centiKwh();
  const auto magnitude = value < 0 ? -(value / 100) : value / 100;
  const auto cents = value < 0 ? -(value % 100) : value % 100;
  return std::string(value < 0 ? "-" : "") + std::to_string(magnitude) + "." +
         static_cast<char>('0' + cents / 10) + static_cast<char>('0' + cents % 10);
}

struct RegisterStep {
  Energy consumed;
  bool wrapped = false;
};

std::expected<RegisterStep, ReadingAnomaly> registerStep(Energy previous, Energy current,
                                                         const RegisterLimits& limits,
                                                         std::optional<Rate> rateRegister) {
  const auto anomaly = [&](ReadingAnomalyKind kind) {
    return std::unexpected(ReadingAnomaly{kind, rateRegister, previous, current});
  };
  for (const auto value : {previous, current}) {
    if (value < Energy::zero() || value >= limits.modulus) {
      return anomaly(ReadingAnomalyKind::OutOfRange);
    }
  }
  // Both values are in [0, modulus), so these differences cannot overflow.
  if (current >= previous) {
    const auto consumed = Energy::fromCentiKwh(current.centiKwh() - previous.centiKwh());
    if (consumed > limits.maxDelta) {
      return anomaly(ReadingAnomalyKind::ImplausibleJump);
    }
    return RegisterStep{consumed, false};
  }
  const auto wrapped =
      Energy::fromCentiKwh(limits.modulus.centiKwh() - previous.centiKwh() + current.centiKwh());
  if (wrapped > limits.maxDelta) {
    return anomaly(ReadingAnomalyKind::WentBackwards);
  }
  return RegisterStep{wrapped, true};
}

}  // namespace

std::string ReadingAnomaly::describe() const {
  const std::string where =
      rateRegister ? std::string(toString(*rateRegister)) + " register" : "total register";
  const std::string values = ": " + formatCentis(previous) + " -> " + formatCentis(current);
  switch (kind) {
    case ReadingAnomalyKind::OutOfRange:
      return where + " value out of range" + values;
    case ReadingAnomalyKind::WentBackwards:
      return where + " went backwards" + values;
    case ReadingAnomalyKind::ImplausibleJump:
      return where + " jumped implausibly far" + values;
    case ReadingAnomalyKind::TimeWentBackwards:
      return "reading is older than the previous reading";
    case ReadingAnomalyKind::EnergyWithoutTime:
      return where + " advanced with no time elapsed" + values;
  }
  return where + " anomaly" + values;
}

std::expected<ReadingDelta, ReadingAnomaly> readingDelta(const MeterReading& previous,
                                                         const MeterReading& current,
                                                         const RegisterLimits& limits) {
  if (current.at < previous.at) {
    return std::unexpected(ReadingAnomaly{ReadingAnomalyKind::TimeWentBackwards, std::nullopt,
                                          previous.total, current.total});
  }
  ReadingDelta delta;
  delta.consumption.start = previous.at;
  delta.consumption.end = current.at;
  if (current.installation != previous.installation) {
    delta.continuity = Continuity::NewBaseline;
    return delta;
  }
  const auto total = registerStep(previous.total, current.total, limits, std::nullopt);
  if (!total) {
    return std::unexpected(total.error());
  }
  bool wrapped = total->wrapped;
  delta.consumption.total = total->consumed;
  if (previous.perRate && current.perRate) {
    std::array<Energy, RateCount> perRate{};
    for (const auto rate : AllRates) {
      const auto step = registerStep(previous.perRate->at(indexOf(rate)),
                                     current.perRate->at(indexOf(rate)), limits, rate);
      if (!step) {
        return std::unexpected(step.error());
      }
      perRate.at(indexOf(rate)) = step->consumed;
      wrapped = wrapped || step->wrapped;
    }
    delta.consumption.perRate = perRate;
  }
  if (current.at == previous.at && delta.consumption.total > Energy::zero()) {
    return std::unexpected(ReadingAnomaly{ReadingAnomalyKind::EnergyWithoutTime, std::nullopt,
                                          previous.total, current.total});
  }
  delta.continuity = wrapped ? Continuity::Rollover : Continuity::Continuous;
  return delta;
}

}  // namespace prepaid::domain
