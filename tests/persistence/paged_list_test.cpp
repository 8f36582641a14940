// persistence/paged_list: which list statements count as reads that may run long.
#include <gtest/gtest.h>

#include "persistence/paged_list.hpp"

using namespace svc;

// A search, or a page many rows deep, may take long at a large table: the pool
// sends it where no quick statement waits behind it (db_statement::may_run_long).
TEST(PagedList, SearchesAndDeepPagesAreReadsThatMayRunLong) {
  list_spec first_page{"things", "id, status, version", std::nullopt, {}, {1, 100}};
  EXPECT_FALSE(page_statement(first_page).may_run_long);
  auto by_status = first_page;
  by_status.status = "active";
  by_status.page = {99, 100};  // 9 800 rows skipped
  EXPECT_FALSE(page_statement(by_status).may_run_long);
  auto deep = first_page;
  deep.page = {101, 100};  // 10 000 rows skipped
  EXPECT_TRUE(page_statement(deep).may_run_long);
  auto search = first_page;
  search.conditions.push_back({"status LIKE {}", "%act%"});
  EXPECT_TRUE(page_statement(search).may_run_long);
}
