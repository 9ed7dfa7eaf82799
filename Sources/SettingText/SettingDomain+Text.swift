import SimCore

/// How scenario text reads and writes every kind of key (`SettingDomain`): what it allows, as
/// errors and scenarios/README.md say it, and its parser into base units.
extension SettingDomain {
  package static let packetRateRange: ClosedRange<Int64> = 1...1_000_000_000
  package static let bitRateRange: ClosedRange<Int64> = 1...1_000_000_000_000
  package static let frameRange: ClosedRange<Int64> = 64...9_216
  package static let imix: [FrameShare] = [
    FrameShare(bytes: 64, weight: 7), FrameShare(bytes: 594, weight: 4), FrameShare(bytes: 1_518, weight: 1),
  ]

  /// What is allowed, as said in errors and in the reference.
  package var allowed: String {
    switch self {
    case .integer(let r, let u):
      if let q = u.quantity {
        "a \(q.noun) from \(q.format(r.lowerBound)) to \(q.format(r.upperBound))"
      } else {
        SettingDomain.integerRangeText(r)
      }
    case .optionalInteger(let r, let u):
      "off, or a \(u.orDuration.noun) from \(u.orDuration.format(r.lowerBound)) to \(u.orDuration.format(r.upperBound))"
    case .real(let r, let u):
      "a \(u.orCycles.noun) from \(u.orCycles.format(u.orCycles.baseUnits(r.lowerBound))) to "
        + u.orCycles.format(u.orCycles.baseUnits(r.upperBound))
    case .boolean: "true or false"
    case .text(let n): "text of at most \(n) characters"
    case .choice(let names): "one of \(names.joined(separator: ", "))"
    case .integerList(let r): "a list of integers from \(r.lowerBound) to \(r.upperBound)"
    case .interfaceList(let n):
      "a list of at most \(n) interface names (1 to 15 letters, digits, . - _, not starting with - or .)"
    case .trafficTarget:
      "each (every router gets the rate), all (the rate is split over the routers), or vrN (router N, from 0)"
    case .trafficRate:
      "a packet rate from 1pps to 1000Mpps (pps, kpps, Mpps) or a bit rate from 1bps to 1Tbps (bps, kbps, Mbps, Gbps, Tbps)"
    case .frame:
      "a frame size from 64B to 9216B, imix (64B:7, 594B:4, 1518B:1), or a list of size: weight"
    case .arrival:
      "cbr, poisson, onoff (with on, off) or trace (with file); a mapping with kind and its parameters"
    case .resolution: "a packet rate (e.g. 1kpps) or a percentage of the rate (e.g. 1%)"
    case .interruptThrottle:
      "off, dynamic (igb's default mode: at most 20000 interrupts/s for frames below 1200B, 4000/s above), or the least gap between interrupts, a duration from 1us to 10ms (50us = 20000 interrupts/s)"
    case .section: "a mapping"
    case .profile: "a profile file name, or a mapping with file and any profile key"
    case .list: "a list of mappings"
    case .sweepKeys: "key paths mapped to a list of values or to {from, to, step}"
    }
  }

  /// What kind of thing is expected, for "expected X, found Y".
  package var expected: String {
    switch self {
    case .integer(_, let u): u.quantity.map { "a \($0.noun)" } ?? "an integer"
    case .optionalInteger(_, let u): "a \(u.orDuration.noun) or off"
    case .real(_, let u): "a \(u.orCycles.noun)"
    case .boolean: "true or false"
    case .text: "text"
    case .choice: "a name"
    case .integerList: "a list of integers"
    case .interfaceList: "a list of interface names"
    case .trafficTarget: "a router target"
    case .trafficRate: "a rate"
    case .frame: "a frame size"
    case .arrival: "an arrival process"
    case .resolution: "a resolution"
    case .interruptThrottle: "an interrupt throttling mode"
    case .section: "a mapping"
    case .profile: "a profile"
    case .list: "a list"
    case .sweepKeys: "a mapping of key paths"
    }
  }

  /// Whether `s` may name a network interface: 1 to 15 bytes (the kernel's IFNAMSIZ - 1) of
  /// letters, digits and `.-_`, not starting with `-` (an option) or `.` (`.` and `..`).
  package static func isInterfaceName(_ s: String) -> Bool {
    guard let first = s.first, first != "-", first != ".", s.utf8.count <= 15 else { return false }
    return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
  }

