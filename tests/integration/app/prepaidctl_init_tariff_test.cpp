// prepaidctl init with [[tariffs]]: tariffs land in the store as effective-dated versions in the
// domain's canonical text, settings.default_tariff and meter `tariff` point at them, and bad
// tariffs are refused with the site file, the table index and the field (and the tariff line)
// named, writing nothing. Also loads the real demo site (assets/demo/site.toml).

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "prepaidctl_harness.hpp"
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::test {
namespace {

namespace fs = std::filesystem;

class InitTariffTest : public PrepaidctlTest {
 protected:
  CtlRun init(const fs::path& site) const {
    return runPrepaidctl("init --site " + site.string() + " --db " + db().string());
  }
};

constexpr const char* FlatText = "prepaid-tariff 1\nkind flat\nprice flat 800000\nend\n";
constexpr const char* TouText = R"(prepaid-tariff 1
kind tou
price peak 1200000
price valley 400000
season 1 01-01 12-31
period 1 workday 00:00 08:00 valley
period 1 workday 08:00 24:00 peak
end
)";

// A site with one gateway and two meters; `extra` goes before the gateway.
std::string site(const std::string& tariffs, const std::string& settings,
                 const std::string& meterTariff) {
  return "[site]\nname = \"T\"\nutc_offset_minutes = 480\n[settings]\n" + settings + "\n" +
         tariffs +
         "\n[[gateway]]\nname = \"g\"\nuri = \"tcp://127.0.0.1:1\"\n"
         "  [[gateway.meter]]\n  serial = \"000000000001\"\n  unit = 1\n"
         "  billing = \"server_side\"\n" +
         meterTariff +
         "\n  [[gateway.meter]]\n  serial = \"000000000002\"\n  unit = 2\n"
         "  billing = \"server_side\"\n";
}

TEST_F(InitTariffTest, LoadsTariffVersionsDefaultAndMeterTariff) {
  write("tou.tariff", TouText);
  const std::string tariffs = std::string("[[tariffs]]\nname = \"flat\"\ntext = \"\"\"\n") +
                              FlatText +
                              "\"\"\"\n"
                              "[[tariffs]]\nname = \"tou\"\nfile = \"tou.tariff\"\n"
                              "effective_from = 2026-01-01T00:00:00+08:00\n"
                              "[[tariffs]]\nname = \"tou\"\nfile = \"tou.tariff\"\n"
                              "effective_from = \"2026-07-01T00:00:00Z\"\n";
  const auto run =
      init(write("site.toml", site(tariffs, "default_tariff = \"flat\"", "  tariff = \"tou\"")));
  ASSERT_EQ(run.status, 0) << run.out;

  const auto rows = query(db(),
                          "SELECT t.name, v.effective_from, v.definition FROM tariff_versions v "
                          "JOIN tariffs t ON t.id = v.tariff_id ORDER BY t.name, v.effective_from");
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0][0], "flat");
  EXPECT_EQ(rows[1][0], "tou");
  EXPECT_EQ(rows[2][0], "tou");
  // 2025-12-31T16:00:00Z and 2026-07-01T00:00:00Z as Unix seconds.
  EXPECT_EQ(rows[1][1], "1767196800");
  EXPECT_EQ(rows[2][1], "1782864000");
  // The flat tariff has no effective_from: the site's start, i.e. when init ran (now, roughly).
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto flatFrom = std::stoll(rows[0][1].value_or("0"));
  EXPECT_LE(flatFrom, now);
  EXPECT_GT(flatFrom, now - 600);
  // Stored canonical: decodes to the same tariff as the site file's text.
  const auto flat = domain::decodeTariff(FlatText);
  const auto tou = domain::decodeTariff(TouText);
  ASSERT_TRUE(flat && tou);
  EXPECT_EQ(rows[0][2], domain::encodeTariff(*flat));
  EXPECT_EQ(rows[1][2], domain::encodeTariff(*tou));

  EXPECT_EQ(count("SELECT COUNT(*) FROM settings s JOIN tariffs t ON t.id = s.default_tariff_id "
                  "WHERE t.name = 'flat'"),
            1);
  const auto meters = query(db(),
                            "SELECT m.serial, t.name FROM meters m LEFT JOIN tariffs t "
                            "ON t.id = m.tariff_id ORDER BY m.serial");
  ASSERT_EQ(meters.size(), 2U);
  EXPECT_EQ(meters[0][1], "tou");
  EXPECT_EQ(meters[1][1], std::nullopt);  // the site default
}

