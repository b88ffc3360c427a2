"""``python -m bench``: training-step times of chainrule, PyTorch, lean NumPy and bare GEMMs.

Contenders run interleaved in rounds, in a rotating order, with a pause between them
(OpenBLAS worker threads spin for ~0.1 s after a call and would steal a core from the
next contender). Each round gives one time per contender; the ratios are paired within a
round, and the report gives their median and min-max. Results go to bench/results/ as
JSON and a markdown table.

    python -m bench [--rounds 15] [--workload mlp tiny tiny_user]
"""

from __future__ import annotations

import argparse
import statistics

from . import eager_floor, interleave, machine, save, steps, summary

WORKLOADS = {
    "mlp": {
        "title": "MLP 784-256-256-10, batch 128, float32, SGD step",
        "data": steps.mlp_data,
        "contenders": {
            "chainrule": steps.chainrule_mlp,
            "pytorch": steps.torch_mlp,
            "numpy": steps.numpy_mlp,
            "gemm_floor": steps.gemm_floor_mlp,
        },
        "steps_per_block": 50,
    },
    "tiny": {
        "title": "2-3-1 sigmoid net, batch 1, float32, SGD step",
        "data": steps.tiny_data,
        "contenders": {
            "chainrule": steps.chainrule_tiny,
            "pytorch": steps.torch_tiny,
            "numpy": steps.numpy_tiny,
            "micrograd": steps.micrograd_tiny,  # left out when micrograd is not installed
        },
        "steps_per_block": 2000,
    },
    "tiny_user": {
        "title": "2-3-1 sigmoid net, batch 1, float32, written as a user writes it "
        "(cr.tensor weights, 0.5 * ((y - t) ** 2).sum(), p -= lr * p.grad)",
        "data": steps.tiny_data,
        "contenders": {
            "chainrule": steps.chainrule_tiny_user,
            "pytorch": steps.torch_tiny_user,
            "numpy": steps.numpy_tiny_user,
            "eager_floor": eager_floor.eager_floor_tiny_user,  # the leanest eager engine
        },
        "steps_per_block": 2000,
        "also": [("eager_floor", "numpy")],  # the floor of any eager engine in Python
    },
}
PAUSE_SECONDS = 0.15


def run_workload(name: str, rounds: int) -> dict:
    spec = WORKLOADS[name]
    data = spec["data"]()
    contenders = {}
    for who, make in spec["contenders"].items():
        try:
            contenders[who] = make(data)
        except ImportError:
            print(f"{name}: {who} is not installed, left out")
    for step in contenders.values():  # warm up: first calls allocate and import
        for _ in range(max(1, spec["steps_per_block"] // 5)):
            step()
    times = interleave(contenders, rounds, spec["steps_per_block"], PAUSE_SECONDS)
    names = list(contenders)
    pairs = [("chainrule", other) for other in names if other != "chainrule"]
    pairs += [pair for pair in spec.get("also", []) if set(pair) <= set(names)]
    ratios = {f"{a}/{b}": [x / y for x, y in zip(times[a], times[b])] for a, b in pairs}
    return {
        "title": spec["title"],
        "median_ms": {who: 1e3 * statistics.median(t) for who, t in times.items()},
        "ratios": {key: summary(r) for key, r in ratios.items()},
        "times_s": times,
    }


def markdown(results: dict) -> str:
    lines = []
    for result in results["workloads"].values():
        lines.append(f"### {result['title']}\n")
        lines.append("| contender | median ms/step |")
        lines.append("|---|---|")
        for who, ms in result["median_ms"].items():
            lines.append(f"| {who} | {ms:.4f} |")
        lines.append("")
        lines.append("| ratio | median | min | max |")
        lines.append("|---|---|---|---|")
        for key, r in result["ratios"].items():
            lines.append(f"| {key} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="chainrule training-step benchmarks")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workload", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)  # this machine's cores; PyTorch and OpenBLAS get the same
    results = {
        "machine": machine(torch=torch.__version__),
        "rounds": args.rounds,
        "workloads": {name: run_workload(name, args.rounds) for name in args.workload},
    }
    save(args.out, "steps", results, markdown(results))


if __name__ == "__main__":
    main()
