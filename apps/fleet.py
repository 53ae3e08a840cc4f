"""A fleet of edge devices updated over MQTT: staged rollout, tampering refused, rollback.

    .venv/bin/python -m apps.fleet --devices 50

Starts its own mosquitto broker (passwords, an ACL per device) and model store on loopback,
runs N devices as threads of this process, and plays the chapter's story: provision 1.0.0,
roll 1.1.0 out canaries first while some devices are offline, refuse a tampered manifest and a
tampered model file, stop a bad 2.0.0 at the canaries, let the offline devices catch up, roll
the fleet back to 1.0.0, and refuse the stopped 2.0.0 manifest when it is published again (a
replay). Stops everything it started, then prints a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from workshop_lib import paths
from workshop_lib.edge.fleet_rollout import Fleet, run_story, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20, help="fleet size (at least 4)")
    parser.add_argument("--offline", type=int, default=3, help="devices away during rollout")
    parser.add_argument("--out", type=Path, default=paths.RUNTIME_DIR / "fleet")
    args = parser.parse_args(argv)
    if args.devices < 4:
        parser.error(f"--devices must be at least 4 (2 canaries and the rest), got {args.devices}")
    if not 0 <= args.offline <= args.devices - 3:
        parser.error(f"--offline must be between 0 and {args.devices - 3}, got {args.offline}")
    started = time.perf_counter()
    with Fleet(args.out, args.devices) as fleet:
        steps = run_story(fleet, args.offline)
        result = summary(fleet, steps)
    print(json.dumps(result | {"seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
