/// One of Beijing's 16 districts, in every spelling the project uses.
public struct BeijingDistrict: Sendable, Equatable {
    /// `西城区`: how documents, filters and facets name it.
    public let name: String
    /// `西城`: how users type it (`district:西城`).
    public let shortName: String
    /// `xicheng`: ASCII, for shard names.
    public let pinyin: String
}

/// The one table of Beijing's districts: document-info inference, the query language and shard
/// names all read it. Districts of other cities are recognised by their form instead (see
/// `AdministrativeName`), since no table of every Chinese district is kept.
public enum BeijingDistricts {
    public static let city = "北京市"

    public static let all: [BeijingDistrict] = [
        ("东城区", "dongcheng"), ("西城区", "xicheng"), ("朝阳区", "chaoyang"), ("丰台区", "fengtai"),
        ("石景山区", "shijingshan"), ("海淀区", "haidian"), ("门头沟区", "mentougou"), ("房山区", "fangshan"),
        ("通州区", "tongzhou"), ("顺义区", "shunyi"), ("昌平区", "changping"), ("大兴区", "daxing"),
        ("怀柔区", "huairou"), ("平谷区", "pinggu"), ("密云区", "miyun"), ("延庆区", "yanqing"),
    ].map { name, pinyin in BeijingDistrict(name: name, shortName: String(name.dropLast()), pinyin: pinyin) }

    /// The district named `西城区` or `西城` (spaces around it ignored), or nil.
    public static func named(_ name: String) -> BeijingDistrict? {
        let trimmed = name.trimmingSpaces
        return all.first { $0.name == trimmed || $0.shortName == trimmed }
    }
}
