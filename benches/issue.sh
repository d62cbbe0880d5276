#!/usr/bin/env bash
# Issue 12: issuing every date of the national agreement into a new register, as a finance
# officer taking over ten years of an agreement would.
#   bash benches/issue.sh [REGISTRATIONS] [DATES...]
# REGISTRATIONS defaults to 200000.
# By default: one `issue --through LAST` (LAST the last date given, default 2025-09-01), which
# reads the input once and issues every due date up to LAST in order, each in its own step:
# for the generated agreement the 20 pool due dates (1 March and 1 September, 2016-2025) and
# the 20 period starts (1 January and 1 July) that bill the user fees, 40 dates in all.
# ONE_BY_ONE=1: one `issue --date` per date instead, as before `--through` existed: by default
# the 20 due dates only (then the period starts are assumed billed as computed and issue
# nothing); ALL_DATES=1 issues the 40 dates that `--through` issues.
# The outputs of both are the same files (billing-report/tests/issue_through.rs).
# Prints wall time, CPU time and peak memory (/usr/bin/time -v): the machine is shared, CPU
# time is the steadier figure. ONE_CORE=1 runs on one core (taskset -c 0): no parallel writing.
# COMPARE=path: after the timed `issue --through`, the same run with the build at path (e.g.
# main's) into a second register and folder, untimed, `diff -r` of the issued folders and the
# registers' rows compared (sqlite3): the bench fails unless every file and row is the same.
# BR=path measures another build of billing-report (e.g. an older one, with ONE_BY_ONE=1).
# BENCH_DIR=folder: where the copy of the input, the register and the 40 issued folders (about
# 30,000 files, 850 MB) are written, default /tmp. File creation is slow where many files were
# recently deleted (as in /tmp), but for this benchmark a fresh folder under /work measured the
# same CPU time as /tmp (21-28 s both, 2 runs each, on a loaded machine).
# Figures (200,000 registrations, 40 dates, 30,459 files, 858 MB): on main 370c031, quiet,
# into /tmp on ext4 6.7-7.1 s wall, 10.6-11.6 s CPU; into tmpfs (BENCH_DIR=/dev/shm) 4.79 s
# wall, 8.48 s CPU. Each file is now synced in the background as soon as it is written (the
# Syncer of output.rs) instead of by the rendering thread that wrote the 256th file, waiting
# for the other 255. Measured 2026-11-30 13:00 UTC on a machine NOT quiet (load average 7.7-11
# on 2 cores, other helpers building and testing), 370c031 and 833ed81 (Syncer with the
# review's fixes; it also holds the other changes landed since 370c031, e.g. the streamed
# overview) alternating, 3 runs each, BR=<binary> BENCH_DIR=<dir> bash benches/issue.sh:
#   ext4 (/work/benchX): 370c031 31.7 / 41.5 / 41.4 s wall (10.4 / 14.2 / 15.0 s CPU);
#                        833ed81 27.4 / 27.4 / 24.9 s wall (13.5 / 12.3 / 11.8 s CPU)
#   tmpfs (/dev/shm):    370c031 24.0 / 19.5 / 22.6 s wall (8.9 / 8.6 / 8.6 s CPU);
#                        833ed81 16.1 / 13.4 / 17.2 s wall (8.1 / 8.1 / 8.2 s CPU)
# Under this load the new build's wall time is lower on both file systems in every pair, and its
# CPU time is about the same; the quiet-machine figures of the Syncer remain to be measured.
# COMPARE=370c031's binary (BENCH_DIR=/dev/shm): the 40 issued folders are byte-identical.
# Tried and NOT adopted (2026-11-30 14:20-14:45 UTC, branch fsync-syncfs, 0566f48): instead of
# one fdatasync per file, ONE syncfs(2) of the staged folder's file system after its last file
# (on Linux >= 5.17, ext4/XFS/Btrfs/tmpfs; the handle opened before the first file, so its
# writeback errors are reported). Byte-identical folders (COMPARE), but slower here, where other
# helpers build on the same file system (0.7-1.6 GB dirty in /proc/meminfo, load 4-10),
# alternating, BR=<binary> BENCH_DIR=<dir> bash benches/issue.sh, 60 s after each deletion:
#   ext4 (/work):     main 94cc3ec 14.5 / 15.1 / 15.4 s wall (9.7 / 10.0 / 10.8 s CPU);
#                     syncfs       24.0 / 26.2 / 23.2 s wall (11.2 / 11.8 / 11.8 s CPU)
#   tmpfs (/dev/shm): main  9.2 / 12.1 / 11.6 s wall (8.3 / 7.7 / 7.2 s CPU);
#                     syncfs 16.2 / 15.5 / 14.7 s wall (8.3 / 7.4 / 7.2 s CPU)
#   ext4 of its own (a loop-mounted image under /work, each flush an fsync of the image):
#                     main 38.5 s wall (9.5 s CPU), syncfs 18.5 s wall (8.1 s CPU), one run each
# Under strace -f -T on /work: main's 30,459 fdatasyncs took 2.8 ms each (84 s of thread time,
# overlapped with rendering by the Syncer's 16 threads); syncfs took 24-31 ms per date but its
# first call 0.96 s (it writes every dirty page of the file system, other processes' too), and
# it runs at the end of each date, overlapped with nothing. On tmpfs (syncfs 8 us) the syncfs
# build still lost 3-4 s of wall time at equal CPU: 160 voluntary context switches against
# main's 25,000-39,000 (/usr/bin/time -v) on a machine with 4-5 runnable tasks per core, so
# part of the difference is how the scheduler shares the cores, not the disk. A quiet machine
# may rank them otherwise; until that is measured the Syncer stays.
# Pipelined `--through` (2026-11-30, branch pipe): each date is committed by a thread of its
# own (its files synced, its register transaction committed, its folder renamed and synced)
# while the main thread computes the next date and renders it in memory, numbered as the
# register is expected to number it; those files are written only once the date before is
# committed, and only if the register gives exactly those numbers (else rendered again).
# Where the wall time of one date went before (d02d0d1, ext4 under /work, strace -f
# --seccomp-bpf -ttt -T -e fsync,fdatasync,rename,mkdir, load ~7): rendering and writing 12.9
# s of 16 s (the per-file fdatasyncs overlap with it, 16 threads), the main thread's folder
# syncs + SQLite commit (journal fsync x2, db fsync) 1.3 s, from one date's rename to the next
# date's first file (the parent's sync, the next date's compute and register inserts) 1.2 s:
# about 2.5 s a core idles, which the overlap fills. The run holds two dates at once: what is
# rendered ahead is capped at 2,000 invoices and 64 MiB of files a date (whole-date outputs
# included); a larger date is rendered when numbered, as before.
# Quiet machine (load 0.1-0.6), 2026-11-30 19:24 UTC, main 418a3ef (fat LTO) against d02d0d1,
# alternating, BR=<binary> BENCH_DIR=/work/bqN bash benches/issue.sh, a new folder each run,
# 25 s apart:
#   ext4 (/work):     418a3ef 4.55 / 5.09 / 5.03 s wall (7.92 / 8.79 / 8.4 s CPU), 185-204 MB;
#                     d02d0d1 8.92 / 9.16 s wall (14.69 / 15.23 s CPU), 112-115 MB
#   tmpfs (/dev/shm, 19:02 UTC, load 1.4-2): 418a3ef 3.21 / 3.17 s (6.0 s CPU), 180-189 MB;
#                     d02d0d1 3.92 s (7.15 s CPU), 120 MB
# Earlier, on a machine NOT quiet (17:31-17:43 UTC, load 6.3-8.1), the pipelined build and
# d02d0d1 differed by less than the noise: with the cores never idle, the overlap cannot show.
# COMPARE=d02d0d1's binary (BENCH_DIR=/dev/shm): the 40 folders and the register are the same.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
shift || true
[ -n "${BR:-}" ] || cargo build --release -q -p billing-report
BR=${BR:-$PWD/target/release/billing-report}
d=/tmp/national-$n
[ -d "$d/csv" ] || { cargo build --release -q -p benches --bin gen_agreement; target/release/gen_agreement --registrations "$n" --out "$d" --no-xlsx >/dev/null; }
dates=("$@")
if [ ${#dates[@]} -eq 0 ]; then
  for y in $(seq 2016 2025); do
    [ -n "${ALL_DATES:-}" ] && dates+=("$y-01-01")
    dates+=("$y-03-01")
    [ -n "${ALL_DATES:-}" ] && dates+=("$y-07-01")
    dates+=("$y-09-01")
  done
fi
pin=()
[ -n "${ONE_CORE:-}" ] && pin=(taskset -c 0)
work=$(mktemp -d "${BENCH_DIR:-/tmp}/issue-bench.XXXXXX")
cp -r "$d/csv" "$work/csv"
reg=$work/register.sqlite
log=$work/time.log
# Reads /usr/bin/time -v's log: wall seconds, CPU seconds (user+sys), peak RSS in kB.
figures() {
  local wall
  wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  mem=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
  cpu=$(grep -E 'User time|System time' "$log" | awk '{s += $NF} END {print s}')
}
echo "| what | wall s | CPU s (user+sys) | peak RSS MB |"
echo "|---|---|---|---|"
if [ -z "${ONE_BY_ONE:-}" ]; then
  last=${dates[${#dates[@]}-1]}
  /usr/bin/time -v "${pin[@]}" "$BR" issue "$work/csv" --through "$last" --register "$reg" \
    --out "$work/out" --new-register --quiet 2>"$log" >/dev/null || { cat "$log"; exit 1; }
  figures
  issued=$(find "$work/out" -mindepth 1 -maxdepth 1 -type d | wc -l)
  printf '| issue --through %s (%d dates) | %s | %s | %d |\n' "$last" "$issued" "$secs" "$cpu" $((mem / 1024))
  if [ -n "${COMPARE:-}" ]; then
    # In a folder of its own: a register beside another's issued folders refuses to issue.
    cmp=$(mktemp -d "${BENCH_DIR:-/tmp}/issue-compare.XXXXXX")
    cp -r "$d/csv" "$cmp/csv"
    "$COMPARE" issue "$cmp/csv" --through "$last" --register "$cmp/register.sqlite" \
      --out "$cmp/out" --new-register --quiet >/dev/null
    same=yes
    diff -r "$cmp/out" "$work/out" >/dev/null || same=
    [ -n "$same" ] || diff -rq "$cmp/out" "$work/out" | head
    # The registers row by row (where a folder was staged is a path of the run: only the date
    # and state of each publication are compared).
    rows() {
      sqlite3 "$1" "SELECT * FROM series; SELECT * FROM invoices; SELECT * FROM fee_lines;
        SELECT * FROM issue_dates; SELECT * FROM meta; SELECT * FROM credits;
        SELECT date, published FROM publications ORDER BY date;"
    }
    same_register=yes
    [ "$(rows "$reg")" = "$(rows "$cmp/register.sqlite")" ] || same_register=
    rm -rf "$work" "$cmp"
    [ -n "$same" ] || { echo "the issued folders differ from those of $COMPARE"; exit 1; }
    [ -n "$same_register" ] || { echo "the register differs from that of $COMPARE"; exit 1; }
    echo "the $issued issued folders and the register are byte-identical to those of $COMPARE"
    exit 0
  fi
  rm -rf "$work"
  exit 0
fi
total=0
cpu_total=0
peak=0
new=--new-register
for date in "${dates[@]}"; do
  /usr/bin/time -v "${pin[@]}" "$BR" issue "$work/csv" --date "$date" --register "$reg" \
    --out "$work/out-$date" $new --quiet 2>"$log" >/dev/null || { cat "$log"; exit 1; }
  new=
  figures
  total=$(echo "$total + $secs" | bc)
  cpu_total=$(echo "$cpu_total + $cpu" | bc)
  [ "$mem" -gt "$peak" ] && peak=$mem
  printf '| %s | %s | %s | %d |\n' "$date" "$secs" "$cpu" $((mem / 1024))
done
printf '| all %d dates one by one | %s | %s | %d |\n' "${#dates[@]}" "$total" "$cpu_total" $((peak / 1024))
rm -rf "$work"
