import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The temporary files a run has open (staged outputs not yet renamed into place), removed when the run is
/// interrupted (SIGINT, SIGTERM, SIGHUP), so that not even a stopped run leaves one behind.
enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<String> = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func register(_ path: String) {
        lock.lock()
        live.insert(path)
        lock.unlock()
    }

    /// Forgets `path` (renamed into place or removed).
    static func release(_ path: String) {
        lock.lock()
        live.remove(path)
        lock.unlock()
    }

    /// Removes `path` and forgets it.
    static func remove(_ path: String) {
        unlink(path)
        release(path)
    }

    /// On SIGINT, SIGTERM or SIGHUP: removes every live temporary file, then exits with 128 + the signal number.
    static func removeOnInterrupt() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                lock.lock()
                for path in live { unlink(path) }
                live.removeAll()
                lock.unlock()
                FileIO.endProgress()
                _exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops the handlers `removeOnInterrupt` installed (the signals stay ignored): `serve` writes no temporary file
    /// and handles SIGTERM and SIGINT itself (graceful shutdown) and SIGHUP (reload).
    static func stopHandlingSignals() {
        lock.lock()
        for source in sources { source.cancel() }
        sources.removeAll()
        lock.unlock()
    }
}
