import SettingText

/// One step of a key path: a mapping key or a list index.
enum PathComponent: Sendable, Equatable {
  case key(String)
  case index(Int)
}

/// Key paths as written in `--set` and `sweep`: `routers.count`, `traffic[0].rate` (or
/// `traffic.0.rate`).
enum KeyPathSyntax {
  /// Parses a key path; nil when malformed.
  static func parse(_ text: String) -> [PathComponent]? {
    guard !text.isEmpty else { return nil }
    var out: [PathComponent] = []
    for segment in text.split(separator: ".", omittingEmptySubsequences: false) {
      guard !segment.isEmpty else { return nil }
      var rest = Substring(segment)
      if let open = rest.firstIndex(of: "[") {
        let name = rest[..<open]
        if !name.isEmpty { out.append(.key(String(name))) }
        rest = rest[open...]
        while !rest.isEmpty {
          guard rest.first == "[", let close = rest.firstIndex(of: "]"),
            let i = Int(rest[rest.index(after: rest.startIndex)..<close]), i >= 0
          else { return nil }
          out.append(.index(i))
          rest = rest[rest.index(after: close)...]
        }
      } else if let i = Int(rest), rest.allSatisfy(\.isNumber) {
        out.append(.index(i))
      } else {
        guard !rest.contains("]") else { return nil }
        out.append(.key(String(rest)))
      }
    }
    if case .index = out.first { return nil }
    return out
  }

  /// `traffic[0].rate`.
  static func concrete(_ path: [PathComponent]) -> String {
    var s = ""
    for c in path {
      switch c {
      case .key(let k): s += s.isEmpty ? k : ".\(k)"
      case .index(let i): s += "[\(i)]"
      }
    }
    return s
  }

  /// `traffic[].rate`: the schema's form.
  static func abstract(_ path: [PathComponent]) -> String {
    var s = ""
    for c in path {
      switch c {
      case .key(let k): s += s.isEmpty ? k : ".\(k)"
      case .index: s += "[]"
      }
    }
    return s
  }

  /// Checks a path against the schema; on failure, a message and what is allowed.
  static func check(_ path: [PathComponent], text: String) -> (message: String, allowed: String)? {
    var prefix: [PathComponent] = []
    for c in path {
      let parent = abstract(prefix)
      prefix.append(c)
      let here = abstract(prefix)
      if here.hasPrefix("sweep.keys") || here == "sweep.mode" { return nil }
      switch c {
      case .key(let k):
        if ScenarioSchema.entry(here) == nil {
          let known = ScenarioSchema.childKeys(of: parent)
          let what = parent.isEmpty ? "scenario keys" : "keys of \(concrete(Array(prefix.dropLast())))"
          return (
            "unknown key '\(k)'\(Suggestion.didYouMean(k, among: known))",
            known.isEmpty ? "no keys below \(parent)" : "the \(what): \(known.joined(separator: ", "))"
          )
        }
      case .index:
        guard let e = ScenarioSchema.entry(parent), case .list = e.kind else {
          return (
            "\(concrete(Array(prefix.dropLast()))) is not a list",
            "a key path such as routers.count or traffic[0].rate"
          )
        }
      }
    }
    return nil
  }
}

extension YNode {
  /// Sections that may be written as a single scalar, with the key that scalar stands for.
  static let shorthand = ["profile": "file"]

  /// Replaces (or creates) the node at `path` by `value`. Missing mappings are created; a
  /// missing list is created for index 0. Returns a problem text when the path does not fit
  /// the tree.
  mutating func set(_ path: ArraySlice<PathComponent>, to value: YNode, walked: [PathComponent] = [])
    -> String?
  {
    guard let first = path.first else {
      self = value
      return nil
    }
    let rest = path.dropFirst()
    let here = walked + [first]
    switch first {
    case .key(let k):
      if content == .null { content = .mapping([]) }
      if case .scalar(let short) = content, let long = YNode.shorthand[KeyPathSyntax.abstract(walked)] {
        // `profile: FILE` is short for `profile: {file: FILE}`; setting a key below it expands it.
        content = .mapping([
          YEntry(key: long, keyOrigin: origin, value: YNode(content: .scalar(short), origin: origin))
        ])
      }
      guard case .mapping(var entries) = content else {
        return "\(walked.isEmpty ? "the document" : KeyPathSyntax.concrete(walked)) is not a mapping"
      }
      if let i = entries.firstIndex(where: { $0.key == k }) {
        let problem = entries[i].value.set(rest, to: value, walked: here)
        content = .mapping(entries)
        return problem
      }
      var child: YNode
      switch rest.first {
      case .none: child = value
      case .key: child = YNode(content: .mapping([]), origin: value.origin)
      case .index(0):
        child = YNode(
          content: .sequence([YNode(content: .mapping([]), origin: value.origin)]), origin: value.origin)
      case .index(let i): return "\(KeyPathSyntax.concrete(here)) has no element \(i)"
      }
      if rest.first != nil, let p = child.set(rest, to: value, walked: here) { return p }
      entries.append(YEntry(key: k, keyOrigin: value.origin, value: child))
      content = .mapping(entries)
      return nil
    case .index(let i):
      guard case .sequence(var items) = content else {
        return "\(KeyPathSyntax.concrete(walked)) is not a list"
      }
      guard i < items.count else {
        return "\(KeyPathSyntax.concrete(walked)) has no element \(i) (it has \(items.count))"
      }
      let problem = items[i].set(rest, to: value, walked: here)
      content = .sequence(items)
      return problem
    }
  }

  /// The same tree with every origin mapped by `f`.
  func mappingOrigins(_ f: (SourceOrigin) -> SourceOrigin) -> YNode {
    var copy = self
    copy.origin = f(origin)
    switch content {
    case .mapping(let entries):
      copy.content = .mapping(
        entries.map { YEntry(key: $0.key, keyOrigin: f($0.keyOrigin), value: $0.value.mappingOrigins(f)) })
    case .sequence(let items): copy.content = .sequence(items.map { $0.mappingOrigins(f) })
    default: break
    }
    return copy
  }

  /// The same mapping without the entry `key`.
  func removing(_ key: String) -> YNode {
    guard case .mapping(let entries) = content else { return self }
    var copy = self
    copy.content = .mapping(entries.filter { $0.key != key })
    return copy
  }
}
