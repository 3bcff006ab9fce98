# Shared by the package tests: failure reporting, skipping, and systemd-analyze verify on a unit
# installed under a throwaway root.

failures=0
# check DESCRIPTION COMMAND...: runs COMMAND, reports DESCRIPTION as ok or FAILED.
check() {
  local what=$1; shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what" >&2
    failures=$((failures + 1))
  fi
}
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
finish() {
  if ((failures)); then echo "$failures check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}

# A tool a test needs but the build does not (.ci/run installs them): without it the test is
# skipped (CTest's SKIP_RETURN_CODE 77), unless ETAGD_REQUIRE_TEST_TOOLS=1 says it must run.
require_tool() {
  local tool=$1 package=$2
  command -v "$tool" > /dev/null && return 0
  if [ "${ETAGD_REQUIRE_TEST_TOOLS:-0}" = 1 ]; then
    echo "FAILED: $tool is missing (apt-get install $package)" >&2
    exit 1
  fi
  echo "skipped: $tool is missing (apt-get install $package)"
  exit 77
}

# verify_unit ROOT UNIT_PATH: systemd-analyze verify on ROOT/UNIT_PATH as if ROOT were /.
# verify loads the unit's dependencies (sysinit.target...), which a throwaway root lacks: the
# host's own units are copied in beside it, never over it. Man pages named by Documentation=
# are looked up in ROOT.
verify_unit() {
  local root=$1 unit=$2 dir
  dir=$root$(dirname "$unit")
  mkdir -p "$dir"
  local host_dir
  for host_dir in /lib/systemd/system /usr/lib/systemd/system; do
    [ -d "$host_dir" ] && cp -Rn "$host_dir"/. "$dir"/ 2> /dev/null
  done
  MANPATH=$root/usr/share/man:$root/usr/local/share/man \
    systemd-analyze verify --root="$root" "$unit"
}

# The first word of each Exec*= line of a unit, without systemd's prefixes (-, @, :, +, !).
unit_commands() {
  sed -n -E 's/^Exec[A-Za-z]*=[-@:+!]*([^ ]+).*/\1/p' "$1"
}
