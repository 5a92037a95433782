import Foundation
import Glibc
import Synchronization
import Testing
@testable import GongkaiIndex

@Suite struct SourceFilesTests {
    @Test func aFolderGivenThroughASymbolicLinkIsWalked() throws {
        let directory = NSTemporaryDirectory() + "gongkai-link-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/real/a.txt", contents: Data("x".utf8))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory + "/real")
        #expect(try SourceFiles.list([directory + "/link"]).files == [directory + "/link/a.txt"])
    }

    @Test func listingRefusesWhatIsNotARegularFile() throws {
        let directory = NSTemporaryDirectory() + "gongkai-list-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory + "/.hidden", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/a.txt", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: directory + "/.hidden/b.txt", contents: Data("x".utf8))
        #expect(mkfifo(directory + "/pipe", 0o600) == 0)
        let listing = try SourceFiles.list([directory, directory + "/a.txt"])
        #expect(listing.files == [directory + "/a.txt"])
        #expect(listing.refused.map(\.path) == [directory + "/pipe"])
        #expect(listing.refused.first?.reason == "not a regular file (a FIFO)")
        #expect(throws: IndexError.noSuchPath(directory + "/missing")) { try SourceFiles.list([directory + "/missing"]) }
    }
}
