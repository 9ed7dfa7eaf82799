/// The unit a declared setting is stated in (its base unit): what a value is written with in
/// scenario and profile files, and what its number means.
public enum SettingUnit: String, Sendable, Equatable, CaseIterable {
  /// A plain count (vCPUs, packets per batch, ring slots): written as an integer.
  case count
  /// CPU cycles of the host clock (written `1250cycles`).
  case cycles
  /// CPU cycles per byte of frame (written `1.5cycles/B`).
  case cyclesPerByte
  /// Nanoseconds (written with any duration unit: `30ms`).
  case nanoseconds
  /// Packets per second (`20kpps`).
  case packetsPerSecond
  /// Bytes (`8MiB`).
  case bytes
  /// Hertz (`3.06GHz`).
  case hertz
  /// Bits per second (`1Gbps`).
  case bitsPerSecond
  /// Percent of one pCPU (caps and reservations), written as an integer.
  case percentOfPCPU
  /// Millionths of a percent (written `2%` = 2,000,000): loss bounds and CI targets.
  case millionthsOfAPercent
}

/// The values a key takes, in its base unit: the range is the model's own. The scenario layer
/// parses, checks and prints every kind (its error texts and scenarios/README.md say what each
/// allows); the structured kinds carry their own syntax.
public enum SettingDomain: Sendable, Equatable {
  /// An integer within a range.
  case integer(ClosedRange<Int64>, SettingUnit)
  /// A real number within a range (written as an exact decimal).
  case real(ClosedRange<Double>, SettingUnit)
  /// An integer within a range, or `off` (nil in the model).
  case optionalInteger(ClosedRange<Int64>, SettingUnit)
  /// `true` or `false`.
  case boolean
  /// One of a fixed set of names.
  case choice([String])
  /// Free text up to a length.
  case text(maxLength: Int)
  /// A list of distinct integers in a range (a single integer is a list of one).
  case integerList(ClosedRange<Int64>)
  /// A list of at most `maxCount` distinct network interface names.
  case interfaceList(maxCount: Int)
  /// `each`, `all` or `vrN` (`TrafficTarget`).
  case trafficTarget
  /// A packet rate or a bit rate (`TrafficRate`).
  case trafficRate
  /// A frame size, `imix`, or a list of `size: weight` (`FrameSpec`).
  case frame
  /// `cbr` or `poisson`; `onoff` and `trace` in the mapping form (`ArrivalSpec`).
  case arrival
  /// A packet rate or a percentage of the rate (`SearchResolution`).
  case resolution
  /// `off`, `dynamic`, or the least gap between interrupts.
  case interruptThrottle
  /// A mapping of further keys.
  case section
  /// A profile: a file name (the short form), or a mapping with `file` and costs.
  case profile
  /// A list of mappings.
  case list
  /// Sweep axes: key paths to lists or ranges.
  case sweepKeys
}

/// A key's value in base units, as the declarations move it between text and a model.
public enum SettingValue: Sendable, Equatable {
  /// An integer in the setting's base unit.
  case integer(Int64)
  /// A real number in the setting's base unit.
  case real(Double)
  /// A switch.
  case boolean(Bool)
  /// A name of a choice, or text.
  case text(String)
  /// Switched off (an optional setting that is nil).
  case off
  /// A list of integers.
  case integers([Int64])
  /// A list of names.
  case names([String])
  /// Which routers a flow goes to.
  case target(TrafficTarget)
  /// An offered rate.
  case rate(TrafficRate)
  /// Frame sizes.
  case frame(FrameSpec)
  /// An arrival process.
  case arrival(ArrivalSpec)
  /// A search resolution.
  case resolution(SearchResolution)
  /// A mapping or list, walked key by key.
  case structure
}

/// How calibration may move a parameter: the bounds it searches within and an optional prior
/// (a centre and a standard deviation, in the setting's base unit).
public struct CalibrationBounds: Sendable, Equatable {
  /// Lowest value calibration tries.
  public var lower: Double
  /// Highest value calibration tries.
  public var upper: Double
  /// Prior mean and standard deviation, if the literature gives one. The least-squares fit
  /// (`--method point`) adds it as a residual; the posterior uses `distribution`.
  public var prior: (mean: Double, sd: Double)?
  /// The prior of a Bayesian calibration (`--method posterior`): a distribution on a physical
  /// range, with its source. Nil: uniform on the bounds, "no physical prior stated".
  public var distribution: PriorDistribution?

