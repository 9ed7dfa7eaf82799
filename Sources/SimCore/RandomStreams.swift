import GSLKit

/// The named random streams of one run.
///
/// One master seed and a replication number define the run; every component asks for its
/// own stream by name (`"traffic/vr3"`, `"sched/jitter"`). A stream's seed is a hash of
/// (master seed, replication, name), so:
/// - the same name always gets the same draws in the same run (reproducibility);
/// - adding or removing a component never changes another component's draws (common random
///   numbers across what-if points);
/// - replication r draws independently of replication r' (different seeds).
///
/// Streams are GSL generators (`mt19937` by default, fully seeded from 64 bits).
public final class RandomStreams {
  /// The master seed of the run.
  public let seed: UInt64
  /// The replication number of the run.
  public let replication: Int
  /// The GSL generator type of every stream.
  public let generatorType: String
  private var streams: [String: GSLRandom] = [:]

  /// Creates the streams of replication `replication` of a run seeded with `seed`.
  public init(seed: UInt64, replication: Int = 0, generatorType: String = "mt19937") {
    self.seed = seed
    self.replication = replication
    self.generatorType = generatorType
  }

  /// The stream named `name`, created on first use. Asking twice returns the same stream.
  public func stream(_ name: String) -> GSLRandom {
    if let s = streams[name] { return s }
    let s: GSLRandom
    do {
      s = try GSLRandom(
        type: generatorType, seed: Self.derive(seed: seed, replication: replication, name: name))
    } catch {
      preconditionFailure("cannot create stream '\(name)': \(error)")
    }
    streams[name] = s
    return s
  }

  /// Names of the streams created so far, sorted.
  public var names: [String] { streams.keys.sorted() }

  /// The 64-bit seed of stream `name` in replication `replication` of a run seeded `seed`:
  /// SplitMix64 over the master seed, the replication and the FNV-1a hash of the name.
  public static func derive(seed: UInt64, replication: Int, name: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in name.utf8 {
      h ^= UInt64(b)
      h &*= 0x0000_0100_0000_01B3
    }
    var sm = SplitMix64(seed: seed)
    var x = sm.next()
    sm = SplitMix64(seed: x ^ UInt64(bitPattern: Int64(replication)) &* 0xD6E8_FEB8_6659_FD93)
    x = sm.next()
    sm = SplitMix64(seed: x ^ h)
    return sm.next()
  }

  /// The master seed of replication `r` of a campaign seeded `seed` (for tools that hand a
  /// single seed to each replication).
  public static func replicationSeed(seed: UInt64, replication: Int) -> UInt64 {
    derive(seed: seed, replication: replication, name: "")
  }
}
