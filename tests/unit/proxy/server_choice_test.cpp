// Which server a request goes to: least outstanding requests for the weight, primaries first,
// backups only when no primary can be used at all.
#include "proxy/server_choice.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

namespace etagd::proxy {
namespace {

RunningServer server(const std::string& name, uint32_t weight = 1, bool backup = false) {
  config::UpstreamServerConfig c;
  c.url = "http://" + name + ":9000";
  return {std::make_shared<UpstreamServer>(c, net::SocketAddress{}), weight, backup};
}

std::string chosen(const std::vector<RunningServer>& s, uint32_t limit = 0,
                   const UpstreamServer* excluded = nullptr) {
  ServerChoice c = choose_server(s, ChoiceContext{limit, 0, 0, excluded});
  switch (c.kind) {
    case ServerChoice::Kind::Chosen: return c.server->server->url.substr(7, 1);
    case ServerChoice::Kind::AllBusy: return "busy";
    case ServerChoice::Kind::NoneUsable: return "none";
  }
  return "?";
}

}  // namespace

TEST_CASE("the server with the fewest requests in flight is chosen, the first on a tie") {
  std::vector<RunningServer> s = {server("a"), server("b"), server("c")};
  CHECK(chosen(s) == "a");
  s[0].server->in_flight = 2;
  s[1].server->in_flight = 1;
  s[2].server->in_flight = 1;
  CHECK(chosen(s) == "b");
  s[1].server->in_flight = 3;
  CHECK(chosen(s) == "c");
}

TEST_CASE("weights share the load in proportion: weight 2 takes two of every three") {
  std::vector<RunningServer> s = {server("a", 2), server("b", 1)};
  std::map<std::string, int> taken;
  // Requests that stay in flight: each choice adds to the chosen server's count.
  for (int i = 0; i < 300; ++i) {
    ServerChoice c = choose_server(s, ChoiceContext{});
    REQUIRE(c.kind == ServerChoice::Kind::Chosen);
    c.server->server->in_flight++;
    taken[c.server->server->url]++;
  }
  CHECK(taken["http://a:9000"] == 200);
  CHECK(taken["http://b:9000"] == 100);
}

TEST_CASE("a server at max_connections is passed over, all of them busy means wait") {
  std::vector<RunningServer> s = {server("a"), server("b")};
  s[0].server->in_flight = 4;
  CHECK(chosen(s, 4) == "b");
  s[1].server->in_flight = 4;
  CHECK(chosen(s, 4) == "busy");
}

TEST_CASE("backups are used only when no primary can be used, not when primaries are busy") {
  std::vector<RunningServer> s = {server("a"), server("b", 1, true)};
  CHECK(chosen(s) == "a");
  s[0].server->in_flight = 8;
  CHECK(chosen(s, 8) == "busy");
  // The primary excluded (a retry after it failed): the backup takes over.
  CHECK(chosen(s, 8, s[0].server.get()) == "b");
  CHECK(chosen({server("a")}, 0, nullptr) == "a");
}

TEST_CASE("a server down by its health checks or ejected is not usable, the backup takes over") {
  std::vector<RunningServer> s = {server("a"), server("b"), server("c", 1, true)};
  s[0].server->probe_up = false;
  CHECK(chosen(s) == "b");
  s[1].server->ejected_until_ms = 1000;  // ejected until t=1000; the choice is at t=0
  CHECK(chosen(s) == "c");
  CHECK(choose_server(s, ChoiceContext{0, 1000, 0, nullptr}).server == &s[1]);
}

TEST_CASE("slow start: a server that just came back takes a tenth of its share, then more") {
  std::vector<RunningServer> s = {server("a"), server("b")};
  s[1].server->back_since_ms = 10'000;
  s[0].server->in_flight = 5;
  // At its return: weight 1/10, so b with 0 in flight (load 10) loses to a with 5 (load 6).
  CHECK(choose_server(s, ChoiceContext{0, 10'000, 10'000, nullptr}).server == &s[0]);
  // Half way: weight 1/2, load 2 against 6.
  CHECK(choose_server(s, ChoiceContext{0, 15'000, 10'000, nullptr}).server == &s[1]);
  // Without slow start it is back whole at once.
  CHECK(choose_server(s, ChoiceContext{0, 10'000, 0, nullptr}).server == &s[1]);
}

TEST_CASE("with every server excluded none is usable") {
  std::vector<RunningServer> s = {server("a")};
  CHECK(chosen(s, 0, s[0].server.get()) == "none");
}

}  // namespace etagd::proxy
