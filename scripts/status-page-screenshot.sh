#!/usr/bin/env bash
# Regenerates docs/status-page.png, the status page's screenshot in the README, from a real run: StatusPageTests
# starts pgvault and a throwaway cluster that archives its WAL through it, takes a DUMP and a BASE backup, drills
# the DUMP, takes a segment out of the archive, and (with -Dpgvault.statuspage.screenshot) saves the whole page as
# headless Chromium shows it at the end: the gap in red and the cluster at risk. Needs what the test needs
# (PostgreSQL, Debian's chromium and chromium-driver: .ci/run installs them).
#
#   scripts/status-page-screenshot.sh [output.png]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OUT=$(realpath -m "${1:-docs/status-page.png}")
mkdir -p "$(dirname "$OUT")"
./mvnw -B -q test -Dtest=StatusPageTests -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpgvault.statuspage.screenshot="$OUT"
echo "wrote $OUT"
