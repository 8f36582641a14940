// A throwaway working directory for loader tests: write caf-application.ini and
// .env into it, then load settings as a service started there would.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/settings_loader.hpp"

namespace svc::testing {

class config_dir : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "config_tests_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void write(const std::string& name, const std::string& content) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream{dir_ / name, std::ios::binary} << content;
  }

  void write_ini(const std::string& content) { write("caf-application.ini", content); }

  load_result load(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {},
                   std::string service = "user-service") {
    return load_settings(service, args, env, dir_);
  }

  // Loads and expects success; the settings.
  settings ok(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {},
              std::string service = "user-service") {
    auto r = load(std::move(args), std::move(env), std::move(service));
    EXPECT_EQ(r.kind, load_result::ok) << r.text;
    return r.config;
  }

  // Loads and expects an error; its line.
  std::string error(std::vector<std::string> args = {},
                    std::map<std::string, std::string> env = {}) {
    auto r = load(std::move(args), std::move(env));
    EXPECT_EQ(r.kind, load_result::error) << "expected an error";
    EXPECT_EQ(r.text.find('\n'), std::string::npos) << "an error is one line: " << r.text;
    return r.text;
  }

  std::filesystem::path dir_;
};

}  // namespace svc::testing