  /// Whether `s` may name a network namespace (a file in /run/netns): letters, digits and
  /// `.-_`, not starting with `-` or `.`.
  package static func isNamespaceName(_ s: String) -> Bool {
    guard let first = s.first, first != "-", first != ".", s.utf8.count <= 64 else { return false }
    return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
  }

  package static func integerRangeText(_ r: ClosedRange<Int64>) -> String {
    r.upperBound == .max
      ? "an integer of at least \(r.lowerBound)" : "an integer from \(r.lowerBound) to \(r.upperBound)"
  }

  /// Parses an integer written in decimal.
  package static func parseInteger(_ s: String) -> Int64? {
    var t = Substring(s)
    var negative = false
    if t.hasPrefix("-") {
      negative = true
      t = t.dropFirst()
    } else if t.hasPrefix("+") {
      t = t.dropFirst()
    }
    let digits = t.filter { $0 != "_" }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), t.first != "_" else {
      return nil
    }
    var v: Int64 = 0
    for ch in digits {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int64(ch.wholeNumberValue!))
      if o1 || o2 { return nil }
      v = a
    }
    return negative ? -v : v
  }
}

extension SettingUnit {
  /// The quantity the unit is written as (nil for plain integers).
  package var quantity: QuantityKind? { QuantityKind(self) }
  /// The quantity of an optional value (a duration unless stated).
  package var orDuration: QuantityKind { quantity ?? .duration }
  /// The quantity of a real value (cycles unless stated).
  package var orCycles: QuantityKind { quantity ?? .cycles }
}

extension SettingDomain {
  /// A rate as scenarios write it: `10kpps`, `1Mpps`, `1Gbps`, `250pps`.
  package static func rateText(_ rate: TrafficRate) -> String {
    func scaled(_ v: Int64, _ units: [(Int64, String)]) -> String {
      for (factor, unit) in units where v >= factor && v % factor == 0 { return "\(v / factor)\(unit)" }
      return "\(v)\(units.last!.1)"
    }
    switch rate {
    case .packetsPerSecond(let p): return scaled(p, [(1_000_000, "Mpps"), (1_000, "kpps"), (1, "pps")])
    case .bitsPerSecond(let b):
      return scaled(b, [(1_000_000_000, "Gbps"), (1_000_000, "Mbps"), (1_000, "kbps"), (1, "bps")])
    }
  }

  /// The text of a setting's value as written in files (`30ms`, `1250cycles`, `off`).
  package func text(of value: SettingValue) -> String {
    switch (self, value) {
    case (.integer(_, let u), .integer(let v)) where u.quantity != nil: u.orDuration.format(v)
    case (.optionalInteger(_, let u), .integer(let v)): u.orDuration.format(v)
    case (.real(_, let u), .real(let v)): u.orCycles.format(u.orCycles.baseUnits(v))
    case (_, .integer(let v)): "\(v)"
    case (_, .real(let v)): "\(v)"
    case (_, .boolean(let b)): b ? "true" : "false"
    case (_, .text(let t)): t
    case (_, .off): "off"
    case (_, .integers(let v)): "[" + v.map(String.init).joined(separator: ", ") + "]"
    case (_, .names(let v)): "[" + v.joined(separator: ", ") + "]"
    case (_, .target(.each)): "each"
    case (_, .target(.all)): "all"
    case (_, .target(.router(let n))): "vr\(n)"
    case (_, .rate(let r)): SettingDomain.rateText(r)
    case (_, .frame(.fixed(let b))): "\(b)B"
    case (_, .frame(.mix(let m))):
      m == SettingDomain.imix
        ? "imix" : "[" + m.map { "\($0.bytes)B: \($0.weight)" }.joined(separator: ", ") + "]"
    case (_, .arrival(.cbr)): "cbr"
    case (_, .arrival(.poisson)): "poisson"
    case (_, .arrival(.onOff(let on, let off))): "{kind: onoff, on: \(on), off: \(off)}"
    case (_, .arrival(.trace(let f))): "{kind: trace, file: \(f)}"
    case (_, .resolution(.relative(let f))):
      QuantityKind.percentage.format(Int64((f * 100_000_000).rounded()))
    case (_, .resolution(.packetsPerSecond(let p))): QuantityKind.packetRate.format(p)
    case (.list, .structure): "[]"
    case (_, .structure): ""
    }
  }
}

