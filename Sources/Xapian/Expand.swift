import CXapian

extension Database {
    /// Xapian's relevance feedback: given documents known to be relevant (an RSet), the terms that
    /// best tell them from the rest (an ESet), best first, among those `accept` takes. Works on
    /// combined and remote databases (docids are the database's own numbering).
    public func expand(relevant docids: [UInt32], maxTerms: Int,
                       accept: (String) -> Bool) throws -> [(term: String, weight: Double)] {
        guard !docids.isEmpty, maxTerms > 0 else { return [] }
        let text = try withoutActuallyEscaping(accept) { accept in
            var filter = accept
            return try withUnsafeMutablePointer(to: &filter) { context in
                try docids.withUnsafeBufferPointer { relevant in
                    try ownedString { length, error in
                        gk_database_expand(handle, relevant.baseAddress, relevant.count, UInt32(clamping: maxTerms), { term, count, context in
                            guard let term, let context else { return 0 }
                            let accept = context.assumingMemoryBound(to: ((String) -> Bool).self).pointee
                            return accept(String(decoding: UnsafeRawBufferPointer(start: term, count: count), as: UTF8.self)) ? 1 : 0
                        }, context, &length, error)
                    }
                }
            }
        }
        return text.split(separator: "\n").compactMap { line in
            guard let tab = line.lastIndex(of: "\t"), let weight = Double(line[line.index(after: tab)...]) else { return nil }
            return (String(line[..<tab]), weight)
        }
    }
}
