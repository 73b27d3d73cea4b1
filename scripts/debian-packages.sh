# Sourced by ./os1 voice and ./test with the Debian packages they need: those missing are installed with apt-get
# when this shell may, and named with the command to run otherwise.
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "Installing ${missing[*]} (Debian packages) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    echo "os1 needs ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
  fi
fi
