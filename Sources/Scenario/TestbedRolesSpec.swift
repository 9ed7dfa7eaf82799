/// A remote host reached over ssh, as the scenario's `testbed:` section states it: every part
/// is a separate word of ssh's argument vector (never a shell string).
public struct SSHTarget: Codable, Sendable, Equatable {
  /// Login name (`-l`); nil: ssh's default.
  public var user: String?
  /// Host name or address.
  public var host: String
  /// TCP port (`-p`).
  public var port: Int = 22
  /// Private key file (`-i`), relative to the scenario file's directory; nil: ssh's default.
  public var identity: String?
  /// `-o NAME=VALUE` options, in file order.
  public var options: [SSHOption] = []
  /// A local network namespace the ssh client runs in (a management network reached through
  /// a namespace); nil: the caller's.
  public var clientNamespace: String? = nil

  /// A target.
  public init(user: String?, host: String, port: Int = 22, identity: String? = nil, options: [SSHOption] = [])
  {
    self.user = user
    self.host = host
    self.port = port
    self.identity = identity
    self.options = options
  }

  /// Whether `s` may be a host or user name: letters, digits and `.-_:%` (IPv6 addresses
  /// and scoped names included), not starting with `-` (ssh would read it as an option).
  public static func isSafeName(_ s: String) -> Bool {
    guard let first = s.first, first != "-", s.utf8.count <= 253 else { return false }
    return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:%".contains($0)) }
  }
}

/// One `-o NAME=VALUE` option of ssh.
public struct SSHOption: Codable, Sendable, Equatable {
  /// Option name, e.g. `StrictHostKeyChecking`.
  public var name: String
  /// Its value.
  public var value: String

  /// An option.
  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// The testbed's roles.
public enum TestbedRole: String, Codable, Sendable, CaseIterable {
  /// The traffic generator (trafgen, iperf3 clients).
  case generator
  /// The device under test: dom0 and the router namespaces.
  case dut
  /// The sink that counts and drops.
  case sink
  /// The external timer's time-keeper (stamps the ICMP echo requests).
  case timeKeeper = "time_keeper"
}

/// Role-keyed dictionaries encode as keyed objects (`{"generator": ...}`), so with sorted keys
/// their JSON is the same in every process (as arrays of pairs they would follow the
/// dictionary's per-process hash order).
extension TestbedRole: CodingKeyRepresentable {}

/// Where each testbed role runs: local namespaces unless the scenario's `testbed:` section
/// gives the role an ssh target.
public struct TestbedRolesSpec: Codable, Sendable, Equatable {
  /// The remote roles; a role absent here runs locally.
  public var remote: [TestbedRole: SSHTarget] = [:]

  /// Every role local.
  public init() {}

  /// Per role, per peer role: the existing interfaces ("parents") on the role's host that
  /// are cabled to the peer's host, in link order (`testbed.ROLE.ports.PEER`).
  public var ports: [TestbedRole: [TestbedRole: [String]]] = [:]

  /// The ssh target of `role`, nil when it runs locally.
  public func target(_ role: TestbedRole) -> SSHTarget? { remote[role] }

  /// The interfaces of `role`'s host cabled to `peer`'s host (empty when none are named).
  public func ports(_ role: TestbedRole, toward peer: TestbedRole) -> [String] { ports[role]?[peer] ?? [] }

  /// The peers whose links a role's `ports` may name: the roles that carry traffic.
  public static func peers(of role: TestbedRole) -> [TestbedRole] {
    switch role {
    case .generator: [.dut, .sink]
    case .dut: [.generator, .sink]
    case .sink: [.generator, .dut]
    case .timeKeeper: []
    }
  }

  /// Whether `a` and `b` run on the same host: both local, or the same ssh host and port
  /// (the login name does not change the machine).
  public func sameHost(_ a: TestbedRole, _ b: TestbedRole) -> Bool {
    switch (remote[a], remote[b]) {
    case (nil, nil): true
    case (let x?, let y?): x.host == y.host && x.port == y.port
    default: false
    }
  }
}
