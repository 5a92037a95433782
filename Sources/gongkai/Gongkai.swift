import ArgumentParser

@main
struct Gongkai: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongkai",
        abstract: "Full-text search over Chinese government budget disclosures.",
        subcommands: [ParseCommand.self, SegmentCommand.self]
    )
}
