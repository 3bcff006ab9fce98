// Which Accept, Accept-Language and Accept-Charset values count as the same for a stored
// variant (RFC 9111 §4.1 allows normalising by syntax).
#include "http/list_normalisation.h"

#include <doctest/doctest.h>

using etagd::http::normalised_list_value;

TEST_CASE("whitespace around commas, semicolons and equals signs does not matter") {
  CHECK(normalised_list_value("accept-language", "en-US,en;q=0.8") ==
        normalised_list_value("accept-language", " en-US , en ; q = 0.8 "));
  CHECK(normalised_list_value("accept", "text/html,application/json;q=0.9") ==
        normalised_list_value("accept", "text/html, application/json; q=0.9"));
}

TEST_CASE("language tags and charsets compare without case") {
  CHECK(normalised_list_value("accept-language", "en-US, DE") == "en-us,de");
  CHECK(normalised_list_value("accept-charset", "UTF-8") == "utf-8");
}

TEST_CASE("a media range and parameter names fold case, parameter values do not") {
  CHECK(normalised_list_value("accept", "Text/HTML;Level=A") == "text/html;level=A");
}

TEST_CASE("order still matters: a different preference order may get a different answer") {
  CHECK(normalised_list_value("accept-language", "en, de") !=
        normalised_list_value("accept-language", "de, en"));
}

TEST_CASE("a member with a quoted string is kept as sent") {
  CHECK(normalised_list_value("accept", "text/plain; x=\"A ; B\"") == "text/plain; x=\"A ; B\"");
}

TEST_CASE("fields whose syntax etagd does not know are not normalised") {
  CHECK_FALSE(normalised_list_value("x-tenant", "A , B").has_value());
  CHECK_FALSE(normalised_list_value("user-agent", "Mozilla/5.0").has_value());
}

TEST_CASE("empty lists stay empty") {
  CHECK(normalised_list_value("accept", "") == "");
  CHECK(normalised_list_value("accept", " , ") == "");
}
