#!/usr/bin/env bash
# Multi-host data-parallel training, tested on one machine: HOSTS network namespaces (default
# 3), each with its own hostname, joined through a bridge by veth pairs, run Open MPI over TCP
# between them. Checks:
#   1. train-model across the hosts gives one process's losses and weights (20 steps);
#   2. a rank killed mid-run stops the whole job with an error, the newest checkpoint stays
#      intact and --resume continues from it;
#   3. it measures the gradient allreduce of the 2x512 LSTM over the veth link, loopback TCP,
#      shared memory and a veth link shaped to 1 Gb/s, and a 2-host 2x512 training step with
#      and without overlap on the shaped link, into build/mpi/measurements.json for
#      scripts/scaling.py.
# Traffic stays inside the namespaces (10.77.0.0/24) and on loopback. Needs root.
#
#   scripts/mpi-netns-test.sh [--no-measure] [--build DIR] [HOSTS]
#     --no-measure: checks 1 and 2 only (ctest runs this)
#     --build DIR:  use the programs already built in DIR instead of running setup.sh
# Exits 77 (ctest's "skipped") when this machine does not allow network namespaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hosts=3
measure=1
build=
while [ $# -gt 0 ]; do
  case $1 in
    --no-measure) measure=0 ;;
    --build) build=$2; shift ;;
    *) hosts=$1 ;;
  esac
  shift
done
if [ "$(id -u)" -ne 0 ]; then
  echo "mpi-netns-test.sh: skipped: creating network namespaces needs root" >&2
  exit 77
fi
if [ -z "$build" ]; then
  "$root/scripts/setup.sh" >/dev/null
  build=$root/build
fi
bin=$build/apps/train-model
out=$build/mpi
mkdir -p "$out"
work=$(mktemp -d)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

prefix=clmpi$$
namespace() { echo "$prefix-h$1"; }
address() { echo "10.77.0.$(($1 + 1))"; }
cleanup() {
  for ((h = 0; h < hosts; h++)); do ip netns del "$(namespace $h)" 2>/dev/null || true; done
  ip netns del "$prefix-sw" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! ip netns add "$prefix-sw" 2>/dev/null; then
  echo "mpi-netns-test.sh: skipped: this machine does not allow network namespaces" >&2
  exit 77
fi
# The switch: a bridge in a namespace of its own; each host's eth0 is a veth to a bridge port.
ip -n "$prefix-sw" link add br0 type bridge
ip -n "$prefix-sw" link set br0 up
for ((h = 0; h < hosts; h++)); do
  ns=$(namespace $h)
  ip netns add "$ns"
  ip link add "$prefix-p$h" netns "$prefix-sw" type veth peer name eth0 netns "$ns"
  ip -n "$prefix-sw" link set "$prefix-p$h" master br0 up
  ip -n "$ns" addr add "$(address $h)/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

# Open MPI starts its daemon on a "remote" host through an rsh-like agent; this one enters the
# host's namespace and UTS namespace (its own hostname) instead of logging in with ssh.
cat >"$work/agent.sh" <<AGENT
#!/bin/sh
host=\$1; shift
case \$host in
$(for ((h = 0; h < hosts; h++)); do echo "  $(address $h)) ns=$(namespace $h); name=host$h ;;"; done)
  *) echo "agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$name; \$*"
AGENT
chmod +x "$work/agent.sh"
for ((h = 0; h < hosts; h++)); do echo "$(address $h) slots=1"; done >"$work/hostfile"

# Leak checking is off in the ranks when sanitized: Open MPI 4.1 leaks at MPI_Finalize from
# components it has closed (see tests/cli/mpi_test.sh); ASan's other checks stay on.
rank_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# mpirun itself runs on host 0. TCP between hosts: no shared-memory transport. --bind-to none:
# each "host" believes it owns every core and would pin its rank to core 0, but here the hosts
# share the machine's cores, so the kernel must spread the ranks.
on_host0() { ip netns exec "$(namespace 0)" unshare --uts sh -c 'hostname host0; exec "$@"' sh "$@"; }
mpi_hosts() {
  local n=$1; shift
  on_host0 env "ASAN_OPTIONS=$rank_asan" mpirun -np "$n" --hostfile "$work/hostfile" --map-by node --bind-to none --mca plm_rsh_agent "$work/agent.sh" \
    --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x ASAN_OPTIONS "$@"
}

