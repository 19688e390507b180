#!/usr/bin/env python3
"""An integrating system's view built from remiss's events alone: per round, the boards that
have not answered (neither submitted nor declined: "ej inkommit"), as KS's status board
says it.

Two ways in, the same view:

  unanswered_boards.py kafka --brokers HOST:PORT
      reads every remiss.<service>.events.v1 topic from the beginning to its end (the end
      offsets when it starts), with confluent-kafka;
  unanswered_boards.py grpc --responses HOST:PORT
      reads the responses service's log from remiss.v1.EventsService/Subscribe (gRPC, for
      systems without Kafka) up to its head.

It decodes the binary protobuf envelopes (remiss.v1.EventEnvelope) with Python code that it
generates from proto/ at start into a temporary directory (grpcio-tools; nothing generated is
kept), drops repeats as proto/INTEGRATING.md says (per (source, partition) the highest
position applied; a relay may send events again), checks that each source's positions run
from 1 without a gap, and prints one JSON object:

  {"not_answered": {"ks-2019-1939": ["org", ...], ...},  # per round id, org ids sorted
   "events": N, "repeats_dropped": N,
   "volume": {"remiss.followup.events.v1": {"messages": N, "bytes": N, "by_type": {...}}}}

The view: the responses service restates each round's terms (RoundTermsRecorded: every
addressee and whether it is asked to answer) and records each board's ResponseSubmitted or
ResponseDeclined. A board asked to answer (REQUIRED or UNSPECIFIED) with neither has not
answered. Order across topics and partitions does not matter: terms are kept by position,
answers as a set.

Needs: confluent-kafka (kafka), grpcio (grpc), grpcio-tools and protobuf (both).
tools/examples/venv.sh makes a virtual environment with the pinned versions.
"""
import argparse
import importlib
import json
import os
import pathlib
import sys
import tempfile
import time
import uuid

TOP = pathlib.Path(__file__).resolve().parent.parent.parent
SOURCES = ("referrals", "responses", "deadlines", "followup")


def generate_protos(out_dir):
    """Generates the remiss/v1 Python modules into out_dir and makes them importable."""
    import grpc_tools
    from grpc_tools import protoc

    proto = TOP / "proto"
    files = sorted(str(p.relative_to(proto)) for p in (proto / "remiss" / "v1").glob("*.proto"))
    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{proto}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}"] + files
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed on {files}")
    sys.path.insert(0, str(out_dir))
    return (importlib.import_module("remiss.v1.envelope_pb2"),
            importlib.import_module("remiss.v1.responses_events_pb2"))


class Dedup:
    """Per (source, partition): the highest position applied; anything at or below is a
    repeat. Also collects each source's positions, to check they run from 1 without a gap."""

    def __init__(self):
        self.highest = {}
        self.positions = {}
        self.repeats = 0

    def fresh(self, source, partition, position):
        key = (source, partition)
        if position <= self.highest.get(key, 0):
            self.repeats += 1
            return False
        self.highest[key] = position
        self.positions.setdefault(source, set()).add(position)
        return True

    def gaps(self):
        out = {}
        for source, seen in self.positions.items():
            missing = sorted(set(range(1, max(seen) + 1)) - seen)
            if missing:
                out[source] = missing[:10]
        return out


class UnansweredBoards:
    """Rounds' terms by position, and the (round, org) pairs that answered."""

    def __init__(self, responses_events_pb2):
        self.terms = {}      # referral id -> (position, RoundTermsRecorded)
        self.answered = set()
        kinds = responses_events_pb2.RequestedAnswer.DESCRIPTOR.fields_by_name["answer"].enum_type
        self.asked_kinds = {kinds.values_by_name[k].number
                            for k in ("ANSWER_KIND_REQUIRED", "ANSWER_KIND_UNSPECIFIED")}

    def apply(self, envelope):
        if envelope.WhichOneof("payload") != "responses":
            return
        event = envelope.responses
        kind = event.WhichOneof("event")
        if kind == "round_terms_recorded":
            terms = event.round_terms_recorded
            seen = self.terms.get(terms.referral_id)
            if seen is None or envelope.position > seen[0]:
                self.terms[terms.referral_id] = (envelope.position, terms)
        elif kind in ("response_submitted", "response_declined"):
            fact = getattr(event, kind)
            self.answered.add((fact.referral_id, fact.org_id))

    def not_answered(self):
        out = {}
        for referral_id, (_, terms) in sorted(self.terms.items()):
            asked = {a.org_id for a in terms.addressees if a.answer in self.asked_kinds}
            out[referral_id] = sorted(o for o in asked if (referral_id, o) not in self.answered)
        return out


