import AsyncHTTPClient
import Foundation
import Ingest
import Postgres
import Testing
import TestSupport

/// What an operator installs beside the service (deploy/prometheus, deploy/grafana), checked
/// with the real tools: promtool, a Prometheus server scraping `liqsync run`, and every panel of
/// the dashboard run against a loaded database and the test Prometheus.
@Suite("Operations kit: metrics, alert rules, a real Prometheus, the dashboard")
struct OperationsKitTests {
    static let deploy = TestCluster.repositoryRoot.appendingPathComponent("deploy")
    static let alertNames = [
        "LiqsyncTargetDown", "LiqsyncAssetLagging", "LiqsyncAssetFailing", "LiqsyncNoSuccessfulPass", "LiqsyncRateLimited",
        "LiqsyncSchedulerStalled",
    ]

    // MARK: - Alert rules

    @Test(.enabled(if: PrometheusTools.available, Comment(rawValue: PrometheusTools.missing)))
    func theAlertRulesPassPromtoolsChecksAndUnitTests() async throws {
        let rules = Self.deploy.appendingPathComponent("prometheus/liqsync-alerts.yml")
        let checked = try await PrometheusTools.promtool(["check", "rules", rules.path])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("SUCCESS: \(Self.alertNames.count) rules found"), "\(checked.stdout)")
        let tested = try await PrometheusTools.promtool(
            ["test", "rules", Self.deploy.appendingPathComponent("prometheus/liqsync-alerts.test.yml").path])
        #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
        #expect(tested.stdout.contains("SUCCESS"), "\(tested.stdout)")

