#include "prepaid/http/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <map>

namespace prepaid::backend::http {

namespace {

std::string formatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

}  // namespace

std::string prometheusLabel(std::string_view name, std::string_view value) {
  std::string text(name);
  text += "=\"";
  for (const char c : value) {
    switch (c) {
      case '\\':
        text += "\\\\";
        break;
      case '"':
        text += "\\\"";
        break;
      case '\n':
        text += "\\n";
        break;
      default:
        text += c;
    }
  }
  text += '"';
  return text;
}

std::string renderPrometheus(const std::vector<MetricSample>& samples) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const MetricSample*>> byName;
  for (const auto& sample : samples) {
    auto& list = byName[sample.name];
    if (list.empty()) {
      order.push_back(sample.name);
    }
    list.push_back(&sample);
  }
  std::string text;
  for (const auto& name : order) {
    const auto& list = byName[name];
    text += "# HELP " + name + " " + list.front()->help + "\n";
    text += "# TYPE " + name + " " + list.front()->type + "\n";
    for (const auto* sample : list) {
      text += name;
      if (!sample->labels.empty()) {
        text += "{" + sample->labels + "}";
      }
      // Appended piecewise: `" " + std::string&&` trips GCC 12's -Wrestrict false positive at -O3.
      text += ' ';
      text += formatValue(sample->value);
      text += '\n';
    }
  }
  return text;
}

}  // namespace prepaid::backend::http
