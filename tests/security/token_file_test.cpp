// order-service's own token: read at start, re-read when the file changes, the
// last good one kept when the file goes bad.
#include <unistd.h>

#include <gtest/gtest.h>

#include "security/token_file.hpp"
#include "token_factory.hpp"

namespace svc::security {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class token_file_test : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "token_file_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(token_file_test, token_is_read_and_reread_on_change) {
  svc::testing::write_file(dir_ / "token", "aaa.bbb.ccc\n");
  std::vector<std::string> problems;
  token_file file{dir_ / "token", 0ms, [&](const std::string& p) { problems.push_back(p); }};
  ASSERT_FALSE(file.startup_error());
  EXPECT_EQ(*file.current(), "aaa.bbb.ccc");
  EXPECT_EQ(file.authorization(), "Bearer aaa.bbb.ccc");
  svc::testing::write_file(dir_ / "token", "ddd.eee.fff");
  EXPECT_EQ(*file.current(), "ddd.eee.fff");
  svc::testing::write_file(dir_ / "token", "not a token\n");
  EXPECT_EQ(*file.current(), "ddd.eee.fff") << "the last good token is kept";
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].find("not a token"), std::string::npos) << problems[0];
  fs::remove(dir_ / "token");
  EXPECT_EQ(*file.current(), "ddd.eee.fff");
}

TEST_F(token_file_test, a_file_without_a_token_is_a_startup_error) {
  EXPECT_TRUE(token_file{dir_ / "missing"}.startup_error());
  svc::testing::write_file(dir_ / "empty", "\n");
  EXPECT_TRUE(token_file{dir_ / "empty"}.startup_error());
  svc::testing::write_file(dir_ / "two", "a b");
  auto error = token_file{dir_ / "two"}.startup_error();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->find("a b"), std::string::npos);
  EXPECT_TRUE(token_file{dir_}.startup_error()) << "a directory";
}

}  // namespace
}  // namespace svc::security
