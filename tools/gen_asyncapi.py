#!/usr/bin/env python3
"""Writes proto/asyncapi.yaml, the AsyncAPI 3 document of remiss's Kafka topics, from
infra/kafka/topics.conf and the .proto files, so that it cannot drift from them.

  tools/gen_asyncapi.py          rewrite proto/asyncapi.yaml
  tools/gen_asyncapi.py --check  exit 1 if proto/asyncapi.yaml is not what it would write

The payloads are protobuf schemas written inline (AsyncAPI's protobuf schema parser resolves
no imports but Google's own): envelope.proto and every remiss/v1 file it imports, in
dependency order, joined into one file, with remiss's field options (how servers
check text; no bearing on the wire) left out. The .proto files stay the source of truth;
tools/contract.sh runs the --check, validates the document and runs buf lint/breaking.
"""
import difflib
import pathlib
import re
import sys

TOP = pathlib.Path(__file__).resolve().parent.parent
OUT = TOP / "proto" / "asyncapi.yaml"
V1 = TOP / "proto" / "remiss" / "v1"

SOURCES = {
    "referrals": {
        "title": "Referral rounds and organizations",
        "key": "The round's id (referral id, e.g. `ks-2019-1939`) for a round's events; the "
               "organization's id (e.g. `bromma-sdn`) for OrganizationRegistered and "
               "OrganizationUpdated.",
        "payload": "referrals",
        "events": "referrals_events.proto",
        "oneof": "ReferralEvent",
    },
    "responses": {
        "title": "Answers (remissvar): case handling, statements, board decisions, submissions",
        "key": "The round's id (referral id).",
        "payload": "responses",
        "events": "responses_events.proto",
        "oneof": "ResponseEvent",
    },
    "deadlines": {
        "title": "Deadlines, extensions, reminders, breaches, board meetings",
        "key": "The round's id (referral id); the organization's id for a board's meeting "
               "calendar (BoardMeetingsScheduled, BoardMeetingCancelled).",
        "payload": "deadlines",
        "events": "deadlines_events.proto",
        "oneof": "DeadlineEvent",
    },
    "followup": {
        "title": "KS's follow-up: compilations, outcomes, feedback, actions",
        "key": "The round's id (referral id). FactObserved records carry the key of the "
               "fact they record (a referral id or an organization id).",
        "payload": "followup",
        "events": "followup_events.proto",
        "oneof": "FollowupEvent",
        "note": "Besides KS's own facts this topic carries `FactObserved`: the facts of "
                "referrals, responses and deadlines that followup's views use, in a compact "
                "form (the fact with its source position, stream version and recorded_at, not "
                "the source's envelope), kept in followup's log so that it alone rebuilds its "
                "views. Skip them by `ce_type` if you read the sources' own topics. Logs from "
                "before carry `SourceEventObserved` (whole copied envelopes) instead. "
                "Positions stay gap-free (proto/INTEGRATING.md).",
    },
    "notices": {
        "title": "Notices mailed to the boards' registry mailboxes: queued, delivered, deferred, rejected",
        "key": "The round's id (referral id). FactObserved records carry the key of the "
               "fact they record (a referral id or an organization id).",
        "payload": "notices",
        "events": "notices_events.proto",
        "oneof": "NoticeEvent",
        "note": "Besides each notice's life (NoticeQueued, then NoticeDelivered with the SMTP "
                "server's reply, NoticeDeferred with the next try, NoticeRejected, an "
                "operator's NoticeRetried or NoticeSkipped) this topic carries `FactObserved`: "
                "the facts of referrals, responses and deadlines the notices are decided from, "
                "kept so that the service's log alone rebuilds it. Skip them by `ce_type`.",
    },
}


def read_topics():
    topics = {}
    for line in (TOP / "infra" / "kafka" / "topics.conf").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, *settings = line.split()
        topics[name] = dict(s.split("=", 1) for s in settings)
    return topics


