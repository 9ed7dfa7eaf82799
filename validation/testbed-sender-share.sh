#!/bin/bash
# The senders' switch-cost identification run of issue 20: 1, 2, 4 and 8 trafgen processes
# sharing CPU 0, sending to the sink on the generator's direct veth (no router), at 82, 131,
# 156 and 300 kp/s in all, 3 trials of 2 s each (scripts/netns-sender-share.py says what it
# measures and what it creates). Writes validation/trials/sender-share-<DAY>.csv.
# Usage (root, on a quiet machine):  DAY=2026-12-06 bash validation/testbed-sender-share.sh
set -eu
DAY=${DAY:-$(date -u +%F)}
cd "$(dirname "$0")/.."
python3 scripts/netns-sender-share.py --out validation/trials/sender-share-$DAY.csv \
  --procs 1,2,4,8 --rates 82000,131000,156000,300000 --repeats 3 --seconds 2 --cpu 0
