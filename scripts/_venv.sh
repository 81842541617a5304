# Sourced by the quick-start scripts: create .venv (Python >= 3.11) and install a requirements file.
# Usage: . scripts/_venv.sh requirements.txt
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
req="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
  py=""
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      py="$candidate"; break
    fi
  done
  [ -n "$py" ] || { echo "Vigía needs Python 3.11 or newer (python3.11 not found)" >&2; exit 1; }
  echo "Creating .venv with $py …" >&2
  "$py" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
fi
# Reinstall only when the requirements changed since the last install.
stamp=".venv/.installed-$(basename "$req")"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" <(cat requirements*.txt); then
  echo "Installing $req into .venv …" >&2
  .venv/bin/python -m pip install --quiet -r "$req" >&2
  cat requirements*.txt > "$stamp"
fi
