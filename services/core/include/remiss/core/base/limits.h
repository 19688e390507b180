// The limits of every command field in all four domains, in one place: how long a text may
// be (in characters, as core::MaxLength counts them) and how many items a repeated field may
// hold, so that the largest valid command has a known, bounded size. A domain refuses a value
// over its limit with INVALID_ARGUMENT naming the field. Constants only.
#pragma once

#include <cstddef>

namespace remiss::core::limits {

// ---- texts (characters) ----

inline constexpr size_t kCommandId = 128;     // a client's command_id
inline constexpr size_t kId = 64;             // ids: org, person, proposal, action, document
inline constexpr size_t kName = 200;          // a person's or a body's name, a title, a topic
inline constexpr size_t kTitle = 300;         // a round's or a document's title
inline constexpr size_t kParty = 50;          // a party's abbreviation: "S", "MP"
inline constexpr size_t kReason = 4000;       // why something was moved, withdrawn, corrected
inline constexpr size_t kNote = 4000;         // a note beside a fact
inline constexpr size_t kItem = 10000;        // one item of a list: a proposed decision
inline constexpr size_t kSummary = 20000;     // a round's summary
inline constexpr size_t kLongText = 100000;   // a statement's parts, a decision, a reservation
inline constexpr size_t kOutcomeSummary = 2000;  // an outcome's summary, an action's description
inline constexpr size_t kFeedback = 10000;    // återkoppling can run to a page
inline constexpr size_t kEmail = 200;
inline constexpr size_t kUri = 2000;
inline constexpr size_t kMinPhone = 5;        // "08-508 301 98"; digits, spaces, '+', '-'
inline constexpr size_t kMaxPhone = 30;
inline constexpr size_t kDiaryNumber = 64;    // a case number or diary number, as written
inline constexpr size_t kDiaryPrefixLetters = 8;  // "KS", "BRO", "Fi"
inline constexpr size_t kParagraphDigits = 5;     // "§ 12345"

// ---- counts of repeated fields (items per command) ----

inline constexpr int kAddresseesPerRound = 1000;   // a ministry asks 50-150; a city ~100
inline constexpr int kDocuments = 100;              // documents of one answer or round
inline constexpr int kProposedDecisionItems = 50;   // förslag till beslut, item by item
inline constexpr int kRemarks = 200;                // remarks of one statement
inline constexpr int kConsultationsPerCommand = 50;
inline constexpr int kProposals = 50;               // proposals in one decision's beslutsgång
inline constexpr int kReservations = 50;
inline constexpr int kSpecialStatements = 50;
inline constexpr int kMembers = 100;                // members named in one reservation/statement
inline constexpr int kParties = 20;                 // parties named in one reservation/statement
inline constexpr int kMeetingDates = 500;           // a board's meeting calendar
inline constexpr int kReminderOffsets = 20;         // days of one reminder policy
// Any repeated field of any command, at most: core's CheckRequest enforces it for fields
// the domains give no cap of their own.
inline constexpr int kRepeatedItems = 1000;

}  // namespace remiss::core::limits
