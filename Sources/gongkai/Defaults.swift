import Foundation

/// Where the database and socket are when the command line does not say.
enum Defaults {
    static var database: String {
        ProcessInfo.processInfo.environment["GONGKAI_DB"] ?? "gongkai.db"
    }

    static var socket: String {
        ProcessInfo.processInfo.environment["GONGKAI_SOCKET"] ?? "/tmp/gongkai.sock"
    }
}

/// Writes a line to standard error.
func printError(_ message: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((message + (newline ? "\n" : "")).utf8))
}
