#!/usr/bin/env bash
# Issue 12: the national agreement side by side with the pandas peer.
#   bash benches/national.sh [REGISTRATIONS...]      (default: 200000 999999 2000000)
# Builds release, generates each agreement under /tmp/national-N, runs `check`, `run` of one
# date (CSV folder and, where it fits a sheet, xlsx) and the pandas script under
# /usr/bin/time -v, and prints wall time, CPU time (steadier on a shared machine) and peak
# memory. `run` writes the files of the invoices on every core (`, one core`: pinned to one
# with taskset, the CPU time without parallel writing). BR=path measures another build.
# `benches/issue.sh` issues every date.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BR:-}" ] || cargo build --release -q -p billing-report
cargo build --release -q -p benches --bin gen_agreement
python3 -c 'import pandas, openpyxl' 2>/dev/null || pip install -q pandas openpyxl
BR=${BR:-target/release/billing-report}
DATE=${DATE:-2020-09-01}
measure() { # label command...
  local log; log=$(mktemp)
  if /usr/bin/time -v "${@:2}" >"$log.out" 2>"$log"; then s=ok; else s="exit $?"; fi
  local wall mem
  wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
  mem=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
  local cpu; cpu=$(grep -E 'User time|System time' "$log" | awk '{s += $NF} END {print s}')
  printf '| %-42s | %10s | %6s s | %8d MB | %s |\n' "$1" "$wall" "$cpu" $((mem / 1024)) "$s"
  grep -h 'agree on' "$log" || true
  rm -f "$log" "$log.out"
}
echo "| step | wall | CPU (user+sys) | peak RSS | status |"
echo "|---|---|---|---|---|"
for n in "${@:-200000 999999 2000000}"; do
  for n1 in $n; do
    d=/tmp/national-$n1
    [ -d "$d/csv" ] || target/release/gen_agreement --registrations "$n1" --out "$d" >/dev/null 2>&1
    measure "$n1 csv check" $BR check "$d/csv" --quiet
    measure "$n1 csv run $DATE" $BR run "$d/csv" --date "$DATE" --out "$d/out" --force --quiet
    measure "$n1 csv run $DATE, one core" taskset -c 0 $BR run "$d/csv" --date "$DATE" --out "$d/out" --force --quiet
    measure "$n1 csv run $DATE --only json,csv" $BR run "$d/csv" --date "$DATE" --out "$d/out-only" --force --quiet --only json,csv
    [ -f "$d/agreement.xlsx" ] && measure "$n1 xlsx run $DATE" $BR run "$d/agreement.xlsx" --date "$DATE" --out "$d/out-x" --force --quiet
    measure "$n1 pandas totals" python3 benches/pandas/totals.py "$d/csv" "$DATE" "$d/out/invoices.json"
  done
done