/// A problem found in one value: where (if not at the value itself), what, and what is allowed.
package struct ValueProblem: Sendable {
  package var origin: SourceOrigin?
  package var pathSuffix: String
  package var message: String
  package var allowed: String

  package init(_ message: String, allowed: String, at origin: SourceOrigin? = nil, pathSuffix: String = "") {
    self.origin = origin
    self.pathSuffix = pathSuffix
    self.message = message
    self.allowed = allowed
  }
}

extension SettingDomain {
  /// Parses a node. Sections, lists and arrival mappings are walked by the decoder, not here.
  package func parse(_ node: YNode) -> Result<SettingValue, ValueProblemList> {
    func fail(_ message: String, _ allowed: String? = nil) -> Result<SettingValue, ValueProblemList> {
      .failure(ValueProblemList([ValueProblem(message, allowed: allowed ?? self.allowed)]))
    }
    switch self {
    case .section, .list, .sweepKeys:
      return .success(.structure)
    case .profile:
      if node.entries != nil { return .success(.structure) }
    case .integerList(let r):
      let items: [YNode]
      switch node.content {
      case .sequence(let list): items = list
      case .scalar: items = [node]
      case .null, .mapping: return fail("expected \(expected), found \(node.shapeText)")
      }
      var out: [Int64] = []
      var problems: [ValueProblem] = []
      for (i, item) in items.enumerated() {
        let suffix = node.items == nil ? "" : "[\(i)]"
        guard let s = item.scalar, let v = SettingDomain.parseInteger(s) else {
          problems.append(
            ValueProblem(
              item.scalar == nil
                ? "expected an integer, found \(item.shapeText)" : "\(item.shapeText) is not an integer",
              allowed: allowed, at: item.origin, pathSuffix: suffix))
          continue
        }
        if !r.contains(v) {
          problems.append(
            ValueProblem("\(v) is out of range", allowed: allowed, at: item.origin, pathSuffix: suffix))
        }
        // A CPU pinned twice or a router named twice is a mistake, never a weight.
        if let first = out.firstIndex(of: v) {
          problems.append(
            ValueProblem(
              "\(v) is listed twice (first as item \(first))", allowed: "each value at most once",
              at: item.origin, pathSuffix: suffix))
        }
        out.append(v)
      }
      return problems.isEmpty ? .success(.integers(out)) : .failure(ValueProblemList(problems))
    case .interfaceList(let n):
      let items: [YNode]
      switch node.content {
      case .sequence(let list): items = list
      case .scalar: items = [node]
      case .null: return .success(.names([]))
      case .mapping: return fail("expected \(expected), found \(node.shapeText)")
      }
      if items.count > n { return fail("\(items.count) names given") }
      var out: [String] = []
      var problems: [ValueProblem] = []
      for (i, item) in items.enumerated() {
        let suffix = node.items == nil ? "" : "[\(i)]"
        guard let s = item.scalar, SettingDomain.isInterfaceName(s) else {
          problems.append(
            ValueProblem(
              "\(item.shapeText) is not an interface name", allowed: allowed, at: item.origin,
              pathSuffix: suffix))
          continue
        }
        if out.contains(s) {
          problems.append(
            ValueProblem("'\(s)' is named twice", allowed: allowed, at: item.origin, pathSuffix: suffix))
        }
        out.append(s)
      }
      return problems.isEmpty ? .success(.names(out)) : .failure(ValueProblemList(problems))
    case .frame:
      if let items = node.items { return SettingDomain.parseFrameList(items, allowed: allowed) }
    case .arrival:
      break
    default:
      break
    }
    guard let s = node.scalar else {
      if node.content == .null { return fail("no value given") }
      return fail("expected \(expected), found \(node.shapeText)")
    }
    switch self {
    case .integer(let r, let u):
      if let q = u.quantity {
        return SettingDomain.parseQuantity(s, q, r, allowed: allowed).map { .integer($0) }
      }
      guard let v = SettingDomain.parseInteger(s) else { return fail("'\(s)' is not an integer") }
      if !r.contains(v) { return fail("\(v) is out of range") }
      return .success(.integer(v))
    case .optionalInteger(let r, let u):
      if s == "off" { return .success(.off) }
      return SettingDomain.parseQuantity(s, u.orDuration, r, allowed: allowed).map { .integer($0) }
    case .real(let r, let u):
      let q = u.orCycles
      let base = q.baseUnits(r.lowerBound)...q.baseUnits(r.upperBound)
      return SettingDomain.parseQuantity(s, q, base, allowed: allowed).map { .real(Double($0) / q.realScale) }
    case .boolean:
      switch s {
      case "true", "True", "TRUE", "yes", "on": return .success(.boolean(true))
      case "false", "False", "FALSE", "no", "off": return .success(.boolean(false))
      default: return fail("'\(s)' is not true or false")
      }
    case .profile:
      if s.count > 1_000 { return fail("the file name has \(s.count) characters") }
      return .success(.text(s))
    case .text(let n):
      if s.count > n { return fail("the text has \(s.count) characters") }
      return .success(.text(s))
    case .choice(let names):
      if names.contains(s) { return .success(.text(s)) }
      return fail("unknown value '\(s)'\(Suggestion.didYouMean(s, among: names))")
    case .trafficTarget:
      switch s {
      case "each": return .success(.target(.each))
      case "all": return .success(.target(.all))
      default:
        if s.hasPrefix("vr"), let n = SettingDomain.parseInteger(String(s.dropFirst(2))), n >= 0,
          n < 1_000_000,
          s.dropFirst(2).allSatisfy(\.isNumber)
        {
          return .success(.target(.router(Int(n))))
        }
        return fail("'\(s)' is not a router target\(Suggestion.didYouMean(s, among: ["each", "all"]))")
      }
    case .trafficRate:
      return SettingDomain.parseRate(s).map { .rate($0) }
    case .frame:
      if s == "imix" { return .success(.frame(.mix(SettingDomain.imix))) }
      return SettingDomain.parseQuantity(s, .size, SettingDomain.frameRange, allowed: allowed).map {
        .frame(.fixed(bytes: Int($0)))
      }
    case .arrival:
      switch s {
      case "cbr": return .success(.arrival(.cbr))
      case "poisson": return .success(.arrival(.poisson))
      case "onoff", "trace":
        return fail(
          "'\(s)' needs parameters",
          "a mapping such as {kind: \(s), \(s == "onoff" ? "on: 10ms, off: 90ms" : "file: trace.csv")}")
      default:
        return fail(
          "unknown arrival process '\(s)'\(Suggestion.didYouMean(s, among: ["cbr", "poisson", "onoff", "trace"]))"
        )
      }
    case .interruptThrottle:
      if s == "off" { return .success(.off) }
      if s == "dynamic" { return .success(.text(s)) }
      return SettingDomain.parseQuantity(s, .duration, 1_000...10_000_000, allowed: allowed).map {
        .integer($0)
      }
    case .resolution:
      if s.hasSuffix("%") {
        return SettingDomain.parseQuantity(
          s, .percentage, 10_000...50_000_000, allowed: "a percentage from 0.01% to 50%"
        )
        .map { .resolution(.relative(Double($0) / 100_000_000)) }
      }
      if s.hasSuffix("pps") {
        return SettingDomain.parseQuantity(s, .packetRate, SettingDomain.packetRateRange, allowed: allowed)
          .map {
            .resolution(.packetsPerSecond($0))
          }
      }
      return fail("'\(s)' is not a resolution")
    default:
      return fail("expected \(expected), found \(node.shapeText)")
    }
  }

