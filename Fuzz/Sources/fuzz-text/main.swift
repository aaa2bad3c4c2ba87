// libFuzzer's executable for KCFuzz.FuzzTarget.text (Tools/fuzz.sh text SECONDS).
import KCFuzz

FuzzTarget.text.runLibFuzzer()
