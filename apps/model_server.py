"""MLServer serving the registry's production model over the V2 inference protocol.

    python -m apps.model_server [--version 1.2.0] [--batch 32]     (make mlserver)

Writes an MLServer model repository under runtime/mlserver/ and runs MLServer in the
foreground until Ctrl-C. Ask it: POST /v2/models/loan-risk/infer (see workshop_lib.scaling).
"""

from __future__ import annotations

import argparse
import os

from workshop_lib.paths import RUNTIME_DIR
from workshop_lib.registry import PRODUCTION, Registry
from workshop_lib.scaling import model_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=PRODUCTION, help="a version or a stage")
    parser.add_argument("--batch", type=int, default=0, help="adaptive batching: max batch size")
    parser.add_argument("--batch-ms", type=float, default=2.0, help="adaptive batching window")
    args = parser.parse_args(argv)
    folder = RUNTIME_DIR / "mlserver"
    port = model_server.write_repository(
        Registry(), args.version, folder, max_batch_size=args.batch,
        max_batch_time_s=args.batch_ms / 1000 if args.batch > 1 else 0.0,
    )  # fmt: skip
    print(f"MLServer on http://127.0.0.1:{port}/v2/models/{model_server.MODEL_NAME}", flush=True)
    program = str(model_server.mlserver_program())
    os.chdir(folder)
    os.execv(program, [program, "start", str(folder)])


if __name__ == "__main__":
    main()