  package static func parseQuantity(
    _ s: String, _ q: QuantityKind, _ r: ClosedRange<Int64>, allowed: String
  ) -> Result<Int64, ValueProblemList> {
    do {
      let v = try q.parse(s)
      if !r.contains(v) {
        return .failure(ValueProblemList([ValueProblem("'\(s)' is out of range", allowed: allowed)]))
      }
      return .success(v)
    } catch {
      return .failure(
        ValueProblemList([
          ValueProblem(
            "'\(error.input)' is not a valid \(error.kind): \(error.problem)", allowed: error.allowed)
        ]))
    }
  }

  package static func parseRate(_ s: String) -> Result<TrafficRate, ValueProblemList> {
    let allowed = SettingDomain.trafficRate.allowed
    if s.hasSuffix("pps") {
      return parseQuantity(s, .packetRate, packetRateRange, allowed: allowed).map { .packetsPerSecond($0) }
    }
    if s.hasSuffix("bps") {
      return parseQuantity(s, .bitRate, bitRateRange, allowed: allowed).map { .bitsPerSecond($0) }
    }
    let units = (QuantityKind.packetRate.units + QuantityKind.bitRate.units).map(\.0).joined(separator: ", ")
    let missing = s.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" } && !s.isEmpty
    return .failure(
      ValueProblemList([
        ValueProblem(
          "'\(s)' is not a valid rate: \(missing ? "the unit is missing" : "unknown unit")",
          allowed: "a number with a unit (\(units))")
      ]))
  }

