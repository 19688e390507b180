// The answers KS puts in its own papers, as aligned tables: the compilation
// (remissammanställning), a revision chain's standpoints side by side, a distribution list.
// Long texts are cut to a column's width; `--json` gives them whole.
#pragma once

#include <ostream>

#include "remiss/v1/followup.pb.h"
#include "remiss/v1/referrals.pb.h"

namespace remissctl {

void PrintCompilation(std::ostream& out, const remiss::v1::CompilationView& view);
void PrintChain(std::ostream& out, const remiss::v1::RevisionChain& chain);
void PrintDistributionList(std::ostream& out, const remiss::v1::DistributionList& list);

// "STANDPOINT_POSITIVE_WITH_REMARKS" -> "positive with remarks"; "" stays "".
std::string StandpointWords(const std::string& enum_name);
// At most `max` characters (UTF-8 code points), the rest as "…"; line breaks as spaces.
std::string Cut(const std::string& text, size_t max);

}  // namespace remissctl
