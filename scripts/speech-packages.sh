# Sourced by ./test (with "alsa-utils": its recorded clips are test speech): the Debian packages speech needs,
# installed with apt-get when missing and this shell may. PortAudio carries the microphone and speaker;
# espeak-ng is the voice that is always there.
speech_packages=(libportaudio2 espeak-ng "$@")
missing=()
for package in "${speech_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "Installing ${missing[*]} (Debian packages for speech) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    echo "Speech needs ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
  fi
fi
