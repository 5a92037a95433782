/// One line of `gongkai parse --json`: a record with its document's file, format, district,
/// year, kind, department, level and city beside its own fields, so that each line stands alone
/// for jq or pandas.
public struct RecordLine: Encodable {
    public let record: Record
    public let document: ParsedDocument

    public init(record: Record, document: ParsedDocument) {
        self.record = record
        self.document = document
    }

    private enum DocumentKeys: String, CodingKey {
        case file, format, district, year, kind, department, level, city
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DocumentKeys.self)
        let info = document.info
        try container.encode(document.fileName, forKey: .file)
        try container.encode(document.format, forKey: .format)
        try container.encodeIfPresent(info.district, forKey: .district)
        try container.encodeIfPresent(info.year, forKey: .year)
        try container.encodeIfPresent(info.kind, forKey: .kind)
        try container.encodeIfPresent(info.department, forKey: .department)
        try container.encodeIfPresent(info.level, forKey: .level)
        try container.encodeIfPresent(info.city, forKey: .city)
        // The record's own members go into the same object.
        try record.encode(to: encoder)
    }
}