  /// Bounds, with an optional prior.
  public init(
    _ range: ClosedRange<Double>, prior: (mean: Double, sd: Double)? = nil,
    distribution: PriorDistribution? = nil
  ) {
    lower = range.lowerBound
    upper = range.upperBound
    self.prior = prior
    self.distribution = distribution
  }

  public static func == (a: CalibrationBounds, b: CalibrationBounds) -> Bool {
    a.lower == b.lower && a.upper == b.upper && a.prior?.mean == b.prior?.mean && a.prior?.sd == b.prior?.sd
      && a.distribution == b.distribution
  }
}

/// A prior distribution of a fittable key, in the key's base unit, with where it comes from.
public struct PriorDistribution: Sendable, Equatable {
  /// The family.
  public enum Shape: String, Sendable, Equatable {
    /// Flat on the range.
    case uniform
    /// Flat in the logarithm on the range (the range's lower end must be positive): a scale
    /// known to an order of magnitude.
    case logUniform = "log-uniform"
    /// A normal of `mean` and `sd`, truncated to the range.
    case normal
  }
  /// The family.
  public var shape: Shape
  /// The physically possible values (the support; inside the calibration bounds).
  public var range: ClosedRange<Double>
  /// Centre of a normal prior.
  public var mean: Double
  /// Standard deviation of a normal prior.
  public var sd: Double
  /// Where the range and shape come from (a datasheet, a kernel measurement, the paper).
  public var source: String

  /// Uniform on `range`.
  public static func uniform(_ range: ClosedRange<Double>, source: String) -> PriorDistribution {
    PriorDistribution(shape: .uniform, range: range, mean: .nan, sd: .nan, source: source)
  }

  /// Log-uniform on `range` (lower end > 0).
  public static func logUniform(_ range: ClosedRange<Double>, source: String) -> PriorDistribution {
    PriorDistribution(shape: .logUniform, range: range, mean: .nan, sd: .nan, source: source)
  }

  /// Normal of `mean` and `sd`, truncated to `range`.
  public static func normal(mean: Double, sd: Double, range: ClosedRange<Double>, source: String)
    -> PriorDistribution
  {
    PriorDistribution(shape: .normal, range: range, mean: mean, sd: sd, source: source)
  }

  public static func == (a: PriorDistribution, b: PriorDistribution) -> Bool {
    a.shape == b.shape && a.range == b.range && a.source == b.source
      && (a.shape != .normal || (a.mean == b.mean && a.sd == b.sd))
  }
}

/// One setting of a model's configuration, declared once: its key (as written in files and
/// `--set`), the values it takes with their unit and range, what it means, how calibration may
/// move it, and the key path that binds it to the configuration type `Root`.
///
/// The default is not stated here: it is `Root`'s own default (read through the binding from
/// a default instance), so the model's initialiser is the only place a default is written. The
/// scenario layer builds its decoder, `--set`, sweeps and the generated reference from these
/// declarations, in the spirit of ns-3's `TypeId::AddAttribute(name, help, default, accessor,
/// checker)`.
public struct Setting<Root>: Sendable {
  /// The key below the place the configuration is mounted (`tslice`, `driver_rx`).
  public let key: String
  /// Type, unit and valid range.
  public let domain: SettingDomain
  /// What it means (one or two sentences, with the source it follows).
  public let doc: String
  /// Calibration bounds and prior; nil when the setting is not a fit parameter.
  public let calibration: CalibrationBounds?
  /// How the default is chosen when it is not one constant of `Root` (computed from other keys,
  /// or a structure's: "all keys at their defaults"); the reference shows it instead of a value.
  public let defaultNote: String?
  private let read: @Sendable (Root) -> SettingValue
  private let write: @Sendable (inout Root, SettingValue) -> Void

