/// A YAML node with the position it came from: the tree scenario and profile files are read into, converted
/// once from Yams' `Node` so that overrides and sweep values can be spliced in with their
/// own origins, and so that the tree is `Sendable`.
///
/// Invariant: mapping keys are unique (duplicates are reported and dropped on conversion).
package struct YNode: Sendable, Equatable {
  /// The shape and content of a node.
  package enum Content: Sendable, Equatable {
    /// A scalar's text, as written (quotes removed).
    case scalar(String)
    /// An explicit or implicit null (`~`, `null`, nothing).
    case null
    /// Key/value pairs in the order written.
    case mapping([YEntry])
    /// Items in order.
    case sequence([YNode])
  }

  package var content: Content
  package var origin: SourceOrigin

  /// A node of `content` written at `origin`.
  package init(content: Content, origin: SourceOrigin) {
    self.content = content
    self.origin = origin
  }

  /// "a mapping", "a list", "'abc'", "nothing": how a node is named in messages.
  package var shapeText: String {
    switch content {
    case .scalar(let s): "'\(s)'"
    case .null: "nothing"
    case .mapping: "a mapping"
    case .sequence: "a list"
    }
  }

  package var entries: [YEntry]? {
    if case .mapping(let e) = content { return e }
    return nil
  }

  package var items: [YNode]? {
    if case .sequence(let i) = content { return i }
    return nil
  }

  package var scalar: String? {
    if case .scalar(let s) = content { return s }
    return nil
  }

  /// The entry named `key` in a mapping.
  package func entry(_ key: String) -> YEntry? { entries?.first { $0.key == key } }

  /// A compact flow-style rendering, the same for every way of writing the same tree
  /// (comments, layout and quoting dropped): used for sweep value texts and scenario hashes.
  package var canonicalText: String {
    switch content {
    case .scalar(let s): YNode.renderScalar(s)
    case .null: "~"
    case .mapping(let entries):
      "{" + entries.map { "\(YNode.renderScalar($0.key)): \($0.value.canonicalText)" }.joined(separator: ", ")
        + "}"
    case .sequence(let items): "[" + items.map(\.canonicalText).joined(separator: ", ") + "]"
    }
  }

  private static func renderScalar(_ s: String) -> String {
    let safe =
      !s.isEmpty && !["~", "null", "Null", "NULL"].contains(s)
      && s.unicodeScalars.allSatisfy { c in
        (c.isASCII && (c.properties.isAlphabetic || c.properties.numericType != nil))
          || "._-%/+µ".unicodeScalars.contains(c)
      }
      && !s.hasPrefix("-") && !s.hasPrefix("%")
    if safe { return s }
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if c.value < 0x20 || c.value == 0x7F {
          out += "\\x" + String(c.value, radix: 16).leftPadded(to: 2)
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out + "\""
  }
}

/// One key/value pair of a mapping.
package struct YEntry: Sendable, Equatable {
  package var key: String
  package var keyOrigin: SourceOrigin
  package var value: YNode

  /// A pair whose key was written at `keyOrigin`.
  package init(key: String, keyOrigin: SourceOrigin, value: YNode) {
    self.key = key
    self.keyOrigin = keyOrigin
    self.value = value
  }
}

extension String {
  package func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
