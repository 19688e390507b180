#!/usr/bin/env python3
"""One pgbench run of pg_register.pgbench for run.sh's figure (f), measured as
remiss-bench-grpc measures remissd, printed as its one `result` line.

pgbench runs --seconds with --clients connections (one thread, on --cpu when given), logging
every transaction (--log: its latency and when it ended). The first min(1, seconds/5)
seconds are warm-up, as remiss-bench-grpc's: per_s counts the transactions that ended after
it, up to the last one; p50/p99 are over those. server_cpu_us_per_call: the CPU time of the
postmaster and all its processes (backends, WAL writer, checkpointer, autovacuum) and of
--pool-pid (PgBouncer) from the end of the warm-up until pgbench has exited and its
backends are gone, over the transactions that ended after the warm-up. Live processes are
read from /proc/PID/schedstat (ns), the backends that exited meanwhile from the postmaster's
reaped children's time (/proc/PID/stat cutime+cstime). Asserts nothing.

Run: pg_load.py --port PORT --pid POSTMASTER_PID --clients N --seconds S
                [--protocol prepared|extended|simple] [--pool-pid PID] [--cpu LIST] [--label L]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command's name (state is [0], ppid [1])."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def run_ns(pid):
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def children(pid):
    out = []
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = stat_fields(path.split("/")[2])
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            out.append(int(path.split("/")[2]))
    return out


def tree_cpu_s(postmaster, extra):
    """CPU seconds of the postmaster, its reaped children, its live children and `extra`."""
    f = stat_fields(postmaster)
    total = run_ns(postmaster) / 1e9 + (int(f[13]) + int(f[14])) / TICK
    for pid in children(postmaster) + extra:
        try:
            c = stat_fields(pid)
            total += run_ns(pid) / 1e9 + (int(c[13]) + int(c[14])) / TICK
        except (OSError, IndexError):
            pass  # exited between the listing and the read: in the postmaster's cutime next time
    return total


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--pool-pid", type=int, default=0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--protocol", default="prepared")
    ap.add_argument("--cpu", default="")
    ap.add_argument("--label", default="postgres")
    ap.add_argument("--pgbench", default="/usr/lib/postgresql/15/bin/pgbench")
    o = ap.parse_args()

    warmup = min(1.0, o.seconds / 5)
    extra = [o.pool_pid] if o.pool_pid else []
    with tempfile.TemporaryDirectory(prefix="remiss-pgbench-") as tmp:
        cmd = ([] if not o.cpu else ["taskset", "-c", o.cpu]) + [
            o.pgbench, "-n", "-h", "127.0.0.1", "-p", str(o.port), "-U", "postgres",
            "-M", o.protocol, "-c", str(o.clients), "-j", "1", "-T", str(max(1, round(o.seconds))),
            "-D", f"run={time.time_ns() // 1000 % 10**15}", "-D", "n=0",
            "-f", os.path.join(HERE, "pg_register.pgbench"),
            "--log", "--log-prefix", os.path.join(tmp, "tx"), "bench"]
        before = set(children(o.pid))
        pgbench = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(warmup)
        t0 = time.time()
        cpu0 = tree_cpu_s(o.pid, extra)
        out, err = pgbench.communicate()
        # The run's backends exit after pgbench: wait until they are gone (reaped, so counted).
        give_up = time.time() + 5
        while time.time() < give_up and len(set(children(o.pid)) - before) > 0 and not o.pool_pid:
            time.sleep(0.01)
        cpu = tree_cpu_s(o.pid, extra) - cpu0

        latencies_us, ends, failed = [], [], 0
        for path in glob.glob(os.path.join(tmp, "tx.*")):
            with open(path) as f:
                for line in f:
                    p = line.split()
                    # client_id transaction_no time script_no time_epoch time_us [...]
                    if len(p) < 6:
                        continue
                    if not p[2].isdigit():
                        failed += 1  # "failed" or "skipped"
                        continue
                    end = int(p[4]) + int(p[5]) / 1e6
                    if end >= t0:
                        latencies_us.append(int(p[2]))
                        ends.append(end)
    aborted = err.count("aborted")
    if not ends:
        sys.stderr.write(err)
        print(f"pg_load: no transaction ended after the warm-up (pgbench exited {pgbench.returncode})",
              file=sys.stderr)
        return 1
    if pgbench.returncode != 0:
        sys.stderr.write(err[-2000:])
    seconds = max(ends) - t0
    latencies_us.sort()
    n = len(latencies_us)
    print(f"result label={o.label} workload=pg-register clients={o.clients} calls={n} "
          f"per_s={n / seconds:.0f} p50_ms={percentile(latencies_us, 0.50) / 1000:.2f} "
          f"p99_ms={percentile(latencies_us, 0.99) / 1000:.2f} "
          f"server_cpu_us_per_call={cpu / n * 1e6:.1f} errors={failed + aborted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
