/// The session limits of Protocol/SPEC.md, section 2.
public struct SessionLimits: Sendable, Equatable {
    /// The largest frame (one kcsync `Frame`, one WebSocket message) accepted after `Welcome`.
    public var maximumFrameBytes = 8 * 1024 * 1024
    /// The largest frame accepted before `Welcome` (`Hello`, `Challenge`, `Authenticate`):
    /// nothing unauthenticated gets more memory than this.
    public var maximumPreAuthFrameBytes = 64 * 1024
    /// The largest WebSocket frame on the wire: a larger message travels in fragments, so the
    /// transport never buffers more than this for one frame.
    public var maximumWireFrameBytes = 64 * 1024
    /// Frames read from the connection and not yet handled before `Welcome` (an honest peer
    /// has one at a time): while they wait, no more are read, so a fast sender meets TCP
    /// back-pressure instead of filling memory.
    public var maximumQueuedFramesBeforeWelcome = 2
    /// The same after `Welcome`, per scope granted. It holds what an honest peer may send
    /// before it hears back (``maximumBatchesInFlight`` batches and as many acknowledgements,
    /// and a few vectors), so an honest peer never meets it: while a session waits for its
    /// writer, its reader still reads, and with it the WebSocket pings and pongs that only
    /// reading handles. With two, a board whose writer made a session wait past the ping
    /// period closed the connection of a school that had answered every ping in time.
    public var maximumQueuedFrames = 16
    /// The change bytes of the frames queued after `Welcome`, per scope granted: four full
    /// batches and their framing. The frame that passes it is read whole, the next waits.
    public var maximumQueuedBytes = 20 * 1024 * 1024
    /// The most changes in one batch.
    public var maximumBatchChanges = 1_000
    /// The most change bytes in one batch (a single larger change travels alone).
    public var maximumBatchBytes = 4 * 1024 * 1024
    /// A batch of at least this many change bytes goes compressed (`Changes.deflated`) to a
    /// peer that can read it: a first sync or a long catch-up. Live batches go as they are: a
    /// board compresses what it sends once per receiving school, and in W6a (200 schools)
    /// deflating every catch-up of a few kilobytes took a fifth of the machine.
    public var deflateFromBytes = 64 * 1024
    /// Unacknowledged batches per scope and direction.
    public var maximumBatchesInFlight = 4
    /// Changes received per second, on average.
    public var changesPerSecond: Double = 20_000
    /// The largest burst of changes received.
    public var changesBurst: Double = 100_000
    /// Seconds from connect to `Welcome`.
    public var handshakeSeconds = 10
    /// How far apart the two clocks may be at authentication, in milliseconds.
    public var maximumClockSkew: UInt64 = 5 * 60 * 1000

    /// The limits of the spec.
    public init() {}

    /// The spec's limits.
    public static let standard = SessionLimits()
}

/// Why a session ended badly: the error frame code and a message (English, for logs).
public struct SessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error frame codes of Protocol/SPEC.md, section 6, and `connectionLost`, which no
    /// frame carries: the connection ended (or a send failed) while the session was open.
    public enum Code: String, Sendable, Equatable {
        case unsupportedVersion, malformedFrame, frameTooLarge, unauthorized, scopeNotGranted
        case rejectedChange, rateLimited, protocolViolation, clockSkew, internalError
        case connectionLost
    }

    /// The code.
    public var code: Code
    /// What happened.
    public var message: String
    /// True when the other side sent it; false when this side detected it.
    public var remote: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, remote: Bool = false) {
        self.code = code
        self.message = message
        self.remote = remote
    }

    public var description: String { "\(remote ? "peer sent " : "")\(code.rawValue): \(message)" }

    var proto: Kcsync_V1_ErrorFrame.Code {
        switch code {
        case .unsupportedVersion: .unsupportedVersion
        case .malformedFrame: .malformedFrame
        case .frameTooLarge: .frameTooLarge
        case .unauthorized: .unauthorized
        case .scopeNotGranted: .scopeNotGranted
        case .rejectedChange: .rejectedChange
        case .rateLimited: .rateLimited
        case .protocolViolation: .protocolViolation
        case .clockSkew: .clockSkew
        case .internalError, .connectionLost: .internal
        }
    }

    init(proto: Kcsync_V1_ErrorFrame) {
        let code: Code = switch proto.code {
        case .unsupportedVersion: .unsupportedVersion
        case .malformedFrame: .malformedFrame
        case .frameTooLarge: .frameTooLarge
        case .unauthorized: .unauthorized
        case .scopeNotGranted: .scopeNotGranted
        case .rejectedChange: .rejectedChange
        case .rateLimited: .rateLimited
        case .protocolViolation: .protocolViolation
        case .clockSkew: .clockSkew
        default: .internalError
        }
        self.init(code, proto.message, remote: true)
    }
}
