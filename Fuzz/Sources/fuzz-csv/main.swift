// libFuzzer's executable for KCFuzz.FuzzTarget.csv (Tools/fuzz.sh csv SECONDS).
import KCFuzz

FuzzTarget.csv.runLibFuzzer()
