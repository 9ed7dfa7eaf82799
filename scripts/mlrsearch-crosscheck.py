#!/usr/bin/env python3
"""Cross-check of vrsim's MLRsearch (Sources/Experiment/MLRSearch.swift) against FD.io's
controller from PyPI (`pip install mlrsearch`, in a venv: it is not a dependency of vrsim) on
the scripted curves of Tests/ExperimentTests/MLRSearchTests.swift. Prints each goal's relevant
lower and upper bound; vrsim's brackets for the same curves are printed by
`swift test --filter SearchTests` (the knownLossCurve and generatorLimitedCurve tests
check them against the hand-worked thresholds)."""
import dataclasses
import sys

from MLRsearch import AbstractMeasurer, Config, MeasurementResult, MultipleLossRatioSearch, SearchGoal


class Curve(AbstractMeasurer):
    """capacity: what the path carries (the rest is lost); generator: what the sender can send."""

    def __init__(self, capacity, generator=float("inf")):
        self.capacity = capacity
        self.generator = generator

    def measure(self, intended_duration, intended_load):
        intended = int(intended_duration * intended_load)
        sent = int(intended_duration * min(intended_load, self.generator))
        received = min(sent, int(intended_duration * self.capacity))
        return MeasurementResult(
            intended_duration=intended_duration, intended_load=intended_load,
            intended_count=intended, offered_count=sent, forwarding_count=received)


def run(name, measurer):
    ndr = SearchGoal(loss_ratio=0.0, exceed_ratio=0.5, relative_width=0.02, initial_trial_duration=1.0,
                     final_trial_duration=10.0, duration_sum=30.0, preceding_targets=2, expansion_coefficient=2)
    pdr = dataclasses.replace(ndr, loss_ratio=0.005)
    config = Config(goals=[ndr, pdr], min_load=10_000, max_load=1_000_000, search_duration_max=100_000.0,
                    warmup_duration=None)
    result = MultipleLossRatioSearch(config=config).search(measurer=measurer)
    for label, goal in (("ndr", ndr), ("pdr", pdr)):
        r = result[goal]
        print(f"{name} {label}: relevant lower {float(r.relevant_lower_bound):.1f} pps, "
              f"relevant upper {float(r.relevant_upper_bound) if r.relevant_upper_bound else float('nan'):.1f} pps, "
              f"conditional throughput {float(r.conditional_throughput):.1f} pps")


if __name__ == "__main__":
    run("known loss curve (carries 100 kp/s)", Curve(100_000))
    run("generator-limited (sends 80 kp/s)", Curve(100_000, generator=80_000))
    sys.exit(0)