def from_kafka(args, envelope_pb2, view, dedup):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": f"unanswered-boards-{uuid.uuid4()}",  # a fresh group: monitoring only
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    volume = {}
    try:
        metadata = consumer.list_topics(timeout=30)
        assignment, ends = [], {}
        for source in SOURCES:
            topic = f"remiss.{source}.events.v1"
            volume[topic] = {"messages": 0, "bytes": 0, "by_type": {}}
            if topic not in metadata.topics:
                continue
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                           timeout=30)
                if high > low:
                    assignment.append(TopicPartition(topic, partition, low))
                    ends[(topic, partition)] = high
        consumer.assign(assignment)
        deadline = time.monotonic() + args.timeout
        while ends:
            if time.monotonic() > deadline:
                raise SystemExit(f"did not reach the end of {sorted(ends)} in {args.timeout}s")
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise KafkaException(message.error())
            topic, partition = message.topic(), message.partition()
            if message.offset() + 1 >= ends.get((topic, partition), 0):
                ends.pop((topic, partition), None)
            headers = {k: v for k, v in (message.headers() or [])}
            ce_type = headers.get("ce_type", b"").decode()
            size = (len(message.value() or b"") + len(message.key() or b"") +
                    sum(len(k) + len(v or b"") for k, v in (message.headers() or [])))
            v = volume[topic]
            v["messages"] += 1
            v["bytes"] += size
            t = v["by_type"].setdefault(ce_type, {"messages": 0, "bytes": 0})
            t["messages"] += 1
            t["bytes"] += size
            envelope = envelope_pb2.EventEnvelope.FromString(message.value())
            if headers.get("remiss_position", b"").decode() != str(envelope.position):
                raise SystemExit(f"{topic}[{partition}]@{message.offset()}: the header "
                                 f"remiss_position disagrees with the envelope")
            if dedup.fresh(envelope.source, partition, envelope.position):
                view.apply(envelope)
    finally:
        consumer.close()
    return volume


def from_grpc(args, envelope_pb2, view, dedup):
    import grpc
    events_pb2 = importlib.import_module("remiss.v1.events_pb2")
    events_pb2_grpc = importlib.import_module("remiss.v1.events_pb2_grpc")

    with grpc.insecure_channel(args.responses) as channel:
        stub = events_pb2_grpc.EventsServiceStub(channel)
        request = events_pb2.SubscribeRequest(service="responses", from_position=1, follow=False)
        # On a plaintext loopback server callers name themselves; under TLS the certificate does.
        metadata = [("x-remiss-org", "diariet"), ("x-remiss-role", "integrator")]
        watermark = None
        for message in stub.Subscribe(request, metadata=metadata, timeout=args.timeout):
            if message.WhichOneof("item") == "event":
                if dedup.fresh(message.event.source, 0, message.event.position):
                    view.apply(message.event)
            else:
                watermark = message.watermark
        if watermark is None:
            raise SystemExit("the stream ended without a watermark")
    return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    kafka = sub.add_parser("kafka", help="read the events topics")
    kafka.add_argument("--brokers", required=True)
    grpc_mode = sub.add_parser("grpc", help="read the responses log over gRPC")
    grpc_mode.add_argument("--responses", required=True, help="the responses service's address")
    for p in (kafka, grpc_mode):
        p.add_argument("--timeout", type=float, default=120, help="seconds, for the whole read")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="remiss-py-") as generated:
        envelope_pb2, responses_events_pb2 = generate_protos(generated)
        view, dedup = UnansweredBoards(responses_events_pb2), Dedup()
        read = from_kafka if args.mode == "kafka" else from_grpc
        volume = read(args, envelope_pb2, view, dedup)
    gaps = dedup.gaps()
    if gaps:
        raise SystemExit(f"positions missing (first ten per source): {gaps}")
    result = {
        "not_answered": view.not_answered(),
        "events": sum(len(p) for p in dedup.positions.values()),
        "repeats_dropped": dedup.repeats,
        "volume": volume,
    }
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
