import Foundation

/// The checks every JSON settings file (routing configuration, eligibility rules) gets before it is decoded.
enum StrictJSON {
    /// Why a file failed them, as the message its error shows after the file name.
    struct Problem: Error {
        var message: String
    }

    /// The file's top-level object, once it is valid JSON, an object, and names no key outside `knownKeys` (a
    /// misspelt setting must not be silently ignored).
    /// - Throws: `Problem`: `not valid JSON (…)`, `expected a JSON object at the top level`, or
    ///   `unknown key 'k' (known: a, b, …)` for the first unknown key in sorted order.
    static func object(_ bytes: [UInt8], knownKeys: [String]) throws(Problem) -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw Problem(message: "not valid JSON (\((error as NSError).localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw Problem(message: "expected a JSON object at the top level")
        }
        if let unknown = dictionary.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw Problem(message: "unknown key '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
        }
        return dictionary
    }
}
