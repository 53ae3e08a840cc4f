"""Draw the workbook's diagrams as SVG files in notebooks/images/ (``make diagrams``).

    .venv/bin/python -m tools.diagrams

Each diagram is data (boxes on a grid, arrows between them); one renderer turns it into SVG
text, with integer coordinates and no dates, so a run gives the same bytes every time
(tests/test_diagrams.py checks the committed files against a fresh rendering). The picture is
drawn on its own white card with dark text, so it reads the same in light and dark themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

IMAGES = Path(__file__).resolve().parent.parent / "notebooks" / "images"

FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
TITLE_PX, DETAIL_PX, LABEL_PX = 15, 13, 12
INK, ARROW, FAILURE = "#1b1f24", "#3d4852", "#b42318"
KINDS = {  # fill, border: what a box is
    "actor": ("#eef1f4", "#6b7785"),  # a person, a client, a scheduler, a device
    "step": ("#e3f0fc", "#2f6fb5"),  # code that runs
    "store": ("#fff4d6", "#b7860b"),  # data at rest: files, queues, databases, logs
    "check": ("#e4f4e6", "#3a8a45"),  # tests, gates, alerts
}
MARGIN, PAD = 24, 12


@dataclass(frozen=True)
class Box:
    """One box at grid cell (``col``, ``row``): a bold title and a few smaller lines."""

    key: str
    col: int
    row: int
    title: str
    lines: tuple[str, ...] = ()
    kind: str = "step"


@dataclass(frozen=True)
class Arrow:
    """An arrow from box ``start`` to box ``end``.

    ``route``: ``line`` (same row or column), ``hv`` (across, then up or down) or ``vh`` (up or
    down, then across). ``lane`` shifts a straight arrow sideways (-1, 0, 1) so two arrows can
    join the same boxes both ways; ``failure`` draws it dashed and red (rollback, dead letters).
    """

    start: str
    end: str
    label: str = ""
    route: str = "line"
    lane: int = 0
    failure: bool = False


@dataclass(frozen=True)
class Group:
    """A dashed frame around boxes that belong together, with a label at its top right."""

    label: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    """A whole picture: its file name, an accessible title, boxes, arrows, groups, a footnote."""

    name: str
    title: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    groups: tuple[Group, ...] = ()
    note: str = ""


# --- the diagrams ---------------------------------------------------------------------------
DIAGRAMS = (
    Diagram(
        name="batch",
        title="Batch deployment: a scheduler starts the job that scores a day's files",
        boxes=(
            Box("cron", 0, 0, "Scheduler", ("cron or Airflow,", "once a day"), "actor"),
            Box("files", 0, 1, "Day's Parquet files", ("one folder per day",), "store"),
            Box("score", 1, 1, "Partitions scored", ("in parallel:", "Dask or Spark")),
            Box("db", 2, 1, "Predictions database", ("one row per", "application"), "store"),
            Box("backend", 2, 2, "Reports / backend", ("read predictions,", "never score")),
        ),
        arrows=(
            Arrow("cron", "files", "starts"),
            Arrow("files", "score", "split"),
            Arrow("score", "db", "write"),
            Arrow("db", "backend", "read by"),
        ),
        groups=(Group("batch job (apps/batch_job.py)", ("files", "score", "db")),),
    ),
    Diagram(
        name="realtime",
        title="Real-time deployment: a FastAPI service answers each request",
        boxes=(
            Box("registry", 1, 0, "Model registry", ("the production", "version"), "store"),
            Box(
                "client", 0, 1, "Client", ("Streamlit front end,", "curl, another service"), "actor"
            ),
            Box("api", 1, 1, "FastAPI service", ("validation (pydantic),", "micro-batching")),
            Box("log", 2, 1, "Prediction log", ("inputs, output,", "model version"), "store"),
            Box("metrics", 2, 2, "/metrics", ("counts and latency", "for Prometheus"), "check"),
        ),
        arrows=(
            Arrow("registry", "api", "loads the model at start-up"),
            Arrow("client", "api", "POST /predict", lane=-1),
            Arrow("api", "client", "response", lane=1),
            Arrow("api", "log", "every answer"),
            Arrow("api", "metrics", "counts", route="vh"),
        ),
    ),
    Diagram(
        name="streaming",
        title="Streaming deployment: a stream processor between two Redis queues",
        boxes=(
            Box("events", 0, 0, "Events", ("applications as", "they arrive"), "actor"),
            Box("requests", 1, 0, "Request queue", ("Redis Streams",), "store"),
            Box("worker", 2, 0, "Stream processor", ("consumer group,", "ack after write")),
            Box("out", 3, 0, "Predictions queue", ("a second stream",), "store"),
            Box("dead", 2, 1, "Dead letters", ("events that keep", "failing, kept"), "store"),
            Box("db", 3, 1, "Database", ("predictions,", "one row each"), "store"),
            Box("backend", 3, 2, "Backend", ("reads the", "database")),
        ),
        arrows=(
            Arrow("events", "requests", "XADD"),
            Arrow("requests", "worker", "read", lane=-1),
            Arrow("worker", "requests", "ack", lane=1),
            Arrow("worker", "out", "write"),
            Arrow("worker", "dead", "poison pill", failure=True),
            Arrow("out", "db", "store"),
            Arrow("db", "backend", "read by"),
        ),
        note="A message is acknowledged only after its prediction is written: "
        "a crash means it is read again, never lost.",
    ),
    Diagram(
        name="edge",
        title="Edge deployment: a small signed model goes out to a fleet of devices",
        boxes=(
            Box("train", 0, 0, "Train", ("the model on", "the server")),
            Box("export", 1, 0, "Export", ("ONNX, int8, distil,", "LiteRT")),
            Box("manifest", 2, 0, "Signed manifest", ("file hashes and", "a signature"), "store"),
            Box("broker", 3, 0, "MQTT broker", ("mosquitto",), "actor"),
            Box(
                "fleet",
                3,
                1,
                "Fleet of devices",
                ("check the signature,", "report health"),
                "actor",
            ),
        ),
        arrows=(
            Arrow("train", "export", "smaller"),
            Arrow("export", "manifest", "sign"),
            Arrow("manifest", "broker", "publish"),
            Arrow("broker", "fleet", "staged rollout"),
            Arrow("fleet", "manifest", "roll back", route="hv", failure=True),
        ),
        note="Staged rollout: one canary device, then a quarter of the fleet, then all of it; "
        "bad health means roll back.",
    ),
    Diagram(
        name="cicd",
        title="CI/CD for ML: every commit is tested, gated, versioned and promoted",
        boxes=(
            Box("commit", 0, 0, "Commit", ("code, and data", "pinned by DVC"), "actor"),
            Box("tests", 1, 0, "Tests", ("of code, data", "and model"), "check"),
            Box(
                "gates", 2, 0, "Quality gates", ("good enough, and", "no worse than prod"), "check"
            ),
            Box("register", 3, 0, "Register", ("semantic version", "e.g. 1.3.0"), "store"),
            Box("dvc", 0, 1, "DVC", ("data versions", "in a remote"), "store"),
            Box("mlflow", 1, 1, "MLflow tracking", ("parameters, metrics,", "every run"), "store"),
            Box("serve", 2, 1, "Serve", ("the API loads", "production")),
            Box("promote", 3, 1, "Promote", ("staging, then", "production")),
        ),
        arrows=(
            Arrow("commit", "tests", "CI run"),
            Arrow("tests", "gates", "train"),
            Arrow("gates", "register", "pass"),
            Arrow("register", "promote", "release"),
            Arrow("promote", "serve", "deploy", lane=-1),
            Arrow("serve", "promote", "rollback", lane=1, failure=True),
            Arrow("dvc", "commit", "dvc pull"),
            Arrow("tests", "mlflow", "logged"),
        ),
    ),
    Diagram(
        name="monitoring",
        title="Monitoring: a loop from the service back to a new deployment",
        boxes=(
            Box("service", 0, 0, "Service", ("the model", "in production")),
            Box("log", 1, 0, "Prediction log", ("+ Prometheus", "metrics"), "store"),
            Box("tests", 2, 0, "Drift tests", ("and performance,", "once labels arrive"), "check"),
            Box("alerts", 3, 0, "Alerts", ("a rule fires", "for a while"), "check"),
            Box("deploy", 1, 1, "Deploy", ("the new version",)),
            Box("cicd", 2, 1, "CI/CD", ("tests, gates,", "promotion")),
            Box("retrain", 3, 1, "Investigate", ("then retrain on", "recent data"), "actor"),
        ),
        arrows=(
            Arrow("service", "log", "records"),
            Arrow("log", "tests", "compare"),
            Arrow("tests", "alerts", "drift"),
            Arrow("alerts", "retrain", "on call"),
            Arrow("retrain", "cicd", "new model"),
            Arrow("cicd", "deploy", "passes"),
            Arrow("deploy", "service", "the loop starts again", route="hv"),
        ),
    ),
    Diagram(
        name="scaleout",
        title="Scaling out: nginx in front of replicas of the service, each its own process",
        boxes=(
            Box("clients", 0, 1, "Clients", ("many requests", "at once"), "actor"),
            Box("nginx", 1, 1, "nginx", ("the balancer:", "weights, retries")),
            Box("r1", 2, 0, "Replica 1", ("uvicorn, one process,", "MODEL_VERSION=1.0.0")),
            Box("r2", 2, 1, "Replica 2", ("uvicorn, one process,", "MODEL_VERSION=1.0.0")),
            Box("r3", 2, 2, "Replica 3 (canary)", ("uvicorn, one process,", "MODEL_VERSION=1.1.0")),
            Box("registry", 3, 0, "Model registry", ("every version,", "signed"), "store"),
            Box("prometheus", 3, 2, "Prometheus", ("scrapes each", "/metrics"), "check"),
        ),
        arrows=(
            Arrow("clients", "nginx", "/predict"),
            Arrow("nginx", "r1", "weight 1", route="vh"),
            Arrow("nginx", "r2", "weight 1"),
            Arrow("nginx", "r3", "weight 1", route="vh"),
            Arrow("r1", "registry", "loads"),
            Arrow("prometheus", "r3", "scrape"),
        ),
        groups=(Group("replicas (Kubernetes: a Deployment's pods)", ("r1", "r2", "r3")),),
        note="A replica taken out (down) or reweighted is one graceful nginx reload; "
        "a request a dead replica drops is retried on the next.",
    ),
)


# --- the renderer ---------------------------------------------------------------------------
def text_width(text: str, px: int, bold: bool = False) -> int:
    """A generous estimate of the drawn width (DejaVu Sans, the widest of the fonts asked for)."""
    return int(len(text) * px * (0.63 if bold else 0.58)) + 1


@dataclass(frozen=True)
class Layout:
    """Where the grid's cells are: box size, gaps between them, the top-left corner."""

    width: int
    height: int
    gap_x: int
    gap_y: int
    top: int

    def frame(self, box: Box) -> tuple[int, int, int, int]:
        """The box's left, top, right, bottom."""
        left = MARGIN + box.col * (self.width + self.gap_x)
        top = self.top + box.row * (self.height + self.gap_y)
        return left, top, left + self.width, top + self.height


