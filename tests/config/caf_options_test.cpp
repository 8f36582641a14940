// The named list of CAF options that pass through (config/caf_options.cpp) and
// the option rows (config/option_rows.cpp): each name is one CAF declares, the
// rows do not repeat a key or a variable, and what is not listed is refused.
#include <set>

#include "config/caf_options.hpp"
#include "config/option_table.hpp"
#include "config_test_support.hpp"

namespace svc {
namespace {

using namespace config_detail;
using caf_options_test = testing::config_dir;

TEST_F(caf_options_test, every_listed_caf_option_is_one_caf_declares) {
  for (const auto& row : caf_option_table()) {
    EXPECT_NE(caf_type_name(row), "undeclared") << row.name();
    EXPECT_EQ(find_option(row.group, row.key), nullptr) << row.name() << " is one of ours too";
    if (!row.services_default.empty()) {
      std::string why;
      EXPECT_TRUE(check_caf_ini_value(row, row.services_default, why)) << row.name() << ": " << why;
    }
  }
}

TEST_F(caf_options_test, rows_name_each_key_and_variable_once) {
  std::set<std::string> names, envs;
  for (const auto& option : option_table()) {
    EXPECT_TRUE(names.insert(option.name()).second) << option.name();
    EXPECT_TRUE(envs.insert(std::string{option.env}).second) << option.env;
    EXPECT_FALSE(option.meaning.empty()) << option.name();
  }
}

TEST_F(caf_options_test, enum_names_are_the_rows_choices) {
  EXPECT_EQ(log_level_name(log::level::warn), "warn");
  EXPECT_EQ(log_format_name(log::format::text), "text");
  EXPECT_EQ(auth_mode_name(auth_mode::jwt), "jwt");
  EXPECT_EQ(rate_backend_name(rate_backend::redis), "redis");
}

TEST_F(caf_options_test, caf_options_not_listed_are_refused) {
  write_ini("[logger]\nverbosity = 'debug'\n");
  EXPECT_NE(error().find("unknown group [logger]"), std::string::npos);
  write_ini("[scheduler]\nenable-profiling = true\n");
  EXPECT_NE(error().find("unknown key \"enable-profiling\" in [scheduler]"), std::string::npos);
  write_ini("");
  EXPECT_EQ(error({"--stream.max-batch-delay=5ms"}),
            "unknown option --stream.max-batch-delay (see --help)");
  EXPECT_EQ(ok({"--work-stealing.relaxed-sleep-duration=20ms"}).caf_passthrough.at(0).second,
            "20ms");
}

// The consumer of config/caf_ini.cpp follows the nesting: a key inside a map
// value is not a key of the group, and a [group] met again continues it.
TEST_F(caf_options_test, nested_maps_and_repeated_groups) {
  write_ini("[http]\nport = 9000\n[log]\nlevel = \"warn\"\n[http]\nhost = \"127.0.0.1\"\n");
  auto s = ok();
  EXPECT_EQ(s.http_port, 9000);
  EXPECT_EQ(s.http_host, "127.0.0.1");
  write_ini("[http]\nport = {\n  port = 1\n}\n");
  EXPECT_NE(error().find("--http.port"), std::string::npos);
  write_ini("[shutdown]\ntimeout = [1s, 9999999999999ms]\n");
  EXPECT_NE(error().find("line 2"), std::string::npos);
  // Found by fuzz_config_loader: CAF's parser ends the value after the unit, and
  // overflows before any consumer sees it, so the text is scanned first.
  write_ini("[log]\nlevel =33333333333333333s33\n");
  EXPECT_NE(error().find("line 2 (\"level =33333333333333333s33\"): duration out of range"),
            std::string::npos);
}

}  // namespace
}  // namespace svc