        // Every alert is tested firing and not firing, and its runbook link leads to a section of
        // docs/operations.md.
        let text = try String(contentsOf: rules, encoding: .utf8)
        let tests = try String(contentsOf: Self.deploy.appendingPathComponent("prometheus/liqsync-alerts.test.yml"), encoding: .utf8)
        let operations = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        let anchors = Set(operations.split(separator: "\n").filter { $0.hasPrefix("#") }.map { line in
            line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
                .filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == " " }.replacingOccurrences(of: " ", with: "-")
        })
        for name in Self.alertNames {
            #expect(text.contains("- alert: \(name)\n"), "\(name) is a rule")
            #expect(tests.components(separatedBy: "alertname: \(name)\n").count - 1 >= 2, "\(name): tested firing and not")
            let anchor = name.lowercased()
            #expect(text.contains("runbook_url: \"docs/operations.md#\(anchor)\""), "\(name) links its runbook")
            #expect(anchors.contains(anchor), "docs/operations.md has a section \(name)")
        }
        // Every metric the service exports has its row in docs/operations.md's table.
        for name in MetricCatalog.help.keys {
            #expect(operations.contains("| `\(name)` |"), "docs/operations.md documents \(name)")
        }
    }

    // MARK: - A real Prometheus scraping the service

    /// The shipped scrape configuration, pointed at `target`, scraping and evaluating every second.
    static func prometheusConfiguration(target: String) throws -> String {
        let shipped = try String(contentsOf: deploy.appendingPathComponent("prometheus/prometheus.yml"), encoding: .utf8)
        let configuration = shipped
            .replacingOccurrences(of: "scrape_interval: 30s", with: "scrape_interval: 1s")
            .replacingOccurrences(of: "evaluation_interval: 30s", with: "evaluation_interval: 1s")
            .replacingOccurrences(of: "/etc/prometheus/liqsync-alerts.yml", with: "liqsync-alerts.yml")
            .replacingOccurrences(of: "127.0.0.1:9464", with: target)
        #expect(configuration.contains(target) && configuration.contains("scrape_interval: 1s"), "the shipped file changed shape")
        return configuration
    }

    /// The shipped rules with every `for:` cut to two seconds, so a test sees them fire.
    static func acceleratedRules() throws -> String {
        let shipped = try String(contentsOf: deploy.appendingPathComponent("prometheus/liqsync-alerts.yml"), encoding: .utf8)
        return shipped.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("for: ") ? "        for: 2s" : String(line)
        }.joined(separator: "\n")
    }

    @Test(.enabled(if: PrometheusTools.available, Comment(rawValue: PrometheusTools.missing)), .timeLimit(.minutes(5)))
    func prometheusScrapesTheServiceAndTheFailingAssetAlertFiresAndResolves() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "sol", "--since", "2025-03-01"], database: database).status == 0)
        let metricsPort = try freePort()
        // One request per second and two attempts per request: the budget makes requests wait,
        // and a failing asset fails within seconds.
        let service = try BackgroundProcess(
            LiqsyncBinary.url,
            [
                "run", "--poll-interval", "1", "--now", SyncEngineTests.t0, "--metrics-address", "127.0.0.1:\(metricsPort)",
                "--max-requests-per-second", "1", "--max-attempts", "2",
            ] + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": database.connectionString]) { $1 })
        defer { service.signal(SIGKILL) }
        let prometheus = try await PrometheusServer.start(
            configuration: try Self.prometheusConfiguration(target: "127.0.0.1:\(metricsPort)"),
            files: ["liqsync-alerts.yml": try Self.acceleratedRules()])
        defer { prometheus.stop() }

        // The target is up, and the lag of each asset is a series.
        let up = await eventually(timeout: .seconds(60)) {
            (try? await prometheus.query("up{job=\"liqsync\"}"))?.map(\.value) == [1]
        }
        #expect(up, "\(service.text.suffix(2000))")
        let lagSeries = await eventually(timeout: .seconds(60)) {
            let assets = (try? await prometheus.query("time() - max by (asset) (liqsync_watermark_timestamp_seconds)"))?
                .compactMap { $0.labels["asset"] }
            return Set(assets ?? []) == ["btc", "sol"]
        }
        #expect(lagSeries, "\(service.text.suffix(2000))")
        // Both become current: the watermark is the last settled hour before the pretended now.
        var lag: [PrometheusServer.Sample] = []
        let current = await eventually(timeout: .seconds(60)) {
            lag = (try? await prometheus.query("liqsync_watermark_lag_seconds")) ?? []
            return Set(lag.compactMap { $0.labels["asset"] }) == ["btc", "sol"]
                && lag.allSatisfy { $0.value > 0 && $0.value < 2 * 3600 }
        }
        #expect(current, "\(lag.map { ($0.labels["asset"] ?? "?", $0.value) })")

        // eth is added while the stand-in fails every request for it.
        try await fake.setPersistentFault("server-error", asset: "eth")
        #expect(try await LiqsyncBinary.run(["assets", "add", "eth", "--since", "2025-03-01"], database: database).status == 0)
        let firing = await eventually(timeout: .seconds(60)) {
            (try? await prometheus.alerts())?.contains { $0.name == "LiqsyncAssetFailing" && $0.labels["asset"] == "eth" && $0.state == "firing" }
                ?? false
        }
        #expect(firing, "\(service.text.suffix(2000))")
        let failingAlerts = try await prometheus.alerts().filter { $0.name == "LiqsyncAssetFailing" }
        #expect(failingAlerts.allSatisfy { $0.labels["asset"] == "eth" }, "only eth fails: \(failingAlerts.map(\.labels))")
        #expect(try await prometheus.alerts().allSatisfy { $0.name != "LiqsyncTargetDown" && $0.name != "LiqsyncSchedulerStalled" })

        // The live exposition, with failures, retries and budget waits in it, passes promtool's
        // lint and has every metric the catalog lists (revisions and open hours excepted: nothing
        // was revised or emptied).
        let exposition = try await scrape("http://127.0.0.1:\(metricsPort)/metrics")
        let lint = try await PrometheusTools.promtool(["check", "metrics"], input: exposition)
        #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "promtool check metrics: \(lint.stdout)\(lint.stderr)")
        for name in MetricCatalog.help.keys where !["liqsync_revisions_total", "liqsync_open_hours_total"].contains(name) {
            #expect(exposition.contains("# HELP \(name) "), "\(name) is exported with its help")
        }
        #expect(exposition.contains("liqsync_build_info{"), "\(exposition)")
        #expect(exposition.contains("liqsync_sync_failures_total{asset=\"eth\",kind=\"temporary\"}"), "\(exposition)")

        // Every PromQL expression of the dashboard runs, and the ones about assets return series.
        for expression in try GrafanaDashboard.load().promQL {
            let samples = try await prometheus.query(GrafanaDashboard.substitute(expression))
            if expression.contains("liqsync_watermark") || expression.contains("liqsync_api_requests_total") {
                #expect(!samples.isEmpty, "no series for \(expression)")
            }
        }

        // Once the stand-in answers for eth again, eth syncs at its next try and the alert resolves.
        try await fake.setPersistentFault("none", asset: "eth")
        let resolved = await eventually(timeout: .seconds(90)) {
            (try? await prometheus.alerts())?.contains { $0.name == "LiqsyncAssetFailing" } == false
        }
        #expect(resolved, "\(service.text.suffix(2000))")

        // Stopped, the service is a target down.
        service.signal(SIGTERM)
        let status = await service.waitForExit(timeout: .seconds(15))
        #expect(status == 0, "\(service.text.suffix(3000))")
        let down = await eventually(timeout: .seconds(30)) {
            (try? await prometheus.alerts())?.contains { $0.name == "LiqsyncTargetDown" && $0.state == "firing" } ?? false
        }
        #expect(down)
    }

    func scrape(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    // MARK: - The dashboard's SQL panels

    @Test func everySQLPanelOfTheDashboardRunsAsAReaderAndShowsTheLoadedData() async throws {
        let dashboard = try GrafanaDashboard.load()
        let database = try await TestDatabase.create()
        let bi = BIQueryTests()
        try await bi.seed(database)
        let login = "grafana_\(UUID().uuidString.prefix(6).lowercased())"
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE ROLE \(login) LOGIN; GRANT liquidations_reader TO \(login);")
        }
        let reader = try await PostgresConnection.connect(PostgresConfiguration(connectionString: "dbname=\(database.name) user=\(login)"))
        defer { Task { await reader.close() } }

        // The asset variable lists the tracked assets.
        let assets = try await bi.run(GrafanaDashboard.substitute(try #require(dashboard.variableQueries["asset"])), as: reader)
        #expect(assets.map { $0.values.first ?? "" } == ["btc", "eth"])

        #expect(dashboard.sqlPanels.count >= 5)
        var results: [String: [[String: String]]] = [:]
        for (title, sql) in dashboard.sqlPanels {
            let substituted = GrafanaDashboard.substitute(sql)
            #expect(!substituted.contains("$"), "\(title): a variable or macro the test does not know: \(substituted)")
            results[title] = try await bi.run(substituted, as: reader)
            #expect(!(results[title] ?? []).isEmpty, "\(title) shows nothing")
        }
        let btc = BIQueryTests.hours.filter { $0.asset == "btc" }
        let perHour = try #require(results["Liquidated per hour, long vs short"])
        #expect(perHour.count == 72)
        #expect(perHour.map { bi.decimal($0["long"]) } == btc.map(\.longAmount))
        #expect(perHour.map { bi.decimal($0["short"]) } == btc.map(\.shortAmount))
        let byExchange = try #require(results["Liquidated per hour by exchange"])
        #expect(byExchange.count == 144 && Set(byExchange.map { $0["metric"]! }) == ["Bybit", "OKX"])
        let daily = try #require(results["Daily totals"])
        #expect(daily.count == 3)
        let top = try #require(results["Top exchanges"])
        #expect(top.map { $0["exchange"]! } == ["Bybit", "OKX"])
        #expect(bi.decimal(top[0]["liquidated_usd"]) == btc.reduce(Decimal(0)) { $0 + $1.longAmount })
        let freshness = try #require(results["Assets: watermark and lag"])
        #expect(freshness.map { $0["asset"]! }.sorted() == ["btc", "eth"])
    }
}

/// deploy/grafana/liqsync.json, read as Grafana reads it: its variables and the queries of its
/// panels.
struct GrafanaDashboard {
    var sqlPanels: [(title: String, sql: String)] = []
    var promQL: [String] = []
    var variableQueries: [String: String] = [:]

    static func load() throws -> GrafanaDashboard {
        let url = TestCluster.repositoryRoot.appendingPathComponent("deploy/grafana/liqsync.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var dashboard = GrafanaDashboard()
        let variables = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables where variable["type"] as? String == "query" {
            if let name = variable["name"] as? String, let query = variable["query"] as? String {
                dashboard.variableQueries[name] = query
            }
        }
        for panel in json["panels"] as? [[String: Any]] ?? [] {
            let title = panel["title"] as? String ?? "?"
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let sql = target["rawSql"] as? String { dashboard.sqlPanels.append((title, sql)) }
                if let expression = target["expr"] as? String { dashboard.promQL.append(expression) }
            }
        }
        return dashboard
    }

    /// Grafana's variables and macros as it would expand them for the asset btc and the
    /// dashboard's default range, the last seven days.
    static func substitute(_ query: String) -> String {
        let formatter = ISO8601DateFormatter()
        let to = formatter.string(from: Date())
        let from = formatter.string(from: Date().addingTimeInterval(-7 * 86_400))
        var text = query.replacingOccurrences(of: "$asset", with: "btc")
            .replacingOccurrences(of: "$__rate_interval", with: "1m")
        // $__timeFilter(column) → column BETWEEN 'from' AND 'to'
        while let range = text.range(of: "$__timeFilter(") {
            guard let close = text[range.upperBound...].firstIndex(of: ")") else { break }
            let column = text[range.upperBound..<close]
            text.replaceSubrange(range.lowerBound...close, with: "\(column) BETWEEN '\(from)' AND '\(to)'")
        }
        return text
    }
}
