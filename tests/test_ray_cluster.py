"""The cluster recipe: ray_cluster.yaml is a valid `ray up` config, and the web demo runs as a
`ray job submit` job on a real two-node Ray cluster with the same rows as the local runner.

The slow test starts its own cluster on 127.0.0.1 (see tests/ray_cluster_util.py for how it is
kept apart from other Ray instances on the machine and how it is stopped without `ray stop`).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

try:  # tests/ is a plain directory (on sys.path) or, if it gains an __init__.py, a package
    from ray_cluster_util import LOOPBACK, LoopbackRayCluster
except ImportError:  # pragma: no cover
    from tests.ray_cluster_util import LOOPBACK, LoopbackRayCluster

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
CLUSTER_YAML = REPO / "ray_cluster.yaml"
WEB_CONFIG = "pipelines/configs/web.yaml"  # relative: resolved inside the job's working-dir copy
WARC_DIR = REPO.parent / "shared" / "data" / "warc"
SAMPLES = ["wget-en-0000.warc.gz", "clueweb09-ja-excerpt.warc.gz", "cc-main-2020-34-excerpt.warc.gz"]
CONTRACT_COLUMNS = {"id", "url", "source", "warc_record_id", "fetch_time", "text", "language", "language_score",
                    "perplexity", "reject_reason", "n_words"}


# --------------------------------------------------------------------------- ray_cluster.yaml

def _launcher_schema() -> dict:
    import ray.autoscaler

    return json.loads((Path(ray.autoscaler.__file__).parent / "ray-schema.json").read_text())


@pytest.fixture(scope="module")
def cluster_cfg() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def test_ray_cluster_yaml_matches_launcher_schema(cluster_cfg: dict) -> None:
    import jsonschema
    from ray.autoscaler._private.util import prepare_config, validate_config

    jsonschema.validate(cluster_cfg, _launcher_schema())
    # What `ray up` itself runs: schema + node-type consistency, before and after filling defaults.
    validate_config(cluster_cfg)
    validate_config(prepare_config(copy.deepcopy(cluster_cfg)))

    # The validator is strict: a misspelled key is an error (so the check above means something).
    broken = copy.deepcopy(cluster_cfg)
    broken["available_node_types"]["head"]["min_worker"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _launcher_schema())


def test_ray_cluster_yaml_recipe(cluster_cfg: dict) -> None:
    types = cluster_cfg["available_node_types"]
    assert cluster_cfg["head_node_type"] in types
    workers = {name: t for name, t in types.items() if name != cluster_cfg["head_node_type"]}
    assert any(t["resources"].get("GPU", 0) >= 1 for t in workers.values()), "a GPU worker type"
    assert any(t["resources"].get("CPU", 0) >= 1 and not t["resources"].get("GPU") for t in workers.values())
    assert sum(t.get("max_workers", 0) for t in workers.values()) >= cluster_cfg["max_workers"] > 0

    setup = "\n".join(cluster_cfg["setup_commands"])
    assert "scripts/setup.sh" in setup
    assert "." in cluster_cfg["file_mounts"].values(), "the repository is synced to the nodes"
    head = " ".join(cluster_cfg["head_start_ray_commands"])
    worker = " ".join(cluster_cfg["worker_start_ray_commands"])
    assert "ray start --head" in head and "--dashboard-host" in head and "--port=6379" in head
    assert "ray start --address=$RAY_HEAD_IP:6379" in worker
    for cmds in (head, worker):  # Ray runs from the project's venv, so jobs find `curate`
        assert ".venv/bin/activate" in cmds
    text = CLUSTER_YAML.read_text()
    for how in ("ray up ray_cluster.yaml", "ray dashboard ray_cluster.yaml", "ray job submit",
                "--address auto", "type: gcp", "type: azure", "type: local", "KubeRay"):
        assert how in text, how


# --------------------------------------------------------------------------- two-node cluster

def _rows(out: Path) -> tuple[dict[str, tuple], list[Path], list[Path]]:
    kept = sorted(out.glob("data/language=*/part-*.parquet"))
    rejected = sorted(out.glob("rejected/part-*.parquet"))
    rows: dict[str, tuple] = {}
    for path in kept + rejected:
        table = pq.read_table(path)  # one file at a time: `language` is a column and a partition
        missing = CONTRACT_COLUMNS - set(table.column_names)
        assert not missing, f"{path} lacks contract columns {sorted(missing)}"
        for r in table.select(["id", "language", "reject_reason"]).to_pylist():
            assert r["id"] not in rows, f"duplicate id {r['id']} ({path})"
            assert (r["reject_reason"] is None) == (path in kept), path
            rows[r["id"]] = (r["language"], r["reject_reason"])
    return rows, kept, rejected


def _flags(inputs: list[str], out: Path) -> list[str]:
    return [arg for path in inputs for arg in ("--input", path)] + ["--output", str(out), "--quiet"]


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_web_demo_as_job_on_two_node_cluster(tmp_path: Path) -> None:
    if not WARC_DIR.is_dir():
        pytest.skip(f"sample WARCs not found: {WARC_DIR} (the shared data dir next to the repo)")
    inputs = [str(WARC_DIR / name) for name in SAMPLES]
    if not all(Path(p).is_file() for p in inputs):
        pytest.skip(f"sample WARCs missing in {WARC_DIR}: {SAMPLES}")
    if not (VENV / "bin" / "ray").is_file():
        pytest.skip(f"no project virtualenv at {VENV} (run scripts/setup.sh)")

    # Reference: the in-process local runner on the same inputs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    local_out = tmp_path / "local"
    local = subprocess.run([str(VENV / "bin" / "curate"), "run", WEB_CONFIG, "--runner", "local",
                            *_flags(inputs, local_out)], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=300)
    assert local.returncode == 0, local.stderr[-3000:]

    ray_out = tmp_path / "ray"  # absolute: the job runs in a copy of the repo
    submission_id = f"curate-web-{uuid.uuid4().hex[:8]}"
    with LoopbackRayCluster(venv=VENV, cpus_per_node=1, n_workers=1) as cluster:
        nodes = cluster.alive_nodes()
        assert len(nodes) == 2, nodes
        assert {n["node_ip"] for n in nodes} == {LOOPBACK}
        assert sum(1 for n in nodes if n["is_head_node"]) == 1
        assert any("node2" in n["resources_total"] for n in nodes if not n["is_head_node"])

        # The README recipe: `curate` resolves through the head's PATH (the venv); the driver
        # joins the job's cluster with --address auto.
        job = cluster.submit(["curate", "run", WEB_CONFIG, "--runner", "ray", "--address", "auto",
                              *_flags(inputs, ray_out)],
                             working_dir=REPO, submission_id=submission_id, timeout_s=300)
        logs = f"{job.stdout[-6000:]}\n{job.stderr[-3000:]}"
        assert job.returncode == 0, logs
        assert cluster.job_status(submission_id) == "SUCCEEDED", logs
        assert "done: 3 units" in job.stdout, logs

        # The pipeline's actors ran on both nodes (1 CPU each: extraction alone fills one node).
        actors = cluster.list_state("actors", detail=True)  # alive and dead
        # (the actor engine's _PoolActor; Ray Data's MapWorker under runner.engine: data)
        stage_nodes = {a["node_id"] for a in actors
                       if any(k in (a.get("class_name") or "") for k in ("_PoolActor", "MapWorker"))}
        assert stage_nodes <= {n["node_id"] for n in nodes}
        assert len(stage_nodes) == 2, [(a.get("class_name"), a.get("node_id")) for a in actors]
        assert not cluster.non_loopback_sockets()  # every address in use is 127.0.0.1
    assert not cluster.own_processes(), "cluster processes survived stop()"

    ray_rows, kept, rejected = _rows(ray_out)
    local_rows, _, _ = _rows(local_out)
    assert kept and rejected, sorted(p.relative_to(ray_out) for p in ray_out.rglob("*.parquet"))
    assert len(ray_rows) > 0
    assert ray_rows == local_rows  # same ids, and per id the same language and decision
