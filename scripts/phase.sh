# Sourced by the other scripts: one line as each long phase starts (what it is, how long a first run
# of it takes on a 2-core machine) and one as it ends (how long it took), so a first run that takes
# many minutes always says where it is; cargo, trunk and npm print their own progress in between.
phase() {
  local label=$1 first_time=$2
  shift 2
  local start=$SECONDS
  printf '\n== %s (a first run: %s)\n' "$label" "$first_time"
  "$@"
  local took=$((SECONDS - start))
  printf '== %s: done in %dm%02ds\n' "$label" $((took / 60)) $((took % 60))
}
