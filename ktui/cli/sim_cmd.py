"""``ktui sim``: run simulated Kubernetes API servers for events until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

FOREVER = 10 * 365 * 24 * 3600.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sim",
        help="run simulated Kubernetes API servers (events only) on loopback",
        description="Start one simulated cluster per name in --clusters, write a kubeconfig "
        "with one context per cluster, and serve until Ctrl-C or SIGTERM. The first cluster "
        "runs --scenario; a later one whose name contains 'prod' runs the 'prod' scenario. "
        "NAME=SCENARIO picks a scenario explicitly (scenarios join with '+').",
    )
    parser.add_argument("--kubeconfig-out", metavar="PATH",
                        help="where to write the kubeconfig (mode 0600)")
    parser.add_argument("--clusters", default="demo", metavar="NAMES",
                        help="comma-separated cluster names, e.g. demo,prod-eu-west-1 "
                        "(default: demo)")
    parser.add_argument("--scenario", default="demo",
                        help="scenario of the first cluster (default: demo); see --list")
    parser.add_argument("--port", type=int, default=0,
                        help="port of the first cluster, the next ones follow (default: any)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: "
                        "127.0.0.1; the simulator has no business off loopback)")
    parser.add_argument("--storm", type=float, default=0.0, metavar="RATE",
                        help="also emit RATE events per second on every cluster")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="bulk-create N events over the last hour on every cluster")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--event-ttl", type=float, default=0.0, metavar="SECONDS",
                        help="expire events older than this, like kube-apiserver's "
                        "--event-ttl (default: never)")
    parser.add_argument("--token", default="admin-token",
                        help="bearer token written to the kubeconfig (default: admin-token)")
    parser.add_argument("--gzip", action="store_true",
                        help="gzip responses of 128 KiB or more to clients that accept it, "
                        "as kube-apiserver does")
    parser.add_argument("--watch-window", type=int, default=5000, metavar="N",
                        help="how many resourceVersions back a watch may resume from (the "
                        "watch cache's window; default: 5000). A small one with --storm "
                        "makes a list's resourceVersion too old by the time it is read")
    parser.add_argument("--streaming-list", choices=("on", "off", "ignored"), default="on",
                        help="watches with sendInitialEvents (the streaming list): served "
                        "(on, the default), refused with 422 as with the WatchList feature "
                        "gate off (off), or taken for plain watches as before 1.27 (ignored)")
    parser.add_argument("--no-tls", action="store_true",
                        help="serve plain HTTP (kubectl then sends no token: use --no-auth)")
    parser.add_argument("--no-auth", action="store_true",
                        help="accept requests without a token")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.set_defaults(func=run)


def _plan(args: argparse.Namespace) -> list[tuple[str, str]]:
    plan: list[tuple[str, str]] = []
    for i, item in enumerate(n.strip() for n in args.clusters.split(",")):
        if not item:
            continue
        name, _, scenario = item.partition("=")
        if not scenario:
            scenario = args.scenario if i == 0 or "prod" not in name else "prod"
        plan.append((name, scenario))
    return plan


def run(args: argparse.Namespace) -> int:
    from ktui.sim import SCENARIOS, Grant, SimCluster, write_kubeconfig

    if args.list:
        for name, fn in SCENARIOS.items():
            doc = (fn.__doc__ or "").strip().splitlines()
            print(f"{name:16} {doc[0] if doc else ''}")
        return 0
    if not args.kubeconfig_out:
        print("ktui sim: --kubeconfig-out PATH is required", file=sys.stderr)
        return 2
    plan = _plan(args)
    if not plan:
        print("ktui sim: --clusters names no cluster", file=sys.stderr)
        return 2
    clusters: list[SimCluster] = []
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for i, (name, scenario) in enumerate(plan):
            try:
                cluster = SimCluster(name=name, scenario=scenario, host=args.host,
                                     port=args.port + i if args.port else 0,
                                     seed=args.seed + i, tls=not args.no_tls,
                                     require_auth=not args.no_auth,
                                     tokens={args.token: Grant.all()},
                                     event_ttl=args.event_ttl or None, gzip=args.gzip,
                                     history_window=args.watch_window,
                                     streaming_list=args.streaming_list)
            except ValueError as exc:
                print(f"ktui sim: {exc}", file=sys.stderr)
                return 2
            if args.load:
                cluster.load(args.load)
            try:
                cluster.start()
            except OSError as exc:
                print(f"ktui sim: cannot listen on {args.host}:{cluster.port}: {exc}",
                      file=sys.stderr)
                return 1
            clusters.append(cluster)
            if args.storm > 0:
                cluster.storm(args.storm, FOREVER)
        path = write_kubeconfig(args.kubeconfig_out, clusters, token=args.token)
        for c in clusters:
            print(f"{c.name}: {c.url} ({len(c.events())} events) - "
                  f"KUBECONFIG={path} kubectl --context {c.name} get events -A", flush=True)
        print("Serving; Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        for c in clusters:
            c.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
