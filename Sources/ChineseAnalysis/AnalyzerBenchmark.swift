import Foundation

/// In-process timing of the analyzer on one thread, so that process start-up and I/O do not
/// count (`gongkai segment --benchmark`).
public enum AnalyzerBenchmark {
    /// Median chars/s over `runs` passes, for segmentation alone and for index-term generation
    /// (which includes segmentation).
    public static func run(_ analyzer: Analyzer, lines: [String], runs: Int) -> String {
        let chars = lines.reduce(0) { $0 + $1.unicodeScalars.count }
        func median(_ body: () -> Int) -> Double {
            var rates: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                let produced = body()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                precondition(produced >= 0)
                rates.append(Double(chars) / seconds)
            }
            return rates.sorted()[rates.count / 2]
        }
        let segment = median { lines.reduce(0) { $0 + analyzer.segment($1).count } }
        let index = median { lines.reduce(0) { $0 + analyzer.indexTerms($1).count } }
        return String(format: "chars %d\nsegment_chars_per_s %.0f\nindex_terms_chars_per_s %.0f", chars, segment, index)
    }
}
