#!/bin/bash
# Runs one shard of a vrsim campaign per Slurm array task.
#
#   sbatch --array=0-7 scripts/slurm-sweep.sh scenarios/paper/fig9-forwarding.yaml runs/fig9
#
# Task k (0-based) of n runs slice k+1/n of the (point, replication) pairs into DIR/shard-k;
# the slices are deterministic, so a failed or cancelled task is simply resubmitted and
# resumes where it stopped; give the original task count then, since a one-task array has
# SLURM_ARRAY_TASK_COUNT=1:  VRSIM_SHARDS=8 sbatch --array=K scripts/slurm-sweep.sh ...  Its aggregated CSV goes to
# DIR/summary-k.csv. The array must be 0-based and contiguous (0-N). Then join the shards:
#
#   vrsim merge DIR/all DIR/shard-*
#   vrsim results DIR/all                 # aggregated table (--format csv|json)
#   vrsim results DIR/all --runs          # every run, tidy CSV
#
# Extra arguments after DIR are passed to vrsim sweep (e.g. --set routers.count=8).
#SBATCH --job-name=vrsim-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=vrsim-sweep-%A_%a.out
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: sbatch --array=0-N $0 SCENARIO.yaml CAMPAIGN_DIR [vrsim sweep options...]" >&2
  exit 2
fi
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ] || [ -z "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
  echo "$0: not running as a Slurm array task (submit with sbatch --array=0-N)" >&2
  exit 2
fi
file=$1
dir=$2
shift 2
vrsim=${VRSIM:-vrsim}
shards=${VRSIM_SHARDS:-$SLURM_ARRAY_TASK_COUNT}

mkdir -p "$dir"
"$vrsim" sweep "$file" --campaign "$dir/shard-$SLURM_ARRAY_TASK_ID" \
  --shard "$((SLURM_ARRAY_TASK_ID + 1))/$shards" \
  --jobs "${SLURM_CPUS_PER_TASK:-$(nproc)}" --format csv "$@" \
  > "$dir/summary-$SLURM_ARRAY_TASK_ID.csv"

echo "shard $((SLURM_ARRAY_TASK_ID + 1))/$shards done: $dir/shard-$SLURM_ARRAY_TASK_ID"
echo "when every task is done: $vrsim merge $dir/all $dir/shard-* && $vrsim results $dir/all"
