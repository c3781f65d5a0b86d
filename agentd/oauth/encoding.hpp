// Encodings OAuth needs: RFC 3986 percent-encoding, application/x-www-form-urlencoded, base64url.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentd::oauth {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view text);

// "a=1&b=x%20y": names and values percent-encoded (space as %20, which every form decoder accepts).
std::string form_encode(const FormFields& fields);

// Decodes "a=1&b=x+y" (a query string or form body): '+' is a space, %XX a byte. Returns nullopt
// on a malformed escape. Fields without '=' get an empty value; order and duplicates are kept.
std::optional<FormFields> parse_form(std::string_view text);

// base64url without padding (RFC 4648 §5), as JWTs and PKCE use it.
std::string base64url_encode(std::string_view bytes);
// Decodes base64url; trailing '=' padding is accepted. nullopt on any other invalid character.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace agentd::oauth
