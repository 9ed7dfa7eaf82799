import SimCore

/// The optional per-event trace of a host: one CSV line per switch, wake, block, park, unpark
/// and BOOST, for debugging. Off by default; when off it costs one nil test per event.
///
/// Columns: `time_ns,pcpu,event,vcpu,domain,detail` (pcpu -1 = not on a pCPU; for `switch`,
/// `vcpu` is the incoming vCPU id or -1 for idle and `detail` the outgoing id; for `ipi`, the
/// tickled pCPU, vcpu -1 and the pCPU it comes from and its delay).
extension Host {
  /// The CSV header of the trace.
  public static let traceHeader = "time_ns,pcpu,event,vcpu,domain,detail"

  /// Starts recording the per-event trace (kept in memory; read it with `traceCSV`).
  public func enableTrace() {
    if traceLines == nil { traceLines = [] }
  }

  /// The trace so far as CSV text with a header line, or nil when tracing is off.
  public var traceCSV: String? {
    guard let lines = traceLines else { return nil }
    var s = Self.traceHeader + "\n"
    for l in lines {
      s += l
      s += "\n"
    }
    return s
  }

  func traceEvent(_ now: Int64, _ p: Int, _ what: String, _ v: VCPU, _ detail: String) {
    guard traceLines != nil else { return }
    traceLines!.append("\(now),\(p),\(what),\(v.id),\(v.domain.name),\(detail)")
  }

  func traceSwitch(_ now: Int64, _ p: Int, _ from: Int, _ to: Int) {
    guard traceLines != nil else { return }
    let dom = to >= 0 ? vcpus[to].domain.name : "idle"
    traceLines!.append("\(now),\(p),switch,\(to),\(dom),\(from)")
  }
}
