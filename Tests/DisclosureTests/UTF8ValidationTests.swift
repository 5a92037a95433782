import Testing
@testable import Disclosure

/// `UTF8Validation` must accept and refuse exactly what the standard library's strict decoder does.
@Suite struct UTF8ValidationTests {
    private func agrees(_ bytes: [UInt8]) -> Bool {
        UTF8Validation.string(bytes) == String(validating: bytes, as: UTF8.self)
    }

    @Test func everySequenceOfOneAndTwoBytesIsJudgedAsTheStandardLibraryDoes() {
        for a in 0...255 {
            #expect(agrees([UInt8(a)]))
            for b in 0...255 where !agrees([UInt8(a), UInt8(b)]) {
                Issue.record("disagrees on \(a) \(b)")
            }
        }
    }

    @Test func threeAndFourByteLeadsAtTheEdgesOfTheirRanges() {
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for lead in UInt8(0xE0)...UInt8(0xF7) {
            for b in edges { for c in edges {
                #expect(agrees([lead, b, c]), "\(lead) \(b) \(c)")
                for d in edges { #expect(agrees([lead, b, c, d]), "\(lead) \(b) \(c) \(d)") }
            } }
        }
    }

    @Test func realTextAndRandomBytes() {
        #expect(UTF8Validation.string(Array("2010301-行政运行 “三公”经费 𠀀 €".utf8)) == "2010301-行政运行 “三公”经费 𠀀 €")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &generator)
            // Mostly valid text with a damaged byte now and then.
            var bytes = Array(String((0..<count).map { _ in Character(Unicode.Scalar(UInt32.random(in: 0x20...0x9FFF)) ?? "a") }).utf8)
            if !bytes.isEmpty, Bool.random(using: &generator) {
                bytes[Int.random(in: 0..<bytes.count)] = UInt8.random(in: 0...255)
            }
            #expect(agrees(bytes), "\(bytes)")
        }
        #expect(UTF8Validation.string(Array("文本".utf8)[1...]) == nil)
    }
}
