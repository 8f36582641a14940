#include "http/message.hpp"

#include "domain/ascii_text.hpp"

namespace svc::http {
namespace {

template <class Headers>
auto find_in(Headers& headers, std::string_view name) -> decltype(&headers.front().value) {
  for (auto& h : headers)
    if (ascii_iequals(h.name, name))
      return &h.value;
  return nullptr;
}

}  // namespace

const std::string* request::find_header(std::string_view name) const {
  return find_in(headers, name);
}

std::optional<std::string> request::list_header(std::string_view name) const {
  std::optional<std::string> combined;
  for (const auto& h : headers) {
    if (!ascii_iequals(h.name, name))
      continue;
    if (combined)
      *combined += ", ";
    else
      combined.emplace();
    *combined += h.value;
  }
  return combined;
}

const std::string* response::find_header(std::string_view name) const {
  return find_in(headers, name);
}

void response::set_header(std::string name, std::string value) {
  if (auto* existing = find_in(headers, name))
    *existing = std::move(value);
  else
    headers.push_back({std::move(name), std::move(value)});
}

}  // namespace svc::http