def event_names(events_file, oneof_message):
    text = (V1 / events_file).read_text()
    m = re.search(r"message %s \{\s*oneof event \{(.*?)\}" % oneof_message, text, re.S)
    if not m:
        sys.exit(f"gen_asyncapi: no `oneof event` in {oneof_message} ({events_file})")
    return re.findall(r"^\s*([A-Z]\w*) \w+ = \d+;", m.group(1), re.M)


def proto_body(name):
    """One .proto file without its syntax, package and import lines and remiss's options."""
    lines = []
    for line in (V1 / name).read_text().splitlines():
        if re.match(r"\s*(syntax|package|import)\b", line):
            continue
        line = re.sub(r"\s*\[\(remiss\.v1\.\w+\) = \w+\]", "", line)
        lines.append(line)
    return "\n".join(lines).strip("\n")


def imports_in_order(name, seen=None, out=None):
    """remiss/v1 files `name` imports, recursively, dependencies first (then `name`)."""
    seen = set() if seen is None else seen
    out = [] if out is None else out
    if name in seen:
        return out
    seen.add(name)
    for imp in re.findall(r'^import "remiss/v1/([\w.]+)";', (V1 / name).read_text(), re.M):
        if imp != "options.proto":  # field options for the servers' checks: not on the wire
            imports_in_order(imp, seen, out)
    out.append(name)
    return out


def payload_cases():
    """The envelope's payload oneof: [(message type, field name)]."""
    text = (V1 / "envelope.proto").read_text()
    m = re.search(r"oneof payload \{(.*?)\}", text, re.S)
    return re.findall(r"^\s*([A-Z]\w*) (\w+) = \d+;", m.group(1), re.M)


def shared_event_names():
    """Event types any service may publish: payload cases that are no one source's own (e.g.
    operations), read from the `oneof event` of their message."""
    own = {spec["oneof"] for spec in SOURCES.values()}
    names = []
    for type_name, _ in payload_cases():
        if type_name in own:
            continue
        for f in imports_in_order("envelope.proto"):
            if re.search(r"message %s \{" % type_name, (V1 / f).read_text()):
                names += event_names(f, type_name)
    return names


def envelope_schema():
    parts = [
        'syntax = "proto3";',
        "package remiss.v1;",
        'import "google/protobuf/timestamp.proto";',
    ]
    for f in imports_in_order("envelope.proto")[:-1]:
        parts += ["", f"// ---- {f} ----", proto_body(f)]
    env = proto_body("envelope.proto")
    # Only the envelope (the watermark messages have their own schema), marked as the root.
    env = env[:env.index("// How far a source's events topic")].rstrip()
    env = env.replace("message EventEnvelope {", "// @RootNode\nmessage EventEnvelope {")
    parts += ["", "// ---- envelope.proto ----", env]
    return "\n".join(parts) + "\n"


def watermark_schema():
    env = proto_body("envelope.proto")
    wm = env[env.index("// How far a source's events topic"):]
    wm = wm.replace("message SourceWatermark {", "// @RootNode\nmessage SourceWatermark {")
    return "\n".join(['syntax = "proto3";', "package remiss.v1;",
                      'import "google/protobuf/timestamp.proto";', "", wm.strip()]) + "\n"


def indent(text, n):
    pad = " " * n
    return "\n".join(pad + l if l else "" for l in text.splitlines())


