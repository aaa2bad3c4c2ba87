// A child process for the durability test: it writes notes to a replica file one change at a
// time and prints "ACK <entity>" on stdout only after each write has returned (committed).
// The test kills it with SIGKILL at a random moment and checks that every acknowledged note
// is in the reopened database.
//
// Usage: kcsync-crash-writer DATABASE COUNT
import Foundation
import SyncCore
import SyncStore
import SyncTestKit

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: kcsync-crash-writer DATABASE COUNT\n".utf8))
    exit(64)
}
do {
    let store = try ReplicaStore.open(path: arguments[1], schemas: SampleSchemas.all)
    let scope = try Scope.school("12AB")
    try store.addScope(scope)
    say("READY")
    for i in 0..<count {
        var created: EntityID?
        try store.write(in: scope) { b throws(SyncError) in
            let id = b.newEntity(type: "note")
            try b.assign(.text("crash note \(i)"), to: "title", of: id, type: "note")
            try b.setText(String(repeating: "tekst ", count: 50), field: "body", of: id, type: "note")
            created = id
        }
        say("ACK \(created!.hex)")
    }
    say("DONE")
} catch {
    FileHandle.standardError.write(Data("kcsync-crash-writer: \(error)\n".utf8))
    exit(1)
}
