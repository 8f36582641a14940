#include "http/envelope.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace svc::http;
using nlohmann::json;

namespace {

// A stand-in for domain/'s svc::field_error: any {field, message} record works.
struct other_field_error {
  std::string field;
  std::string message;
};

}  // namespace

TEST(envelope, code_names_and_statuses) {
  struct row {
    error_code code;
    const char* name;
    unsigned status;
  };
  for (auto [code, name, status] :
       {row{error_code::bad_request, "BAD_REQUEST", 400},
        row{error_code::validation_error, "VALIDATION_ERROR", 400},
        row{error_code::not_found, "NOT_FOUND", 404},
        row{error_code::method_not_allowed, "METHOD_NOT_ALLOWED", 405},
        row{error_code::unauthorized, "UNAUTHORIZED", 401},
        row{error_code::forbidden, "FORBIDDEN", 403}, row{error_code::conflict, "CONFLICT", 409},
        row{error_code::precondition_failed, "PRECONDITION_FAILED", 412},
        row{error_code::payload_too_large, "PAYLOAD_TOO_LARGE", 413},
        row{error_code::uri_too_long, "URI_TOO_LONG", 414},
        row{error_code::request_header_fields_too_large, "REQUEST_HEADER_FIELDS_TOO_LARGE", 431},
        row{error_code::rate_limit_exceeded, "RATE_LIMIT_EXCEEDED", 429},
        row{error_code::internal_error, "INTERNAL_ERROR", 500},
        row{error_code::circuit_open, "CIRCUIT_OPEN", 503},
        row{error_code::service_unavailable, "SERVICE_UNAVAILABLE", 503}}) {
    EXPECT_EQ(code_name(code), name);
    EXPECT_EQ(http_status(code), status) << name;
  }
}

TEST(envelope, error_without_details) {
  auto resp = error_response(error_code::not_found, "user not found", "rid-1");
  EXPECT_EQ(resp.status, 404u);
  ASSERT_NE(resp.find_header("Content-Type"), nullptr);
  EXPECT_EQ(*resp.find_header("Content-Type"), "application/json");
  auto body = json::parse(resp.body);
  EXPECT_EQ(body, json::parse(R"({"success": false,
      "error": {"code": "NOT_FOUND", "message": "user not found"}, "request_id": "rid-1"})"));
  EXPECT_FALSE(body["error"].contains("details"));
  EXPECT_EQ(resp.error_code, "NOT_FOUND");  // for metrics and logs
  EXPECT_TRUE(ok_response(json::object()).error_code.empty());
}

TEST(envelope, error_with_details) {
  auto resp = error_response(error_code::validation_error, "invalid request", "r",
                             {{"email", "must be a valid email address"}, {"age", "too old"}});
  EXPECT_EQ(resp.status, 400u);
  auto body = json::parse(resp.body);
  EXPECT_EQ(body["error"]["code"], "VALIDATION_ERROR");
  EXPECT_EQ(body["error"]["details"], json::parse(R"([
      {"field": "email", "message": "must be a valid email address"},
      {"field": "age", "message": "too old"}])"));
}

TEST(envelope, error_accepts_other_field_error_types) {
  std::vector<other_field_error> errors{{"name", "required"}};
  auto resp = error_response(error_code::validation_error, "invalid request", "r",
                             std::move(errors));
  EXPECT_EQ(json::parse(resp.body)["error"]["details"][0]["field"], "name");
  const std::vector<other_field_error> none;
  auto plain = error_response(error_code::validation_error, "x", "r", none);
  EXPECT_FALSE(json::parse(plain.body)["error"].contains("details"));
}

TEST(envelope, invalid_utf8_is_replaced_not_thrown) {
  auto resp = error_response(error_code::bad_request, "bad \xff\xfe byte", "id\xc3");
  auto body = json::parse(resp.body);
  EXPECT_EQ(body["error"]["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
  auto ok = ok_response(json{{"name", std::string{"\xc0\xaf"}}});
  EXPECT_TRUE(json::accept(ok.body));
}

TEST(envelope, ok_response_shapes) {
  auto resp = ok_response(json{{"id", 1}, {"name", "Ann"}}, 201);
  EXPECT_EQ(resp.status, 201u);
  EXPECT_EQ(json::parse(resp.body),
            json::parse(R"({"success": true, "data": {"id": 1, "name": "Ann"}})"));
  EXPECT_EQ(ok_response(json::object()).status, 200u);
}

TEST(envelope, list_response_meta) {
  auto items = json::array({json{{"id", 2}}, json{{"id", 1}}});
  auto resp = list_response(items, {1, 10, 42});
  EXPECT_EQ(resp.status, 200u);
  EXPECT_EQ(json::parse(resp.body), json::parse(R"({"success": true, "data": [{"id": 2}, {"id": 1}],
      "meta": {"page": 1, "page_size": 10, "total": 42, "total_pages": 5}})"));
  // A page past the end: empty data, the right meta.
  auto past = json::parse(list_response(json::array(), {9, 10, 42}).body);
  EXPECT_EQ(past["data"], json::array());
  EXPECT_EQ(past["meta"]["page"], 9);
  EXPECT_EQ(past["meta"]["total_pages"], 5);
  EXPECT_EQ(json::parse(list_response(json{}, {1, 10, 0}).body)["data"], json::array());
}

TEST(envelope, total_pages_maths) {
  EXPECT_EQ(total_pages(0, 10), 0);
  EXPECT_EQ(total_pages(1, 10), 1);
  EXPECT_EQ(total_pages(10, 10), 1);
  EXPECT_EQ(total_pages(11, 10), 2);
  EXPECT_EQ(total_pages(42, 10), 5);
  EXPECT_EQ(total_pages(100, 1), 100);
  EXPECT_EQ(total_pages(5, 0), 0);
}

TEST(envelope, no_content) {
  auto resp = no_content_response();
  EXPECT_EQ(resp.status, 204u);
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(resp.find_header("Content-Type"), nullptr);
}
