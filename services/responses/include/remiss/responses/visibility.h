// What a reader of a response may see (DOMAIN.md, the public-access principle): an answer
// before it is submitted is a draft, not a public document, so until then only the board
// itself (a caller of the response's own organization) sees its content; KS and everyone else
// see its stage (registered, in preparation, drafted, attested, decided). Once submitted (or
// declined) the answer is public. The case officer's phone and e-mail are for KS (role ks)
// and the board itself only; the officer's name is public. Pure.
#pragma once

#include <string>

#include "remiss/v1/envelope.pb.h"
#include "remiss/v1/responses.pb.h"

namespace remiss::responses {

struct Viewer {
  std::string org_id;
  std::string role;
};

// Whether the answer's content (consultations, statement, attestations, decisions, notes,
// supplements, corrections) is shown to `viewer`.
[[nodiscard]] bool SeesContent(const remiss::v1::Response& response, const Viewer& viewer);
// Whether the case officer's phone and e-mail are shown to `viewer`.
[[nodiscard]] bool SeesContactDetails(const remiss::v1::Response& response, const Viewer& viewer);

// The response as `viewer` may see it.
[[nodiscard]] remiss::v1::Response AsSeenBy(remiss::v1::Response response, const Viewer& viewer);

// One event of the response's stream as `viewer` may see it (`response`: the response now):
// an event that carries content the viewer may not see keeps its envelope (type, position,
// time, actor) and loses its payload's content; a case officer's contact details go.
void RedactEvent(const remiss::v1::Response& response, const Viewer& viewer, remiss::v1::EventEnvelope* event);

}  // namespace remiss::responses
