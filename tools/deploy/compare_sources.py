#!/usr/bin/python3
"""The rendered chart against its sources of truth:

  compare_sources.py RENDERED.yaml TOPICS.conf ALERTS.yml

- the KafkaTopics equal the topic lines of TOPICS.conf (infra/kafka/topics.production.conf):
  the same names, partitions, replicas and every setting, and nothing else;
- the PrometheusRule's groups equal ALERTS.yml (infra/observability/alerts.yml) as data.
Exits 1 naming every difference.
"""
import sys

import yaml


def topics_from_conf(path):
    topics = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, *settings = line.split()
        entry = {"config": {}}
        for kv in settings:
            key, value = kv.split("=", 1)
            if key == "partitions":
                entry["partitions"] = int(value)
            elif key == "replication":
                entry["replicas"] = int(value)
            else:
                entry["config"][key] = value
        topics[name] = entry
    return topics


def topics_from_chart(objects):
    topics = {}
    for o in objects:
        if o["kind"] != "KafkaTopic":
            continue
        spec = o["spec"]
        name = spec.get("topicName", o["metadata"]["name"])
        if name in topics:
            print(f"compare_sources: KafkaTopic {name} twice", file=sys.stderr)
        topics[name] = {"partitions": spec.get("partitions"), "replicas": spec.get("replicas"),
                        "config": {k: str(v) for k, v in (spec.get("config") or {}).items()}}
    return topics


def main():
    rendered, conf, alerts = sys.argv[1:]
    objects = [o for o in yaml.safe_load_all(open(rendered)) if o]
    problems = []
    want, got = topics_from_conf(conf), topics_from_chart(objects)
    for name in sorted(set(want) | set(got)):
        if name not in got:
            problems.append(f"topic {name}: in {conf}, no KafkaTopic in the chart")
        elif name not in want:
            problems.append(f"topic {name}: a KafkaTopic in the chart, not in {conf}")
        elif want[name] != got[name]:
            problems.append(f"topic {name}: chart {got[name]} != {conf} {want[name]}")
    rules = [o for o in objects if o["kind"] == "PrometheusRule"]
    source = yaml.safe_load(open(alerts))
    if len(rules) != 1:
        problems.append(f"{len(rules)} PrometheusRules rendered, expected 1 (render with monitoring.prometheusRule.enabled)")
    elif rules[0]["spec"].get("groups") != source.get("groups"):
        problems.append(f"the PrometheusRule's groups differ from {alerts}")
    for p in problems:
        print("compare_sources:", p, file=sys.stderr)
    print(f"compare_sources: {len(got)} KafkaTopics against {len(want)} topics in {conf}; "
          f"alert rules against {alerts}: {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
