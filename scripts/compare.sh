#!/usr/bin/env bash
# Times smtpscope against lnav, grep -c and wc -l on one log, in one run, and prints ratios.
#
#   scripts/compare.sh [-r ROUNDS] [FILE]
#
# The viewer's load is timed through the benchmark binary (`--child viewer`), and so is a
# floor scan: the least work any Postfix loader does, as a bound for what can be reached.
# Every tool runs once per round, the tools taking turns (default 3 rounds), so a machine
# whose speed drifts during the run slows them all alike; the table shows each tool's median,
# fastest and slowest time and its highest peak RSS, and compares medians.
# Without FILE it generates a 1 GiB Postfix maillog (target/bench/postfix-1024MiB.log) with
# `cargo run --release --example gen`. Builds smtpscope in release mode if needed. Installs
# nothing: without lnav (Debian/Ubuntu: `sudo apt-get install lnav`) that row is skipped.
# Needs GNU time (/usr/bin/time, Debian package `time`). Run twice for a warm page cache; the
# first run reads the file once before timing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
if [[ "${1:-}" == "-r" ]]; then
    rounds="${2:?-r needs a number of rounds}"
    shift 2
fi
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: -r needs a positive number" >&2; exit 1; }
file="${1:-}"
if [[ -z "$file" ]]; then
    file=target/bench/postfix-1024MiB.log
    if [[ ! -s "$file" ]]; then
        mkdir -p target/bench
        cargo run --quiet --release --example gen -- postfix 1024 \
            --expected target/bench/postfix-1024MiB.expected.json > "$file"
    fi
fi
[[ -x /usr/bin/time ]] || { echo "compare.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
cargo build --quiet --release --bin smtpscope --example bench
smtpscope=target/release/smtpscope
bench=target/release/examples/bench

cat "$file" > /dev/null # warm the page cache
# -L: the size of the file a symlink names, not of the link.
size=$(stat -L -c %s "$file")
printf 'file: %s (%.0f MiB), %s cores, %s rounds\n\n' "$file" "$(echo "$size / 1048576" | bc -l)" "$(nproc)" "$rounds"

# Per tool: its times (one per round, space-separated) and its highest peak RSS in KiB.
declare -A secs rss
names=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Runs one command under /usr/bin/time -v; records wall seconds and peak RSS (MiB).
measure() {
    local name="$1"
    shift
    local log
    log=$(mktemp)
    # Output goes to a file, not /dev/null: GNU grep stops at the first match when it sees
    # its output is /dev/null.
    /usr/bin/time -v -o "$log" "$@" > "$out" 2>&1 || true
    local wall kb
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    rm -f "$log"
    [[ -v "secs[$name]" ]] || names+=("$name")
    # m:ss.cc or h:mm:ss
    secs[$name]+=" $(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
    if (( ${kb:-0} > ${rss[$name]:-0} )); then rss[$name]=$kb; fi
}

# The median, fastest and slowest of a list of times.
stats() {
    tr ' ' '\n' <<< "$1" | sed '/^$/d' | sort -g | awk '
        { t[NR] = $1 }
        END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print m, t[1], t[NR] }'
}

lnav_name=
if command -v lnav > /dev/null; then
    lnav_name="lnav $(lnav -V | head -1 | awk '{print $2}') (syslog count)"
else
    echo "(lnav not installed: sudo apt-get install lnav — row skipped)"
fi
for ((round = 1; round <= rounds; round++)); do
    printf 'round %d of %d…\n' "$round" "$rounds" >&2
    measure 'smtpscope --list' "$smtpscope" --list "$file"
    measure 'smtpscope --json' "$smtpscope" --json "$file"
    # The viewer's background load to the last row (then one filter change and a frame).
    measure 'smtpscope viewer (bench)' "$bench" --child viewer "$file"
    # Not a tool: the least a Postfix loader does (split lines, read headers, group by pid and
    # queue id), on both cores; see examples/bench.rs.
    measure 'floor scan, 2 threads' "$bench" --child floor "$file" 2
    # The same plus two substring searches per grouped line: the least a dedicated Postfix
    # loader adds to decide statuses (still no rows, no ids, no join of the halves).
    measure 'floor + classify, 2 threads' "$bench" --child floor "$file" 2 classify
    measure 'grep -c smtpd' grep -c smtpd "$file"
    measure 'wc -l' wc -l "$file"
    if [[ -n "$lnav_name" ]]; then
        measure "$lnav_name" lnav -n -c ';SELECT count(*) FROM syslog_log' "$file"
    fi
done

printf '%-28s %9s %9s %9s %9s %10s %10s\n' tool median fastest slowest 'RSS MiB' 'vs --list' 'lnav / it'
read -r base _ _ <<< "$(stats "${secs['smtpscope --list']}")"
lnav_median=
if [[ -n "$lnav_name" ]]; then
    read -r lnav_median _ _ <<< "$(stats "${secs[$lnav_name]}")"
fi
for name in "${names[@]}"; do
    read -r median fastest slowest <<< "$(stats "${secs[$name]}")"
    faster=-
    if [[ -n "$lnav_median" ]]; then
        faster=$(printf '%.2fx' "$(echo "$lnav_median / $median" | bc -l)")
    fi
    printf '%-28s %9.3f %9.3f %9.3f %9.0f %9.2fx %10s\n' "$name" "$median" "$fastest" "$slowest" \
        "$(echo "${rss[$name]} / 1024" | bc -l)" "$(echo "$median / $base" | bc -l)" "$faster"
done
printf '\nSeconds of wall time over %s rounds; RSS: the highest peak of any round.\n' "$rounds"
printf '"vs --list": median time relative to smtpscope --list'"'"'s (above 1: slower than smtpscope).\n'
printf '"lnav / it": how many times faster than lnav (medians); the target for loading is 10x.\n'
printf 'RSS / file size for smtpscope --list: %.2f\n' "$(echo "${rss['smtpscope --list']} * 1024 / $size" | bc -l)"
