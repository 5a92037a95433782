// swift-tools-version:6.1
import PackageDescription

let package = Package(
    // Linux only (Debian 12): sources import Glibc, and the daemon is packaged as a .deb.
    name: "Gongkai",
    products: [
        .executable(name: "gongkai", targets: ["gongkai"]),
        .library(name: "GongkaiIndex", targets: ["GongkaiIndex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/drmohundro/SWXMLHash", from: "8.1.1"),
    ],
    targets: [
        // Layer 1: the Xapian shim. C++ with an extern "C" API; no exception crosses it.
        .target(
            name: "CXapian",
            linkerSettings: [.linkedLibrary("xapian")]
        ),
        // Swift ownership wrappers over the shim: classes that free their handles and throw.
        .target(name: "Xapian", dependencies: ["CXapian"]),

        // Layer 2: reading disclosures into records. Pure Swift, knows nothing of Xapian. XLSX is
        // a ZIP of XML parts; PDF and XLS are read through Debian's poppler-utils and catdoc.
        .target(
            name: "Disclosure",
            dependencies: [
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "SWXMLHash", package: "SWXMLHash"),
            ]
        ),

        // Layer 3: Chinese normalisation, segmentation and term generation.
        .target(name: "ChineseAnalysis"),

        // The side store's hot loops (posting blocks, phrase positions) in plain C.
        .target(name: "CSideStore"),

        // Layer 4: index schema, indexer, query language and searcher.
        .target(name: "GongkaiIndex", dependencies: ["Xapian", "Disclosure", "ChineseAnalysis", "CSideStore"]),

        // Layer 5: the JSON-lines daemon on a Unix socket.
        .target(
            name: "GongkaiServer",
            dependencies: [
                "GongkaiIndex",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Layer 6: the command line.
        .executableTarget(
            name: "gongkai",
            dependencies: [
                "GongkaiIndex", "GongkaiServer", "Disclosure", "ChineseAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // jemalloc instead of glibc's malloc: Xapian's indexer allocates and frees millions of
            // small map nodes and strings; glibc's malloc, free and malloc_consolidate took ~14%
            // of a perf profile of `gongkai index`, and jemalloc made indexing ~1.2x faster.
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),

        .testTarget(name: "XapianTests", dependencies: ["Xapian"]),
        .testTarget(
            name: "DisclosureTests",
            dependencies: ["Disclosure", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(name: "ChineseAnalysisTests", dependencies: ["ChineseAnalysis"]),
        .testTarget(name: "GongkaiIndexTests", dependencies: ["GongkaiIndex", "Xapian", "Disclosure", "ChineseAnalysis"]),
        // Runs the real `gongkai` binary, so it depends on it to have it built.
        .testTarget(name: "GongkaiServerTests", dependencies: [
            "GongkaiServer", "GongkaiIndex", "ChineseAnalysis", "Disclosure", "Xapian", "gongkai",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            // ByteToMessageDecoderVerifier for the line framing.
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
