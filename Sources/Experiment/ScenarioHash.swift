import SimCore

/// Hashes that identify a scenario's text in a campaign manifest.
///
/// SHA-256 (FIPS 180-4) in plain Swift, so the manifest hash is the same one `sha256sum` prints
/// for the same bytes, with no dependency on a crypto library. Not used for security.
public enum ScenarioHash {
  /// `sha256:` followed by the lowercase hex SHA-256 of the UTF-8 bytes of `text`.
  public static func sha256(_ text: String) -> String {
    "sha256:" + SHA256.hex(Array(text.utf8))
  }
}