def layout(diagram: Diagram) -> Layout:
    """Boxes as wide as the longest text; gaps as wide as the labels between them."""
    width = max(
        max([text_width(b.title, TITLE_PX, True), *(text_width(s, DETAIL_PX) for s in b.lines)])
        for b in diagram.boxes
    )
    lines = max(len(b.lines) for b in diagram.boxes)
    boxes = {b.key: b for b in diagram.boxes}
    across = [a.label for a in diagram.arrows if a.route == "line" and same_row(a, boxes)]
    gap_x = max([70, *(text_width(label, LABEL_PX) + 34 for label in across)])
    top = MARGIN + (26 if any(boxes[k].row == 0 for g in diagram.groups for k in g.keys) else 0)
    return Layout(width + 2 * PAD, 30 + lines * 18 + PAD, gap_x, 56, top)


def same_row(arrow: Arrow, boxes: dict[str, Box]) -> bool:
    """Whether an arrow joins two boxes of one row."""
    return boxes[arrow.start].row == boxes[arrow.end].row


def label_svg(x: int, y: int, text: str, colour: str, anchor: str = "middle") -> list[str]:
    """A label with a white patch behind it, so the lines it crosses do not hide it."""
    width = text_width(text, LABEL_PX)
    left = {"middle": x - width // 2, "start": x}[anchor]
    return [
        f'<rect x="{left - 3}" y="{y - LABEL_PX}" width="{width + 6}" height="{LABEL_PX + 5}" '
        'rx="3" fill="#ffffff" fill-opacity="0.9"/>',
        f'<text x="{x}" y="{y}" font-size="{LABEL_PX}" fill="{colour}" '
        f'text-anchor="{anchor}">{escape(text)}</text>',
    ]


def arrow_points(arrow: Arrow, boxes: dict[str, Box], grid: Layout) -> list[tuple[int, int]]:
    """The corners of an arrow's path, from the edge of one box to the edge of the other."""
    (l1, t1, r1, b1), (l2, t2, r2, b2) = (
        grid.frame(boxes[arrow.start]),
        grid.frame(boxes[arrow.end]),
    )
    cx1, cy1, cx2, cy2 = (l1 + r1) // 2, (t1 + b1) // 2, (l2 + r2) // 2, (t2 + b2) // 2
    shift = arrow.lane * 10
    if arrow.route == "line" and cy1 == cy2:
        return (
            [(r1, cy1 + shift), (l2, cy2 + shift)]
            if cx2 > cx1
            else [(l1, cy1 + shift), (r2, cy2 + shift)]
        )
    if arrow.route == "line":
        return (
            [(cx1 + shift, b1), (cx2 + shift, t2)]
            if cy2 > cy1
            else [(cx1 + shift, t1), (cx2 + shift, b2)]
        )
    if arrow.route == "hv":
        return [(r1 if cx2 > cx1 else l1, cy1), (cx2, cy1), (cx2, t2 if cy2 > cy1 else b2)]
    return [(cx1, b1 if cy2 > cy1 else t1), (cx1, cy2), (l2 if cx2 > cx1 else r2, cy2)]


def arrow_svg(arrow: Arrow, boxes: dict[str, Box], grid: Layout, marker: str) -> list[str]:
    """One arrow: its path, its head and its label (on its longest stretch)."""
    points = arrow_points(arrow, boxes, grid)
    colour = FAILURE if arrow.failure else ARROW
    dash = ' stroke-dasharray="7 5"' if arrow.failure else ""
    path = " ".join(f"{x},{y}" for x, y in points)
    head = f"{marker}-failure" if arrow.failure else marker
    parts = [
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
        f'stroke-linejoin="round" marker-end="url(#{head})"/>'
    ]
    if arrow.label:
        (x1, y1), (x2, y2) = max(
            zip(points, points[1:], strict=False),
            key=lambda seg: abs(seg[1][0] - seg[0][0]) + abs(seg[1][1] - seg[0][1]),
        )
        mx, my = (x1 + x2) // 2, (y1 + y2) // 2
        if y1 == y2:  # across: above the line, or below it for the lower of two lanes
            parts += label_svg(mx, my + 20 if arrow.lane > 0 else my - 9, arrow.label, colour)
        elif arrow.lane < 0:
            parts += label_svg(
                mx - 8 - text_width(arrow.label, LABEL_PX), my + 4, arrow.label, colour, "start"
            )
        else:
            parts += label_svg(mx + 8, my + 4, arrow.label, colour, "start")
    return parts


def box_svg(box: Box, grid: Layout) -> list[str]:
    """A filled, rounded box with its title and lines centred."""
    left, top, right, bottom = grid.frame(box)
    fill, border = KINDS[box.kind]
    centre = (left + right) // 2
    parts = [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" rx="8" '
        f'fill="{fill}" stroke="{border}" stroke-width="1.5"/>',
        f'<text x="{centre}" y="{top + 26}" font-size="{TITLE_PX}" font-weight="bold" '
        f'fill="{INK}" text-anchor="middle">{escape(box.title)}</text>',
    ]
    parts += [
        f'<text x="{centre}" y="{top + 46 + 18 * i}" font-size="{DETAIL_PX}" fill="{INK}" '
        f'text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(box.lines)
    ]
    return parts


def group_svg(group: Group, boxes: dict[str, Box], grid: Layout) -> list[str]:
    """A dashed frame around a group's boxes, labelled at its top right."""
    frames = [grid.frame(boxes[key]) for key in group.keys]
    left, top = min(f[0] for f in frames) - PAD, min(f[1] for f in frames) - 30
    right, bottom = max(f[2] for f in frames) + PAD, max(f[3] for f in frames) + PAD
    return [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" rx="10" '
        f'fill="none" stroke="{ARROW}" stroke-width="1.5" stroke-dasharray="4 4"/>',
        f'<text x="{right - 10}" y="{top + 19}" font-size="{DETAIL_PX}" font-weight="bold" '
        f'fill="{INK}" text-anchor="end">{escape(group.label)}</text>',
    ]


def render(diagram: Diagram) -> str:
    """The diagram as SVG text (the same text for the same data, every run)."""
    grid = layout(diagram)
    boxes = {b.key: b for b in diagram.boxes}
    right = max(grid.frame(b)[2] for b in diagram.boxes) + MARGIN
    bottom = max(grid.frame(b)[3] for b in diagram.boxes) + MARGIN
    if diagram.note:
        bottom += 22
    marker = f"head-{diagram.name}"
    heads = [
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
        for name, colour in ((marker, ARROW), (f"{marker}-failure", FAILURE))
    ]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{right}" height="{bottom}" '
        f'viewBox="0 0 {right} {bottom}" font-family={quoteattr(FONT)} role="img" '
        f'aria-labelledby="title-{diagram.name}">',
        f'<title id="title-{diagram.name}">{escape(diagram.title)}</title>',
        "<defs>",
        *heads,
        "</defs>",
        f'<rect x="0.5" y="0.5" width="{right - 1}" height="{bottom - 1}" rx="12" '
        'fill="#ffffff" stroke="#d0d7de"/>',
    ]
    for group in diagram.groups:
        parts += group_svg(group, boxes, grid)
    for box in diagram.boxes:
        parts += box_svg(box, grid)
    for arrow in diagram.arrows:
        parts += arrow_svg(arrow, boxes, grid, marker)
    if diagram.note:
        parts.append(
            f'<text x="{MARGIN}" y="{bottom - MARGIN + 4}" font-size="{DETAIL_PX}" '
            f'font-style="italic" fill="{INK}">{escape(diagram.note)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def outputs(folder: Path = IMAGES) -> dict[Path, str]:
    """Every diagram's file and the SVG text it should hold."""
    return {folder / f"diagram_{d.name}.svg": render(d) for d in DIAGRAMS}


def main() -> None:
    for path, svg in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        print(f"wrote {path} ({len(svg) / 1000:.1f} kB)")


if __name__ == "__main__":
    main()
