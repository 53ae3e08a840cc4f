"""Replicas of the model service behind nginx, in the foreground until Ctrl-C.

    python -m apps.replicas [--replicas 3] [--version production]     (make replicas)

Starts ``--replicas`` processes of the service (uvicorn, one worker each, each on its own port,
each loading ``--version`` from the registry) and nginx in front of them, prints the balancer's
address, and stops every process on Ctrl-C. Send requests to the balancer: it spreads them over
the replicas and retries a request a replica dropped on another one.
"""

from __future__ import annotations

import argparse
import time

from workshop_lib.paths import RUNTIME_DIR
from workshop_lib.registry import PRODUCTION, Registry
from workshop_lib.scaling.balancer import start_balancer
from workshop_lib.scaling.replicas import start_replicas, upstreams_of


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3, help="how many replicas (default 3)")
    parser.add_argument("--version", default=PRODUCTION, help="a version or a stage")
    args = parser.parse_args(argv)
    registry = Registry()
    env = {"MODEL_REGISTRY": str(registry.root), "MODEL_VERSION": args.version}
    replicas = start_replicas(args.replicas, env)
    try:
        balancer = start_balancer(upstreams_of(replicas), RUNTIME_DIR / "replicas" / "nginx")
        try:
            for replica in replicas:
                print(f"replica {replica.url} (pid {replica.process.pid})", flush=True)
            print(f"nginx on {balancer.url}  (try: curl {balancer.url}/model)", flush=True)
            print("Ctrl-C stops nginx and every replica", flush=True)
            while True:  # kill a replica meanwhile: nginx sends its requests to the others
                time.sleep(1)
        finally:
            balancer.stop()
    except KeyboardInterrupt:
        pass
    finally:
        for replica in replicas:
            replica.stop()


if __name__ == "__main__":
    main()
