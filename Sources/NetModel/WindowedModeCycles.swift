import HostModel

/// A process's user and system cycles over a statistics window, counting only the part of each
/// work item that ran inside it (getrusage over the window, as the testbed reads a process).
///
/// A process's item is counted whole when it begins (`begin`); at a window's start the part of
/// the item in progress that had not yet run is counted into the new window, and a read
/// (`value`) leaves out the part still to run. Without that, one item longer than the window
/// (a cost of 10^8 cycles, 33 ms at 3.06 GHz, in a 4 ms window) counted a process busy 8 times
/// the window. Reads and resets are exact at the instants the host's statistics are up to
/// date (`VCPU.headItemUnexecuted`): `RouterHost` resets the host first and reads its report
/// before these.
public struct WindowedModeCycles: Sendable, Equatable {
  /// Cycles of the items begun since the window's start, and of the part of the one then in
  /// progress that ran after it.
  private var counted = CPUModeCycles()
  /// The cycles of the process's item in progress (begun, not finished), else zero.
  private var open = CPUModeCycles()
  /// Whether the process's item is in progress: then it is its vCPU's head item.
  private var inProgress = false

  /// No cycles, no item in progress.
  public init() {}

  /// A process's item of `user` and `system` cycles begins on its vCPU.
  public mutating func begin(user: Int64, system: Int64) {
    counted.user &+= user
    counted.system &+= system
    open.user = user
    open.system = system
    inProgress = true
  }

  /// The item in progress has finished.
  public mutating func finish() {
    inProgress = false
    open = CPUModeCycles()
  }

  /// The part of `c` that the vCPU has not yet run.
  private func unexecuted(_ c: CPUModeCycles, on vcpu: VCPU) -> CPUModeCycles {
    guard inProgress else { return CPUModeCycles() }
    let f = vcpu.headItemUnexecuted
    var u = CPUModeCycles()
    u.user = Int64((Double(c.user) * f).rounded())
    u.system = Int64((Double(c.system) * f).rounded())
    return u
  }

  /// Starts a new window: only what of the item in progress is still to run on `vcpu` counts.
  public mutating func reset(on vcpu: VCPU) {
    counted = unexecuted(open, on: vcpu)
  }

  /// The user and system cycles that ran in the window, up to the host's last statistics update.
  public func value(on vcpu: VCPU) -> CPUModeCycles {
    let u = unexecuted(open, on: vcpu)
    var v = counted
    v.user &-= u.user
    v.system &-= u.system
    return v
  }
}
