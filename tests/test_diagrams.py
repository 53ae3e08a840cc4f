"""tools/diagrams.py: the committed SVGs are what the tool draws now, valid and labelled."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tools import diagrams

SVG = "{http://www.w3.org/2000/svg}"
EXPECTED = {  # words a learner reads in each picture, as the chapters name them
    "batch": ["Scheduler", "Parquet", "Dask or Spark", "Predictions database", "backend"],
    "realtime": ["Streamlit", "FastAPI service", "validation", "micro-batching", "registry",
                 "response", "Prediction log", "/metrics"],
    "streaming": ["Events", "Redis Streams", "consumer group", "ack after write",
                  "Predictions queue", "Database", "Backend", "Dead letters"],
    "edge": ["ONNX", "int8", "distil", "LiteRT", "Signed manifest", "MQTT broker",
             "Fleet of devices", "Staged rollout", "roll back"],
    "cicd": ["Commit", "of code, data", "and model", "Quality gates", "semantic version",
             "Promote", "Serve", "rollback", "MLflow tracking", "DVC"],
    "monitoring": ["Service", "Prediction log", "Prometheus", "Drift tests", "labels", "Alerts",
                   "Investigate", "retrain", "CI/CD", "Deploy", "the loop starts again"],
    "scaleout": ["Clients", "nginx", "retries", "Replica 1", "Replica 3 (canary)",
                 "MODEL_VERSION", "Model registry", "Prometheus", "/metrics", "reload"],
}  # fmt: skip


def test_every_expected_diagram_is_defined():
    assert sorted(d.name for d in diagrams.DIAGRAMS) == sorted(EXPECTED)


@pytest.mark.parametrize("path", sorted(diagrams.outputs()), ids=lambda p: p.stem)
def test_committed_svg_is_what_the_tool_draws_now(path):
    assert path.exists(), f"{path.name} is missing: run `make diagrams` and commit it"
    assert path.read_text(encoding="utf-8") == diagrams.outputs()[path], (
        f"{path.name} is stale: run `make diagrams` and commit it"
    )


@pytest.mark.parametrize("diagram", diagrams.DIAGRAMS, ids=lambda d: d.name)
def test_svg_is_valid_xml_with_the_expected_labels(diagram):
    root = ET.fromstring(diagrams.render(diagram).encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == diagram.title
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    missing = [label for label in EXPECTED[diagram.name] if label not in text]
    assert not missing, f"diagram_{diagram.name}.svg lacks {missing}"
    # readable once a notebook column scales it down: not wider than 1200 px
    assert int(root.get("width")) <= 1200


@pytest.mark.parametrize("diagram", diagrams.DIAGRAMS, ids=lambda d: d.name)
def test_boxes_do_not_overlap_and_arrows_join_boxes(diagram):
    cells = [(b.col, b.row) for b in diagram.boxes]
    assert len(set(cells)) == len(cells), "two boxes in one grid cell"
    keys = {b.key for b in diagram.boxes}
    assert all(a.start in keys and a.end in keys for a in diagram.arrows)
    grid = diagrams.layout(diagram)
    for box in diagram.boxes:  # every line of text fits inside its box
        assert diagrams.text_width(box.title, diagrams.TITLE_PX, bold=True) < grid.width
        assert all(diagrams.text_width(s, diagrams.DETAIL_PX) < grid.width for s in box.lines)


def test_arrows_route_from_edge_to_edge():
    # an arrow leaving to the right starts on the box's right edge and ends on the other's left
    left = diagrams.Box("a", 0, 0, "A")
    right = diagrams.Box("b", 1, 0, "B")
    diagram = diagrams.Diagram("t", "t", (left, right), (diagrams.Arrow("a", "b"),))
    grid = diagrams.layout(diagram)
    boxes = {"a": left, "b": right}
    (x1, y1), (x2, y2) = diagrams.arrow_points(diagram.arrows[0], boxes, grid)
    assert (x1, x2) == (grid.frame(left)[2], grid.frame(right)[0])
    assert y1 == y2 == (grid.frame(left)[1] + grid.frame(left)[3]) // 2
