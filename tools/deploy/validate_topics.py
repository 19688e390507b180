"""The chart's KafkaTopics against a real broker: CreateTopics with validate_only, so the
broker checks every setting's name and value without creating anything.

  python validate_topics.py BOOTSTRAP OBJECTS.json   (a python with confluent-kafka; OBJECTS.json: the
                                                    rendered objects as a JSON array)

A test broker has fewer brokers than production's replication factor: the replication asked
is capped at the brokers there are (said in the output); every other setting goes as rendered.
"""
import sys

import json
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    bootstrap, rendered = sys.argv[1:]
    topics = [o for o in json.load(open(rendered)) if o["kind"] == "KafkaTopic"]
    if not topics:
        raise SystemExit("validate_topics: no KafkaTopic rendered")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    brokers = len(admin.list_topics(timeout=30).brokers)
    new = []
    for t in topics:
        spec = t["spec"]
        replicas = min(spec["replicas"], brokers)
        new.append(NewTopic(spec.get("topicName", t["metadata"]["name"]), num_partitions=spec["partitions"],
                            replication_factor=replicas,
                            config={k: str(v) for k, v in (spec.get("config") or {}).items()}))
    problems = []
    for name, future in admin.create_topics(new, validate_only=True, request_timeout=30).items():
        try:
            future.result()
        except Exception as e:  # the broker's refusal, e.g. an unknown or invalid setting
            problems.append(f"{name}: {e}")
    for p in problems:
        print("validate_topics:", p, file=sys.stderr)
    print(f"validate_topics: {len(new)} topics validated by the broker at {bootstrap} "
          f"(replication capped at its {brokers} broker(s)): {len(problems)} refused")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
