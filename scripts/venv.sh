# Sourced by ./os1 and ./test: makes .venv with Python >= 3.11 and installs os1 into it (with the extras in
# $OS1_EXTRAS) when it is missing or pyproject.toml changed. Sets $venv.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
stamp="$venv/.installed${OS1_EXTRAS:+-$OS1_EXTRAS}"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  python=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
  if [ -z "$python" ]; then
    echo "os1 needs Python 3.11 or newer: install it (e.g. apt-get install python3.11 python3.11-venv)" >&2
    exit 1
  fi
  echo "Setting up os1 in $venv ..." >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here${OS1_EXTRAS:+[$OS1_EXTRAS]}"
  touch "$stamp"
fi
