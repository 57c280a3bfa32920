#!/usr/bin/env bash
# Fuzz campaign (issue 14 §4): every cargo-fuzz target for a configurable time, then corpus
# minimization, then (optionally) a coverage report of the parser code each target never reached.
#
# CI's fuzz section (.ci/run) runs each target for 20 s as a smoke test; this script is the long
# form, run by hand:
#
#   fuzz/campaign.sh                                   # every target, 600 s each
#   FUZZ_SECONDS=5 TARGETS="jws_parse jwk_parse" fuzz/campaign.sh
#   COVERAGE=1 FUZZ_SECONDS=3600 fuzz/campaign.sh      # and write fuzz/coverage/REPORT.md
#   COVERAGE=1 FUZZ_SECONDS=0 CMIN=0 fuzz/campaign.sh  # only the report, on the corpora as they are
#
# Environment:
#   FUZZ_SECONDS     seconds of fuzzing per target (libFuzzer -max_total_time), default 600;
#                    0: no fuzzing, only minimization and/or coverage of the corpus as it is
#   TARGETS          space-separated target names to run instead of all (`cargo fuzz list`)
#   COVERAGE=1       also build coverage-instrumented binaries, replay each minimized corpus and
#                    summarize what was never covered in fuzz/coverage/REPORT.md
#   COVERAGE_REPORT  where that summary goes instead (relative to fuzz/), e.g. to report on
#                    the targets in several batches
#   CMIN=0           skip corpus minimization
#   FUZZ_TARGET_DIR  cargo target directory for the fuzz builds, relative to fuzz/ unless absolute
#                    (default: fuzz/target; coverage builds go to fuzz/target/<host>/coverage,
#                    or to $FUZZ_TARGET_DIR/coverage)
#   FUZZ_ARGS        extra libFuzzer flags for the fuzzing runs (e.g. "-fork=2 -timeout=10")
#   TOOLCHAIN        rustup toolchain cargo-fuzz runs with, default nightly
#
# Exit status: 0 when no target found a crash; 1 when at least one did (the new artifacts are
# listed at the end; fix each at its cause and keep the input as a `seed-*` file in its corpus);
# 2 on a usage error. A failing build stops the script at once (set -e).
set -euo pipefail

FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
TARGETS="${TARGETS:-}"
COVERAGE="${COVERAGE:-0}"
CMIN="${CMIN:-1}"
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-}"
COVERAGE_REPORT="${COVERAGE_REPORT:-coverage/REPORT.md}"
FUZZ_ARGS="${FUZZ_ARGS:-}"
TOOLCHAIN="${TOOLCHAIN:-nightly}"

# cargo-fuzz works relative to the directory that holds fuzz/Cargo.toml; every path below is
# relative to it (corpus/<target>, artifacts/<target>, coverage/<target>).
cd "$(dirname "$0")"

case "$FUZZ_SECONDS" in
'' | *[!0-9]*)
    echo "FUZZ_SECONDS must be a whole number of seconds, got '$FUZZ_SECONDS'" >&2
    exit 2
    ;;
esac

section() { printf '\n=== %s ===\n' "$*"; }

# Build options shared by every cargo-fuzz command: release mode (-O, as CI builds the targets),
# and the caller's target directory if any.
build_opts=(-O)
if [ -n "$FUZZ_TARGET_DIR" ]; then
    build_opts+=(--target-dir "$FUZZ_TARGET_DIR")
fi
fuzz() { cargo "+$TOOLCHAIN" fuzz "$@"; }

# Step 0: the target list. Every target cargo-fuzz knows, or the subset named in TARGETS (each
# checked against the list, so a typo fails loudly instead of fuzzing nothing).
all_targets="$(fuzz list)"
if [ -n "$TARGETS" ]; then
    for t in $TARGETS; do
        if ! grep -qx -- "$t" <<<"$all_targets"; then
            echo "unknown fuzz target '$t'; known targets:" >&2
            echo "$all_targets" >&2
            exit 2
        fi
    done
    targets="$TARGETS"
else
    targets="$all_targets"
fi
# shellcheck disable=SC2086 # word splitting of the target list is intended
set -- $targets
echo "targets ($#): $*"
echo "fuzzing ${FUZZ_SECONDS}s per target; cmin=$CMIN; coverage=$COVERAGE"

# A time stamp file: artifacts newer than it were found by this campaign (older ones, left by
# earlier runs, are not reported again).
mkdir -p artifacts
stamp="$(mktemp "${TMPDIR:-/tmp}/fuzz-campaign.XXXXXX")"
trap 'rm -f "$stamp"' EXIT