  /// A setting with explicit accessors (prefer the typed factories below).
  public init(
    key: String, domain: SettingDomain, doc: String, calibration: CalibrationBounds? = nil,
    defaultNote: String? = nil, read: @escaping @Sendable (Root) -> SettingValue,
    write: @escaping @Sendable (inout Root, SettingValue) -> Void
  ) {
    self.key = key
    self.domain = domain
    self.doc = doc
    self.calibration = calibration
    self.defaultNote = defaultNote
    self.read = read
    self.write = write
  }

  /// The setting's value in `root`.
  public func value(in root: Root) -> SettingValue { read(root) }

  /// Stores `value` in `root`. The value must lie in `domain` (the scenario layer checks it
  /// first and reports the file, line and key when it does not).
  public func set(_ value: SettingValue, in root: inout Root) {
    precondition(domain.contains(value), "\(key): \(value) is outside its declared domain")
    write(&root, value)
  }

  /// The same setting seen from an enclosing configuration, under `prefix` (`scheduler.cfs.`).
  public func mounted<Outer>(at path: any WritableKeyPath<Outer, Root> & Sendable, prefix: String) -> Setting<
    Outer
  > {
    let read = self.read
    let write = self.write
    return Setting<Outer>(
      key: prefix + key, domain: domain, doc: doc, calibration: calibration, defaultNote: defaultNote,
      read: { read($0[keyPath: path]) }, write: { write(&$0[keyPath: path], $1) })
  }

  /// The same setting with its default described by `note` instead of a value.
  public func noting(_ note: String) -> Setting {
    Setting(
      key: key, domain: domain, doc: doc, calibration: calibration, defaultNote: note, read: read,
      write: write)
  }

  /// A key whose value is a structure (a section, a list, sweep axes) or whose shape is read by
  /// the scenario decoder itself (an override's index, an arrival mapping's keys): declared for
  /// its domain, meaning and default, bound to no field. A list without a note defaults to `[]`.
  public static func structure(_ key: String, _ domain: SettingDomain, note: String?, _ doc: String)
    -> Setting
  {
    Setting(
      key: key, domain: domain, doc: doc, defaultNote: note, read: { _ in .structure }, write: { _, _ in })
  }
}

extension SettingDomain {
  /// Whether `value` is of this domain's type and inside its range.
  public func contains(_ value: SettingValue) -> Bool {
    switch (self, value) {
    case (.integer(let r, _), .integer(let v)): r.contains(v)
    case (.real(let r, _), .real(let v)): r.contains(v)
    case (.optionalInteger(let r, _), .integer(let v)): r.contains(v)
    case (.optionalInteger, .off): true
    case (.boolean, .boolean): true
    case (.choice(let names), .text(let s)): names.contains(s)
    case (.text(let n), .text(let s)): s.count <= n
    case (.integerList(let r), .integers(let v)): v.allSatisfy { r.contains($0) }
    case (.interfaceList(let n), .names(let v)): v.count <= n
    case (.trafficTarget, .target), (.trafficRate, .rate), (.frame, .frame), (.arrival, .arrival),
      (.resolution, .resolution), (.interruptThrottle, .off), (.interruptThrottle, .integer),
      (.interruptThrottle, .text("dynamic")):
      true
    default: false
    }
  }
}

extension Setting {
  /// An `Int` count, duration-free (`napi_weight`, `vcpus`).
  public static func integer(
    _ key: String, _ path: any WritableKeyPath<Root, Int> & Sendable, _ range: ClosedRange<Int64>,
    unit: SettingUnit = .count, calibration: CalibrationBounds? = nil, _ doc: String
  ) -> Setting {
    Setting(
      key: key, domain: .integer(range, unit), doc: doc, calibration: calibration,
      read: { .integer(Int64($0[keyPath: path])) },
      write: { root, v in if case .integer(let x) = v { root[keyPath: path] = Int(x) } })
  }

  /// An `Int64` quantity (cycles, nanoseconds, bytes).
  public static func integer64(
    _ key: String, _ path: any WritableKeyPath<Root, Int64> & Sendable, _ range: ClosedRange<Int64>,
    unit: SettingUnit, calibration: CalibrationBounds? = nil, _ doc: String
  ) -> Setting {
    Setting(
      key: key, domain: .integer(range, unit), doc: doc, calibration: calibration,
      read: { .integer($0[keyPath: path]) },
      write: { root, v in if case .integer(let x) = v { root[keyPath: path] = x } })
  }

