# Sourced by the console's browser tests: installs what they drive the browser with (tools/
# setup.sh --with-console: Chromium, Node.js, npm; the pinned npm packages into
# ~/.cache/remiss/console) and sets `browser_node_modules` to the packages' node_modules. A
# missing tool fails the test (the caller's `fail`).
PUPPETEER_CORE_VERSION=25.16.0  # npm puppeteer-core (drives /usr/bin/chromium; downloads no browser)
AXE_CORE_VERSION=4.14.1         # npm axe-core

ensure_browser_tools() {
  local top=$1
  "$top/tools/setup.sh" --with-console || fail "tools/setup.sh --with-console could not install Chromium, Node.js and npm"
  local tool
  for tool in /usr/bin/chromium node npm; do
    command -v "$tool" >/dev/null || fail "$tool is missing (tools/setup.sh --with-console installs it)"
  done
  local cache=${REMISS_CACHE:-$HOME/.cache/remiss}/console
  local prefix=$cache/npm-puppeteer-core-$PUPPETEER_CORE_VERSION-axe-core-$AXE_CORE_VERSION
  if [ ! -f "$prefix/node_modules/puppeteer-core/package.json" ] || [ ! -f "$prefix/node_modules/axe-core/axe.min.js" ]; then
    echo "console test: installing puppeteer-core@$PUPPETEER_CORE_VERSION and axe-core@$AXE_CORE_VERSION into $prefix"
    mkdir -p "$prefix"
    [ -f "$prefix/package.json" ] || echo '{"name":"remiss-console-test-tools","private":true}' >"$prefix/package.json"
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --save-exact \
      "puppeteer-core@$PUPPETEER_CORE_VERSION" "axe-core@$AXE_CORE_VERSION" >&2 || fail "npm install failed"
  fi
  browser_node_modules=$prefix/node_modules
}
