import Postgres

/// A window with nothing stored yet (a first load, a backfill of new history): its rows are
/// copied straight into the tables. There is nothing to compare, revise or delete, so no
/// staging and no `ON CONFLICT`. The asset's claim keeps other liqsyncs out; a row that
/// appeared meanwhile anyway would fail the COPY on its key, and the chunk rolls back.
enum FreshInsert {
    static func write(
        _ changed: ChangedHours, chunk: ChunkWrite, into result: inout ChunkWriteResult, connection: isolated PostgresConnection
    ) throws {
        try ExchangeCodes.register(changed.exchangeCodes, connection: connection)
        result.hoursInserted = try connection.copyIn(
            """
            COPY liquidations.token_interval (asset, interval_start, content_hash, \(sql: FigureColumns.list()), data_version)
            FROM STDIN
            """
        ) { writer in
            for (hour, fingerprint) in changed.hours {
                writer.append(chunk.asset)
                writer.append(hour)
                writer.append(fingerprint)
                writer.append(changed.totals(hour))
                writer.append(chunk.dataVersion)
                try writer.endRow()
            }
        }
        result.exchangeRowsInserted = try connection.copyIn(
            "COPY liquidations.token_interval_exchange (asset, interval_start, exchange, \(sql: FigureColumns.list())) FROM STDIN"
        ) { writer in
            try changed.forEachExchangeRow { hourText, exchange in
                writer.append(chunk.asset)
                writer.append(hourText)
                writer.append(exchange.exchange)
                writer.append(exchange.figures)
                try writer.endRow()
            }
        }
    }
}