cd "$work"
for i in $(seq 600); do echo "Line $i: the loom hums, the shuttle flies and the weaver counts thread $((i * 7 % 13))."; done >corpus.txt
batch=$((hosts * 4))
small=(--corpus corpus.txt --layers 2 --hidden 32 --embedding-size 16 --dropout 0.25 --batch-size $batch
  --seq-length 24 --eval-every 10 --log-every 1 --threads 1 --seed 5 --quiet)

# Each rank lands on a host of its own.
expected=$(for ((h = 0; h < hosts; h++)); do echo "host$h"; done)
placed=$(mpi_hosts "$hosts" hostname | sort)
[ "$placed" = "$expected" ] || { echo "mpi-netns-test.sh: ranks ran on [$placed], not one per host" >&2; exit 1; }

echo "mpi-netns-test.sh: 1. $hosts hosts against one process"
"$bin" "${small[@]}" --max-iters 20 --output one.safetensors --metrics one.jsonl
mpi_hosts "$hosts" "$bin" "${small[@]}" --max-iters 20 --output hosts.safetensors --metrics hosts.jsonl \
  --summary-json hosts.json
grep -q "\"processes\": $hosts" hosts.json || { echo "mpi-netns-test.sh: the run did not use $hosts processes" >&2; exit 1; }
/usr/bin/python3 "$root/scripts/compare_runs.py" one.safetensors hosts.safetensors one.jsonl hosts.jsonl

echo "mpi-netns-test.sh: 2. a rank killed mid-run"
last=$((hosts - 1))
mpi_hosts "$hosts" "$bin" "${small[@]}" --max-iters 100000 --checkpoint-every 5 --keep-last 0 --output killed.safetensors \
  --checkpoint-dir killed.ckpt >killed.out 2>&1 &
job=$!
for _ in $(seq 600); do
  [ -n "$(ls killed.ckpt 2>/dev/null | grep step- || true)" ] && break
  sleep 0.1
done
sleep 1
victim=$(ip netns pids "$(namespace $last)" | while read -r pid; do
  [ "$(cat /proc/$pid/comm 2>/dev/null)" = train-model ] && echo "$pid"; done | head -1)
[ -n "$victim" ] || { echo "mpi-netns-test.sh: no train-model process on host $last" >&2; exit 1; }
kill -9 "$victim"
status=0
timeout 60 tail --pid=$job -f /dev/null || { echo "mpi-netns-test.sh: the job did not stop after a rank died" >&2; exit 1; }
wait $job || status=$?
[ "$status" -ne 0 ] || { echo "mpi-netns-test.sh: the job exited 0 after a rank was killed" >&2; exit 1; }
grep -q "exited on signal 9" killed.out ||
  { echo "mpi-netns-test.sh: mpirun did not say which rank died:" >&2; cat killed.out >&2; exit 1; }
