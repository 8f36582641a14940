// mask_secrets: each form in which libpq takes a password, alone and quoted by
// an error message. (The URL subtleties found by fuzz_config_loader are in
// settings_loader_test.cpp.)
#include <gtest/gtest.h>

#include "config/secret_mask.hpp"

using svc::mask_secrets;

TEST(SecretMask, UriUserInfoInEitherCaseOfScheme) {
  EXPECT_EQ(mask_secrets("postgresql://app:s3cr3t@db:5432/users"),
            "postgresql://app:***@db:5432/users");
  EXPECT_EQ(mask_secrets("POSTGRESQL://app:s3cr3t@db/users"), "POSTGRESQL://app:***@db/users");
  EXPECT_EQ(mask_secrets("Postgres://app:s3cr3t@db/users"), "Postgres://app:***@db/users");
  EXPECT_EQ(mask_secrets("postgresql://app@db/users"), "postgresql://app@db/users");
}

TEST(SecretMask, UriQueryPasswordAndSslPassword) {
  EXPECT_EQ(mask_secrets("postgresql://db/users?sslpassword=k3y&sslmode=verify-full"),
            "postgresql://db/users?sslpassword=***&sslmode=verify-full");
  EXPECT_EQ(mask_secrets("POSTGRES://db/users?password=s3cr3t&sslpassword=k3y"),
            "POSTGRES://db/users?password=***&sslpassword=***");
  // libpq percent-decodes the keys.
  EXPECT_EQ(mask_secrets("postgresql://db/users?ssl%70assword=k3y"),
            "postgresql://db/users?ssl%70assword=***");
  EXPECT_EQ(mask_secrets("postgresql://db/users?sslmode=require&application_name=pw"),
            "postgresql://db/users?sslmode=require&application_name=pw");
}

TEST(SecretMask, KeyValueUnquoted) {
  EXPECT_EQ(mask_secrets("host=db port=5432 password=s3cr3t dbname=users"),
            "host=db port=5432 password=*** dbname=users");
  EXPECT_EQ(mask_secrets("password=s3cr3t"), "password=***");
  EXPECT_EQ(mask_secrets("host=db sslpassword=k3y"), "host=db sslpassword=***");
  // A backslash escapes the next character, a blank included.
  EXPECT_EQ(mask_secrets("password=s3c\\ r3t host=db"), "password=*** host=db");
  EXPECT_EQ(mask_secrets("user=password host=db"), "user=password host=db");
}

TEST(SecretMask, KeyValueQuoted) {
  EXPECT_EQ(mask_secrets("host=db password='s3c r3t' dbname=users"),
            "host=db password=*** dbname=users");
  EXPECT_EQ(mask_secrets("password='it\\'s s3cr3t' dbname=users"), "password=*** dbname=users");
  EXPECT_EQ(mask_secrets("host=db password='unterminated s3cr3t"), "host=db password=***");
}

TEST(SecretMask, KeyValueWithBlanksAroundTheEquals) {
  EXPECT_EQ(mask_secrets("host = db password = s3cr3t dbname = users"),
            "host = db password = *** dbname = users");
  EXPECT_EQ(mask_secrets("password\t=\t's3c r3t'"), "password\t=\t***");
  // libpq skips the blanks after '=': the value is the next word.
  EXPECT_EQ(mask_secrets("password= s3cr3t host=db"), "password= *** host=db");
  EXPECT_EQ(mask_secrets("host=db PASSWORD=s3cr3t"), "host=db PASSWORD=***");
}

TEST(SecretMask, LibpqMessageQuotingAUri) {
  // libpq's URI prefix check is case-sensitive: it read this one as key/value.
  EXPECT_EQ(
    mask_secrets(
      "missing \"=\" after \"POSTGRESQL://postgres:s3cr3t@db:5432/users\" in connection info "
      "string\n"),
    "missing \"=\" after \"POSTGRESQL://postgres:***@db:5432/users\" in connection info string\n");
  EXPECT_EQ(
    mask_secrets("invalid URI query parameter: \"postgresql://db/users?password=s3cr3t&x\"\n"),
    "invalid URI query parameter: \"postgresql://db/users?password=***&x\"\n");
  // The text after the closing quote is not part of the URI.
  EXPECT_EQ(mask_secrets("bad \"postgresql://u:pw@db/x?password=s3cr3t\" for user@host"),
            "bad \"postgresql://u:***@db/x?password=***\" for user@host");
}

TEST(SecretMask, LibpqMessageQuotingAKeyValueString) {
  EXPECT_EQ(mask_secrets("missing \"=\" after \"junk password=s3cr3t\" in connection info string"),
            "missing \"=\" after \"junk password=*** in connection info string");
  EXPECT_EQ(mask_secrets("invalid connection option \"passwd\"\n"),
            "invalid connection option \"passwd\"\n");
}

TEST(SecretMask, LibpqMessageQuotingAPercentEncodedValue) {
  EXPECT_EQ(mask_secrets("forbidden value %00 in percent-encoded value: \"s3c%00r3t\"\n"),
            "forbidden value %00 in percent-encoded value: \"***\"\n");
  EXPECT_EQ(mask_secrets("invalid percent-encoded token: \"s3c%zzr3t\""),
            "invalid percent-encoded token: \"***\"");
}

TEST(SecretMask, TextWithoutSecretsIsUnchanged) {
  for (const char* text :
       {"", "not a url", "connection refused", "password", "no password given",
        "http://localhost:8081", "could not translate host name \"db\" to address"})
    EXPECT_EQ(mask_secrets(text), text);
}
