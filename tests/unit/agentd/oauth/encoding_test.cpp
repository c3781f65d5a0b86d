#include <doctest/doctest.h>

#include "agentd/oauth/encoding.hpp"
#include "agentd/oauth/pkce.hpp"

using namespace agentd::oauth;

TEST_CASE("percent_encode keeps RFC 3986 unreserved characters only") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b+c&d=e/f?g#h%") == "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25");
  CHECK(percent_encode("é") == "%C3%A9");
  CHECK(percent_encode(std::string("\0\xff", 2)) == "%00%FF");
  CHECK(percent_encode("").empty());
}

TEST_CASE("form_encode joins encoded pairs, parse_form decodes them back") {
  const FormFields fields{{"grant_type", "refresh_token"}, {"scope", "openid email"}, {"redirect_uri", "http://127.0.0.1:5000/cb?x=1"}};
  const std::string encoded = form_encode(fields);
  CHECK(encoded == "grant_type=refresh_token&scope=openid%20email&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcb%3Fx%3D1");
  const auto decoded = parse_form(encoded);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == fields);
  CHECK(form_encode({}).empty());
}

TEST_CASE("parse_form: '+' is a space, keys without '=', duplicates, bad escapes") {
  auto fields = parse_form("code=a+b%21&state=&flag&&code=2");
  REQUIRE(fields.has_value());
  REQUIRE(fields->size() == 4);
  CHECK((*fields)[0] == std::pair<std::string, std::string>{"code", "a b!"});
  CHECK((*fields)[1] == std::pair<std::string, std::string>{"state", ""});
  CHECK((*fields)[2] == std::pair<std::string, std::string>{"flag", ""});
  CHECK((*fields)[3].second == "2");
  CHECK_FALSE(parse_form("a=%2").has_value());
  CHECK_FALSE(parse_form("a=%zz").has_value());
  CHECK_FALSE(parse_form("a=%").has_value());
  CHECK(parse_form("")->empty());
}

TEST_CASE("base64url round-trips and rejects foreign characters") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");
  CHECK(base64url_decode("-_-_") == std::string("\xfb\xff\xbf"));
  CHECK(base64url_decode("Zm8") == std::string("fo"));
  CHECK(base64url_decode("Zm8=") == std::string("fo"));
  CHECK_FALSE(base64url_decode("Zm+v").has_value());
  CHECK_FALSE(base64url_decode("Z").has_value());
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(base64url_decode(base64url_encode(all)) == all);
}

TEST_CASE("PKCE S256 matches RFC 7636 appendix B") {
  CHECK(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("make_pkce and make_state give fresh 43-character base64url values") {
  auto first = make_pkce();
  auto second = make_pkce();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->verifier.size() == 43);  // RFC 7636: 43..128 characters
  CHECK(first->verifier.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  CHECK(first->challenge == s256_challenge(first->verifier));
  CHECK(first->verifier != second->verifier);
  CHECK(Pkce::kMethod == "S256");
  auto state = make_state();
  REQUIRE(state.ok());
  CHECK(state->size() == 43);
  CHECK(*state != *make_state());
}
