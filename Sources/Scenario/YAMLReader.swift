import Foundation
import Yams

/// Reads scenario text into a `YNode` tree, refusing what is not a sane YAML document
/// (too large, not UTF-8, binary, empty, tabs in indentation, syntax errors, too deep) with
/// a located diagnostic instead of crashing.
///
/// Yams (libyaml) stops at the first duplicate key of a document. To report every duplicate
/// at once, the reader renames the first occurrence it was told about (a prefix inserted in
/// the text), composes again, and maps the positions back; the conversion then reports each
/// later occurrence at its own position and keeps the first.
enum YAMLReader {
  /// Largest scenario file accepted, in bytes.
  static let maxBytes = 1 << 20
  /// Deepest nesting of mappings and lists accepted.
  static let maxDepth = 32
  /// Most nodes a document may expand to (aliases can multiply nodes).
  static let maxNodes = 100_000

  /// The outcome of reading: a tree (absent when reading failed) and every problem found.
  struct Outcome: Sendable {
    var root: YNode?
    var diagnostics: [ScenarioDiagnostic]
  }

  /// Reads raw bytes: checks size and UTF-8 before anything else.
  static func read(bytes: [UInt8], file: String) -> Outcome {
    if bytes.count > maxBytes {
      return fileProblem(
        file, 1, 1, "the file is \(bytes.count) bytes, more than the limit of \(maxBytes) bytes",
        allowed: "a scenario file of at most 1 MiB")
    }
    if let bad = firstInvalidUTF8(bytes) {
      let (line, column) = position(ofByte: bad, in: bytes)
      return fileProblem(
        file, line, column,
        "the file is not UTF-8 text (invalid byte 0x\(String(bytes[bad], radix: 16, uppercase: true).leftPadded(to: 2)) at offset \(bad))",
        allowed: "UTF-8 text")
    }
    return read(text: String(decoding: bytes, as: UTF8.self), file: file)
  }

