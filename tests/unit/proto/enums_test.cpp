// Wire enums: one spelling per value both ways; an unknown spelling is a clear error, not a default.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "proto/messages.hpp"

TEST_CASE("wire enums: each value's spelling reads back as that value") {
  for (const auto& [value, name] : proto::EnumNames<proto::LoginMethod>::kNames) {
    CHECK(proto::to_string(value) == name);
    CHECK(proto::enum_from_string<proto::LoginMethod>(name) == value);
  }
  CHECK(proto::to_string(proto::ProfileState::login_pending) == "login_pending");
  CHECK(proto::to_string(proto::ProfileKind::fluxloop) == "fluxloop");
  CHECK_FALSE(proto::enum_from_string<proto::ProfileKind>("ldap").has_value());
}

TEST_CASE("wire enums: messages carry them as strings, an unknown one is refused") {
  proto::LoginStartReply reply;
  reply.login_id = "l";
  reply.kind = proto::ProfileKind::fluxloop;
  reply.method = proto::LoginMethod::cli_connect;
  nlohmann::json out = nlohmann::json::object();
  proto::write(out, reply);
  CHECK(out["method"] == "cli_connect");
  CHECK(out["kind"] == "fluxloop");
  proto::LoginStartReply back;
  proto::Reader in(out);
  proto::read(in, back);
  REQUIRE(in.ok());
  CHECK(back.method == proto::LoginMethod::cli_connect);
  CHECK(back.kind == proto::ProfileKind::fluxloop);

  out["method"] = "telepathy";
  proto::LoginStartReply bad;
  proto::Reader refused(out);
  proto::read(refused, bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error()->message.find("method") != std::string::npos);

  // profile_add without a kind: oidc with an issuer (older clients), else fluxloop.
  // (Named documents: a Reader keeps a reference to its object.)
  const nlohmann::json oidc_doc = {{"name", "p"}, {"issuer", "https://i"}, {"client_id", "c"}};
  const nlohmann::json bare_doc = {{"name", "p"}};
  proto::ProfileAdd add;
  proto::Reader with_issuer(oidc_doc);
  proto::read(with_issuer, add);
  CHECK(add.kind == proto::ProfileKind::oidc);
  proto::Reader without(bare_doc);
  proto::read(without, add = {});
  CHECK(add.kind == proto::ProfileKind::fluxloop);
}
