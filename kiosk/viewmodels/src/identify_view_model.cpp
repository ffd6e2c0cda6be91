#include "prepaid/viewmodels/identify_view_model.hpp"

namespace prepaid::kiosk {

const api::MeterView* TenantData::meter(std::int64_t meterId) const {
  for (const auto& meter : account.meters) {
    if (meter.meterId == meterId) {
      return &meter;
    }
  }
  return nullptr;
}

void IdentifyViewModel::reset() {
  m_step = Step::ShopNumber;
  m_entry.clear();
  m_shopNumber.clear();
  m_payOnly.reset();
  m_busy = false;
  m_message = {};
  ++m_request;
}

void IdentifyViewModel::key(char c) {
  const std::size_t limit = m_step == Step::Pin ? MaxPinLength : MaxShopNumberLength;
  const bool allowed = (c >= '0' && c <= '9') ||
                       (m_step == Step::ShopNumber && ((c >= 'A' && c <= 'Z') || c == '-'));
  if (!allowed || m_entry.size() >= limit || m_busy) {
    return;
  }
  m_entry.push_back(c);
  m_message = {};
}

void IdentifyViewModel::backspace() {
  if (!m_entry.empty() && !m_busy) {
    m_entry.pop_back();
  }
}

void IdentifyViewModel::clear() {
  if (!m_busy) {
    m_entry.clear();
    m_message = {};
  }
}

bool IdentifyViewModel::canSubmit() const {
  if (m_busy) {
    return false;
  }
  return m_step == Step::Pin ? m_entry.size() >= 4 : !m_entry.empty();
}

std::string IdentifyViewModel::display() const {
  if (m_step == Step::Pin) {
    std::string dots;
    for (std::size_t i = 0; i < m_entry.size(); ++i) {
      dots += "●";
    }
    return dots;
  }
  return m_entry;
}

void IdentifyViewModel::submit() {
  if (!canSubmit()) {
    return;
  }
  IdentifyRequest request;
  if (m_step == Step::ShopNumber) {
    m_shopNumber = m_entry;
    request.shopNumber = m_entry;
  } else {
    request.shopNumber = m_shopNumber;
    request.pin = m_entry;
  }
  lookUp(std::move(request));
}

void IdentifyViewModel::cardScanned(const std::string& token) {
  if (m_busy) {
    return;
  }
  m_step = Step::ShopNumber;
  m_entry.clear();
  if (token.empty() || !isValidUtf8(token)) {
    // A foreign QR (GBK text) or line noise: not an account card, and not sendable as JSON.
    m_message = {"scan.unreadable", {}};
    return;
  }
  IdentifyRequest request;
  request.cardToken = token;
  lookUp(std::move(request));
}

void IdentifyViewModel::lookUp(IdentifyRequest request) {
  m_busy = true;
  m_message = {"identify.searching", {}};
  const std::uint64_t id = ++m_request;
  const std::uint64_t generation = m_context.generation;
  const bool withPin = request.pin.has_value();
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [this, &api, request, id, generation, withPin]() -> Continuation {
        auto result = api.identify(request);
        return [this, result = std::move(result), id, generation, withPin]() {
          if (id != m_request || generation != m_context.generation) {
            return;  // the tenant left or typed again meanwhile
          }
          m_busy = false;
          if (m_context.reportLink) {
            m_context.reportLink(result.has_value() || !result.error().offline());
          }
          if (!result) {
            m_message = explain(result.error());
            if (withPin) {
              m_entry.clear();
            }
            return;
          }
          m_message = {};
          if (result->pinRequired && !result->personal) {
            // The site wants the PIN for personal details; paying in needs none.
            m_payOnly = *result;
            m_shopNumber = result->shopNumber;
            m_step = Step::Pin;
            m_entry.clear();
            m_message = {"identify.enter_pin", {}};
            return;
          }
          if (onIdentified) {
            onIdentified(*result);
          }
        };
      },
      [this, id, generation](const std::string&) {
        if (id != m_request || generation != m_context.generation) {
          return;
        }
        m_busy = false;
        m_message = {"error.generic", {}};
      });
}

void IdentifyViewModel::skipPin() {
  if (m_step == Step::Pin && m_payOnly && onIdentified && !m_busy) {
    onIdentified(*m_payOnly);
  }
}

void IdentifyViewModel::backToShopNumber() {
  reset();
}

}  // namespace prepaid::kiosk
