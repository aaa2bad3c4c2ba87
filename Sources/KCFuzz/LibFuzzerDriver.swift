import Foundation

/// The target the running fuzzer executable feeds (set once, before libFuzzer starts).
nonisolated(unsafe) private var selected = FuzzTarget.frame

/// libFuzzer's callback: one input for the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    selected.run(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

extension FuzzTarget {
    private typealias Driver = @convention(c) (UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                               @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

    /// Hands the command line to libFuzzer's driver with this target, and exits with what it
    /// returns. Only in an executable linked with `-sanitize=fuzzer` (the ones in Fuzz/): the
    /// driver is looked up when it runs, so the tests link this module without libFuzzer.
    public func runLibFuzzer() -> Never {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
            FileHandle.standardError.write(Data("this executable is not linked with libFuzzer (build it with Tools/fuzz.sh)\n".utf8))
            exit(2)
        }
        selected = self
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(unsafeBitCast(symbol, to: Driver.self)(&argc, &argv, fuzzerTestOneInput))
    }
}
