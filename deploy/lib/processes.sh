# shellcheck shell=bash
# deploy/lib/processes.sh: stopping the processes a script started, the same way in
# deploy/cluster.sh and deploy/run-local.sh (sourced by both; not run on its own).
# The sourcing script defines log().

# Seconds a stopped process gets before SIGKILL: the services' drain
# (SHUTDOWN_TIMEOUT) plus a margin for closing the pool and the listeners.
STOP_GRACE=${STOP_GRACE:-$(( ${SHUTDOWN_TIMEOUT:-30} + 5 ))}

# True while PID runs. An exited child not yet reaped is a zombie, for which
# kill -0 still succeeds: it counts as gone.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# await_exit PID NAME: waits up to STOP_GRACE seconds for PID to end (a signal
# already sent), then SIGKILLs it, so a stuck drain cannot hold the script forever.
await_exit() {
  local pid=$1 name=$2 i
  for (( i = 0; i < STOP_GRACE * 10; i++ )); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "$name did not stop within ${STOP_GRACE}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# stop_process PID NAME [SIGNAL]: sends SIGNAL (default TERM: the services drain)
# to a running PID, then await_exit.
stop_process() {
  local pid=$1 name=$2 signal=${3:-TERM}
  alive "$pid" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  await_exit "$pid" "$name"
}
