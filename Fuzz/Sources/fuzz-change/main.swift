// libFuzzer's executable for KCFuzz.FuzzTarget.change (Tools/fuzz.sh change SECONDS).
import KCFuzz

FuzzTarget.change.runLibFuzzer()
