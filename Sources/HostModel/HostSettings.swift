import SimCore

// The declared settings of the host model: each option's key, unit, valid range and meaning,
// bound to the option's stored property. Defaults are the options' own initialiser defaults;
// the schedulers' preconditions check the same ranges. The scenario layer mounts these under
// `scheduler.` and `profile.` (see docs/DESIGN.md, "Add a scenario key or a cost").

extension CreditOptions {
  /// Valid time slices (Xen 4.2 `sched_credit_tslice_ms`: 1 ms ... 1 s).
  public static let tsliceRange = SimDuration.ms(1)...SimDuration.s(1)
  /// Valid rate limits (Xen 4.2 `sched_ratelimit_us`: 100 us ... 500 ms).
  public static let ratelimitRange = SimDuration.us(100)...SimDuration.ms(500)

  /// Settings of Xen credit1 (`scheduler.tslice`, `scheduler.ratelimit`, `scheduler.boost`).
  public static let settings: [Setting<CreditOptions>] = [
    .duration(
      "tslice", \.tslice, tsliceRange,
      "Time slice; also the accounting period, with a tick of a third of it (Xen 4.2 sched_credit_tslice_ms)."
    ),
    .optionalDuration(
      "ratelimit", \.ratelimit, ratelimitRange,
      "Credit rate limit: a vCPU that ran less than this keeps its pCPU. Only with credit versions 4.2 and 4.3 (default 1ms there)."
    ),
    .boolean("boost", \.boost, "Whether a vCPU waking with credit left is BOOSTed ahead of others."),
  ]
}

extension Credit2Options {
  /// Settings of Xen credit2 (xen/common/sched/credit2.c), mounted at `scheduler.credit2.`.
  public static let settings: [Setting<Credit2Options>] = [
    .duration(
      "credit_init", \.creditInit, SimDuration.us(100)...SimDuration.s(1),
      "Credit given to every vCPU at a reset (CSCHED2_CREDIT_INIT)."),
    .duration(
      "min_timer", \.minTimer, SimDuration.us(10)...SimDuration.ms(100),
      "Shortest slice (CSCHED2_MIN_TIMER); at most max_timer."),
    .duration(
      "max_timer", \.maxTimer, SimDuration.us(100)...SimDuration.s(1),
      "Longest slice (CSCHED2_MAX_TIMER): 2ms in Xen 4.2-4.7, 10ms from 4.8."),
    .duration(
      "carryover_max", \.carryoverMax, SimDuration.zero...SimDuration.s(1),
      "Credit kept above credit_init at a reset (CSCHED2_CARRYOVER_MAX)."),
    .duration(
      "migrate_resist", \.migrateResist, SimDuration.zero...SimDuration.ms(100),
      "Credit margin a waking vCPU needs to preempt a running one (CSCHED2_MIGRATE_RESIST)."),
  ]
}

extension CFSOptions {
  /// Settings of the Linux CFS model (kernel/sched/fair.c), mounted at `scheduler.cfs.`.
  public static let settings: [Setting<CFSOptions>] = [
    .duration(
      "latency", \.latency, SimDuration.us(100)...SimDuration.s(1),
      "Targeted scheduling latency (sysctl_sched_latency), scaled by 1 + log2(min(cpus, 8)) as the kernel does."
    ),
    .duration(
      "min_granularity", \.minGranularity, SimDuration.us(100)...SimDuration.s(1),
      "Smallest slice (sysctl_sched_min_granularity), scaled like latency."),
    .duration(
      "wakeup_granularity", \.wakeupGranularity, SimDuration.zero...SimDuration.s(1),
      "Wake-up preemption granularity (sysctl_sched_wakeup_granularity), scaled like latency."),
    .duration(
      "period", \.period, SimDuration.ms(1)...SimDuration.s(1),
      "Bandwidth period (cpu.cfs_period_us); a cap becomes the quota cap/100 x period."),
  ]
}