# Step 1: build every target once up front, so the per-target runs below measure fuzzing time
# only and a build error stops the campaign before any time is spent.
if [ "$FUZZ_SECONDS" -gt 0 ] || [ "$CMIN" = 1 ]; then
    section "build"
    for t in "$@"; do
        fuzz build "${build_opts[@]}" "$t"
    done
fi

# Step 2: fuzz each target for FUZZ_SECONDS, from its corpus directory (committed `seed-*`
# inputs plus whatever earlier runs kept there). A crash ends that target's run early with a
# non-zero status and an artifact under artifacts/<target>/; the campaign goes on with the next
# target and reports all of them at the end. The libFuzzer flags match CI's (2 GiB RSS limit).
# The whole output of each run is kept in artifacts/campaign-logs/<target>.log (git ignores
# artifacts/); the console shows its last lines.
failed=()
logs="artifacts/campaign-logs"
mkdir -p "$logs"
for t in "$@"; do
    # FUZZ_SECONDS=0 would be libFuzzer's "no time limit": it means no fuzzing here.
    [ "$FUZZ_SECONDS" -gt 0 ] || break
    section "fuzz $t (${FUZZ_SECONDS}s)"
    mkdir -p "corpus/$t"
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if ! fuzz run "${build_opts[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=1 $FUZZ_ARGS \
        >"$logs/$t.log" 2>&1; then
        failed+=("$t")
        # The finding: libFuzzer's report, from its first ERROR line on.
        # (awk, not `| head`: under pipefail, head closing the pipe early would fail the script.)
        awk '/^==[0-9]+==|ERROR: libFuzzer|panicked at/ { on = 1 } on && n++ < 40' "$logs/$t.log"
    fi
    tail -n 6 "$logs/$t.log"
done

# Step 3: corpus minimization. `cargo fuzz cmin` merges the corpus into a fresh directory
# (libFuzzer -merge=1) keeping only inputs that add coverage, and renames every kept input to
# its content hash. The committed `seed-*` files are put aside first and back afterwards, so
# minimization never deletes or renames a seed that git tracks (a seed may then also be present
# under its hash name; that costs one extra execution per run).
if [ "$CMIN" = 1 ]; then
    for t in "$@"; do
        section "cmin $t"
        seeds="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-seeds.XXXXXX")"
        find "corpus/$t" -maxdepth 1 -type f -name 'seed-*' -exec cp -p {} "$seeds/" \;
        before="$(find "corpus/$t" -maxdepth 1 -type f | wc -l)"
        fuzz cmin "${build_opts[@]}" "$t" "corpus/$t" -- -rss_limit_mb=2048 2>&1 | tail -n 2
        cp -pR "$seeds/." "corpus/$t/"
        rm -rf "$seeds"
        after="$(find "corpus/$t" -maxdepth 1 -type f | wc -l)"
        echo "corpus/$t: $before -> $after inputs"
    done
fi

