/// Jain's fairness index of allocations x1..xn: (Σx)² / (n · Σx²), from 1/n (one gets all)
/// to 1 (all equal). Jain, Chiu and Hawe, DEC-TR-301, 1984.
///
/// Returns 1 for an empty list or all zeros (nothing to be unfair about).
public func jainFairnessIndex(_ x: [Double]) -> Double {
  guard !x.isEmpty else { return 1 }
  let s = x.reduce(0, +)
  let s2 = x.reduce(0) { $0 + $1 * $1 }
  guard s2 > 0 else { return 1 }
  return s * s / (Double(x.count) * s2)
}
