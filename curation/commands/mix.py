"""``curate mix``: plan Marco's two-stage mixture from token counts; writes ``mixture_plan.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curation.commands.common import EXIT_FAILED, fail


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def load_mix_config(args: argparse.Namespace):  # -> MixConfig
    import yaml
    from pydantic import ValidationError

    from curation.mixture import MixConfig, MixError

    data: dict = {}
    if args.config:
        p = Path(args.config)
        if not p.is_file():
            raise MixError(f"config file not found: {p}")
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise MixError(f"{p}: expected a mapping at the top level")
    try:
        cfg = MixConfig.model_validate(data).model_dump()
        if args.stage_tokens:
            tokens = [float(t) for t in _csv(args.stage_tokens)]
            if len(tokens) != len(cfg["stages"]):
                raise MixError(f"--stage-tokens needs {len(cfg['stages'])} values, got {len(tokens)}")
            for stage, t in zip(cfg["stages"], tokens):
                stage["tokens"] = t
        for key in ("repetition_cap", "within_group"):
            if getattr(args, key) is not None:
                cfg[key] = getattr(args, key)
        for key in ("high_resource", "low_resource"):
            if getattr(args, key) is not None:
                cfg[key] = _csv(getattr(args, key))
        cfg["strict"] = cfg["strict"] or args.strict
        return MixConfig.model_validate(cfg)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in err.errors())
        raise MixError(f"bad mix config: {problems}") from None
    except ValueError as err:
        if isinstance(err, MixError):
            raise
        raise MixError(f"bad value: {err}") from None


def cmd_mix(args: argparse.Namespace) -> int:
    from curation.mixture import MixError, format_table, load_counts, plan_mixture, write_plan

    try:
        cfg = load_mix_config(args)
        sources = [s for path in args.counts for s in load_counts(path)]
    except MixError as err:
        return fail(str(err))
    try:
        plan = plan_mixture(sources, cfg)
    except MixError as err:
        return fail(str(err), EXIT_FAILED)
    path = write_plan(plan, args.output)
    for w in plan["warnings"]:
        print(f"curate: warning: {w}", file=sys.stderr)
    unit = {"B": 1e9, "M": 1e6, "tokens": 1.0}[args.unit]
    print(format_table(plan, unit))
    for stage in plan["stages"]:
        if stage["data_path"]:
            print(f"\n{stage['name']} ({stage['tokens']:.4g} tokens):\n--data-path {' '.join(stage['data_path'])}")
    print(f"plan -> {path}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mix", help="plan the two-stage mixture (Megatron --data-path weights, epochs, utilisation)")
    p.add_argument("--counts", action="append", required=True, metavar="PATH",
                   help="token counts: token_counts.json from curate tokenize, or csv/parquet with "
                        "category,language,tokens[,prefix] (repeatable)")
    p.add_argument("--output", required=True, metavar="DIR", help="writes DIR/mixture_plan.json")
    p.add_argument("--config", help="mix YAML (stages with tokens and shares, repetition_cap, groups); "
                   "default: Marco-LLM Tables 2-3")
    p.add_argument("--stage-tokens", help="token budget per stage, comma-separated (default 160e9,140e9)")
    p.add_argument("--repetition-cap", type=float, help="most epochs per dataset over all stages (default 4)")
    p.add_argument("--high-resource", help="comma-separated high-resource languages (default: Marco's ten)")
    p.add_argument("--low-resource", help="comma-separated low-resource languages (default: Marco's nineteen)")
    p.add_argument("--within-group", choices=["equal", "proportional"],
                   help="split of a language group's share: equal per language (Marco, default) or by tokens")
    p.add_argument("--strict", action="store_true", help="fail on repetition past the cap or a category without data")
    p.add_argument("--unit", choices=["B", "M", "tokens"], default="B", help="unit of the printed table")
    p.set_defaults(func=cmd_mix)
