import Foundation
@testable import Disclosure

/// The sample disclosures in Index/corpus.
enum Corpus {
    static let xicheng2022 = "000_c0013659a1ffb08b.txt"
    static let xicheng2023 = "001_1a6cbd115fe7ae86.txt"
    static let chaoyang2026 = "002_e3bab72684dbaaaa.txt"
    static let fengtai2021 = "004_00c192bc11a47879.txt"
    static let all = [xicheng2022, xicheng2023, chaoyang2026, fengtai2021]

    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Index/corpus/\(name)").path
    }

    static func bytes(_ name: String) throws -> [UInt8] { try FileBytes.read(path(name)) }

    static func parse(_ name: String) throws -> ParsedDocument {
        try DisclosureParser().parseFile(atPath: path(name))
    }
}

extension ParsedDocument {
    func records(_ type: RecordType) -> [Record] { records.filter { $0.type == type } }

    func indicator(atLine line: Int) -> Record? {
        records.first { $0.type == .indicator && $0.firstLine == line }
    }
}
