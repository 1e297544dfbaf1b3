"""Training runner: one placement-group bundle per GPU node, one ``torchrun`` per node.

Node 0's actor picks the rendezvous address (its node IP and a free port); every node's actor
starts torchrun with that address and its node rank. Stage II starts only after every node
finished Stage I, so its ``--load`` sees Stage I's final checkpoint. This is the one training
module that imports Ray (the runner).
"""

from __future__ import annotations

import socket
import subprocess
import sys

import ray
from ray.util.placement_group import placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from curation.training.args import StagePlan, describe, torchrun_command
from curation.training.config import TrainConfig


class TrainingFailed(RuntimeError):
    """A stage ended with a non-zero torchrun on some node."""


@ray.remote
class NodeRunner:
    """Lives on one GPU node (its bundle); Ray sets CUDA_VISIBLE_DEVICES to the node's GPUs."""

    def rendezvous(self) -> tuple[str, int]:
        with socket.socket() as s:
            s.bind(("", 0))
            port = s.getsockname()[1]
        return ray.util.get_node_ip_address(), port

    def run(self, cmd: list[str]) -> int:
        cmd = [sys.executable if cmd[0] == "python" else cmd[0], *cmd[1:]]
        return subprocess.run(cmd, check=False).returncode


def run_stages(cfg: TrainConfig, stages: list[StagePlan]) -> None:
    from curation.runners.ray_runner import connect

    connect(cfg.cluster.address)
    c = cfg.cluster
    bundles = [{"GPU": float(c.gpus_per_node), "CPU": float(c.cpus_per_node)} for _ in range(c.num_nodes)]
    pg = placement_group(bundles, strategy="STRICT_SPREAD" if c.num_nodes > 1 else "PACK")
    ray.get(pg.ready(), timeout=600)
    try:
        actors = [NodeRunner.options(num_gpus=c.gpus_per_node, num_cpus=c.cpus_per_node,
                                     scheduling_strategy=PlacementGroupSchedulingStrategy(
                                         pg, placement_group_bundle_index=i)).remote()
                  for i in range(c.num_nodes)]
        for stage in stages:
            addr, port = ray.get(actors[0].rendezvous.remote())
            print(describe(stage, cfg), file=sys.stderr)
            codes = ray.get([a.run.remote(torchrun_command(cfg, stage, i, addr, port)) for i, a in enumerate(actors)])
            bad = [i for i, code in enumerate(codes) if code != 0]
            if bad:
                raise TrainingFailed(f"{stage.name} failed on node(s) {bad} (exit codes {[codes[i] for i in bad]})")
    finally:
        remove_placement_group(pg)