  /// A CPU cost in cycles, 0 ... 100,000,000, with its calibration bounds.
  public static func cycles(
    _ key: String, _ path: any WritableKeyPath<Root, Int64> & Sendable, fit: ClosedRange<Double>,
    _ doc: String
  ) -> Setting {
    integer64(key, path, 0...100_000_000, unit: .cycles, calibration: CalibrationBounds(fit), doc)
  }

  /// A per-event cost in cycles with calibration bounds `fit` and the prior `prior` of a
  /// Bayesian calibration.
  public static func cycles(
    _ key: String, _ path: any WritableKeyPath<Root, Int64> & Sendable, fit: ClosedRange<Double>,
    prior: PriorDistribution, _ doc: String
  ) -> Setting {
    integer64(
      key, path, 0...100_000_000, unit: .cycles, calibration: CalibrationBounds(fit, distribution: prior), doc
    )
  }

  /// A duration.
  public static func duration(
    _ key: String, _ path: any WritableKeyPath<Root, SimDuration> & Sendable,
    _ range: ClosedRange<SimDuration>,
    calibration: CalibrationBounds? = nil, _ doc: String
  ) -> Setting {
    Setting(
      key: key, domain: .integer(range.lowerBound.nanoseconds...range.upperBound.nanoseconds, .nanoseconds),
      doc: doc, calibration: calibration,
      read: { .integer($0[keyPath: path].nanoseconds) },
      write: { root, v in if case .integer(let x) = v { root[keyPath: path] = SimDuration(nanoseconds: x) } })
  }

  /// A duration that may be `off` (nil).
  public static func optionalDuration(
    _ key: String, _ path: any WritableKeyPath<Root, SimDuration?> & Sendable,
    _ range: ClosedRange<SimDuration>,
    _ doc: String
  ) -> Setting {
    Setting(
      key: key,
      domain: .optionalInteger(range.lowerBound.nanoseconds...range.upperBound.nanoseconds, .nanoseconds),
      doc: doc,
      read: { $0[keyPath: path].map { .integer($0.nanoseconds) } ?? .off },
      write: { root, v in
        switch v {
        case .integer(let x): root[keyPath: path] = SimDuration(nanoseconds: x)
        default: root[keyPath: path] = nil
        }
      })
  }

  /// A real number (cycles per byte, packets per second).
  public static func real(
    _ key: String, _ path: any WritableKeyPath<Root, Double> & Sendable, _ range: ClosedRange<Double>,
    unit: SettingUnit, calibration: CalibrationBounds? = nil, _ doc: String
  ) -> Setting {
    Setting(
      key: key, domain: .real(range, unit), doc: doc, calibration: calibration,
      read: { .real($0[keyPath: path]) },
      write: { root, v in if case .real(let x) = v { root[keyPath: path] = x } })
  }

  /// A switch.
  public static func boolean(_ key: String, _ path: any WritableKeyPath<Root, Bool> & Sendable, _ doc: String)
    -> Setting
  {
    Setting(
      key: key, domain: .boolean, doc: doc, read: { .boolean($0[keyPath: path]) },
      write: { root, v in if case .boolean(let b) = v { root[keyPath: path] = b } })
  }

  /// A value of a structured kind (rates, frames, targets, lists, text), moved to and from
  /// `SettingValue` by `embed` and `extract`.
  public static func structured<V: Sendable>(
    _ key: String, _ path: any WritableKeyPath<Root, V> & Sendable, _ domain: SettingDomain, _ doc: String,
    embed: @escaping @Sendable (V) -> SettingValue, extract: @escaping @Sendable (SettingValue) -> V?
  ) -> Setting {
    Setting(
      key: key, domain: domain, doc: doc, read: { embed($0[keyPath: path]) },
      write: { root, v in if let x = extract(v) { root[keyPath: path] = x } })
  }

  /// An offered rate (packets or bits per second).
  public static func rate(
    _ key: String, _ path: any WritableKeyPath<Root, TrafficRate> & Sendable, _ doc: String
  )
    -> Setting
  {
    structured(
      key, path, .trafficRate, doc, embed: { .rate($0) },
      extract: {
        guard case .rate(let r) = $0 else { return nil }
        return r
      })
  }

