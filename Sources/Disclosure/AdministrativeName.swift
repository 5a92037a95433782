/// Names of government organs as documents print them: an administrative-division prefix (a city,
/// a district or county, a province before them, a party prefix such as 中共 in front) and a body
/// that ends in an organ's suffix (局, 委员会, 办公室, 中心, 街道办事处, 人民政府 …). Read from the
/// form alone, so that cities and districts no table lists are recognised, and a sentence
/// fragment (`…生态环境局成立于`, `…机构改革方案》`) never passes for a name.
struct AdministrativeName: Equatable {
    /// The whole name, `北京市通州区生态环境局`; nil when the text names only a place (`杭州市钱塘区`).
    var department: String?
    var city: String?
    /// `通州区`, `钱塘区`, `安吉县`.
    var district: String?
    /// Whether the name began with a bare Beijing district (`西城区政务服务管理局`), its city assumed.
    var bareDistrict = false
    /// Whether the name starts at the beginning of its line (a title, or the subject of a sentence).
    var atLineStart = false
    /// The text right after the name, for telling a `…是…的工作部门` sentence.
    var following: String = ""

    var level: AdministrativeLevel? {
        if district != nil { return .district }
        return city != nil ? .municipal : nil
    }

    /// Organ suffixes, longest first so that `委员会` wins over `会` and `办公室` over `室`.
    static let organSuffixes: [[Unicode.Scalar]] = [
        "街道办事处", "人民代表大会", "人民检察院", "人民法院", "人民政府", "办事处", "委员会", "办公室", "办公厅", "常委会",
        "联合会", "总工会", "检察院", "工作部", "研究室", "研究院", "事务所", "管理所", "服务社", "政府", "中心", "机关",
        "医院", "学校", "法院", "协会", "学会", "商会", "工会", "分局", "支队", "大队", "中队", "街道", "局", "委", "办", "厅",
        "院", "馆", "所", "队", "站", "处", "部", "署", "社", "团", "校", "园", "台", "镇", "乡", "室",
    ].map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }

    /// Words that never stand inside an organ's name: where a sentence or a title goes on after it.
    static let stopWords: [[Unicode.Scalar]] = [
        "成立", "关于", "负责", "主要", "印发", "机构设置", "机构改革", "设置", "部门预算", "部门决算", "预算", "决算",
        "年度", "说明", "情况", "目录", "方案", "职责", "简称", "根据", "按照", "通知", "意见", "报告", "批复", "所属",
        "本级", "下设", "内设", "更名", "以及", "全市", "全区", "的", "是", "为", "于", "由", "等", "将", "在", "向", "从",
        "对", "每", "与",
    ].map { Array($0.unicodeScalars) }

    /// Words after which a new name may start inside a run of Chinese text (`2023年杭州市…`, `关于杭州市…`).
    static let boundaryWords: [[Unicode.Scalar]] = [
        "年度", "年", "关于", "由", "经", "向", "和", "及", "与", "在", "为", "根据", "按照", "是", "原", "的", "至", "将",
        "对", "从", "同", "报", "送",
    ].map { Array($0.unicodeScalars) }

    static let partyPrefixes: [[Unicode.Scalar]] = ["中国共产党", "中国人民政治协商会议", "中共", "共青团", "政协"]
        .map { Array($0.unicodeScalars) }

    /// Characters of prose that no city's name holds (`该项目市级…` is no city 该项目市).
    static let notInCityNames = ScalarSet("市区县省该项目全各此每其等的了与及在对将为是有年度月部单位工作级由经向根据按从送报至".unicodeScalars)

    static let beijing = Array(BeijingDistricts.city.unicodeScalars)
    static let beijingDistricts = BeijingDistricts.all.map { Array($0.name.unicodeScalars) }

    /// Every name in a line, in order.
    static func names(in line: String) -> [AdministrativeName] {
        let scalars = Array(line.unicodeScalars)
        let lineStart = scalars.firstIndex { !isSpaceOrMarker($0) } ?? scalars.count
        var found: [AdministrativeName] = []
        // A name's prefix ends in 市, 区, 县 or 旗 within a few characters of its start (省 and a
        // party prefix before it): only places that close to one are tried.
        var nextMark = [Int](repeating: Int.max, count: scalars.count + 1)
        for position in scalars.indices.reversed() {
            nextMark[position] = isDivisionMark(scalars[position]) ? position : nextMark[position + 1]
        }
        var index = 0
        while index < scalars.count {
            guard isHan(scalars[index]) else { index += 1; continue }
            var end = index
            while end < scalars.count, isHan(scalars[end]) { end += 1 }
            let run = scalars[index..<end]
            var start = index
            var consumedTo = index
            while start < end {
                if start >= consumedTo, nextMark[start] - start <= 14, let (name, nameEnd) = parse(run, from: start) {
                    var name = name
                    name.atLineStart = start == lineStart
                    name.following = String(String.UnicodeScalarView(scalars[nameEnd...].prefix(12)))
                    found.append(name)
                    consumedTo = nameEnd
                    start = nameEnd
                    continue
                }
                guard nextMark[start + 1] < end else { break }
                start = nextStart(in: run, after: start, nextMark: nextMark)
            }
            index = end
        }
        return found
    }

    /// The next place in a run where a name may start: after a boundary word, or at 北京市 or a
    /// party prefix wherever it stands; none further than 14 characters before a division's mark.
    private static func nextStart(in run: ArraySlice<Unicode.Scalar>, after start: Int, nextMark: [Int]) -> Int {
        var position = start + 1
        while position < run.endIndex {
            if nextMark[position] - position > 14 {
                guard nextMark[position] < run.endIndex else { return run.endIndex }
                position = nextMark[position] - 14
                continue
            }
            if matches(beijing, in: run, at: position) || (partyStarts.contains(run[position])
                && partyPrefixes.contains(where: { matches($0, in: run, at: position) })) {
                return position
            }
            if boundaryEnds.contains(run[position - 1]),
               boundaryWords.contains(where: { matches($0, in: run, at: position - $0.count) }) {
                return position
            }
            position += 1
        }
        return run.endIndex
    }

    private static func isDivisionMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "市" || scalar == "区" || scalar == "县" || scalar == "旗"
    }
    // First and last characters of the word lists: most characters start or end none, which one
    // table lookup tells before any word is compared.
    private static let partyStarts = ScalarSet(partyPrefixes.map { $0[0] })
    private static let boundaryEnds = ScalarSet(boundaryWords.map { $0[$0.count - 1] })
    private static let stopStarts = ScalarSet(stopWords.map { $0[0] })
    private static let suffixEnds = ScalarSet(organSuffixes.map { $0[$0.count - 1] })

    /// A name starting at `start` of a run of Chinese characters, and where it ends.
    static func parse(_ run: ArraySlice<Unicode.Scalar>, from start: Int) -> (AdministrativeName, Int)? {
        var i = start
        if let party = partyPrefixes.first(where: { matches($0, in: run, at: i) }) { i += party.count }
        var name = AdministrativeName()
        // A province before its city or county: 浙江省杭州市, 浙江省安吉县.
        var province = false
        if let mark = (i + 2...i + 3).first(where: { $0 < run.endIndex && run[$0] == "省" }), (i..<mark).allSatisfy({ run[$0] != "市" }) {
            i = mark + 1
            province = true
        }
        if matches(beijing, in: run, at: i) {
            name.city = BeijingDistricts.city
            i += beijing.count
            if let district = beijingDistricts.first(where: { matches($0, in: run, at: i) }) {
                name.district = String(String.UnicodeScalarView(district))
                i += district.count
            }
        } else if let mark = (i + 2...i + 4).first(where: { $0 < run.endIndex && run[$0] == "市" }),
                  (i..<mark).allSatisfy({ !notInCityNames.contains(run[$0]) }) {
            name.city = String(String.UnicodeScalarView(run[i...mark]))
            i = mark + 1
            if let mark = divisionEnd(run, from: i) {
                name.district = String(String.UnicodeScalarView(run[i...mark]))
                i = mark + 1
            }
        } else if province, let mark = divisionEnd(run, from: i) {
            name.district = String(String.UnicodeScalarView(run[i...mark]))
            i = mark + 1
        } else if i == start, let district = beijingDistricts.first(where: { matches($0, in: run, at: i) }) {
            name.city = BeijingDistricts.city
            name.district = String(String.UnicodeScalarView(district))
            name.bareDistrict = true
            i += district.count
        } else {
            return nil
        }
        let prefixEnd = i
        // The body runs to a stop word, to where another name begins, or to the end of the run:
        // a name followed by more text of its own (`…政府网站内容运维项目`) is part of another phrase.
        var bodyEnd = prefixEnd
        while bodyEnd < run.endIndex {
            if (stopStarts.contains(run[bodyEnd]) && stopWords.contains(where: { matches($0, in: run, at: bodyEnd) }))
                || (bodyEnd > prefixEnd && matches(beijing, in: run, at: bodyEnd)) {
                break
            }
            bodyEnd += 1
            if bodyEnd - prefixEnd > 24 { return nil }
        }
        if bodyEnd == prefixEnd {
            // Only a place: a party prefix or a bare district alone names nothing.
            guard !name.bareDistrict, !partyPrefixes.contains(where: { matches($0, in: run, at: start) }) else { return nil }
            return (name, prefixEnd)
        }
        var end = bodyEnd
        // `…管理局机关` is the 管理局's own staff office: the same department.
        let office = Array("机关".unicodeScalars)
        if endsWith(office, in: run, at: end), end - office.count - prefixEnd >= 2,
           organSuffixes.contains(where: { $0 != office && endsWith($0, in: run, at: end - office.count) }) {
            end -= office.count
        }
        guard end - prefixEnd >= 2, suffixEnds.contains(run[end - 1]), organSuffixes.contains(where: { endsWith($0, in: run, at: end) }),
              !notOrgans.contains(where: { endsWith($0, in: run, at: end) }) else { return nil }
        name.department = String(String.UnicodeScalarView(run[start..<end]))
        return (name, bodyEnd)
    }

    /// Things whose names end like an organ's (网站 in 站, 大厅 in 厅, 平台 in 台) but are none.
    static let notOrgans: [[Unicode.Scalar]] = ["网站", "站点", "平台", "大厅", "展厅", "餐厅", "专栏", "系统", "项目", "工程",
                                                 "经费", "公众号", "党支部", "网"].map { Array($0.unicodeScalars) }

    /// The end of a district or county name of 2 to 5 characters (`钱塘区`, `浦东新区`, `安吉县`).
    private static func divisionEnd(_ run: ArraySlice<Unicode.Scalar>, from i: Int) -> Int? {
        (i + 1...i + 4).first { $0 < run.endIndex && (run[$0] == "区" || run[$0] == "县" || run[$0] == "旗") }
            .flatMap { mark in (i..<mark).allSatisfy({ run[$0] != "市" }) ? mark : nil }
    }

    private static func matches(_ word: [Unicode.Scalar], in run: ArraySlice<Unicode.Scalar>, at index: Int) -> Bool {
        guard index >= run.startIndex, index + word.count <= run.endIndex else { return false }
        for offset in word.indices where run[index + offset] != word[offset] { return false }
        return true
    }

    private static func endsWith(_ word: [Unicode.Scalar], in run: ArraySlice<Unicode.Scalar>, at end: Int) -> Bool {
        matches(word, in: run, at: end - word.count)
    }

    static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        (0x3400...0x9FFF).contains(scalar.value) || (0x20000...0x2FA1F).contains(scalar.value) || scalar == "〇"
    }

    private static func isSpaceOrMarker(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar == "#" || scalar == "-" || scalar == "*" || scalar == "\u{FEFF}"
    }
}

/// A set of BMP scalars as a bit table: membership without hashing.
struct ScalarSet {
    private var bits = [UInt64](repeating: 0, count: 0x10000 / 64)

    init<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
        for scalar in scalars where scalar.value < 0x10000 { bits[Int(scalar.value) >> 6] |= 1 << UInt64(scalar.value & 63) }
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x10000 && bits[Int(scalar.value) >> 6] & (1 << UInt64(scalar.value & 63)) != 0
    }
}