extension EEVDFOptions {
  /// Settings of the Linux EEVDF model (kernel/sched/fair.c, 6.6 and later), mounted at
  /// `scheduler.eevdf.`.
  public static let settings: [Setting<EEVDFOptions>] = [
    .duration(
      "base_slice", \.baseSlice, SimDuration.us(100)...SimDuration.s(1),
      "Requested slice of every task (sysctl_sched_base_slice), scaled by 1 + log2(min(cpus, 8)) as the kernel does."
    ),
    .duration(
      "tick", \.tick, SimDuration.us(100)...SimDuration.ms(100),
      "Scheduler tick (1/CONFIG_HZ): a slice's end is noticed at the next tick or wake-up on the CPU (no HRTICK)."
    ),
    .boolean(
      "run_to_parity", \.runToParity,
      "RUN_TO_PARITY: a picked task keeps its CPU against wake-ups until its protected slice is used up."),
    .boolean(
      "delay_dequeue", \.delayDequeue,
      "DELAY_DEQUEUE with DELAY_ZERO: a task blocking while not eligible stays queued until picked or woken."),
    .duration(
      "period", \.period, SimDuration.ms(1)...SimDuration.s(1),
      "Bandwidth period (cpu.cfs_period_us); a cap becomes the quota cap/100 x period."),
  ]
}

extension VMwareOptions {
  /// Settings of the VMware ESX proportional-share model, mounted at `scheduler.vmware.`.
  public static let settings: [Setting<VMwareOptions>] = [
    .duration("quantum", \.quantum, SimDuration.ms(1)...SimDuration.s(1), "Scheduling quantum (ESX: 50 ms)."),
    .duration(
      "period", \.period, SimDuration.ms(1)...SimDuration.s(10),
      "Window over which reservations and limits (caps) are enforced."),
    .duration(
      "wake_bonus", \.wakeBonus, SimDuration.zero...SimDuration.s(1),
      "Virtual-time credit a waking vCPU may keep below the least runnable one."),
  ]
}

extension ContextSwitchCosts {
  /// Settings of the context-switch cost model (cycles), mounted at `profile.`.
  public static let settings: [Setting<ContextSwitchCosts>] = [
    .cycles(
      "context_switch", \.crossDomainCycles, fit: 0...20_000,
      "Direct cost of a switch between vCPUs of different domains, on the pCPU (Denali, OSDI 2002: 1.4 us)."),
    .cycles(
      "context_switch_warmup", \.warmupCycles, fit: 0...40_000,
      "Cache/TLB warm-up after a cross-domain switch, added to the incoming vCPU's next work."),
    .cycles(
      "context_switch_same_domain", \.sameDomainCycles, fit: 0...10_000,
      "Direct cost of a switch between two vCPUs of the same domain (no address-space change)."),
    .integer64(
      "host_cache", \.cacheBytes, 4_096...1_099_511_627_776, unit: .bytes,
      calibration: CalibrationBounds(262_144...67_108_864),
      "Cache shared by the pCPUs that the domains' footprints compete for (the paper's i7: 8 MB L3)."),
    .real(
      "cache_refill", \.refillCyclesPerByte, 0...1_000, unit: .cyclesPerByte,
      calibration: CalibrationBounds(0...10),
      "Cycles to refill a byte of a domain's footprint that other domains evicted since it last ran; 0 = off."
    ),
    .cycles(
      "sched_decision", \.decisionCycles, fit: 0...20_000,
      "Scheduler time per scheduling decision (Xen's csched_schedule and switch path), on the pCPU; 0 = off."),
    .integer64(
      "ipi_latency", \.ipiLatencyNs, 0...1_000_000, unit: .nanoseconds,
      calibration: CalibrationBounds(0...50_000),
      "Delay before a wake-up reaches a pCPU other than the waker's (IPI, exit from idle); 0 = instant."),
    .cycles(
      "idle_exit", \.idleExitCycles, fit: 0...200_000,
      "A pCPU's busy time leaving idle before the task it switches to runs (halt exit, timer reprogramming), "
        + "in no task's time; 0 = off."),
  ]
}
