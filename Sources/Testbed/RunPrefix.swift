import Foundation

/// The per-run name prefix every namespace, link and cgroup of one testbed run carries:
/// `vrt<pid in hex>-`, e.g. `vrt1f3a-`.
///
/// The family `vrt<hex>-` is how `vrsim testbed clean` recognises what a killed run left;
/// nothing outside the family is ever touched. Link names are limited to 15 bytes by the
/// kernel (IFNAMSIZ - 1), so the prefix plus the longest role (`i99d`) must fit: a pid of up to
/// 6 hex digits gives 10 + 4 = 14.
public struct RunPrefix: Sendable, Equatable, CustomStringConvertible {
  /// The prefix itself, ending in `-`.
  public let text: String

  /// The prefix of process `pid`.
  public init(pid: Int32) {
    text = "vrt" + String(UInt32(bitPattern: pid), radix: 16) + "-"
  }

  /// A prefix with a given hex tag (plans and tests use a fixed one).
  public init(tag: String) {
    precondition(
      tag.allSatisfy(\.isHexDigit) && !tag.isEmpty && tag.count <= 6, "prefix tag must be 1...6 hex digits")
    text = "vrt" + tag.lowercased() + "-"
  }

  /// The prefix of this process.
  public static var current: RunPrefix { RunPrefix(pid: getpid()) }

  /// `text + role`.
  public func name(_ role: String) -> String { text + role }

  public var description: String { text }

  /// True when `name` belongs to the testbed's family (`vrt`, 1 to 8 hex digits, `-`).
  public static func isFamily(_ name: String) -> Bool { familyPrefix(of: name) != nil }

  /// The family prefix `name` starts with, if any.
  public static func familyPrefix(of name: String) -> String? {
    guard name.hasPrefix("vrt") else { return nil }
    let rest = name.dropFirst(3)
    let hex = rest.prefix { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    guard (1...8).contains(hex.count), rest.dropFirst(hex.count).first == "-" else { return nil }
    return "vrt" + hex + "-"
  }

  /// The process id encoded in a family prefix.
  public static func pid(of prefix: String) -> Int32? {
    guard let p = familyPrefix(of: prefix) else { return nil }
    return UInt32(p.dropFirst(3).dropLast(), radix: 16).map { Int32(bitPattern: $0) }
  }
}
