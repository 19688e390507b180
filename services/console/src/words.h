// The console's Swedish words for the services' values: stages, standpoints, statuses, and
// the request fields a service names in an error. Unknown values come back as given.
#pragma once

#include <string>

namespace remiss::console {

std::string FieldLabel(const std::string& field);          // "case_number" -> "Diarienummer"
std::string StageLabel(const std::string& stage);          // "submitted" -> "Inskickat"
std::string StandpointLabel(const std::string& standpoint);  // "positive" or "STANDPOINT_POSITIVE"
std::string StatusLabel(const std::string& status);        // "issued" or "REFERRAL_STATUS_ISSUED"
std::string ExtensionLabel(const std::string& extension);  // "requested" -> "Anstånd begärt"
std::string OutcomeLabel(const std::string& outcome);      // "met late" -> "Besvarad sent"
std::string StatementKindLabel(const std::string& kind);   // "reservation" -> "Reservation"

}  // namespace remiss::console