def q(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def camel(source):
    return source[0].upper() + source[1:]


def topic_binding(settings, n):
    out = ["kafka:", "  bindingVersion: '0.5.0'"]
    if "partitions" in settings:
        out.append(f"  partitions: {settings['partitions']}")
    conf = []
    if "cleanup.policy" in settings:
        conf.append(f"    cleanup.policy: [{settings['cleanup.policy']}]")
    for k in ("retention.ms", "retention.bytes", "max.message.bytes"):
        if k in settings:
            conf.append(f"    {k}: {settings[k]}")
    if conf:
        out.append("  topicConfiguration:")
        out += conf
    return indent("\n".join(out), n)


def generate():
    topics = read_topics()
    expected = {f"remiss.{s}.{kind}.v1" for s in SOURCES for kind in ("events", "watermarks")}
    if set(topics) != expected:
        sys.exit("gen_asyncapi: infra/kafka/topics.conf and SOURCES disagree: "
                 f"only in topics.conf {sorted(set(topics) - expected)}, "
                 f"only here {sorted(expected - set(topics))}")
    shared = shared_event_names()
    y = []
    w = y.append
    w("# GENERATED by tools/gen_asyncapi.py from infra/kafka/topics.conf and proto/remiss/v1/*.proto;")
    w("# do not edit by hand: change those and run tools/gen_asyncapi.py (tools/contract.sh checks).")
    w("# The guide for integrators is proto/INTEGRATING.md.")
    w("asyncapi: 3.1.0")
    w("info:")
    w("  title: remiss events")
    w("  version: 1.0.0")
    w("  description: |")
    w(indent("""The facts recorded by remiss's four services (referrals, responses, deadlines,
followup, notices), published to Kafka by each service's relay, and how far each topic is complete
(watermarks). Read proto/INTEGRATING.md first: keys and ordering, deduplication by
(source, position), watermarks, replay from the beginning, how to ask for a new event.

Every event message follows the CloudEvents Kafka protocol binding in binary mode: the value
is the binary protobuf `remiss.v1.EventEnvelope` (proto/remiss/v1/envelope.proto), the
CloudEvents attributes are `ce_*` headers, plus `remiss_position`. Ordering is per key within
a partition; nothing is ordered across partitions or topics. Retention is forever.""", 4))
    w("defaultContentType: application/protobuf")
    w("")
    w("channels:")
    for s, spec in SOURCES.items():
        et, wt = f"remiss.{s}.events.v1", f"remiss.{s}.watermarks.v1"
        w(f"  {s}Events:")
        w(f"    address: {et}")
        w(f"    title: {q(spec['title'])}")
        desc = (f"Every event the {s} service records, once per position (a relay may send one "
                f"again after a crash: drop repeats by (source, position)). Key: {spec['key'][0].lower() + spec['key'][1:]}")
        if "note" in spec:
            desc += " " + spec["note"]
        w(f"    description: {q(desc)}")
        w("    messages:")
        w(f"      {s}Event:")
        w(f"        $ref: '#/components/messages/{camel(s)}Event'")
        w("    bindings:")
        w(topic_binding(topics[et], 6))
        w(f"  {s}Watermarks:")
        w(f"    address: {wt}")
        w(f"    title: {q('How far ' + et + ' is complete')}")
        w(f"    description: {q('Published by the ' + s + ' relay about once a second when it has published everything; compacted, key = the source name (' + s + '); only the latest matters. A consumer that has handled every partition of ' + et + ' up to the offsets given has seen every event recorded before settled_until.')}")
        w("    messages:")
        w(f"      {s}Watermark:")
        w(f"        $ref: '#/components/messages/{camel(s)}Watermark'")
        w("    bindings:")
        w(topic_binding(topics[wt], 6))
    w("")
    w("operations:")
    for s in SOURCES:
        for kind, msg in (("Events", "Event"), ("Watermarks", "Watermark")):
            w(f"  publish{camel(s)}{kind}:")
            w("    action: send")
            w(f"    summary: {q('The ' + s + ' relay publishes ' + ('its events' if kind == 'Events' else 'its watermark'))}")
            w("    channel:")
            w(f"      $ref: '#/channels/{s}{kind}'")
            w("    messages:")
            w(f"      - $ref: '#/channels/{s}{kind}/messages/{s}{msg}'")
    w("")
    w("components:")
    w("  messages:")
    for s, spec in SOURCES.items():
        names = event_names(spec["events"], spec["oneof"]) + shared
        w(f"    {camel(s)}Event:")
        w(f"      name: {camel(s)}Event")
        w(f"      title: {q('An event of the ' + s + ' service')}")
        w(f"      summary: {q('remiss.v1.EventEnvelope with payload `' + spec['payload'] + '` (' + spec['oneof'] + ')')}")
        w("      contentType: application/protobuf")
        w("      headers:")
        w("        allOf:")
        w("          - $ref: '#/components/schemas/EventHeaders'")
        w("          - type: object")
        w("            properties:")
        w("              ce_source:")
        w(f"                const: remiss/{s}")
        w("              ce_type:")
        w("                enum:")
        for n in names:
            w(f"                  - remiss.v1.{n}")
        w("      payload:")
        w("        $ref: '#/components/schemas/EventEnvelope'")
        w("      bindings:")
        w("        kafka:")
        w("          bindingVersion: '0.5.0'")
        w("          key:")
        w("            type: string")
        w(f"            description: {q(spec['key'])}")
        w(f"    {camel(s)}Watermark:")
        w(f"      name: {camel(s)}Watermark")
        w(f"      title: {q('How far remiss.' + s + '.events.v1 is complete')}")
        w("      contentType: application/protobuf")
        w("      payload:")
        w("        $ref: '#/components/schemas/SourceWatermark'")
        w("      bindings:")
        w("        kafka:")
        w("          bindingVersion: '0.5.0'")
        w("          key:")
        w("            type: string")
        w(f"            const: {s}")
        w(f"            description: The source's name.")
    w("  schemas:")
    w("    EventHeaders:")
    w("      type: object")
    w("      description: |")
    w(indent("""The CloudEvents Kafka binding, binary mode (CloudEvents 1.0): each attribute is a
ce_<name> header holding its value as UTF-8 text; the Kafka value is the data.""", 8))
    w("      required: [ce_specversion, ce_id, ce_source, ce_type, ce_time, ce_subject, content-type, remiss_position]")
    w("      properties:")
    for name, body in (
        ("ce_specversion", ["const: '1.0'", "description: CloudEvents spec version."]),
        ("ce_id", ["type: string", "description: The event id, envelope.event_id (\"<source>-<position>\"), unique across remiss."]),
        ("ce_source", ["type: string", "pattern: '^remiss/(referrals|responses|deadlines|followup|notices)$'",
                       "description: remiss/<service>, the service that recorded the event (envelope.source)."]),
        ("ce_type", ["type: string", "pattern: '^remiss\\.v1\\.[A-Z][A-Za-z0-9]*$'",
                     "description: remiss.v1.<EventName>; EventName is envelope.type, the payload's message name."]),
        ("ce_time", ["type: string", "format: date-time",
                     "description: When the service committed the event (envelope.recorded_at), RFC 3339 in UTC (Z)."]),
        ("ce_subject", ["type: string", "description: The stream (aggregate) id, envelope.stream_id, e.g. referral/ks-2019-1939 or organization/bromma-sdn."]),
        ("content-type", ["const: application/protobuf", "description: The value is a binary protobuf remiss.v1.EventEnvelope."]),
        ("ce_traceparent", ["type: string", "pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'",
                            "description: W3C trace context of the command that caused the event (envelope.traceparent); absent when none."]),
        ("remiss_position", ["type: string", "pattern: '^[1-9][0-9]*$'",
                             "description: envelope.position in decimal; per source, gap-free from 1, in commit order. Deduplicate by (source, position)."]),
    ):
        w(f"        {name}:")
        for b in body:
            w(f"          {b}")
    w("    EventEnvelope:")
    w("      schemaFormat: application/vnd.google.protobuf;version=3")
    w("      schema: |")
    w(indent(envelope_schema(), 8))
    w("    SourceWatermark:")
    w("      schemaFormat: application/vnd.google.protobuf;version=3")
    w("      schema: |")
    w(indent(watermark_schema(), 8))
    return "\n".join(y) + "\n"


def main():
    text = generate()
    if sys.argv[1:] == ["--check"]:
        old = OUT.read_text() if OUT.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), "proto/asyncapi.yaml (committed)",
                "proto/asyncapi.yaml (generated)", n=1))
            print("gen_asyncapi: proto/asyncapi.yaml is stale: run tools/gen_asyncapi.py",
                  file=sys.stderr)
            return 1
        print("proto/asyncapi.yaml is up to date")
        return 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(TOP)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
