#!/usr/bin/env bash
# Extra KenLM training text (filters/lm_reference_text.py) for en ko ru uk pl cs kk he: prose sentences
# of Debian's man pages (manpages-ru -uk -pl -cs, English manpages + manpages-dev: installed here,
# ~4 MB download), GNOME's help (gnome-user-docs, 8.5 MB), fortunes-ru -pl -cs (2 MB) and the
# Korean LibreOffice help (libreoffice-help-ko, 3.3 MB); these three are downloaded and unpacked,
# not installed (gnome-user-docs' yelp dependency pulls ~230 desktop packages); and the UA-GEC
# corpus wheel (ua-gec==2.1.3 from PyPI, 36 MB, `pip download`, read as a zip, not installed) for
# Ukrainian; and the Kazakh Firefox/Thunderbird language packs (firefox-esr-l10n-kk,
# thunderbird-l10n-kk, 1.1 MB, downloaded and unpacked, filters/lm_mozilla.py); and the Hebrew
# Wikipedia sentences of hebpipe's training data (hebpipe==4.0.2.0 sdist from PyPI, 9.8 MB, `pip
# download`, read as a tar archive, not installed; filters/lm_hebpipe.py);
# into asset_dir("kenlm-text"), with a manifest of packages, versions, licences and
# line counts. Runs before 21-kenlm-models.sh, which trains on it.
# Idempotent: skips when the text is up to date. Takes ~1 min (apt) + ~30 s (downloads of the
# unpacked packages and the wheel, extraction).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
if $PY -m filters.lm_reference_text --check 2>/dev/null; then
  exit 0
fi
pkgs=$($PY -c 'from filters.lm_reference_text import MAN_PACKAGES; print(" ".join(MAN_PACKAGES))')
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
$PY -m filters.lm_reference_text --force
