import Dispatch
import Foundation

/// Runs `transform` over items on worker threads and hands each result, in input order, to
/// `consume` on the calling thread. At most a few results wait at a time, so memory stays
/// bounded whatever the number of items.
enum ParallelMap {
    static func run<Output>(_ items: [String], workers: Int, transform: @escaping @Sendable (String) -> Output,
                            consume: (Int, Output) throws -> Void) throws where Output: Sendable {
        let window = max(2, workers * 2)
        let channel = ResultWindow<Output>(capacity: window)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "gongkai.index.workers", attributes: .concurrent)
        for worker in 0..<max(1, workers) {
            queue.async(group: group) {
                var index = worker
                while index < items.count {
                    guard channel.waitForRoom(index) else { return }
                    channel.put(index, transform(items[index]))
                    index += max(1, workers)
                }
            }
        }
        defer {
            channel.cancel()
            group.wait()
        }
        for index in items.indices {
            try consume(index, channel.take(index))
        }
    }
}

/// Results keyed by input position; a worker may run at most `capacity` items ahead of the
/// consumer. Workers and the consumer wait for each other, hence a condition variable
/// rather than a `Mutex`.
final class ResultWindow<Output: Sendable>: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var results: [Int: Output] = [:]
    private var consumed = 0
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Blocks until item `index` is within the window; false when the run was cancelled.
    func waitForRoom(_ index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while index >= consumed + capacity && !cancelled { condition.wait() }
        return !cancelled
    }

    func put(_ index: Int, _ output: Output) {
        condition.lock()
        results[index] = output
        condition.broadcast()
        condition.unlock()
    }

    func take(_ index: Int) -> Output {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil { condition.wait() }
        consumed = index + 1
        condition.broadcast()
        return results.removeValue(forKey: index)!
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A value computed on a thread of its own while the caller does other work; `value` waits for
/// it. Its own thread, not Dispatch's pool: one such value may wait for another (the analyzer
/// for the lexicon), which must not be left queued behind blocked pool threads.
final class ComputedAlongside<Value: Sendable>: @unchecked Sendable {
    // `result` is written once by the worker before `group` leaves, read only after waiting.
    private var result: Value?
    private let group = DispatchGroup()

    init(_ work: @escaping @Sendable () -> Value) {
        group.enter()
        let thread = Thread { [self] in
            result = work()
            group.leave()
        }
        thread.stackSize = 8 << 20  // the main thread's size, for work written to run there
        thread.start()
    }

    /// A value already at hand.
    init(_ value: Value) {
        result = value
    }

    var value: Value {
        group.wait()
        return result!
    }
}
