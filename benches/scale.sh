#!/usr/bin/env bash
# Issue 12 at scale: `check` and `run` of one date (every output, and --only json,csv) with
#   - 2,901 synthetic parties and 200,000 registrations (target: run under 2 s and 300 MB),
#   - 2,000,000 registrations of the 290 municipalities, CSV folder and xlsx + `users_file`
#     (target: check + run under 5 s and 600 MB),
#   - a parties-growth table: 1k, 3k, 10k, 30k, 100k synthetic parties with 200,000
#     registrations (target: check + run under 30 s at 100k, growth no worse than n log n).
#   - 100,000 synthetic parties, every output (`100k`, not in the default: the run with every
#     output takes about 62 s of CPU and 3.5 GB peak memory, `--only xlsx` 21 s and 1.9 GB,
#     since overview.xlsx is written row by row by output/sheet.rs (with rust_xlsxwriter
#     66 s and 5.5 GB, 25 s and 3.8 GB; measured on a loaded 2-core machine, wall times not
#     comparable); run it alone): overview.xlsx and audit.xlsx have tables longer than a
#     sheet's 1,048,576 rows, continued on further sheets.
#   bash benches/scale.sh [2901|2m|growth|100k ...]     (default: 2901 2m growth)
#   GROWTH="1000 10000 100000" bash benches/scale.sh growth    (the growth table's sizes;
#   default 1000 3000 10000 30000 100000): `check` and `run --only json,csv` of each.
# Wall time, CPU time (user + sys: steadier on a shared machine) and peak memory, from
# /usr/bin/time. Data is generated once under /tmp/scale-*.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p billing-report
cargo build --release -q -p benches --bin gen_agreement
BR=${BR:-$PWD/target/release/billing-report}
GEN=$PWD/target/release/gen_agreement
DATE=${DATE:-2020-09-01}
measure() { # label command...
  local log; log=$(mktemp)
  if /usr/bin/time -f '%e %U %S %M' -o "$log" "${@:2}" >/dev/null 2>"$log.err"; then s=ok; else s="exit $? $(head -c 200 "$log.err")"; fi
  read -r wall user sys mem <"$log"
  printf '| %-44s | %7s s | %7.2f s | %6d MB | %s |\n' "$1" "$wall" "$(echo "$user + $sys" | bc)" $((mem / 1024)) "$s"
  rm -f "$log" "$log.err"
}
gen() { # dir args...
  [ -d "$1/csv" ] || "$GEN" --out "$1" "${@:2}" >/dev/null 2>&1
}
echo "| step | wall | CPU (user+sys) | peak RSS | status |"
echo "|---|---|---|---|---|"
for what in "${@:-2901 2m growth}"; do
  for w in $what; do
    case $w in
      2901)
        d=/tmp/scale-2901
        gen $d --synthetic 2901 --registrations 200000 --no-xlsx
        measure "2,901 parties csv check" $BR check $d/csv --quiet
        # Every output into a new folder outside /tmp (OUT_DIR): on this machine creating files
        # where thousands were just deleted is several times slower (ext4 scans the recently
        # deleted inodes), and /tmp is where that happens. Then the same run replacing that
        # folder (--force), which deletes its 5,752 files and creates them again.
        out=$(mktemp -d "${OUT_DIR:-$PWD/target}/scale-2901-out.XXXXXX")
        measure "2,901 parties csv run, new folder" $BR run $d/csv --date "$DATE" --out "$out/out" --quiet
        measure "2,901 parties csv run --force (replaces)" $BR run $d/csv --date "$DATE" --out "$out/out" --force --quiet
        measure "2,901 parties csv run --only pdf" $BR run $d/csv --date "$DATE" --out "$out/pdf" --quiet --only pdf
        measure "2,901 parties csv run --only xlsx" $BR run $d/csv --date "$DATE" --out "$out/xlsx" --quiet --only xlsx
        rm -rf "$out"
        measure "2,901 parties csv run --only json,csv" $BR run $d/csv --date "$DATE" --out $d/out-only --force --quiet --only json,csv
        ;;
      2m)
        d=/tmp/scale-2m
        gen $d --registrations 2000000 --users-file
        # Outputs outside /tmp (OUT_DIR), as for 2901: creating files in /tmp is slow here.
        out=${OUT_DIR:-$PWD/target}/scale-2m-out
        mkdir -p "$out"
        measure "2M csv check" $BR check $d/csv --quiet
        measure "2M csv run" $BR run $d/csv --date "$DATE" --out "$out/all" --force --quiet
        measure "2M csv run --only json,csv" $BR run $d/csv --date "$DATE" --out "$out/only" --force --quiet --only json,csv
        measure "2M xlsx + users_file check" $BR check $d/agreement.xlsx --quiet
        measure "2M xlsx + users_file run" $BR run $d/agreement.xlsx --date "$DATE" --out "$out/xlsx" --force --quiet
        rm -rf "$out"
        ;;
      growth)
        for n in ${GROWTH:-1000 3000 10000 30000 100000}; do
          d=/tmp/scale-p$n
          gen $d --synthetic $n --registrations 200000 --no-xlsx
          # Each size measured three times (this machine's memory latency varies: report the
          # range); the run writes under OUT_DIR (default target/), not /tmp, where creating
          # files is slow, and its folder is removed after.
          for k in 1 2 3; do
            measure "$n parties check ($k)" $BR check $d/csv --quiet
          done
          out=${OUT_DIR:-$PWD/target}/scale-p$n-out
          for k in 1 2 3; do
            measure "$n parties run --only json,csv ($k)" $BR run $d/csv --date "$DATE" --out "$out" --force --quiet --only json,csv
          done
          rm -rf "$out"
        done
        ;;
      100k)
        d=/tmp/scale-p100000
        gen $d --synthetic 100000 --registrations 200000 --no-xlsx
        # Every output into a new folder outside /tmp (OUT_DIR), as for 2901, removed after.
        out=$(mktemp -d "${OUT_DIR:-$PWD/target}/scale-p100000-out.XXXXXX")
        measure "100,000 parties csv run, every output" $BR run $d/csv --date "$DATE" --out "$out/all" --quiet
        measure "100,000 parties csv run --only xlsx" $BR run $d/csv --date "$DATE" --out "$out/xlsx" --quiet --only xlsx
        measure "100,000 parties csv run --only audit" $BR run $d/csv --date "$DATE" --out "$out/audit" --quiet --only audit
        measure "100,000 parties csv run --only json,csv" $BR run $d/csv --date "$DATE" --out "$out/json" --quiet --only json,csv
        rm -rf "$out"
        ;;
      *) echo "unknown: $w (2901, 2m, growth or 100k)" >&2; exit 2 ;;
    esac
  done
done
