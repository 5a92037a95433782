import Xapian

public enum IndexError: Error, CustomStringConvertible, Equatable {
    case locked(String)
    case duplicateFileName(String, String)
    case database(String)
    case noSuchPath(String)
    case lockFile(String, String)

    public var description: String {
        switch self {
        case .locked(let path):
            return "another indexer is writing \(path); try again when it has finished"
        case .duplicateFileName(let name, let other):
            return "a different file with the same name \(name) is already indexed (\(other)); file names must be unique"
        case .database(let message):
            return "database error: \(message)"
        case .noSuchPath(let path):
            return "no such file or folder: \(path)"
        case .lockFile(let path, let reason):
            return "cannot lock \(path): \(reason)"
        }
    }

    /// Runs `body` and rethrows a Xapian (or side-store) error as an index error: a database error is not a
    /// file's fault, so the run stops instead of failing file after file. Xapian's own lock
    /// (another program writing the database) reads as `locked(path)`.
    static func mappingDatabaseErrors<T>(at path: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as XapianError where error.type == "DatabaseLockError" && path != nil {
            throw IndexError.locked(path!)
        } catch let error as XapianError {
            throw IndexError.database(error.description)
        } catch let error as SideStoreError {
            throw IndexError.database(error.description)
        }
    }
}
