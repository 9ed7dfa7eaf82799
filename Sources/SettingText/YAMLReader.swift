import CYaml
import Foundation
import SimCore

/// Reads scenario text into a `YNode` tree, refusing what is not a sane YAML document
/// (too large, not UTF-8, binary, empty, tabs in indentation, syntax errors, too deep, too
/// many nodes) with a located diagnostic instead of crashing.
///
/// One pass: the tree is built straight from libyaml's event stream (`YAMLEvents`), so every
/// duplicate key is found with one hash set per mapping and reported at its own position (the
/// first occurrence is kept). The size limit is checked before any parsing; the node limit
/// while events arrive, counting each alias as the size of what it expands to, so an alias
/// bomb stops at the limit without being expanded.
///
/// - Complexity: O(n) in the size of the text; at most `maxNodes` nodes are counted.
package enum YAMLReader {
  /// Largest scenario file accepted, in bytes.
  package static let maxBytes = 1 << 20
  /// Deepest nesting of mappings and lists accepted.
  package static let maxDepth = 32
  /// Most nodes a document may expand to (aliases can multiply nodes).
  package static let maxNodes = 100_000

  /// The outcome of reading: a tree (absent when reading failed) and every problem found.
  package struct Outcome: Sendable {
    package var root: YNode?
    package var diagnostics: [ScenarioDiagnostic]
  }

  /// Reads raw bytes: checks size and UTF-8 before anything else.
  /// `expecting` says what an empty file should have held (the allowed part of its message).
  package static func read(bytes: [UInt8], file: String, expecting: String) -> Outcome {
    if bytes.count > maxBytes {
      return fileProblem(
        file, 1, 1, "the file is \(bytes.count) bytes, more than the limit of \(maxBytes) bytes",
        allowed: "a scenario file of at most 1 MiB")
    }
    if let bad = UTF8Bytes.firstInvalid(bytes) {
      let (line, column) = UTF8Bytes.position(ofByte: bad, in: bytes)
      return fileProblem(
        file, line, column,
        "the file is not UTF-8 text (invalid byte 0x\(String(bytes[bad], radix: 16, uppercase: true).leftPadded(to: 2)) at offset \(bad))",
        allowed: "UTF-8 text")
    }
    return read(text: String(decoding: bytes, as: UTF8.self), file: file, expecting: expecting)
  }

  /// Reads text.
  package static func read(text input: String, file: String, expecting: String) -> Outcome {
    if input.utf8.count > maxBytes {
      return fileProblem(
        file, 1, 1, "the file is \(input.utf8.count) bytes, more than the limit of \(maxBytes) bytes",
        allowed: "a scenario file of at most 1 MiB")
    }
    var text = input
    if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
    var line = 1
    var column = 1
    for c in text.unicodeScalars {
      let v = c.value
      let control =
        (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F
        || (v >= 0x80 && v <= 0x9F && v != 0x85) || v == 0xFFFE || v == 0xFFFF
      if control {
        let code = "U+" + String(v, radix: 16, uppercase: true).leftPadded(to: 4)
        return fileProblem(
          file, line, column, "the file holds binary data (control character \(code))",
          allowed: "UTF-8 text without control characters")
      }
      if c == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    if isBlank(text) {
      return fileProblem(
        file, 1, 1, "the file is empty", allowed: expecting)
    }
    let tabs = tabIndentation(text, file: file)
    if !tabs.isEmpty { return Outcome(root: nil, diagnostics: tabs) }
    return composeOnLargeStack(text, file: file, expecting: expecting)
  }

  private static func fileProblem(
    _ file: String, _ line: Int, _ column: Int, _ message: String, allowed: String
  ) -> Outcome {
    Outcome(
      root: nil,
      diagnostics: [
        ScenarioDiagnostic(
          file: file, line: line, column: column, keyPath: "(file)", message: message, allowed: allowed)
      ])
  }

  private static func isBlank(_ text: String) -> Bool {
    for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let line = raw.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
      if line.isEmpty || line.hasPrefix("#") { continue }
      if line == "---" || line == "..." { continue }
      return false
    }
    return true
  }

  private static func tabIndentation(_ text: String, file: String) -> [ScenarioDiagnostic] {
    var out: [ScenarioDiagnostic] = []
    var lineNumber = 0
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      lineNumber += 1
      let lead = raw.prefix { $0 == " " || $0 == "\t" }
      let rest = raw.dropFirst(lead.count)
      guard let tab = lead.firstIndex(of: "\t"), !rest.isEmpty, !rest.hasPrefix("#"), rest != "\r" else {
        continue
      }
      let column = raw.distance(from: raw.startIndex, to: tab) + 1
      out.append(
        ScenarioDiagnostic(
          file: file, line: lineNumber, column: column, keyPath: "(yaml)",
          message: "a tab in the indentation", allowed: "spaces for indentation"))
    }
    return out
  }

  /// Composes on a thread with a large stack: libyaml allows 1000 levels of nesting and the
  /// composer recurses once per level, whatever thread the caller is on.
  private static func composeOnLargeStack(_ text: String, file: String, expecting: String) -> Outcome {
    final class Box: @unchecked Sendable {
      var outcome = Outcome(root: nil, diagnostics: [])
    }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.outcome = compose(text, file: file, expecting: expecting)
      done.signal()
    }
    thread.stackSize = 32 << 20
    thread.start()
    done.wait()
    return box.outcome
  }

  private static func compose(_ text: String, file: String, expecting: String) -> Outcome {
    var bytes = Array(text.utf8)
    if bytes.isEmpty { bytes = [0x0A] }  // libyaml needs a non-null buffer
    return bytes.withUnsafeMutableBufferPointer { buffer in
      var composer = Composer(file: file, expecting: expecting, input: UnsafeBufferPointer(buffer))
      return composer.document()
    }
  }

  /// Builds `YNode`s from libyaml events, with the checks of the reader: duplicate and
  /// non-name keys, depth, node budget. A node is composed as (tree, nodes it counts for,
  /// height) so that an alias costs its anchor's size without being walked.
  private struct Composer {
    let file: String
    /// The allowed part of the message for an empty document.
    let expecting: String
    /// On the heap: libyaml keeps a pointer to the parser (its string reader's state), so the
    /// parser must not move with this struct (found by fuzz-scenario: a read through the stale
    /// pointer into the initializer's returned stack frame).
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    var diagnostics: [ScenarioDiagnostic] = []
    var fatal = false
    var budget = YAMLReader.maxNodes
    var anchors: [String: Composed] = [:]
    var failed: ScenarioDiagnostic?

    struct Composed {
      var node: YNode
      var count: Int
      var height: Int
      /// The text of a scalar as written (a key `null` or `~` is that name, not nothing).
      var scalarText: String? = nil
    }

    /// Owns one libyaml event for its lifetime.
    final class Event {
      var raw = yaml_event_t()
      deinit { yaml_event_delete(&raw) }
      var type: yaml_event_type_t { raw.type }
      var mark: (Int, Int) { (raw.start_mark.line + 1, raw.start_mark.column + 1) }
    }

    init(file: String, expecting: String, input: UnsafeBufferPointer<UInt8>) {
      self.file = file
      self.expecting = expecting
      parser.initialize(to: yaml_parser_t())
      yaml_parser_initialize(parser)
      yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
      yaml_parser_set_input_string(parser, input.baseAddress, input.count)
    }

    func origin(_ mark: (Int, Int)) -> SourceOrigin { SourceOrigin(file: file, line: mark.0, column: mark.1) }

    /// The next event, or nil after a parse error (recorded in `failed`).
    mutating func next() -> Event? {
      let event = Event()
      guard yaml_parser_parse(parser, &event.raw) == 1 else {
        failed = syntaxDiagnostic()
        return nil
      }
      return event
    }

    mutating func document() -> Outcome {
      defer {
        yaml_parser_delete(parser)
        parser.deallocate()
      }
      func problem(_ d: ScenarioDiagnostic) -> Outcome { Outcome(root: nil, diagnostics: [d]) }
      func empty() -> Outcome {
        YAMLReader.fileProblem(
          file, 1, 1, "the file is empty", allowed: expecting)
      }
      guard next() != nil, let start = next() else { return problem(failed!) }  // stream start
      if start.type == YAML_STREAM_END_EVENT { return empty() }
      guard let first = next() else { return problem(failed!) }
      let root = compose(first, path: "", depth: 1, counting: true)
      if let failed { return problem(failed) }
      if fatal { return Outcome(root: nil, diagnostics: diagnostics) }
      guard let root else { return Outcome(root: nil, diagnostics: diagnostics) }
      guard next() != nil, let after = next() else { return problem(failed!) }  // document end
      if after.type != YAML_STREAM_END_EVENT {
        return problem(
          ScenarioDiagnostic(
            origin(after.mark), "(yaml)",
            "YAML syntax error: but found another document (expected a single document in the stream at line 1, column 1)",
            allowed: "well-formed YAML"))
      }
      if root.node.content == .null { return empty() }
      return Outcome(root: root.node, diagnostics: diagnostics)
    }

    mutating func report(_ at: SourceOrigin, _ path: String, _ message: String, allowed: String) {
      diagnostics.append(ScenarioDiagnostic(at, path, message, allowed: allowed))
    }

    /// Composes the node starting with `event`. With `counting` false (the value of a
    /// dropped duplicate key) nothing is reported and nothing counts, but anchors are kept.
    /// Returns nil when reading must stop (parse error, depth or budget exceeded).
    mutating func compose(_ event: Event, path: String, depth: Int, counting: Bool) -> Composed? {
      if fatal || failed != nil { return nil }
      let at = origin(event.mark)
      if event.type == YAML_ALIAS_EVENT {
        let name = String(cString: event.raw.data.alias.anchor)
        guard let target = anchors[name] else {
          failed = ScenarioDiagnostic(
            at, "(yaml)", "YAML syntax error: found undefined alias", allowed: "well-formed YAML")
          return nil
        }
        if counting {
          if depth + target.height - 1 > YAMLReader.maxDepth {
            return tooDeep(at)
          }
          if target.count > budget {
            return overBudget(YAMLReader.preorderOrigin(target.node, index: budget) ?? at)
          }
          budget -= target.count
        }
        return target
      }
      if counting {
        if depth > YAMLReader.maxDepth { return tooDeep(at) }
        budget -= 1
        if budget < 0 { return overBudget(at) }
      }
      // A tag (`!evil`, `!!str`) would silently change nothing here: no reader of vrsim's
      // understands one, so any tag is refused where it stands.
      let tag: UnsafeMutablePointer<yaml_char_t>? =
        switch event.type {
        case YAML_SCALAR_EVENT: event.raw.data.scalar.tag
        case YAML_SEQUENCE_START_EVENT: event.raw.data.sequence_start.tag
        case YAML_MAPPING_START_EVENT: event.raw.data.mapping_start.tag
        default: nil
        }
      if let tag {
        var text = String(cString: tag)
        if text.hasPrefix("tag:yaml.org,2002:") { text = "!!" + text.dropFirst("tag:yaml.org,2002:".count) }
        report(
          at, path.isEmpty ? "(document)" : path, "unknown YAML tag '\(text)' (no tags are read)",
          allowed: "the value without a tag")
      }
      let composed: Composed
      let anchor: UnsafeMutablePointer<yaml_char_t>?
      switch event.type {
      case YAML_SCALAR_EVENT:
        let data = event.raw.data.scalar
        anchor = data.anchor
        let value = String(
          decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
        let plain = data.style == YAML_PLAIN_SCALAR_STYLE
        let isNull = plain && ["", "~", "null", "Null", "NULL"].contains(value)
        composed = Composed(
          node: YNode(content: isNull ? .null : .scalar(value), origin: at), count: 1, height: 1,
          scalarText: value)
      case YAML_SEQUENCE_START_EVENT:
        anchor = event.raw.data.sequence_start.anchor
        var items: [YNode] = []
        var count = 1
        var height = 1
        while true {
          guard let item = next() else { return nil }
          if item.type == YAML_SEQUENCE_END_EVENT { break }
          guard let c = compose(item, path: "\(path)[\(items.count)]", depth: depth + 1, counting: counting)
          else { return nil }
          items.append(c.node)
          count += c.count
          height = max(height, c.height + 1)
        }
        composed = Composed(node: YNode(content: .sequence(items), origin: at), count: count, height: height)
      case YAML_MAPPING_START_EVENT:
        anchor = event.raw.data.mapping_start.anchor
        var entries: [YEntry] = []
        var seen: [String: SourceOrigin] = [:]
        var count = 1
        var height = 1
        while true {
          guard let keyEvent = next() else { return nil }
          if keyEvent.type == YAML_MAPPING_END_EVENT { break }
          let keyAt = origin(keyEvent.mark)
          // Keys are composed without counting (as values of the tree they are not).
          guard let key = compose(keyEvent, path: path, depth: depth + 1, counting: false) else { return nil }
          guard let valueEvent = next() else { return nil }
          var keep = counting
          let name = key.scalarText ?? ""
          switch key.node.content {
          case .scalar, .null: break
          case .mapping, .sequence:
            if counting {
              report(
                keyAt, path.isEmpty ? "(document)" : path,
                "a key must be a name, found a \(key.node.entries != nil ? "mapping" : "list")",
                allowed: "names as keys")
            }
            keep = false
          }
          let childPath = path.isEmpty ? name : "\(path).\(name)"
          if keep, let first = seen[name] {
            report(
              keyAt, childPath,
              "duplicate key '\(name)' (first at line \(first.line), column \(first.column))",
              allowed: "each key once in a mapping")
            keep = false
          }
          guard let value = compose(valueEvent, path: childPath, depth: depth + 1, counting: keep) else {
            return nil
          }
          if keep || (!counting && seen[name] == nil && key.scalarText != nil) {
            seen[name] = keyAt
            entries.append(YEntry(key: name, keyOrigin: keyAt, value: value.node))
            count += value.count
            height = max(height, value.height + 1)
          }
        }
        composed = Composed(node: YNode(content: .mapping(entries), origin: at), count: count, height: height)
      default:
        failed = ScenarioDiagnostic(at, "(yaml)", "YAML error: unexpected event", allowed: "well-formed YAML")
        return nil
      }
      if let anchor { anchors[String(cString: anchor)] = composed }
      return composed
    }

    mutating func tooDeep(_ at: SourceOrigin) -> Composed? {
      fatal = true
      report(
        at, "(yaml)", "nesting is deeper than \(YAMLReader.maxDepth) levels",
        allowed: "at most \(YAMLReader.maxDepth) nested mappings and lists")
      return nil
    }

    mutating func overBudget(_ at: SourceOrigin) -> Composed? {
      fatal = true
      report(
        at, "(yaml)", "the document expands to more than \(YAMLReader.maxNodes) nodes",
        allowed: "a scenario of at most \(YAMLReader.maxNodes) values (beware of aliases)")
      return nil
    }

    /// libyaml's error as a diagnostic, worded as Yams words it.
    func syntaxDiagnostic() -> ScenarioDiagnostic {
      let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown problem"
      let mark = origin((parser.pointee.problem_mark.line + 1, parser.pointee.problem_mark.column + 1))
      switch parser.pointee.error {
      case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
        if problem.hasPrefix("Maximum nesting level") {
          return ScenarioDiagnostic(
            mark, "(yaml)", "nesting is deeper than \(maxDepth) levels",
            allowed: "at most \(maxDepth) nested mappings and lists")
        }
        var message = "YAML syntax error: \(problem)"
        if let context = parser.pointee.context {
          let at = origin((parser.pointee.context_mark.line + 1, parser.pointee.context_mark.column + 1))
          message += " (\(String(cString: context)) at line \(at.line), column \(at.column))"
        }
        return ScenarioDiagnostic(mark, "(yaml)", message, allowed: "well-formed YAML")
      default:
        return ScenarioDiagnostic(
          origin((1, 1)), "(yaml)", "YAML error: \(problem)", allowed: "well-formed YAML")
      }
    }
  }

  /// The origin of the node at pre-order position `index` (0-based, mapping values and list
  /// items, keys not counted) of `node`: where the node limit is crossed inside an alias.
  /// Walks at most `index + 1` nodes.
  package static func preorderOrigin(_ node: YNode, index: Int) -> SourceOrigin? {
    var remaining = index
    func walk(_ n: YNode) -> SourceOrigin? {
      if remaining == 0 { return n.origin }
      remaining -= 1
      switch n.content {
      case .scalar, .null: return nil
      case .sequence(let items):
        for i in items { if let o = walk(i) { return o } }
      case .mapping(let entries):
        for e in entries { if let o = walk(e.value) { return o } }
      }
      return nil
    }
    return walk(node)
  }
}
