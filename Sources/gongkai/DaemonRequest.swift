import ArgumentParser
import GongkaiIndex
import GongkaiServer

/// One request to the daemon for a command: the parsed answer, nil when `json` printed it as it
/// is; exits 2 when no daemon answers (or it answers something that is not JSON) and 1 for an
/// error answer. Warnings of a partial answer go to standard error.
enum DaemonRequest {
    static func send(_ request: JSONValue, socket: String, command: String, json: Bool) throws -> JSONValue? {
        let line: String
        do {
            line = try SocketClient(socketPath: socket).request(request.serialized())
        } catch {
            printError("gongkai \(command): \(error)")
            throw ExitCode(2)
        }
        guard let response = try? JSONValue.parse(Array(line.utf8)) else {
            printError("gongkai \(command): the daemon answered something that is not JSON")
            throw ExitCode(2)
        }
        if json {
            print(line)
            return nil
        }
        if response["ok"] != .bool(true) {
            printError("gongkai \(command): \(response["error"]?["message"]?.stringValue ?? line)")
            throw ExitCode(1)
        }
        if case .array(let warnings)? = response["warnings"] {
            for warning in warnings { printError("gongkai \(command): warning: \(warning.stringValue ?? "")") }
        }
        return response
    }
}