  package static func parseFrameList(_ items: [YNode], allowed: String) -> Result<
    SettingValue, ValueProblemList
  > {
    var shares: [FrameShare] = []
    var problems: [ValueProblem] = []
    let itemAllowed = "a frame size from 64B to 9216B with an integer weight from 1 to 1000000, as 64B: 7"
    if items.isEmpty {
      return .failure(ValueProblemList([ValueProblem("the list is empty", allowed: allowed)]))
    }
    for (i, item) in items.enumerated() {
      var sizeText: String
      var weightText: String
      if let e = item.entries, e.count == 1, let w = e[0].value.scalar {
        sizeText = e[0].key
        weightText = w
      } else if let s = item.scalar, let colon = s.lastIndex(of: ":") {
        sizeText = String(s[..<colon]).trimmingCharacters(in: " ")
        weightText = String(s[s.index(after: colon)...]).trimmingCharacters(in: " ")
      } else {
        problems.append(
          ValueProblem(
            "expected size: weight, found \(item.shapeText)", allowed: itemAllowed, at: item.origin,
            pathSuffix: "[\(i)]"))
        continue
      }
      let size = parseQuantity(sizeText, .size, frameRange, allowed: itemAllowed)
      let weight = SettingDomain.parseInteger(weightText)
      switch size {
      case .failure(let p):
        problems.append(
          ValueProblem(
            p.problems[0].message, allowed: p.problems[0].allowed, at: item.origin, pathSuffix: "[\(i)]"))
      case .success(let bytes):
        guard let weight, (1...1_000_000).contains(weight) else {
          problems.append(
            ValueProblem(
              "weight '\(weightText)' is not an integer from 1 to 1000000", allowed: itemAllowed,
              at: item.origin, pathSuffix: "[\(i)]"))
          continue
        }
        shares.append(FrameShare(bytes: Int(bytes), weight: Int(weight)))
      }
    }
    return problems.isEmpty ? .success(.frame(.mix(shares))) : .failure(ValueProblemList(problems))
  }
}

/// Problems of one value (a list value can have several).
package struct ValueProblemList: Error, Sendable {
  package var problems: [ValueProblem]
  package init(_ problems: [ValueProblem]) { self.problems = problems }
}

extension String {
  package func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s.removeFirst() }
    while s.last == set { s.removeLast() }
    return String(s)
  }
}

/// "did you mean" suggestions by edit distance.
package enum Suggestion {
  /// Edit distance (optimal string alignment: insertions, deletions, substitutions and
  /// transpositions of neighbours each cost 1), case-insensitive.
  package static func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased())
    let y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
      for j in 1...y.count {
        let cost = x[i - 1] == y[j - 1] ? 0 : 1
        d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
          d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[x.count][y.count]
  }

  /// The closest candidate within 1 edit (words up to 3 letters), 2 (up to 6) or 3, if any;
  /// the first in `candidates` wins a tie.
  package static func closest(_ word: String, among candidates: [String]) -> String? {
    var best: (String, Int)? = nil
    let limit = word.count <= 3 ? 1 : (word.count <= 6 ? 2 : 3)
    for c in candidates {
      let d = distance(word, c)
      if d <= limit, d < (best?.1 ?? .max) { best = (c, d) }
    }
    return best?.0
  }

  /// " (did you mean 'x'?)" or "".
  package static func didYouMean(_ word: String, among candidates: [String]) -> String {
    closest(word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
  }
}
