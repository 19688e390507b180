// The pages as HTML, from the models of pages.h (and forms' models): the main element's
// content only; layout.h puts the shell around it. Every value is escaped here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "identity.h"
#include "remiss/console/pdf.h"

namespace remiss::console {

// What a view needs besides its model: the person and their CSRF token, and a fresh
// command id for the forms it holds (a form sent twice is the same command).
struct ViewContext {
  Person person;
  std::string csrf;
  std::string command_id;
};

std::string RoundsView(const nlohmann::json& model, const ViewContext& c);
std::string BoardView(const nlohmann::json& model, const ViewContext& c);
std::string OrganizationView(const nlohmann::json& model, const ViewContext& c);
std::string ChainView(const nlohmann::json& model, const ViewContext& c);
std::string CompilationView(const nlohmann::json& model, const ViewContext& c);
// A compilation's reservations and special statements by party (its JSON): through
// party_statements and party_statement_refs, or in one frozen before they existed,
// statements_by_party.
std::map<std::string, std::vector<nlohmann::json>> StatementsByParty(const nlohmann::json& compilation);
std::string AnswerView(const nlohmann::json& model, const ViewContext& c);
// KS's form for a new round (NewRoundModel); `form` the values sent before.
std::string NewRoundView(const nlohmann::json& model, const nlohmann::json& form, const ViewContext& c);
std::string SignInView(const std::vector<DevIdentity>& identities, const std::string& csrf,
                       bool dev_signin);

// The compilation as a document for the PDF writer.
std::vector<PdfBlock> CompilationDocument(const nlohmann::json& model);

}  // namespace remiss::console