TEST_F(InitTariffTest, BadTariffTextNamesFileTableIndexFieldAndLine) {
  const std::string bad =
      "prepaid-tariff 1\nkind tou\nprice peak 1200000\nprice noon 400000\nend\n";
  const std::string tariffs = std::string("[[tariffs]]\nname = \"flat\"\ntext = '''\n") + FlatText +
                              "'''\n[[tariffs]]\nname = \"bad\"\ntext = '''\n" + bad + "'''\n";
  const auto path = write("site.toml", site(tariffs, "", ""));
  const auto run = init(path);
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_NE(run.out.find(path.string() + ": tariffs[1].text: line 4, field 'rate'"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("nothing written"), std::string::npos) << run.out;
  EXPECT_EQ(count("SELECT COUNT(*) FROM tariffs"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM meters"), 0);
}

TEST_F(InitTariffTest, BadTariffFileNamesTheFileAndLine) {
  write("bad.tariff", "prepaid-tariff 1\nkind flat\nprice flat abc\nend\n");
  const auto path =
      write("site.toml", site("[[tariffs]]\nname = \"x\"\nfile = \"bad.tariff\"\n", "", ""));
  const auto run = init(path);
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_NE(run.out.find("tariffs[0].file: bad.tariff: line 3"), std::string::npos) << run.out;

  const auto missing =
      write("site2.toml", site("[[tariffs]]\nname = \"x\"\nfile = \"nope.tariff\"\n", "", ""));
  const auto second = init(missing);
  EXPECT_EQ(second.status, 1) << second.out;
  EXPECT_NE(second.out.find("tariffs[0].file: cannot read"), std::string::npos) << second.out;
}

TEST_F(InitTariffTest, RefusesBadFieldsAndUnknownNames) {
  const std::string ok =
      std::string("[[tariffs]]\nname = \"flat\"\ntext = '''\n") + FlatText + "'''\n";
  struct Case {
    std::string site;
    std::string expected;
  };
  const std::vector<Case> cases{
      {site(ok, "default_tariff = \"nope\"", ""), "settings.default_tariff: no tariff 'nope'"},
      {site(ok, "", "  tariff = \"nope\""), "gateway[0].meter[0].tariff: no tariff 'nope'"},
      {site(ok + "[[tariffs]]\nname = \"t\"\n", "", ""), "tariffs[1].text: give exactly one"},
      {site("[[tariffs]]\nname = \"t\"\ntext = 'x'\nfile = 'y'\n", "", ""),
       "tariffs[0].text: give exactly one"},
      {site("[[tariffs]]\ntext = 'x'\n", "", ""), "tariffs[0].name: required"},
      {site(ok + "effective_from = 2026-01-01T00:00:00\n", "", ""),
       "tariffs[0].effective_from: must be an RFC 3339 instant"},
      {site(ok + "effective_from = \"yesterday\"\n", "", ""),
       "tariffs[0].effective_from: must be an RFC 3339 instant"},
      {site(ok + "colour = 1\n", "", ""), "tariffs[0].colour: unknown key"},
      {site(ok + "effective_from = 2026-01-01T00:00:00Z\n" + ok +
                "effective_from = 2026-01-01T08:00:00+08:00\n",
            "", ""),
       "tariffs[1].effective_from"},  // the same instant twice: a duplicate version
  };
  int i = 0;
  for (const auto& c : cases) {
    const auto run = init(write("case" + std::to_string(i++) + ".toml", c.site));
    EXPECT_EQ(run.status, 1) << c.site << "\n" << run.out;
    EXPECT_NE(run.out.find(c.expected), std::string::npos) << c.expected << "\n" << run.out;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM tariffs"), 0);
}

TEST_F(InitTariffTest, DemoSiteRatesEveryServerSideMeterByATouTariff) {
  const auto run = init(fs::path(PREPAID_SOURCE_DIR) / "assets/demo/site.toml");
  ASSERT_EQ(run.status, 0) << run.out;
  const auto tariffs = query(db(),
                             "SELECT t.name, v.definition FROM tariffs t JOIN tariff_versions v "
                             "ON v.tariff_id = t.id ORDER BY t.id");
  ASSERT_EQ(tariffs.size(), 2U);
  for (const auto& row : tariffs) {
    const auto tariff = domain::decodeTariff(row[1].value_or(""));
    ASSERT_TRUE(tariff) << tariff.error().message;
    EXPECT_EQ(tariff->kind, domain::TariffKind::TimeOfUse);
    EXPECT_EQ(tariff->seasons.size(), 2U);
    EXPECT_TRUE(tariff->seasons[0].weekend.has_value());
  }
  EXPECT_FALSE(domain::decodeTariff(tariffs[0][1].value_or(""))->tiering.has_value());
  EXPECT_TRUE(domain::decodeTariff(tariffs[1][1].value_or(""))->tiering.has_value());
  EXPECT_EQ(count("SELECT COUNT(*) FROM settings WHERE default_tariff_id = (SELECT id FROM "
                  "tariffs ORDER BY id LIMIT 1)"),
            1);
  // Some server-side meters have the tiered tariff; the rest use the site default.
  EXPECT_GE(count("SELECT COUNT(*) FROM meters WHERE billing_mode = 'server_side' AND "
                  "tariff_id = (SELECT id FROM tariffs ORDER BY id DESC LIMIT 1)"),
            4);
  EXPECT_GE(count("SELECT COUNT(*) FROM meters WHERE billing_mode = 'server_side' AND "
                  "tariff_id IS NULL"),
            4);
}

}  // namespace
}  // namespace prepaid::test
