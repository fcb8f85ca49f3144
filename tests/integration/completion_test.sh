#!/usr/bin/env bash
# bash's completion for vfw, as a user meets it (the script `vfw completion bash` prints, sourced
# into bash, asked what follows the words typed), and the manual page: every option of every
# subcommand that --help lists is in docs/vfw.1.md under its subcommand, and the page that
# lowdown made from it renders without a warning.
#
# usage: completion_test.sh VFW SOURCE_DIR BUILD_DIR
set -u
vfw=$1 source=$2 build=$3
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vfw" completion bash > "$work/vfw.bash" || fail "vfw completion bash exited $?"
bash -n "$work/vfw.bash" || fail "the completion script is not valid bash"
[[ -s "$build/vfw.bash-completion" ]] || fail "the build made no vfw.bash-completion"

# What bash offers after WORDS (the last one is the word being completed), one per line, sorted;
# then "compopt ARGS" for what it asked of readline (-o default: readline's own file names, which
# know ~, spaces and folders; -o dirnames: folders), as a compopt that records instead of acting.
offered() {
  (cd "$work/files" && bash -c '
    compopt() { printf "compopt %s\n" "$*" >>"$OPTS"; }
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    : >"$OPTS"
    _vfw_complete
    { printf "%s\n" "${COMPREPLY[@]}" | sort; cat "$OPTS"; } | grep -v "^$"' \
    _ "$work/vfw.bash" "$@")
}
export OPTS="$work/compopt"
expect() {  # expect "WANTED" WORDS...: the offers are exactly WANTED (space-separated)
  local want=$1; shift
  local got
  got=$(offered "$@" | tr '\n' ' ' | sed 's/ $//')
  [[ "$got" == "$want" ]] || fail "vfw ${*:2}<Tab> offered [$got], expected [$want]"
}
mkdir -p "$work/files/configs" && touch "$work/files/configs/fw1.cfg" "$work/files/seedling.yml"

expect "packet-trace" vfw pac
expect "--repeat --replay --reverse" vfw packet-trace --re
expect "--input" vfw packet-trace --config configs/fw1.cfg --inp
# After a flag (no value), options again; after a value option's value too.
expect "--repeat --replay --reverse" vfw packet-trace --config x --json --re
expect "--netns" vfw export nft --apply --ne
expect "icmp tcp udp" vfw diagnose --config x --protocol ""
expect "icmp tcp udp" vfw packet-trace --protocol ""
expect "nft" vfw export ""
expect "--apply" vfw export nft --ap
expect "kernel vfw" vfw run --dataplane ""
# --option=value, as bash splits it at '=' and as one word.
expect "kernel" vfw run --dataplane = k
expect "kernel" vfw run --dataplane=k
expect "compopt -o default" vfw --config=fw
expect "bash" vfw completion ""
# Files and folders: readline's own completion, asked for.
expect "compopt -o default" vfw packet-trace --config con
expect "compopt -o default" vfw check configs/f
expect "compopt -o dirnames" vfw run --keys "~/.con"
expect "seed seedling.yml compopt -o default" vfw lab see
expect "" vfw packet-trace --source ""
# An option's value is not a subcommand: `--config cli` stays in the top level.
expect "--config" vfw --config cli --conf
expect "--attach" vfw lab seed --att

# The manual: each subcommand's options, as its --help lists them, are in its section.
page="$source/docs/vfw.1.md"
section() {  # the lines of docs/vfw.1.md under "## vfw WORDS", up to the next heading
  awk -v h="## vfw $1" '$0 == h {on = 1; next} /^#/ {on = 0} on' "$page"
}
subcommands=$("$vfw" --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}')
[[ -n "$subcommands" ]] || fail "vfw --help lists no subcommands"
check_section() {  # check_section "WORDS": the options --help lists for vfw WORDS are documented
  local words=$1 text options
  text=$(section "$words")
  [[ -n "$text" ]] || { fail "docs/vfw.1.md has no section ## vfw $words"; return; }
  # shellcheck disable=SC2086
  options=$("$vfw" $words --help | awk '/^Options:/ {on = 1; next} /^[A-Z]/ {on = 0} on' |
            grep -oE '^ +(-[a-z],)?--[a-z-]+|^ +-[a-z]\b' | sed 's/.*,//; s/^ *//' |
            grep -vx -- '--help')
  for o in $options; do
    grep -qF -- "**$o**" <<< "$text" || fail "docs/vfw.1.md ## vfw $words does not document $o"
  done
  # Positionals (CONFIG, FILE, SHELL) are documented as *NAME*.
  for p in $("$vfw" $words --help | awk '/^Positionals:/ {on = 1; next} /^[A-Z]/ {on = 0} on' |
             awk 'NF {print $1}'); do
    grep -qF -- "*$p*" <<< "$text" || fail "docs/vfw.1.md ## vfw $words does not document $p"
  done
}
for s in $subcommands; do
  if [[ $s == export ]]; then
    for e in $("$vfw" export --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}'); do
      check_section "export $e"
    done
  else
    check_section "$s"
  fi
done
grep -q '^\*\*vfw completion bash\*\*' "$page" || fail "the synopsis lacks vfw completion"

# The page lowdown made: a man page (.TH), every heading, and groff renders it without a warning.
man_page="$build/vfw.1"
if [[ -f "$man_page" ]]; then
  grep -q '^\.TH "VFW" "1"' "$man_page" || fail "vfw.1 has no .TH VFW 1"
  for h in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" "SEE ALSO"; do
    grep -qx "$h" "$man_page" || fail "vfw.1 has no $h section"
  done
  # No smart dashes: an option must stay --config when copied from the page.
  grep -q '\\(en' "$man_page" && fail "vfw.1 turned -- into an en dash"
  warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
  [[ -z "$warnings" ]] || fail "groff warns on vfw.1: $warnings"
else
  fail "the build made no vfw.1 (lowdown missing?)"
fi

# README: cmake --install puts vfw, its manual page and its completion where man and
# bash-completion look.
if cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1; then
  for f in bin/vfw share/man/man1/vfw.1 share/bash-completion/completions/vfw; do
    [[ -s "$work/prefix/$f" ]] || fail "cmake --install did not install $f"
  done
  cmp -s "$work/prefix/share/bash-completion/completions/vfw" "$work/vfw.bash" ||
    fail "the installed completion is not what vfw completion bash prints"
else
  fail "cmake --install failed: $(tail -3 "$work/install.log")"
fi

if ((failures)); then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
