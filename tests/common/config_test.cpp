// Proves config errors name the file, the line and column (syntax) or the JSON path, what
// was expected and what was found (semantics), so a user can fix a file in one look.
#include "fusebox/common/config.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

ConfigNode root_of(const std::string& text) {
  return ConfigDocument::parse("scenarios/x.json", text).root();
}

TEST(ConfigTest, CommentsAreAllowed) {
  const auto doc = ConfigDocument::parse("a.json", R"(
    // line comment
    {"seed": 7, /* block comment */ "name": "smoke"})");
  EXPECT_EQ(doc.root().at("seed").as_int(), 7);
  EXPECT_EQ(doc.root().at("name").as_string(), "smoke");
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  const std::string message = error_of(
      [] { (void)ConfigDocument::parse("scenarios/x.json", "{\n  \"a\": 1,\n  \"b\": ,\n}\n"); });
  EXPECT_EQ(message.rfind("scenarios/x.json:3:8: syntax error", 0), 0U) << message;
}

TEST(ConfigTest, SyntaxErrorAtTheFirstCharacter) {
  const std::string message = error_of([] { (void)ConfigDocument::parse("y.json", "x"); });
  EXPECT_EQ(message.rfind("y.json:1:1: ", 0), 0U) << message;
}

TEST(ConfigTest, TruncatedFileIsASyntaxError) {
  const std::string message =
      error_of([] { (void)ConfigDocument::parse("t.json", "{\"a\": [1, 2"); });
  EXPECT_EQ(message.rfind("t.json:1:12: ", 0), 0U) << message;
}

TEST(ConfigTest, EmptyFileIsAnError) {
  EXPECT_EQ(error_of([] { (void)ConfigDocument::parse("e.json", "  \n"); }),
            "e.json: empty file, expected a JSON document");
}

TEST(ConfigTest, DuplicateKeysAreErrorsWithTheirPath) {
  EXPECT_EQ(error_of([] {
              (void)ConfigDocument::parse("d.json",
                                          R"({"faults": [{"at_s": 1}, {"at_s": 2, "at_s": 3}]})");
            }),
            "d.json: /faults/1/at_s: duplicate field \"at_s\" (each field may appear once)");
  EXPECT_EQ(error_of([] {
              (void)ConfigDocument::parse("d.json", R"({"a": {"x": [[], {"y": 1}]}, "a": 2})");
            }),
            "d.json: /a: duplicate field \"a\" (each field may appear once)");
  EXPECT_EQ(error_of([] {
              (void)ConfigDocument::parse("d.json", R"([{"k": 1}, [], {"k": 1, "k": 1}])");
            }),
            "d.json: /2/k: duplicate field \"k\" (each field may appear once)");
}

TEST(ConfigTest, MissingFileNamesTheFile) {
  EXPECT_EQ(error_of([] { (void)ConfigDocument::load_file("no/such/file.json"); }),
            "no/such/file.json: cannot read: No such file or directory");
}

TEST(ConfigTest, DirectoryIsNotAFile) {
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(error_of([&] { (void)ConfigDocument::load_file(dir); }),
            dir + ": cannot read: is a directory, expected a JSON file");
}

TEST(ConfigTest, LoadsAFileFromDisk) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "fusebox_cfg.json";
  {
    std::ofstream out(path);
    out << "// what this proves\n{\"duration_s\": 30}\n";
  }
  const auto doc = ConfigDocument::load_file(path);
  EXPECT_EQ(doc.source_name(), path.string());
  EXPECT_DOUBLE_EQ(doc.root().at("duration_s").as_positive_number(), 30);
  std::filesystem::remove(path);
}

TEST(ConfigTest, SemanticErrorsNamePathExpectationAndValue) {
  const auto root = root_of(R"({"faults": [{}, {}, {"for_s": -5, "name": 3, "p": 1.5,
                                 "mode": "sideways", "n": 2.5, "port": 70000, "on": "yes"}]})");
  const ConfigNode fault = root.at("faults").at(std::size_t{2});
  EXPECT_EQ(error_of([&] { (void)fault.at("for_s").as_positive_number(); }),
            "scenarios/x.json: /faults/2/for_s: expected a positive number, got -5");
  EXPECT_EQ(error_of([&] { (void)fault.at("name").as_string(); }),
            "scenarios/x.json: /faults/2/name: expected a string, got 3");
  EXPECT_EQ(error_of([&] { (void)fault.at("p").as_probability(); }),
            "scenarios/x.json: /faults/2/p: expected a number in [0, 1], got 1.5");
  EXPECT_EQ(error_of([&] {
              (void)fault.at("mode").as_enum({"up", "down"});
            }),
            "scenarios/x.json: /faults/2/mode: expected one of \"up\", \"down\", got \"sideways\"");
  EXPECT_EQ(error_of([&] { (void)fault.at("n").as_int(); }),
            "scenarios/x.json: /faults/2/n: expected an integer, got 2.5");
  EXPECT_EQ(error_of([&] { (void)fault.at("port").as_int(0, 65535); }),
            "scenarios/x.json: /faults/2/port: expected an integer in [0, 65535], got 70000");
  EXPECT_EQ(error_of([&] { (void)fault.at("on").as_bool(); }),
            "scenarios/x.json: /faults/2/on: expected true or false, got \"yes\"");
  EXPECT_EQ(error_of([&] { (void)fault.at("missing"); }),
            "scenarios/x.json: /faults/2: missing required field \"missing\"");
  EXPECT_EQ(error_of([&] { (void)root.at("faults").at(std::size_t{9}); }),
            "scenarios/x.json: /faults: expected an element at index 9, the array has 3");
}

