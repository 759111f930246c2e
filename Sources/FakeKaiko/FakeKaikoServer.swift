import Hummingbird
import Logging
import NIOCore

extension FakeKaiko {
    /// A Hummingbird application serving this stand-in on `host:port` (port 0 picks a free one;
    /// `onRunning` receives the bound port).
    public func makeApplication(
        host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "fake-kaiko"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "fake-kaiko"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
