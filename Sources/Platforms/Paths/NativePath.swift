import HostModel
import NetModel

/// Linux forwarding on the bare host: wire -> NIC RX ring -> kernel: NAPI + IP forward (FIB)
/// -> NIC TX ring -> wire. One RX queue on one core; the routers' tables are one kernel's
/// table (the first router's).
enum NativePath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    ["irq", "napi_poll", "driver_rx", "ip_forward", "driver_tx", "napi_weight"] + PathBuilder.fibKeys
      + PathBuilder.stageKeys(kind)
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    let kernel = b.domain(DomainConfig(name: "kernel", kind: .native, vcpus: 1))
    // wire -> NIC RX ring
    let rx = b.nicRx()
    // kernel: NAPI poll (net_rx_action), driver receive, ip_forward + FIB lookup, driver transmit
    let nicTx = b.useNicTx()
    b.stage(
      "kernel.napi", does: "NAPI + IP forward (FIB)", on: kernel.vcpus[0], from: [rx],
      cost: StageCost(
        perPacket: p.driverRx + p.ipForward + b.fibCost(router: 0) + p.driverTx, perBatch: p.napiPoll,
        perNotification: p.irq),
      batch: p.napiWeight, to: ToSink(nicTx), moderation: b.moderation)
    // -> NIC TX ring -> wire
  }
}