TEST(ConfigTest, TypeErrorsOnContainers) {
  const auto root = root_of(R"({"list": {"a": 1}, "obj": [1, 2], "n": 1})");
  EXPECT_EQ(error_of([&] { (void)root.at("list").elements(); }),
            "scenarios/x.json: /list: expected an array, got an object");
  EXPECT_EQ(error_of([&] { (void)root.at("obj").at("k"); }),
            "scenarios/x.json: /obj: expected an object, got an array");
  EXPECT_EQ(error_of([&] { root.at("obj").expect_array(3); }),
            "scenarios/x.json: /obj: expected an array of at least 3 elements, got 2");
  EXPECT_EQ(error_of([&] { root.at("n").expect_array(1, 4); }),
            "scenarios/x.json: /n: expected an array of 1 to 4 elements, got 1");
}

TEST(ConfigTest, UnknownFieldsAreRejectedWithTheKnownOnes) {
  const auto root = root_of(R"({"seed": 1, "duraton_s": 5})");
  EXPECT_EQ(error_of([&] {
              root.expect_fields({"seed", "duration_s"});
            }),
            "scenarios/x.json: /duraton_s: unknown field \"duraton_s\" (expected one of: seed, "
            "duration_s)");
  EXPECT_NO_THROW(root_of(R"({"seed": 1})").expect_fields({"seed", "duration_s"}));
}

TEST(ConfigTest, PathsEscapeSlashAndTilde) {
  const auto root = root_of(R"({"a/b": {"c~d": "x"}})");
  EXPECT_EQ(error_of([&] { (void)root.at("a/b").at("c~d").as_int(); }),
            "scenarios/x.json: /a~1b/c~0d: expected an integer, got \"x\"");
}

TEST(ConfigTest, IntegersWrittenAsFloatsAndLimits) {
  const auto root = root_of(R"({"a": 1e3, "b": 18446744073709551615, "c": -1, "d": 5})");
  EXPECT_EQ(root.at("a").as_int(), 1000);
  EXPECT_EQ(root.at("b").as_uint64(), 18446744073709551615ULL);
  EXPECT_EQ(error_of([&] { (void)root.at("b").as_int(); }),
            "scenarios/x.json: /b: expected an integer, got 18446744073709551615");
  EXPECT_EQ(error_of([&] { (void)root.at("c").as_uint64(); }),
            "scenarios/x.json: /c: expected an integer in [0, 18446744073709551615], got -1");
  EXPECT_EQ(error_of([&] { (void)root.at("c").as_int(0); }),
            "scenarios/x.json: /c: expected an integer >= 0, got -1");
  EXPECT_EQ(root.at("d").as_int(0), 5);
}

TEST(ConfigTest, LongValuesAreShortenedInMessages) {
  const auto root = root_of("{\"s\": \"" + std::string(200, 'x') + "\"}");
  const std::string message = error_of([&] { (void)root.at("s").as_int(); });
  EXPECT_LT(message.size(), 140U) << message;
  EXPECT_NE(message.find("..."), std::string::npos);
}

TEST(ConfigTest, MembersKeepTheirPaths) {
  const auto root = root_of(R"({"channels": {"wx": {"p": 2}}})");
  const auto members = root.at("channels").members();
  ASSERT_EQ(members.size(), 1U);
  EXPECT_EQ(members[0].first, "wx");
  EXPECT_EQ(members[0].second.path(), "/channels/wx");
  EXPECT_EQ(error_of([&] { (void)members[0].second.at("p").as_probability(); }),
            "scenarios/x.json: /channels/wx/p: expected a number in [0, 1], got 2");
}

TEST(ConfigTest, NodesOutliveTheirDocumentObject) {
  std::optional<ConfigNode> node;
  {
    const auto doc = ConfigDocument::parse("o.json", R"({"a": {"b": 4}})");
    node = doc.root().at("a");
  }
  EXPECT_EQ(node->at("b").as_int(), 4);
}

}  // namespace
}  // namespace fusebox
