// The one http:// URL parser (net/url.hpp), used by the HTTP client, the harness's part URLs
// and the gateway's alert webhook check.
#include "fusebox/net/url.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace fusebox::net {
namespace {

TEST(HttpUrl, SplitsHostPortAndTarget) {
  const HttpUrl full = parse_http_url("http://127.0.0.1:8080/control/clock?x=1");
  EXPECT_EQ(full.host, "127.0.0.1");
  EXPECT_EQ(full.port, 8080);
  EXPECT_EQ(full.target, "/control/clock?x=1");
  const HttpUrl bare = parse_http_url("http://localhost:65535");
  EXPECT_EQ(bare.host, "localhost");
  EXPECT_EQ(bare.port, 65535);
  EXPECT_EQ(bare.target, "/");
}

TEST(HttpUrl, SaysWhatIsWrong) {
  const auto why = [](const std::string& url) -> std::string {
    try {
      (void)parse_http_url(url);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(why("https://h:1/"), "expected an http:// URL (plain HTTP), got \"https://h:1/\"");
  EXPECT_EQ(why("http://h/x"), "expected host:port in \"http://h/x\"");
  EXPECT_EQ(why("http://:80/x"), "expected host:port in \"http://:80/x\"");
  for (const char* port : {"0", "65536", "", "8o", "123456"}) {
    const std::string url = std::string("http://h:") + port + "/";
    EXPECT_EQ(why(url), "expected a port in 1..65535 in \"" + url + "\"");
  }
}

}  // namespace
}  // namespace fusebox::net
