#!/usr/bin/env bash
# Create or update the two virtual environments. Idempotent: each environment is reinstalled
# only when its requirements change (a stamp file holds their hash).
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {  # $1 = version like 3.10
  local v="$1" p
  if p=$(command -v "python$v" 2>/dev/null) && "$p" -c 'import sys' 2>/dev/null; then echo "$p"; return 0; fi
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/"$v".*/bin/python"$v"; do
      [ -x "$p" ] && { echo "$p"; return 0; }
    done
  fi
  for p in /usr/bin/python"$v" /usr/local/bin/python"$v"; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

need_python() {
  local v="$1" why="$2"
  if ! find_python "$v"; then
    cat >&2 <<MSG
ERROR: Python $v was not found ($why).
  Install it with pyenv:   pyenv install $v   (then re-run this command)
  or with your OS packages, e.g. on Debian/Ubuntu:   apt-get install python$v python$v-venv
MSG
    exit 1
  fi
}

PY310=$(need_python 3.10 "Rasa Open Source 3.6 supports Python < 3.11 only")
PY311=$(need_python 3.11 "the bot library, action server and web app")

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# .venv-rasa: Rasa server, from a full pin list.
want=$(stamp_of requirements-rasa.txt)
if [ "$(cat .venv-rasa/.stamp 2>/dev/null)" != "$want" ]; then
  echo ">> Setting up .venv-rasa (Python 3.10, Rasa 3.6.21). First time: ~5 minutes."
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/python -m pip install -q --upgrade pip
  .venv-rasa/bin/python -m pip install -q -r requirements-rasa.txt
  echo "$want" > .venv-rasa/.stamp
fi

# .venv: everything else. torch first, from its CPU build, or pip would fetch the CUDA one.
want=$(stamp_of pyproject.toml constraints.txt)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
  echo ">> Setting up .venv (Python 3.11: bot, actions, web). First time: ~5 minutes."
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  echo "$want" > .venv/.stamp
fi

# Make compares the stamps' times with the requirement files: mark both environments checked
# even when nothing needed installing, or every later make would redo the steps after setup.
touch .venv/.stamp .venv-rasa/.stamp
mkdir -p var

# Browser tests need Debian's Chromium (no Playwright browser download); the scale-out and
# fault tests start real Redis and PostgreSQL servers on loopback.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo ">> Installing Debian packages for the tests: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "NOTE: some tests need Debian packages: sudo apt-get install ${missing[*]}" >&2
  fi
fi
if [ ! -f var/npm/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
  echo ">> Installing axe-core (accessibility checks) from npm"
  npm install --silent --no-audit --no-fund --no-save --prefix var/npm axe-core@4.14.1 >/dev/null
fi
[ -s var/rasa_token ] || (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/rasa_token)
