// libFuzzer's executable for KCFuzz.FuzzTarget.session (Tools/fuzz.sh session SECONDS).
import KCFuzz

FuzzTarget.session.runLibFuzzer()
