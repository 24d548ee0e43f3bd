#!/usr/bin/env bash
# cluster.sh: a one-node Slurm cluster on localhost, for trying `convlab slurm`
# end to end. Uses Debian's slurm-wlm (slurmctld, slurmd, slurm-client) and
# munge. Everything the cluster writes (config, state, spool, logs, pid files)
# lives under $SLURM_STATE (default /tmp/convlab-slurm); munged uses its own
# socket there, so nothing under /etc is changed.
#
#   scripts/slurm/cluster.sh start    # write the config, start munged, slurmctld, slurmd
#   scripts/slurm/cluster.sh status   # sinfo / squeue
#   scripts/slurm/cluster.sh stop     # stop the three daemons
#   eval "$(scripts/slurm/cluster.sh env)"   # point sbatch/squeue/... at it
#
# Notes for running as root in a container (what was needed to make it work):
# - SlurmUser=root and SlurmdUser=root: there is no slurm account to drop to.
# - The daemons are started in the foreground (-D) in the background with
#   nohup, so they do not depend on a working init/systemd; their pids are
#   recorded under $SLURM_STATE.
# - NodeName=localhost with NodeAddr=127.0.0.1, and slurmd -N localhost, since
#   the container's host name is arbitrary.
# - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none: no cgroups.
# - munged runs as root with --force and a socket/pid/log/seed in the state
#   dir (its default /run/munge does not exist in a fresh container); Slurm is
#   told about the socket with AuthInfo=socket=... .
# - No slurmdbd: accounting is off, so job states are polled with squeue and
#   `scontrol show job` (kept for MinJobAge seconds after the end), not sacct.
set -euo pipefail

STATE=${SLURM_STATE:-/tmp/convlab-slurm}
CONF=$STATE/slurm.conf
SOCK=$STATE/munge/munge.socket.2
CPUS=${SLURM_CPUS:-$(nproc)}
MEM_MB=${SLURM_MEM_MB:-$(awk '/MemTotal/ {print int($2/1024*0.9)}' /proc/meminfo)}

die() { echo "cluster.sh: $*" >&2; exit 1; }

need() {
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found; install Debian's slurm-wlm and munge (apt install slurm-wlm munge)"
	done
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
	mkdir -p "$STATE/ctld" "$STATE/spool" "$STATE/munge" "$STATE/log"
	chmod 700 "$STATE/munge"
	cat >"$CONF" <<CONF
# Written by scripts/slurm/cluster.sh: a one-node cluster on localhost.
ClusterName=convlab
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
	need munged slurmctld slurmd sinfo scontrol
	write_conf
	if ! alive "$STATE/munged.pid"; then
		munged --force --socket="$SOCK" --pid-file="$STATE/munged.pid" \
			--log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/munged.seed" ||
			die "munged failed to start; see $STATE/log/munged.log"
	fi
	export SLURM_CONF=$CONF
	if ! alive "$STATE/slurmctld.pid"; then
		nohup slurmctld -D -f "$CONF" >"$STATE/log/slurmctld.out" 2>&1 &
		echo $! >"$STATE/slurmctld.pid"
	fi
	# slurmd registers with slurmctld: wait until the controller answers.
	for _ in $(seq 1 60); do
		scontrol ping 2>/dev/null | grep -q UP && break
		sleep 0.5
	done
	scontrol ping | grep -q UP || die "slurmctld did not come up; see $STATE/log/slurmctld.log"
	if ! alive "$STATE/slurmd.pid"; then
		nohup slurmd -D -N localhost -f "$CONF" >"$STATE/log/slurmd.out" 2>&1 &
		echo $! >"$STATE/slurmd.pid"
	fi
	for _ in $(seq 1 60); do
		state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
		case $state in idle* | mix* | alloc*) break ;; esac
		sleep 0.5
	done
	case ${state:-} in
	idle* | mix* | alloc*) ;;
	*)
		# A node left DOWN/DRAIN by an earlier run: bring it back.
		scontrol update nodename=localhost state=resume 2>/dev/null || true
		sleep 1
		state=$(sinfo -h -n localhost -o %t)
		case $state in idle* | mix* | alloc*) ;; *) die "node localhost is '$state'; see $STATE/log/slurmd.log" ;; esac
		;;
	esac
	echo "slurm cluster up: node localhost ($CPUS CPUs, $MEM_MB MB), config $CONF"
	echo "use it with: export SLURM_CONF=$CONF"
}

stop() {
	for d in slurmd slurmctld munged; do
		if alive "$STATE/$d.pid"; then
			kill "$(cat "$STATE/$d.pid")" 2>/dev/null || true
			for _ in $(seq 1 20); do alive "$STATE/$d.pid" || break; sleep 0.25; done
		fi
		rm -f "$STATE/$d.pid"
	done
	echo "slurm cluster stopped"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status)
	export SLURM_CONF=$CONF
	sinfo
	squeue
	;;
env) echo "export SLURM_CONF=$CONF" ;;
*) die "usage: cluster.sh start|stop|status|env" ;;
esac
