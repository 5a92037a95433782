import ArgumentParser

@main
struct Gongkai: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongkai",
        abstract: "Full-text search over Chinese government budget disclosures.",
        subcommands: [IndexCommand.self, ServeCommand.self, SearchCommand.self, ProjectCommand.self, SimilarCommand.self,
                      ParseCommand.self, SegmentCommand.self]
    )
}
