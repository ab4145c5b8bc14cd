# Sourced by the other scripts: makes sure JAVA_HOME points at a JDK >= 21 (Oxbow's build target).
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    local home; home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    if [ "$(java_major "$home/bin/java")" -ge 21 ] 2>/dev/null; then export JAVA_HOME="$home"; return 0; fi
  fi
  local best="" best_major=0 d m
  for d in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    [ -x "$d/bin/javac" ] || continue
    m="$(java_major "$d/bin/java")"
    if [ -n "$m" ] && [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best="$d"; best_major="$m"; fi
  done
  if [ -z "$best" ]; then
    echo "oxbow: no JDK >= 21 found; install one (e.g. apt-get install openjdk-21-jdk) or set JAVA_HOME" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
pick_jdk
export PATH="$JAVA_HOME/bin:$PATH"
