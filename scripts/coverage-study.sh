#!/usr/bin/env bash
# Coverage study of `vrsim calibrate --method posterior` on the simulator itself (issue 22,
# item 5): N synthetic data sets (default 20), each from parameters drawn from the keys'
# priors, made with other seeds and a 4x longer run than the fit's, plus a 3% measurement
# error; each fitted from the paper-2012 profile's values; counts how often each key's 95%
# posterior interval covers its truth. Prints one line per data set and the totals with the
# binomial bounds.
#
#   scripts/coverage-study.sh [N]        (VRSIM, default .build/release/vrsim; SAMPLER, the
#                                        sampler's budget options, default "--prior-draws 32
#                                        --iterations 5 --draws-per-iteration 32"; DISCREPANCY,
#                                        --discrepancy of the fits, default 0)
#
# Keys and priors (their declarations): profile.driver_rx log-uniform 150 ... 4080 cycles,
# profile.bridge uniform 0 ... 20000 cycles. Rows: Fig. 9's forwarder, native at 1000 kp/s and
# xen-bridge at 400 kp/s (both saturated). Fit: 100 ms runs, its own seeds; data: 400 ms runs,
# seeds 5000 + k.
set -euo pipefail
cd "$(dirname "$0")/.."
VRSIM="${VRSIM:-.build/release/vrsim}"
N="${1:-20}"
SAMPLER="${SAMPLER:---prior-draws 32 --iterations 5 --draws-per-iteration 32}"
DISCREPANCY="${DISCREPANCY:-0}"
WORK=".build/coverage-study-$$"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
python3 - "$VRSIM" "$N" "$WORK" "$SAMPLER" "$DISCREPANCY" <<'EOF'
import csv, math, random, subprocess, sys
vrsim, n, work, sampler, discrepancy = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(), sys.argv[5]
header = "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind"
cases = ["platform=native;traffic[0].rate=1000kpps", "platform=xen-bridge;traffic[0].rate=400kpps"]
scenario = "scenarios/paper/fig9-forwarding.yaml"
def rows(values):
    out = [header]
    for c, v in zip(cases, values):
        sd = 0.03 * v
        out.append(f'study,coverage,{scenario},"{c}",aggregate,forwarded_pps,pps,{v},{v - 1.96 * sd},{v + 1.96 * sd},,value')
    return "\n".join(out) + "\n"
rng = random.Random(2026)
covered = {"profile.driver_rx": 0, "profile.bridge": 0}
for k in range(n):
    truth = {"profile.driver_rx": 150 * (4080 / 150) ** rng.random(), "profile.bridge": 20000 * rng.random()}
    probe = f"{work}/probe-{k}.csv"
    open(probe, "w").write(rows([1, 1]))
    sets = []
    for key, v in truth.items():
        sets += ["--set", f"{key}={round(v)}cycles"]
    out = subprocess.run([vrsim, "validate", probe, "--format", "csv", "--seed", str(5000 + k), "--jobs", "2",
                          "--set", "run.duration=400ms", "--set", "run.warmup=50ms", "--set", "run.replications=1"]
                         + sets, check=True, capture_output=True, text=True).stdout
    simulated = [float(r["simulated"]) for r in csv.DictReader(out.splitlines())]
    measured = [v * (1 + 0.03 * rng.gauss(0, 1)) for v in simulated]
    data = f"{work}/data-{k}.csv"
    open(data, "w").write(rows(measured))
    fit = subprocess.run([vrsim, "calibrate", data, "--fit", "profile.driver_rx,profile.bridge", "--method",
                          "posterior", "--discrepancy", discrepancy, "--seed", str(k + 1), "--jobs", "2", "--quiet",
                          *sampler,
                          "--set", "run.duration=100ms", "--set", "run.warmup=50ms", "--set", "run.replications=1",
                          "--draws-out", f"{work}/draws-{k}.csv"], check=True, capture_output=True, text=True).stdout
    line = [f"data set {k}:"]
    for key, v in truth.items():
        s = next(l for l in fit.splitlines() if l.strip().startswith(key + ":"))
        interval = s.split("[")[1].split("]")[0].split(",")
        lo, hi = float(interval[0]), float(interval[1])
        ok = lo <= round(v) <= hi
        covered[key] += ok
        line.append(f"{key} true {round(v)} in [{lo:.0f}, {hi:.0f}] {'yes' if ok else 'NO'};")
    ess = next(l for l in fit.splitlines() if l.startswith("effective sample size")).split(" (")[0]
    print(" ".join(line), ess, flush=True)
def cdf(k, n, p):
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))
low = max(k for k in range(n + 1) if cdf(k - 1, n, 0.95) <= 0.025) if n > 0 else 0
for key, c in covered.items():
    print(f"{key}: 95% intervals covered the truth in {c} of {n}; central 95% range of Binomial({n}, 0.95): "
          f"{low} ... {n} (P(K < {low}) = {cdf(low - 1, n, 0.95):.3f})")
EOF