# Step 4 (COVERAGE=1): replay each minimized corpus through a coverage-instrumented build
# (`cargo fuzz coverage` writes coverage/<target>/coverage.profdata), then ask llvm-cov, from the
# toolchain's own llvm-tools, what in the workspace crates was never reached. The report lists
# per target: the totals, the files with missed regions, and the functions never entered.
if [ "$COVERAGE" = 1 ]; then
    section "coverage"
    rustup component add --toolchain "$TOOLCHAIN" llvm-tools-preview >/dev/null
    sysroot="$(rustc "+$TOOLCHAIN" --print sysroot)"
    host="$(rustc "+$TOOLCHAIN" -vV | sed -n 's/^host: //p')"
    llvm_cov="$sysroot/lib/rustlib/$host/bin/llvm-cov"
    [ -x "$llvm_cov" ] || {
        echo "llvm-cov not found at $llvm_cov" >&2
        exit 2
    }
    # Where cargo-fuzz puts the coverage binary: its own default, or ours when a target dir is set.
    cov_opts=(-O)
    if [ -n "$FUZZ_TARGET_DIR" ]; then
        cov_dir="$FUZZ_TARGET_DIR/coverage"
        cov_opts+=(--target-dir "$cov_dir")
    else
        cov_dir="target/$host/coverage"
    fi
    # Function names in the coverage mapping are mangled; rustfilt (`cargo install rustfilt`)
    # turns them back into Rust paths when it is on PATH, else the report keeps them mangled.
    demangler="$(command -v rustfilt || true)"
    if [ -z "$demangler" ]; then
        echo "rustfilt not on PATH: function names in the report stay mangled" >&2
    fi
    # Only our crates count: dependencies, the standard library and the fuzz harnesses are
    # left out of every table.
    ignore='(\.cargo/registry|\.cargo/git|/rustc/|/library/|fuzz_targets/)'
    mapfile -t sources < <(find "$PWD/../crates" -path '*/src/*' -name '*.rs' | sort)
    report="$COVERAGE_REPORT"
    mkdir -p coverage "$(dirname "$report")"
    {
        echo "# Fuzz coverage report"
        echo
        if [ "$FUZZ_SECONDS" -gt 0 ]; then
            fuzzed="${FUZZ_SECONDS}s of fuzzing per target"
        else
            fuzzed="no fuzzing in this run (the corpora as earlier runs left them)"
        fi
        echo "Generated by \`fuzz/campaign.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')," \
            "$fuzzed, corpus minimized: $CMIN."
        echo "Regions and functions of the workspace crates only (crates/*/src)."
    } >"$report"
    for t in "$@"; do
        echo "coverage: $t"
        # The build and the replay are long and verbose; keep only the end (a failure shows there).
        fuzz coverage "${cov_opts[@]}" "$t" "corpus/$t" 2>&1 | tail -n 2
        bin="$cov_dir/$host/release/$t"
        prof="coverage/$t/coverage.profdata"
        cov=("$llvm_cov" report "$bin" -instr-profile="$prof" -ignore-filename-regex="$ignore")
        if [ -n "$demangler" ]; then
            cov+=(-Xdemangler="$demangler")
        fi
        {
            echo
            echo "## $t"
            echo
            echo "Corpus: $(find "corpus/$t" -maxdepth 1 -type f | wc -l) inputs."
            echo
            # The TOTAL row, then every file with at least one missed region, most missed first.
            # Columns of `llvm-cov report`: Filename, Regions, Missed Regions, Cover, Functions,
            # Missed Functions, Executed, Lines, Missed Lines, Cover, [Branches ...].
            echo '| file | regions | missed regions | cover | functions | missed functions |'
            echo '|---|---:|---:|---:|---:|---:|'
            "${cov[@]}" 2>/dev/null | awk '
                $1 == "TOTAL" { total = sprintf("| **total** | %s | %s | %s | %s | %s |", $2, $3, $4, $5, $6) }
                $1 ~ /\.rs$/ && $3 > 0 { printf "%s\t| %s | %s | %s | %s | %s | %s |\n", $3, $1, $2, $3, $4, $5, $6 }
                END { if (total != "") print "999999999\t" total }
            ' | sort -t "$(printf '\t')" -k1,1nr | cut -f2-
            echo
            # Functions never entered (every region missed), grouped by file, from the
            # per-function listing of each source file (at most 200 per target). The numeric columns are counted from the right, since demangled
            # names may contain spaces.
            echo "Functions never entered:"
            echo
            "${cov[@]}" -show-functions "${sources[@]}" 2>/dev/null | awk '
                /^File / { file = $2; gsub(/[\x27:]/, "", file); sub(/.*\/crates\//, "", file); next }
                $1 == "Name" { numeric = NF - 1; next }
                numeric > 0 && NF > numeric && $(NF - numeric + 1) ~ /^[0-9]+$/ {
                    regions = $(NF - numeric + 1); missed = $(NF - numeric + 2)
                    name = $1
                    for (i = 2; i <= NF - numeric; i++) name = name " " $i
                    if (name != "TOTAL" && regions > 0 && regions == missed) printf "%s\t- `%s` (%s)\n", file, name, file
                }
            ' | sort -u | cut -f2- | awk 'NR <= 200'
        } >>"$report"
    done
    echo "wrote fuzz/$report"
fi

# Step 5: the verdict. Every crash-*, leak-*, timeout-* and oom-* artifact written since the
# campaign started is listed; any of them, or a target whose run failed, makes the campaign
# fail. slow-unit-* artifacts are listed as a warning only.
section "result"
mapfile -t found < <(find artifacts -type f -newer "$stamp" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
mapfile -t slow < <(find artifacts -type f -newer "$stamp" -name 'slow-unit-*' | sort)
for a in "${slow[@]}"; do
    echo "slow input (not a failure): fuzz/$a"
done
if [ "${#failed[@]}" -gt 0 ] || [ "${#found[@]}" -gt 0 ]; then
    echo "targets that stopped on a finding: ${failed[*]:-(none)}"
    echo "logs: fuzz/$logs/<target>.log"
    echo "new artifacts (reproduce with: cd fuzz && cargo +$TOOLCHAIN fuzz run -O <target> <artifact>):"
    for a in "${found[@]}"; do
        echo "  fuzz/$a"
    done
    exit 1
fi
echo "no crashes in $# targets"
