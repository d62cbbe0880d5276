#!/usr/bin/env bash
# Issue 12: `issue` of every date of the national agreement, one after another, into a new
# register, as a finance officer would over ten years.
#   bash benches/issue.sh [REGISTRATIONS] [DATES...]
# REGISTRATIONS defaults to 200000; DATES default to the 20 due dates of the generated pools
# (1 March and 1 September, 2016-2025), which are also the dates whose user fees, corrections
# and cash flow are computed from the dates before them. ALL_DATES=1 issues the 20 period
# starts (1 January, 1 July) as well, 40 dates in all.
# Prints each date's wall time, CPU time and peak memory (/usr/bin/time -v) and the totals
# (the machine is shared: CPU time is the steadier figure).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
shift || true
cargo build --release -q -p billing-report
cargo build --release -q -p benches --bin gen_agreement
BR=$PWD/target/release/billing-report
d=/tmp/national-$n
[ -d "$d/csv" ] || target/release/gen_agreement --registrations "$n" --out "$d" --no-xlsx >/dev/null
dates=("$@")
if [ ${#dates[@]} -eq 0 ]; then
  for y in $(seq 2016 2025); do
    [ -n "${ALL_DATES:-}" ] && dates+=("$y-01-01")
    dates+=("$y-03-01")
    [ -n "${ALL_DATES:-}" ] && dates+=("$y-07-01")
    dates+=("$y-09-01")
  done
fi
work=$(mktemp -d /tmp/issue-bench.XXXXXX)
cp -r "$d/csv" "$work/csv"
reg=$work/register.sqlite
total=0
cpu_total=0
peak=0
new=--new-register
echo "| date | wall s | CPU s (user+sys) | peak RSS MB |"
echo "|---|---|---|---|"
for date in "${dates[@]}"; do
  log=$work/time.log
  /usr/bin/time -v "$BR" issue "$work/csv" --date "$date" --register "$reg" --out "$work/out-$date" \
    $new --quiet 2>"$log" >/dev/null || { cat "$log"; exit 1; }
  new=
  wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  mem=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
  cpu=$(grep -E 'User time|System time' "$log" | awk '{s += $NF} END {print s}')
  total=$(echo "$total + $secs" | bc)
  cpu_total=$(echo "$cpu_total + $cpu" | bc)
  [ "$mem" -gt "$peak" ] && peak=$mem
  printf '| %s | %s | %s | %d |\n' "$date" "$secs" "$cpu" $((mem / 1024))
done
printf '| all %d dates | %s | %s | %d |\n' "${#dates[@]}" "$total" "$cpu_total" $((peak / 1024))
rm -rf "$work"
