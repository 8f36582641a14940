// Exact money: amounts are integer cents from the JSON text to the database and
// back; a binary float never holds a price.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace svc {

// Parses the text of a JSON number ("19.99", "20", "1.5e1") into cents. nullopt when
// it has more than two significant decimals or does not fit.
std::optional<std::int64_t> parse_cents(std::string_view number_text);

// "1999" cents -> "19.99" (always two decimals: NUMERIC input and logs).
std::string format_cents(std::int64_t cents);

// The nearest double to the exact decimal; it prints back as the same decimal,
// so JSON output shows exactly the stored amount.
double cents_to_json_number(std::int64_t cents);

// The raw text of every number that is a direct member of the top-level JSON
// object, by key (nlohmann's DOM would already have rounded them to double).
std::map<std::string, std::string> top_level_number_texts(std::string_view json_text);

}  // namespace svc
