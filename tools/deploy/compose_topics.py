"""Runs deploy/compose.yaml's one-shot topic creator (the `topics` service's script, as the
Compose loader would hand it to /bin/sh) against a real broker, with kafka-topics.sh being
Kafka's own TopicCommand from the cached broker jars, then checks with the AdminClient that
every topic of the topics file exists with its partitions and settings; twice (idempotent).

  python compose_topics.py SCRIPT.json TOPICS.conf BOOTSTRAP KAFKA_LIBS_DIR KAFKA_TOOLS_JAR
  SCRIPT.json: the `topics` service's command (a JSON string); a python with confluent-kafka
"""
import json
import os
import subprocess
import sys
import tempfile

from confluent_kafka.admin import AdminClient, ConfigResource


def main():
    script_json, conf, bootstrap, libs, tools_jar = sys.argv[1:]
    script = json.load(open(script_json))
    with tempfile.TemporaryDirectory() as d:
        wrapper = os.path.join(d, "kafka-topics.sh")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec java -cp "{libs}/*:{tools_jar}" org.apache.kafka.tools.TopicCommand "$@"\n')
        os.chmod(wrapper, 0o755)
        script = (script.replace("/opt/kafka/bin/kafka-topics.sh", wrapper)
                  .replace("kafka:9092", bootstrap).replace("/etc/remiss/topics.conf", conf))
        for run in (1, 2):
            r = subprocess.run(["/bin/sh", "-ec", script], capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                raise SystemExit(f"compose_topics: run {run} of the creator failed:\n{r.stdout}{r.stderr}")
    want = {}
    for line in open(conf):
        line = line.strip()
        if line and not line.startswith("#"):
            name, *settings = line.split()
            want[name] = dict(kv.split("=", 1) for kv in settings)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=30).topics
    problems = []
    for name, settings in want.items():
        if name not in topics:
            problems.append(f"{name}: not created")
            continue
        if str(len(topics[name].partitions)) != settings.get("partitions", str(len(topics[name].partitions))):
            problems.append(f"{name}: {len(topics[name].partitions)} partitions")
        res = ConfigResource(ConfigResource.Type.TOPIC, name)
        configs = admin.describe_configs([res])[res].result()
        for key, value in settings.items():
            if key in ("partitions", "replication"):
                continue
            if configs[key].value != value:
                problems.append(f"{name}: {key}={configs[key].value}, not {value}")
    for p in problems:
        print("compose_topics:", p, file=sys.stderr)
    print(f"compose_topics: compose's topic creator made {len(want) - len(problems)} of the "
          f"{len(want)} topics of {os.path.basename(conf)} as written (run twice)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
