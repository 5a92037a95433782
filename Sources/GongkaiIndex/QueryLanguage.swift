/// The search language, in the style of Xapian's QueryParser: words, `"phrases"`,
/// `AND`/`OR`/`NOT`/`-word`, brackets, and `field:value` filters.
public indirect enum QueryNode: Sendable, Equatable, CustomStringConvertible {
    case word(String)
    case phrase(String)
    case field(String, String)
    case and([QueryNode])
    case or([QueryNode])
    case not(QueryNode)

    public var description: String {
        switch self {
        case .word(let w): return w
        case .phrase(let p): return "\"\(p)\""
        case .field(let f, let v): return "\(f):\(v)"
        case .and(let parts): return "(" + parts.map(\.description).joined(separator: " AND ") + ")"
        case .or(let parts): return "(" + parts.map(\.description).joined(separator: " OR ") + ")"
        case .not(let inner): return "NOT \(inner)"
        }
    }
}

/// A query the user must fix, with a message that names the problem.
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Parses query strings into `QueryNode`s.
public struct QueryLanguage: Sendable {
    /// Longer queries are refused rather than parsed.
    public static let maximumLength = 4096
    /// Deeper bracket nesting is refused.
    public static let maximumDepth = 16

    public init() {}

    /// nil for a query with nothing in it (blank or only spaces).
    public func parse(_ text: String) throws -> QueryNode? {
        guard text.utf8.count <= Self.maximumLength else {
            throw QueryError("query is longer than \(Self.maximumLength) bytes")
        }
        var tokenizer = Tokenizer(text)
        let tokens = try tokenizer.tokens()
        if tokens.isEmpty { return nil }
        var parser = Parser(tokens: tokens)
        let node = try parser.parseExpression(depth: 0)
        if parser.index < parser.tokens.count {
            throw QueryError("unexpected \(parser.tokens[parser.index]) in query")
        }
        return node
    }

    enum Token: Equatable, CustomStringConvertible {
        case word(String)
        case phrase(String)
        case field(String, String)
        case and, or, not, minus, open, close

        var description: String {
            switch self {
            case .word(let w): return "'\(w)'"
            case .phrase(let p): return "\"\(p)\""
            case .field(let f, let v): return "'\(f):\(v)'"
            case .and: return "AND"
            case .or: return "OR"
            case .not: return "NOT"
            case .minus: return "'-'"
            case .open: return "'('"
            case .close: return "')'"
            }
        }
    }

    struct Tokenizer {
        let chars: [Character]
        var index = 0

        init(_ text: String) {
            chars = Array(text)
        }

        static func isSpace(_ c: Character) -> Bool { c.isWhitespace }

        mutating func tokens() throws -> [Token] {
            var tokens: [Token] = []
            while true {
                while index < chars.count, Self.isSpace(chars[index]) { index += 1 }
                guard index < chars.count else { return tokens }
                let c = chars[index]
                switch c {
                case "(", "（":
                    tokens.append(.open); index += 1
                case ")", "）":
                    tokens.append(.close); index += 1
                case "\"", "“", "”":
                    tokens.append(.phrase(try quoted()))
                case "-" where isWordStart(at: index + 1) && (tokens.isEmpty || index == 0 || Self.isSpace(chars[index - 1]) || chars[index - 1] == "("):
                    tokens.append(.minus); index += 1
                default:
                    tokens.append(try wordOrField())
                }
            }
        }

        private func isWordStart(at i: Int) -> Bool {
            i < chars.count && !Self.isSpace(chars[i]) && chars[i] != ")"
        }

        private mutating func quoted() throws -> String {
            index += 1
            var text = ""
            while index < chars.count, !["\"", "“", "”"].contains(chars[index]) {
                text.append(chars[index]); index += 1
            }
            guard index < chars.count else { throw QueryError("unbalanced quote in query") }
            index += 1
            return text
        }

        private mutating func wordOrField() throws -> Token {
            var word = ""
            while index < chars.count, !Self.isSpace(chars[index]), !"()（）\"“”".contains(chars[index]) {
                if chars[index] == ":" || chars[index] == "：", !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") }) {
                    index += 1
                    return .field(word.lowercased(), try fieldValue(for: word))
                }
                word.append(chars[index]); index += 1
            }
            switch word {
            case "AND", "&&": return .and
            case "OR", "||": return .or
            case "NOT": return .not
            default: return .word(word)
            }
        }

        private mutating func fieldValue(for field: String) throws -> String {
            if index < chars.count, ["\"", "“", "”"].contains(chars[index]) { return try quoted() }
            var value = ""
            while index < chars.count, !Self.isSpace(chars[index]), !"()（）".contains(chars[index]) {
                value.append(chars[index]); index += 1
            }
            guard !value.isEmpty else { throw QueryError("field \(field): has no value") }
            return value
        }
    }

    struct Parser {
        let tokens: [Token]
        var index = 0

        mutating func parseExpression(depth: Int) throws -> QueryNode {
            guard depth <= QueryLanguage.maximumDepth else {
                throw QueryError("query nests brackets deeper than \(QueryLanguage.maximumDepth) levels")
            }
            var alternatives = [try parseConjunction(depth: depth)]
            while index < tokens.count, tokens[index] == .or {
                index += 1
                alternatives.append(try parseConjunction(depth: depth))
            }
            return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
        }

        private mutating func parseConjunction(depth: Int) throws -> QueryNode {
            var parts = [try parseUnary(depth: depth)]
            while index < tokens.count, tokens[index] != .or, tokens[index] != .close {
                if tokens[index] == .and { index += 1 }
                parts.append(try parseUnary(depth: depth))
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        private mutating func parseUnary(depth: Int) throws -> QueryNode {
            guard index < tokens.count else { throw QueryError("query ends where a word was expected") }
            switch tokens[index] {
            case .not, .minus:
                index += 1
                return .not(try parseUnary(depth: depth))
            default:
                return try parsePrimary(depth: depth)
            }
        }

        private mutating func parsePrimary(depth: Int) throws -> QueryNode {
            let token = tokens[index]
            index += 1
            switch token {
            case .word(let w): return .word(w)
            case .phrase(let p): return .phrase(p)
            case .field(let f, let v): return .field(f, v)
            case .open:
                if index < tokens.count, tokens[index] == .close { throw QueryError("empty brackets in query") }
                let inner = try parseExpression(depth: depth + 1)
                guard index < tokens.count, tokens[index] == .close else { throw QueryError("unbalanced bracket in query") }
                index += 1
                return inner
            case .close: throw QueryError("unbalanced bracket in query")
            case .and, .or: throw QueryError("\(token) needs a word on each side")
            case .not, .minus: throw QueryError("NOT needs a word after it")
            }
        }
    }
}