  /// Which routers a flow goes to.
  public static func target(
    _ key: String, _ path: any WritableKeyPath<Root, TrafficTarget> & Sendable, _ doc: String
  ) -> Setting {
    structured(
      key, path, .trafficTarget, doc, embed: { .target($0) },
      extract: { if case .target(let t) = $0 { t } else { nil } })
  }

  /// Frame sizes.
  public static func frame(
    _ key: String, _ path: any WritableKeyPath<Root, FrameSpec> & Sendable, _ doc: String
  )
    -> Setting
  {
    structured(
      key, path, .frame, doc, embed: { .frame($0) },
      extract: { if case .frame(let f) = $0 { f } else { nil } })
  }

  /// An arrival process.
  public static func arrival(
    _ key: String, _ path: any WritableKeyPath<Root, ArrivalSpec> & Sendable, _ doc: String
  ) -> Setting {
    structured(
      key, path, .arrival, doc, embed: { .arrival($0) },
      extract: { if case .arrival(let a) = $0 { a } else { nil } })
  }

  /// A search resolution.
  public static func resolution(
    _ key: String, _ path: any WritableKeyPath<Root, SearchResolution> & Sendable, _ doc: String
  ) -> Setting {
    structured(
      key, path, .resolution, doc, embed: { .resolution($0) },
      extract: { if case .resolution(let r) = $0 { r } else { nil } })
  }

  /// A share written as a percentage (`2%`) within `range` (millionths of a percent), held as a
  /// fraction (0.02).
  public static func share(
    _ key: String, _ path: any WritableKeyPath<Root, Double> & Sendable, _ range: ClosedRange<Int64>,
    _ doc: String
  ) -> Setting {
    structured(
      key, path, .integer(range, .millionthsOfAPercent), doc,
      embed: { .integer(Int64(($0 * 100_000_000).rounded())) },
      extract: { if case .integer(let x) = $0 { Double(x) / 100_000_000 } else { nil } })
  }

  /// A list of distinct integers in `range` (CPU numbers).
  public static func integerList(
    _ key: String, _ path: any WritableKeyPath<Root, [Int]> & Sendable, _ range: ClosedRange<Int64>,
    _ doc: String
  ) -> Setting {
    structured(
      key, path, .integerList(range), doc, embed: { .integers($0.map { Int64($0) }) },
      extract: {
        guard case .integers(let v) = $0 else { return nil }
        return v.map { Int($0) }
      })
  }

  /// Text of at most `maxLength` characters, or one of `choices` when given.
  public static func text(
    _ key: String, _ path: any WritableKeyPath<Root, String> & Sendable, maxLength: Int = 1_000,
    choices: [String]? = nil, _ doc: String
  ) -> Setting {
    structured(
      key, path, choices.map { .choice($0) } ?? .text(maxLength: maxLength), doc, embed: { .text($0) },
      extract: {
        guard case .text(let t) = $0 else { return nil }
        return t
      })
  }

  /// Text that may be absent (nil), of at most `maxLength` characters.
  public static func optionalText(
    _ key: String, _ path: any WritableKeyPath<Root, String?> & Sendable, maxLength: Int = 1_000,
    note: String, _ doc: String
  ) -> Setting {
    structured(
      key, path, .text(maxLength: maxLength), doc, embed: { .text($0 ?? "") },
      extract: {
        guard case .text(let t) = $0 else { return nil }
        return .some(t)
      }
    ).noting(note)
  }

  /// One of the cases of a string enum.
  public static func choice<E: RawRepresentable & CaseIterable & Sendable>(
    _ key: String, _ path: any WritableKeyPath<Root, E> & Sendable, _ doc: String
  ) -> Setting where E.RawValue == String {
    Setting(
      key: key, domain: .choice(E.allCases.map(\.rawValue)), doc: doc,
      read: { .text($0[keyPath: path].rawValue) },
      write: { root, v in if case .text(let s) = v, let e = E(rawValue: s) { root[keyPath: path] = e } })
  }
}
