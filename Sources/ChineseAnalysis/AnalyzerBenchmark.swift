import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// In-process timing of the analyzer on one thread, so that process start-up and I/O do not
/// count (`gongkai segment --benchmark`).
public enum AnalyzerBenchmark {
    /// Median chars/s over `runs` passes, for segmentation alone and for index-term generation
    /// (which includes segmentation). Timed by the thread's CPU clock, so other processes on
    /// the machine disturb the result less than wall time would.
    public static func run(_ analyzer: Analyzer, lines: [String], runs: Int) -> String {
        let chars = lines.reduce(0) { $0 + $1.unicodeScalars.count }
        func median(_ body: () -> Int) -> Double {
            var rates: [Double] = []
            var produced = 0
            for _ in 0..<runs {
                let start = threadCPUSeconds()
                produced &+= body()
                rates.append(Double(chars) / (threadCPUSeconds() - start))
            }
            precondition(produced != 0 || chars == 0)
            return rates.sorted()[rates.count / 2]
        }
        let segment = median { lines.reduce(0) { $0 + analyzer.segment($1).count } }
        let index = median { lines.reduce(0) { $0 + analyzer.indexTerms($1).count } }
        return String(format: "chars %d\nsegment_chars_per_s %.0f\nindex_terms_chars_per_s %.0f", chars, segment, index)
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
