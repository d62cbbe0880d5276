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
# 30,000 files, 850 MB) are written, default /tmp.
# KEEP=1 leaves that folder in place (its path is printed) instead of deleting it at the end.
#
# Measuring on ext4: do not run this within minutes of deleting many files on the same file
# system (as this bench itself does at its end, unless KEEP=1). On an ext4 without a journal,
# as on this machine's /work and /tmp, creating a file skips every free inode of its group that
# was deleted in the last 60 s (360 s while its inode table block is still dirty; the kernel's
# recently_deleted()), and looking each one up costs more the more were deleted: right after
# the 30,000 files of a previous run were deleted, half of a run's CPU time was in openat
# (perf: find_get_block_common under recently_deleted), 8-11 s wall instead of 4-6 s. Series
# below: KEEP=1 (or the folders kept and deleted after the series), a new folder each run.
#
# How the files reach the disk (output.rs, Staged): each issued folder's files are written,
# then ONE syncfs(2) of the file system through a handle on the folder opened before its first
# file (Linux >= 5.17 on ext2/3/4, XFS, Btrfs or tmpfs, where syncfs reports every writeback
# error since that handle was opened); elsewhere each file is synced (fdatasync) in the
# background by the Syncer as soon as it is written. Then the folders are synced, the register
# commits the date's numbers, and the folder is renamed into place. `issue --through` overlaps
# dates: date N is committed on a thread of its own while the main thread computes the next
# date and renders it in memory, numbered as the register is expected to number it (used only
# if the register gives exactly those numbers; capped at 2,000 invoices and 64 MiB a date).
#
# Figures (200,000 registrations, 40 dates, 30,459 files, 858 MB), quiet machine (load 0.7-1.3),
# nothing deleted on the file system during a series:
#   2026-11-30 21:27-21:32 UTC, KEEP=1 BR=<binary> BENCH_DIR=/work/keep/<new folder> bash
#   benches/issue.sh, 10 s apart; main b96fdf3 (syncfs) and 953cf41 (per-file fdatasync):
#     ext4 (/work): b96fdf3 3.65 / 3.74 / 5.28 / 5.16 / 5.66 / 4.37 / 3.83 / 3.80 / 3.76 / 3.75 /
#                   3.70 s wall (6.2-6.4 s CPU in the runs under 4 s, 7.2-9.1 s in the others,
#                   which came together in one minute), 183-212 MB;
#                   953cf41 6.08 / 6.00 / 6.27 s wall (10.0-10.4 s CPU), 138-141 MB (alternating
#                   with the first three of b96fdf3).
#     tmpfs (BENCH_DIR=/dev/shm): b96fdf3 3.19 / 3.09 s (5.8 s CPU); 953cf41 4.02 / 3.84 s (7.0-
#                   7.3 s CPU), alternating.
#   The same command line without the script (a sync and 8 s before each run, /usr/bin/time):
#   b96fdf3 3.76 / 3.99 / 3.77 / 3.91 / 3.92 s wall (5.2-5.5 s user, 1.1-1.3 s system).
#   Write requests of one run (/sys/block/vda/stat, 20:23-20:28 UTC): 4,640-4,670 with syncfs,
#   96,600-108,000 with per-file fdatasync.
#   COMPARE=953cf41's binary (BENCH_DIR=/dev/shm): the 40 folders and the register are the same.
# Earlier figures of the same bench (all 40 dates): d02d0d1 (no overlap, per-file sync) 8.92-9.16
# s on ext4 and 3.92 s on tmpfs; 418a3ef (overlap, per-file sync) 4.55-5.09 s on ext4 (19:24 UTC,
# 25 s after deletions, so possibly slowed as above) and 3.17-3.21 s on tmpfs.
# syncfs was tried first at 14:20 UTC on a machine under load (other helpers building on the
# same file system, 0.7-1.6 GB dirty in /proc/meminfo, load 4-10), where it was slower than
# per-file fdatasync (ext4 23-26 s against 14.5-15.4 s): syncfs writes every dirty page of the
# file system, other processes' too. Its cost thus grows with what else is being written to the
# same file system at the moment; the per-file sync's cost grows with the number of files.
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
# Deletes the bench's folders, or with KEEP=1 says where they are (see above: deleting 30,000
# files slows the file creation of the next run on ext4 without a journal).
finish() {
  if [ -n "${KEEP:-}" ]; then echo "kept: $*"; else rm -rf "$@"; fi
}
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
    finish "$work" "$cmp"
    [ -n "$same" ] || { echo "the issued folders differ from those of $COMPARE"; exit 1; }
    [ -n "$same_register" ] || { echo "the register differs from that of $COMPARE"; exit 1; }
    echo "the $issued issued folders and the register are byte-identical to those of $COMPARE"
    exit 0
  fi
  finish "$work"
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
finish "$work"
