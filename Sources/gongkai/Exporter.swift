import ArgumentParser
import Foundation
import GongkaiIndex
import GongkaiServer

/// The formats of `gongkai search --export`.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case csv
    case jsonl
}

/// Writes the rows the daemon streams for an export to standard output, as they arrive.
struct Exporter {
    let socket: String
    let format: ExportFormat
    let excel: Bool

    func run(_ request: JSONValue) throws {
        let client: SocketClient
        do {
            client = try SocketClient(socketPath: socket)
            try client.send(line: request.serialized())
        } catch {
            printError("gongkai search: \(error)")
            throw ExitCode(2)
        }
        var output = BufferedOutput()
        if format == .csv {
            if excel { output.write(CSV.byteOrderMark) }
            output.write(CSV.record(ExportRow.columns))
        }
        while true {
            let line: String
            do {
                line = try client.readLine()
            } catch {
                output.flush()
                printError("gongkai search: the export stopped: \(error)")
                throw ExitCode(2)
            }
            guard let answer = try? JSONValue.parse(Array(line.utf8)) else {
                output.flush()
                printError("gongkai search: the daemon answered something that is not JSON")
                throw ExitCode(2)
            }
            if let row = answer["row"] {
                switch format {
                case .jsonl:
                    output.write(row.serialized() + "\n")
                case .csv:
                    guard let parsed = ResponseJSON.exportRow(from: row) else {
                        output.flush()
                        printError("gongkai search: the daemon sent a row that is not an export row: \(row.serialized())")
                        throw ExitCode(2)
                    }
                    output.write(CSV.record(parsed.cells))
                }
                continue
            }
            output.flush()
            guard answer["ok"] == .bool(true) else {
                printError("gongkai search: \(answer["error"]?["message"]?.stringValue ?? line)")
                throw ExitCode(1)
            }
            if case .array(let warnings)? = answer["warnings"] {
                for warning in warnings { printError("gongkai search: warning: \(warning.stringValue ?? "")") }
            }
            printError("gongkai search: exported \(answer["rows"]?.intValue ?? 0) of \(answer["total"]?.intValue ?? 0) matches")
            return
        }
    }
}

/// Standard output written in large pieces (an export is many small lines).
struct BufferedOutput {
    private var pending = ""

    mutating func write(_ text: String) {
        pending += text
        if pending.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending.utf8))
        pending = ""
    }
}
