// TxidSnapshot: reading and printing pg_snapshot text, and which transactions it sees.
#include "core/txid_snapshot.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "core/error.hpp"

namespace tapedeck {
namespace {

std::string parse_error(std::string_view text) {
  try {
    TxidSnapshot::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::input);
    EXPECT_EQ(e.recovery(), Recovery::invalid);
    return e.message();
  }
  ADD_FAILURE() << "'" << text << "' was accepted";
  return {};
}

std::string expected_error(std::string_view text, std::string_view problem) {
  return "transaction snapshot '" + std::string(text) + "': " + std::string(problem) +
         "; expected 'xmin:xmax:xip1,xip2,...' as pg_current_snapshot() prints it";
}

TEST(TxidSnapshot, ParsesXminXmaxAndTheInProgressList) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("700:712:701,705,710");
  EXPECT_EQ(snapshot.xmin(), Xid{700});
  EXPECT_EQ(snapshot.xmax(), Xid{712});
  EXPECT_EQ(snapshot.in_progress(), (std::vector{Xid{701}, Xid{705}, Xid{710}}));
}

TEST(TxidSnapshot, ParsesAnEmptyInProgressList) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("738:738:");
  EXPECT_EQ(snapshot.xmin(), Xid{738});
  EXPECT_EQ(snapshot.xmax(), Xid{738});
  EXPECT_TRUE(snapshot.in_progress().empty());
  EXPECT_EQ(snapshot.str(), "738:738:");
}

TEST(TxidSnapshot, PrintsWhatItParses) {
  for (const char* text : {"1:1:", "10:20:15", "700:712:701,705,710",
                           "18446744073709551614:18446744073709551615:18446744073709551614"}) {
    EXPECT_EQ(TxidSnapshot::parse(text).str(), text);
  }
  EXPECT_EQ(TxidSnapshot::parse(" 10:20:15\n").str(), "10:20:15");
}

TEST(TxidSnapshot, AcceptsTheLargestXid8) {
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  const TxidSnapshot snapshot = TxidSnapshot::parse("18446744073709551615:18446744073709551615:");
  EXPECT_EQ(snapshot.xmax(), Xid{top});
  EXPECT_TRUE(snapshot.visible(Xid{top - 1}));
  EXPECT_FALSE(snapshot.visible(Xid{top}));
}

TEST(TxidSnapshot, SeesTransactionsBeforeXminAndNotFromXmaxOn) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("100:110:103,107");
  EXPECT_TRUE(snapshot.visible(Xid{1}));
  EXPECT_TRUE(snapshot.visible(Xid{99}));
  EXPECT_FALSE(snapshot.visible(Xid{110}));
  EXPECT_FALSE(snapshot.visible(Xid{111}));
  EXPECT_FALSE(snapshot.visible(Xid{std::numeric_limits<std::uint64_t>::max()}));
}

TEST(TxidSnapshot, DoesNotSeeTransactionsInProgressButSeesTheOthersBetween) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("100:110:100,103,107");
  EXPECT_FALSE(snapshot.visible(Xid{100}));  // xmin itself in progress
  EXPECT_TRUE(snapshot.visible(Xid{101}));
  EXPECT_FALSE(snapshot.visible(Xid{103}));
  EXPECT_TRUE(snapshot.visible(Xid{104}));
  EXPECT_FALSE(snapshot.visible(Xid{107}));
  EXPECT_TRUE(snapshot.visible(Xid{109}));
}

TEST(TxidSnapshot, PlacesExactlyTheInvisibleTransactionsAfterIt) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("100:110:103");
  for (std::uint64_t xid = 90; xid < 120; ++xid) {
    EXPECT_EQ(snapshot.after_snapshot(Xid{xid}), !snapshot.visible(Xid{xid})) << xid;
  }
  EXPECT_TRUE(snapshot.after_snapshot(Xid{103}));
  EXPECT_TRUE(snapshot.after_snapshot(Xid{110}));
  EXPECT_FALSE(snapshot.after_snapshot(Xid{109}));
}

TEST(TxidSnapshot, SeesEverythingBelowXmaxWhenNothingIsInProgress) {
  const TxidSnapshot snapshot = TxidSnapshot::parse("50:50:");
  EXPECT_TRUE(snapshot.visible(Xid{49}));
  EXPECT_FALSE(snapshot.visible(Xid{50}));
}

TEST(TxidSnapshot, SortsAndDeduplicatesAnInProgressListGivenInCode) {
  const TxidSnapshot snapshot(Xid{10}, Xid{20}, {Xid{15}, Xid{11}, Xid{15}});
  EXPECT_EQ(snapshot.str(), "10:20:11,15");
  EXPECT_EQ(snapshot, TxidSnapshot::parse("10:20:11,15,15"));
}

TEST(TxidSnapshot, RefusesMalformedTextWithTheReason) {
  EXPECT_EQ(parse_error("10:20"), expected_error("10:20", "missing ':' separators"));
  EXPECT_EQ(parse_error(""), expected_error("", "missing ':' separators"));
  EXPECT_EQ(parse_error("x:20:"), expected_error("x:20:", "xmin 'x' is not an xid"));
  EXPECT_EQ(parse_error("10::"), expected_error("10::", "xmax '' is not an xid"));
  EXPECT_EQ(parse_error("-1:20:"), expected_error("-1:20:", "xmin '-1' is not an xid"));
  EXPECT_EQ(parse_error("10:20:0x0f"),
            expected_error("10:20:0x0f", "in-progress xid '0x0f' is not an xid"));
  EXPECT_EQ(parse_error("10:20:15,"),
            expected_error("10:20:15,", "in-progress xid '' is not an xid"));
  EXPECT_EQ(parse_error("10:20:11 ,12"),
            expected_error("10:20:11 ,12", "in-progress xid '11 ' is not an xid"));
  EXPECT_EQ(parse_error("1:18446744073709551616:"),
            expected_error("1:18446744073709551616:", "xmax '18446744073709551616' is not an xid"));
}

TEST(TxidSnapshot, RefusesValuesThatCannotFormASnapshot) {
  EXPECT_EQ(parse_error("0:10:"), expected_error("0:10:", "xmin 0 is not a valid transaction id"));
  EXPECT_EQ(parse_error("20:10:"), expected_error("20:10:", "xmax 10 is less than xmin 20"));
  EXPECT_EQ(parse_error("10:20:25"),
            expected_error("10:20:25", "in-progress xid 25 is outside [xmin 10, xmax 20)"));
  EXPECT_EQ(parse_error("10:20:20"),
            expected_error("10:20:20", "in-progress xid 20 is outside [xmin 10, xmax 20)"));
  EXPECT_EQ(parse_error("10:20:5"),
            expected_error("10:20:5", "in-progress xid 5 is outside [xmin 10, xmax 20)"));
  EXPECT_EQ(parse_error("10:20:16,15"),
            expected_error("10:20:16,15", "in-progress xids are not in ascending order"));
  EXPECT_THROW(TxidSnapshot(Xid{20}, Xid{10}, {}), Error);
  EXPECT_THROW(TxidSnapshot(Xid{10}, Xid{20}, {Xid{9}}), Error);
}

}  // namespace
}  // namespace tapedeck
