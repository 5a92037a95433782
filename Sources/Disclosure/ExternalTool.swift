import Foundation
import Glibc

/// Runs a Debian tool (pdftotext, xls2csv) on a file's bytes: the bytes go to a file in a private
/// temporary folder, the tool's output and errors to files beside it (pipes could fill and block
/// it), and the folder is removed afterwards.
struct ExternalTool {
    let name: String
    let package: String
    let format: DocumentFormat
    /// A tool that runs longer (a hostile or huge file) is stopped.
    var timeout: TimeInterval = 120

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// `name` itself when it is a path (Debian's /usr/bin/python3, which has Debian's modules,
    /// rather than another python3 first on PATH), else the first on PATH.
    var executable: String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/bin"]
        return folders.lazy.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the tool with `arguments`, where `{input}` stands for the file holding `bytes`.
    func run(_ arguments: [String], input bytes: [UInt8], inputExtension: String) throws -> Output {
        guard let executable else { throw DisclosureError.missingTool(tool: name, package: package, format: format) }
        let label = name.split(separator: "/").last.map(String.init) ?? name
        var template = Array((NSTemporaryDirectory() + "/gongkai-\(label)-XXXXXX").utf8CString)
        guard let folderPointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DisclosureError.damaged(format: format, reason: "cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        let folder = String(cString: folderPointer)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/input." + inputExtension
        let stdoutPath = folder + "/stdout"
        let stderrPath = folder + "/stderr"
        guard FileManager.default.createFile(atPath: input, contents: Data(bytes)),
              FileManager.default.createFile(atPath: stdoutPath, contents: nil),
              FileManager.default.createFile(atPath: stderrPath, contents: nil),
              let out = FileHandle(forWritingAtPath: stdoutPath), let err = FileHandle(forWritingAtPath: stderrPath) else {
            throw DisclosureError.damaged(format: format, reason: "cannot write a temporary file in \(folder)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments.map { $0 == "{input}" ? input : $0 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw DisclosureError.missingTool(tool: name, package: package, format: format)
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            finished.wait()
            throw DisclosureError.damaged(format: format, reason: "\(label) did not finish within \(Int(timeout)) s")
        }
        let stdout = (try? FileBytes.read(stdoutPath)) ?? []
        let stderr = String(decoding: (try? FileBytes.read(stderrPath)) ?? [], as: UTF8.self)
        return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
