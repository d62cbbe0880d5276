#!/usr/bin/env bash
# Side-by-side timing of `billing-report transactions` and DuckDB's GROUP BY (party, kind, month)
# over the same generated transactions file, with peak memory from /usr/bin/time -v.
#
# usage: bash benches/duckdb/compare.sh [ROWS] [FILE] [RUNS]
#   ROWS  rows to generate when FILE is missing (default 10000000: about 315 MB)
#   FILE  the transactions file (default /tmp/transactions-ROWS.csv; never commit it)
#   RUNS  runs of each (default 3)
# Installs what it needs: duckdb from PyPI, Debian's `time`. Not run by CI (too slow).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-10000000}
FILE=${2:-/tmp/transactions-$ROWS.csv}
RUNS=${3:-3}
PARTIES=testdata/municipalities-2016.csv

python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }

cargo build --release -q -p benches --bin gen_transactions -p billing-report
[ -f "$FILE" ] || ./target/release/gen_transactions "$ROWS" "$FILE"
SIZE=$(stat -c %s "$FILE")
echo "file: $FILE, $ROWS rows, $SIZE bytes; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$FILE" > /dev/null # into the page cache for both

measure() { # label command... → prints wall seconds and peak MiB
    local log
    log=$(mktemp)
    /usr/bin/time -v "${@:2}" > /dev/null 2> "$log"
    local wall peak
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
    peak=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$log")
    grep -h "duckdb query" "$log" || true
    echo "$1 $wall $peak"
    rm -f "$log"
}

OURS=/tmp/compare-ours.csv
THEIRS=/tmp/compare-duckdb.csv
for run in $(seq 1 "$RUNS"); do
    o=$(measure ours ./target/release/billing-report transactions "$FILE" --parties "$PARTIES" \
        --kinds login,signature,sms --out "$OURS" --quiet)
    d=$(python3 - "$FILE" "$THEIRS" <<'PY'
import subprocess, sys, tempfile, re
log = tempfile.NamedTemporaryFile(delete=False).name
out = subprocess.run(["/usr/bin/time", "-v", "-o", log, "python3", "benches/duckdb/groupby.py",
                      sys.argv[1], sys.argv[2]], capture_output=True, text=True, check=True)
text = open(log).read()
wall = text.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split("\n")[0]
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
query = float(re.search(r"in ([0-9.]+) s", out.stdout).group(1))
print(f"duckdb {secs} {peak:.1f} {query}")
PY
)
    read -r _ ow op <<< "$o"
    read -r _ dw dp dq <<< "$d"
    python3 - "$SIZE" "$ow" "$op" "$dw" "$dp" "$dq" "$run" <<'PY'
import sys
size, ow, op, dw, dp, dq, run = sys.argv[1:]
size, ow, op, dw, dp, dq = int(size), float(ow), float(op), float(dw), float(dp), float(dq)
mb = size / 1e6
print(f"run {run}: billing-report {ow:.2f} s ({mb / ow:.0f} MB/s), peak {op:.1f} MiB | "
      f"duckdb process {dw:.2f} s, query alone {dq:.2f} s ({mb / dq:.0f} MB/s), peak {dp:.1f} MiB | "
      f"ratio duckdb query / billing-report = {dq / ow:.2f}x")
PY
done
if cmp -s "$OURS" "$THEIRS"; then
    echo "outputs agree: $(($(wc -l < "$OURS") - 1)) groups (party, kind, month)"
else
    echo "OUTPUTS DIFFER: diff $OURS $THEIRS"
    exit 1
fi
