// libFuzzer's executable for KCFuzz.FuzzTarget.frame (Tools/fuzz.sh frame SECONDS).
import KCFuzz

FuzzTarget.frame.runLibFuzzer()
