#pragma once

// Helpers shared by the provider clients (private to prepaid::payments).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "prepaid/domain/time.hpp"
#include "prepaid/payments/payment_provider.hpp"

namespace prepaid::backend::payments::detail {

/// Civil time in China Standard Time (UTC+8, no DST): both providers' time zone.
struct CivilTime {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  std::int64_t hour = 0;
  std::int64_t minute = 0;
  std::int64_t second = 0;
};

inline CivilTime chinaCivil(domain::Instant instant) {
  const auto local = instant + std::chrono::hours(8);
  const auto days = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day date(days);
  const std::int64_t secondsOfDay = (local - days).count();
  return {static_cast<int>(date.year()),
          static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()),
          secondsOfDay / 3600,
          secondsOfDay / 60 % 60,
          secondsOfDay % 60};
}

/// "yyyy-MM-dd HH:mm:ss" (Alipay timestamp, time_expire).
inline std::string chinaDateTime(domain::Instant instant) {
  const CivilTime t = chinaCivil(instant);
  char buffer[64];  // room for any int the compiler cannot rule out (-Wformat-truncation)
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u %02lld:%02lld:%02lld", t.year, t.month,
                t.day, static_cast<long long>(t.hour), static_cast<long long>(t.minute),
                static_cast<long long>(t.second));
  return buffer;
}

inline ProviderError providerError(ProviderErrorCode code, std::string message,
                                   std::string providerCode = {}) {
  return ProviderError{code, std::move(providerCode), std::move(message)};
}

inline ProviderError fromTransport(const TransportError& error) {
  return providerError(error.code == TransportErrorCode::ConnectFailed
                           ? ProviderErrorCode::Unreachable
                           : ProviderErrorCode::Unknown,
                       error.message);
}

}  // namespace prepaid::backend::payments::detail
