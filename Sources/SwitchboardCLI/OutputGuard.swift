import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files a command reads and writes, named by their options, so that one check refuses an output that is also
/// an input (the input would be destroyed) and two outputs on one path (one would be lost), before anything is read.
struct FileRoles {
    /// A path a command reads: one file, or named files inside a folder.
    struct Input {
        var option: String
        var path: String
        /// For a folder: the names of the files read inside it (relative paths, such as `truth/pairs.csv`).
        var folderFiles: [String]?
    }

    /// A path a command writes: one file, or named files inside a folder.
    struct Output {
        var option: String
        var path: String
        var folderFiles: [String]?
    }

    var inputs: [Input] = []
    var outputs: [Output] = []

    /// Adds a file input (nothing for nil or `-`).
    mutating func read(_ option: String, _ path: String?) {
        if let path, path != "-" { inputs.append(Input(option: option, path: path)) }
    }

    /// Adds a folder input of which `files` are read.
    mutating func read(_ option: String, folder path: String?, files: [String]) {
        if let path { inputs.append(Input(option: option, path: path, folderFiles: files)) }
    }

    mutating func write(_ option: String, _ path: String?) {
        if let path, path != "-" { outputs.append(Output(option: option, path: path)) }
    }

    mutating func write(_ option: String, folder path: String?, files: [String]) {
        if let path { outputs.append(Output(option: option, path: path, folderFiles: files)) }
    }
}

/// A command whose files `OutputGuard` checks before it runs (the entry point does it for every command).
protocol ReadsAndWritesFiles {
    var fileRoles: FileRoles { get }
}

/// Refuses, before anything is read: an output that is an input (the same file by any path: symlinks, `./`, `../`,
/// hard links), an output that is one of the files a folder input is read from, two outputs on one file, and a
/// file output that is an existing folder (or a folder output that is an existing file).
enum OutputGuard {
    /// One file written or read, as `--option path` (and the file inside a folder, when it is one).
    private struct Named {
        var option: String
        var path: String
        var file: String
        var isOutput: Bool

        var label: String { file == path ? "\(option) \(path)" : "\(option) \(path) (\(file))" }
    }

    static func check(_ roles: FileRoles) throws {
        for input in roles.inputs where input.path.isEmpty {
            throw CLIError("\(input.option): an empty path; give a file")
        }
        for output in roles.outputs {
            if output.path.isEmpty { throw CLIError("\(output.option): an empty path; give a file") }
            let isFolder = directoryExists(output.path)
            if output.folderFiles == nil, isFolder {
                throw CLIError("\(output.option) \(output.path): is a folder; give a file path")
            }
            if output.folderFiles != nil, !isFolder, entryExists(output.path) {
                throw CLIError("\(output.option) \(output.path): is a file, not a folder; give a folder path")
            }
            let parent = (output.path as NSString).deletingLastPathComponent
            if output.folderFiles == nil, !parent.isEmpty, !directoryExists(parent) {
                throw CLIError("\(output.option) \(output.path): the folder \(parent) does not exist")
            }
        }
        func expand(_ option: String, _ path: String, _ files: [String]?, isOutput: Bool) -> [Named] {
            guard let files else { return [Named(option: option, path: path, file: path, isOutput: isOutput)] }
            return files.map {
                Named(
                    option: option, path: path, file: URL(fileURLWithPath: path).appendingPathComponent($0).relativePath,
                    isOutput: isOutput)
            }
        }
        let outputs = roles.outputs.flatMap { expand($0.option, $0.path, $0.folderFiles, isOutput: true) }
        let inputs = roles.inputs.flatMap { expand($0.option, $0.path, $0.folderFiles, isOutput: false) }
        var seen: [FileIdentity: Named] = [:]
        // Inputs first, so an output meeting an input is named as such (two inputs on one file are fine).
        for input in inputs { seen[FileIdentity(input.file)] = seen[FileIdentity(input.file)] ?? input }
        for output in outputs {
            let identity = FileIdentity(output.file)
            if let earlier = seen[identity] {
                if earlier.isOutput {
                    throw CLIError(
                        "\(earlier.label) and \(output.label) are the same file: give each output its own path")
                }
                throw CLIError(
                    "\(output.label) is also an input (\(earlier.label)): writing it would destroy the input; "
                        + "choose another output path")
            }
            seen[identity] = output
        }
    }

    private static func directoryExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    private static func entryExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }
}

/// What makes two paths the same file: the device and inode of an existing file (through symlinks and hard links),
/// otherwise the absolute path with `.`, `..` and the existing folders' symlinks resolved.
struct FileIdentity: Hashable {
    private enum Key: Hashable {
        case inode(device: UInt64, inode: UInt64)
        case path(String)
    }

    private let key: Key

    init(_ path: String) {
        var status = stat()
        if stat(path, &status) == 0 {
            key = .inode(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
            return
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().path
        if let resolved = realpath(folder, nil) {
            defer { free(resolved) }
            key = .path(String(cString: resolved) + "/" + url.lastPathComponent)
        } else {
            key = .path(url.path)
        }
    }
}
