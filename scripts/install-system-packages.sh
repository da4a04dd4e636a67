#!/usr/bin/env bash
# Install the Debian packages dongxi's tests and PDFs need, if any is missing (idempotent).
#   chromium            headless browser for tests/browser (Playwright drives /usr/bin/chromium)
#   fonts-noto-cjk      Chinese glyphs for pages rendered in Chromium
#   fonts-wqy-microhei  the TrueType Chinese font embedded in generated PDFs
#   postgresql          the server the tests use, and initdb/pg_ctl for tests/failure's own cluster
#   redis-server        the Redis the tests use, and the binary tests/failure runs a private one with
#   poppler-utils       pdftoppm: the PDF tests render their pages to test-artifacts/pdf/ to be looked at
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk fonts-wqy-microhei postgresql redis-server poppler-utils)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${PACKAGES[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} — run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]} …"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