  /// Reads text.
  static func read(text input: String, file: String) -> Outcome {
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
        file, 1, 1, "the file is empty", allowed: "a YAML mapping of scenario keys (\(topKeysText))")
    }
    let tabs = tabIndentation(text, file: file)
    if !tabs.isEmpty { return Outcome(root: nil, diagnostics: tabs) }
    return composeOnLargeStack(text, file: file)
  }

  static var topKeysText: String { ScenarioSchema.childKeys(of: "").joined(separator: ", ") }

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

  /// libyaml's limit is 1000 levels; Yams composes recursively, so the work runs on a thread
  /// with a stack large enough for that depth whatever thread the caller is on.
  private static func composeOnLargeStack(_ text: String, file: String) -> Outcome {
    final class Box: @unchecked Sendable {
      var outcome = Outcome(root: nil, diagnostics: [])
    }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.outcome = compose(text, file: file)
      done.signal()
    }
    thread.stackSize = 32 << 20
    thread.start()
    done.wait()
    return box.outcome
  }

  /// A text edit made to get past a duplicate key: `length` scalars inserted at `column`.
  private struct Edit {
    var line: Int
    var column: Int
    var length: Int
  }

  private static let renamePrefix = "vrsim__dup"

  private static func compose(_ original: String, file: String) -> Outcome {
    var text = original
    var edits: [Edit] = []
    func origin(_ mark: Mark?) -> SourceOrigin {
      guard let mark else { return SourceOrigin(file: file, line: 1, column: 1) }
      var column = mark.column
      for e in edits.reversed() where e.line == mark.line && column > e.column { column -= e.length }
      return SourceOrigin(file: file, line: mark.line, column: column)
    }
    for attempt in 0..<200 {
      do {
        guard let node = try Yams.compose(yaml: text) else {
          return fileProblem(
            file, 1, 1, "the file is empty", allowed: "a YAML mapping of scenario keys (\(topKeysText))")
        }
        var converter = Converter(file: file, origin: origin)
        let root = converter.convert(node, path: "", depth: 1)
        if root?.content == .null {
          return fileProblem(
            file, 1, 1, "the file is empty", allowed: "a YAML mapping of scenario keys (\(topKeysText))")
        }
        return Outcome(root: converter.fatal ? nil : root, diagnostics: converter.diagnostics)
      } catch YamlError.duplicatedKeysInMapping(_, let context) {
        let prefix = "\(renamePrefix)\(attempt)_"
        guard let edited = insert(prefix, into: text, at: context.mark) else { break }
        edits.append(
          Edit(line: context.mark.line, column: edited.column, length: prefix.unicodeScalars.count))
        text = edited.text
      } catch let error as YamlError {
        return Outcome(root: nil, diagnostics: [syntaxDiagnostic(error, origin: origin)])
      } catch {
        return fileProblem(file, 1, 1, "the YAML reader failed: \(error)", allowed: "well-formed YAML")
      }
    }
    return Outcome(
      root: nil,
      diagnostics: [
        ScenarioDiagnostic(
          file: file, line: 1, column: 1, keyPath: "(yaml)", message: "too many duplicate keys to report",
          allowed: "each key once in a mapping")
      ])
  }

  /// Inserts `prefix` at the start of the key scalar at `mark` (after its quote, if quoted).
  private static func insert(_ prefix: String, into text: String, at mark: Mark) -> (
    text: String, column: Int
  )? {
    var scalars = Array(text.unicodeScalars)
    var line = 1
    var index = 0
    while line < mark.line && index < scalars.count {
      if scalars[index] == "\n" { line += 1 }
      index += 1
    }
    var column = mark.column
    index += mark.column - 1
    guard index < scalars.count else { return nil }
    if scalars[index] == "\"" || scalars[index] == "'" {
      index += 1
      column += 1
    }
    let c = scalars[index]
    guard c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" || c == "-" else {
      return nil
    }
    scalars.insert(contentsOf: prefix.unicodeScalars, at: index)
    var out = String.UnicodeScalarView()
    out.append(contentsOf: scalars)
    return (String(out), column)
  }

  private static func syntaxDiagnostic(
    _ error: YamlError, origin: (Mark?) -> SourceOrigin
  ) -> ScenarioDiagnostic {
    func make(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ScenarioDiagnostic {
      if problem.hasPrefix("Maximum nesting level") {
        return ScenarioDiagnostic(
          origin(mark), "(yaml)", "nesting is deeper than \(maxDepth) levels",
          allowed: "at most \(maxDepth) nested mappings and lists")
      }
      var message = "YAML syntax error: \(problem)"
      if let context {
        let at = origin(context.mark)
        message += " (\(context.text) at line \(at.line), column \(at.column))"
      }
      return ScenarioDiagnostic(origin(mark), "(yaml)", message, allowed: "well-formed YAML")
    }
    switch error {
    case .scanner(let context, let problem, let mark, _): return make(context, problem, mark)
    case .parser(let context, let problem, let mark, _): return make(context, problem, mark)
    case .composer(let context, let problem, let mark, _): return make(context, problem, mark)
    default:
      return ScenarioDiagnostic(origin(nil), "(yaml)", "YAML error: \(error)", allowed: "well-formed YAML")
    }
  }

  /// Converts Yams nodes, reporting duplicate keys, non-name keys, depth and size limits.
  private struct Converter {
    let file: String
    let origin: (Mark?) -> SourceOrigin
    var diagnostics: [ScenarioDiagnostic] = []
    var fatal = false
    var budget = YAMLReader.maxNodes

    init(file: String, origin: @escaping (Mark?) -> SourceOrigin) {
      self.file = file
      self.origin = origin
    }

    mutating func convert(_ node: Node, path: String, depth: Int) -> YNode? {
      if fatal { return nil }
      let at = origin(node.mark)
      if depth > YAMLReader.maxDepth {
        fatal = true
        diagnostics.append(
          ScenarioDiagnostic(
            at, "(yaml)", "nesting is deeper than \(YAMLReader.maxDepth) levels",
            allowed: "at most \(YAMLReader.maxDepth) nested mappings and lists"))
        return nil
      }
      budget -= 1
      if budget < 0 {
        fatal = true
        diagnostics.append(
          ScenarioDiagnostic(
            at, "(yaml)", "the document expands to more than \(YAMLReader.maxNodes) nodes",
            allowed: "a scenario of at most \(YAMLReader.maxNodes) values (beware of aliases)"))
        return nil
      }
      switch node {
      case .scalar(let s):
        if s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string) {
          return YNode(content: .null, origin: at)
        }
        return YNode(content: .scalar(s.string), origin: at)
      case .sequence(let seq):
        var items: [YNode] = []
        for (i, item) in seq.enumerated() {
          guard let y = convert(item, path: "\(path)[\(i)]", depth: depth + 1) else { return nil }
          items.append(y)
        }
        return YNode(content: .sequence(items), origin: at)
      case .mapping(let map):
        var entries: [YEntry] = []
        var seen: [String: SourceOrigin] = [:]
        for (k, v) in map {
          let keyAt = origin(k.mark)
          guard case .scalar(let ks) = k else {
            diagnostics.append(
              ScenarioDiagnostic(
                keyAt, path.isEmpty ? "(document)" : path,
                "a key must be a name, found a \(k.mapping != nil ? "mapping" : "list")",
                allowed: "names as keys"))
            continue
          }
          let key = YAMLReader.originalKey(ks.string)
          let childPath = path.isEmpty ? key : "\(path).\(key)"
          if let first = seen[key] {
            diagnostics.append(
              ScenarioDiagnostic(
                keyAt, childPath,
                "duplicate key '\(key)' (first at line \(first.line), column \(first.column))",
                allowed: "each key once in a mapping"))
            continue
          }
          seen[key] = keyAt
          guard let value = convert(v, path: childPath, depth: depth + 1) else { return nil }
          entries.append(YEntry(key: key, keyOrigin: keyAt, value: value))
        }
        return YNode(content: .mapping(entries), origin: at)
      case .alias:
        diagnostics.append(ScenarioDiagnostic(at, path, "an unresolved alias", allowed: "plain values"))
        return YNode(content: .null, origin: at)
      }
    }
  }

  /// Undoes the duplicate-key renaming.
  static func originalKey(_ key: String) -> String {
    guard key.hasPrefix(renamePrefix) else { return key }
    let rest = key.dropFirst(renamePrefix.count).drop { $0.isNumber }
    guard rest.hasPrefix("_") else { return key }
    return String(rest.dropFirst())
  }

  /// Offset of the first byte that is not valid UTF-8, if any.
  static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
    var i = 0
    let n = b.count
    while i < n {
      let c = b[i]
      if c < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch c {
      case 0xC2...0xDF: length = 2
      case 0xE0:
        length = 3
        low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED:
        length = 3
        high = 0x9F
      case 0xF0:
        length = 4
        low = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4:
        length = 4
        high = 0x8F
      default: return i
      }
      if i + length > n { return i }
      if b[i + 1] < low || b[i + 1] > high { return i }
      for j in 2..<max(2, length) where b[i + j] & 0xC0 != 0x80 { return i }
      i += length
    }
    return nil
  }

  /// 1-based line and column (in scalars of the valid prefix) of byte `offset`.
  static func position(ofByte offset: Int, in bytes: [UInt8]) -> (Int, Int) {
    var line = 1
    var lineStart = 0
    for i in 0..<offset where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).unicodeScalars.count + 1
    return (line, column)
  }
}