ls killed.ckpt | grep -q '\.tmp$' && { echo "mpi-netns-test.sh: a temporary checkpoint was left behind" >&2; exit 1; }
newest=$(ls killed.ckpt | grep step- | sort | tail -1)
step=$((10#${newest//[!0-9]/}))
echo "mpi-netns-test.sh:    killed after step $step (exit $status); resuming from $newest"
mpi_hosts "$hosts" "$bin" "${small[@]}" --max-iters $((step + 10)) --output resumed.safetensors \
  --checkpoint-dir killed.ckpt --resume killed.ckpt --summary-json resumed.json
grep -q "\"iterations\": $((step + 10))" resumed.json ||
  { echo "mpi-netns-test.sh: the resumed run did not reach step $((step + 10))" >&2; exit 1; }

if [ "$measure" -eq 1 ]; then
  echo "mpi-netns-test.sh: 3. measurements (2x512 LSTM)"
  bench=$build/tests/tools/bench-allreduce
  veth=$(mpi_hosts 2 "$bench" --hidden 512 --layers 2 --runs 20 --json)
  loopback=$(mpirun -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
    "$bench" --hidden 512 --layers 2 --runs 20 --json)
  shared_memory=$(mpirun -np 2 --mca btl self,vader "$bench" --hidden 512 --layers 2 --runs 20 --json)
  corpus=$root/../shared/data/corpora/tinyshakespeare.txt
  [ -f "$corpus" ] || corpus=corpus.txt
  big=(--corpus "$corpus" --layers 2 --hidden 512 --seq-length 100 --max-iters 12 --eval-every 1000
    --val-fraction 0.01 --quiet)
  # A rank's compute alone: its share of the global batch of 64 on one thread, as each of the
  # two ranks below has; and one whole host's step (batch 64 on both cores), for scaling.py.
  "$bin" "${big[@]}" --batch-size 32 --threads 1 --output big.safetensors --summary-json share.json
  "$bin" "${big[@]}" --batch-size 64 --threads 2 --output big.safetensors --summary-json host.json
  # The veth link runs at memory speed, and on 2 cores its TCP copies compete with compute for
  # the same cores. A real link is slower and its NIC does the moving: shape each host's
  # egress to 1 Gb/s (tc tbf), and train 2 hosts with and without overlap, alternating.
  for h in 0 1; do
    ip netns exec "$(namespace $h)" tc qdisc add dev eth0 root tbf rate 1gbit burst 256kb latency 100ms
  done
  shaped=$(mpi_hosts 2 "$bench" --hidden 512 --layers 2 --runs 10 --json)
  for round in 1 2 3 4 5; do
    for mode in overlap after; do
      mpi_hosts 2 "$bin" "${big[@]}" --batch-size 64 --threads 1 --allreduce $mode --output big.safetensors \
        --summary-json $mode-$round.json
    done
  done
  python3 - "$out/measurements.json" "$veth" "$loopback" "$shared_memory" "$shaped" <<'PY'
import json, statistics, sys
path, veth, loopback, shm, shaped = sys.argv[1:]
load = lambda p: json.load(open(p))
fields = ("step_seconds", "allreduce_seconds_per_step", "allreduce_wait_seconds_per_step")
def median_run(mode):
    runs = [load(f"{mode}-{r}.json") for r in (1, 2, 3, 4, 5)]
    print(mode, "steps (ms):", [round(1e3 * run["step_seconds"]) for run in runs],
          "waits (ms):", [round(1e3 * run["allreduce_wait_seconds_per_step"]) for run in runs])
    return {k: statistics.median(run[k] for run in runs) for k in fields}
report = {
    "machine": "2 cores (AVX-512), Debian 12, Open MPI 4.1; hosts are network namespaces on it",
    "model": "2x512 LSTM, vocabulary 65, global batch 64 x seq 100",
    "allreduce_veth": json.loads(veth),
    "allreduce_loopback_tcp": json.loads(loopback),
    "allreduce_shared_memory": json.loads(shm),
    "allreduce_1gbps": json.loads(shaped),
    "compute_share_step_seconds": load("share.json")["step_seconds"],
    "compute_host_step_seconds": load("host.json")["step_seconds"],
    # Medians of 5 alternating runs of 12 steps, 2 hosts on the 1 Gb/s link.
    "two_hosts_overlap": median_run("overlap"),
    "two_hosts_after": median_run("after"),
}
# Overlap shows when a 2-host step takes less than its compute plus its communication.
compute, communication = report["compute_share_step_seconds"], report["allreduce_1gbps"]["median_seconds"]
step, after = report["two_hosts_overlap"]["step_seconds"], report["two_hosts_after"]["step_seconds"]
report["overlap_shown"] = step < compute + communication
json.dump(report, open(path, "w"), indent=2)
print(json.dumps(report, indent=2))
print(f"overlap, 1 Gb/s link: a 2-host step takes {1e3 * step:.0f} ms (without overlap {1e3 * after:.0f} ms) "
      f"against compute {1e3 * compute:.0f} ms + allreduce {1e3 * communication:.0f} ms = "
      f"{1e3 * (compute + communication):.0f} ms: " + ("overlap shown" if report["overlap_shown"] else "NOT shown"))
PY
fi
echo "mpi-netns-test.sh: passed"
