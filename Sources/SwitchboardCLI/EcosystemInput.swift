import Foundation
import Switchboard

/// The file system, for the library's ecosystem loader (`EcosystemFiles(folder:…)`).
struct FileReader: RecordReader {
    func read(_ path: String) throws -> [UInt8] { try FileIO.read(path) }
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

extension EcosystemFiles {
    /// The files at the given paths, read whole (nil: not given; `-`: standard input, named `<stdin>`).
    static func reading(_ paths: [RecordKind: String?]) throws -> EcosystemFiles {
        var files = EcosystemFiles()
        for kind in RecordKind.allCases {
            guard let path = paths[kind] ?? nil else { continue }
            files[kind] = RecordSource(name: path == "-" ? "<stdin>" : path, bytes: try FileIO.read(path))
        }
        return files
    }

    /// The files of a folder in the layout `switchboard generate` writes.
    static func reading(folder: String, required: Set<RecordKind>, optional: Set<RecordKind> = []) throws
        -> EcosystemFiles
    {
        try EcosystemFiles(folder: folder, required: required, optional: optional, reader: FileReader())
    }
}
