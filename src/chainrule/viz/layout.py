"""Where the page's boxes go: Graphviz's ``dot`` when installed, else layers of our own.

Both lay out left to right (inputs to output) in points, y down, and give every node a
centre and size, every edge an SVG path and a label point, every module cluster a box.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

_DOT_MAX_NODES = 600  # beyond this the page lays itself out: dot's time grows fast
_CHAR, _LINE, _PAD = 5.6, 12.0, 10.0  # 10pt Helvetica: mean character width, line height
_RANK_GAP, _NODE_GAP = 50.0, 14.0


def box_lines(node: dict[str, Any], update: dict[str, str]) -> list[str]:
    """Every line a node's box may show: op, value, its final gradient, its new value."""
    lines = ([node["op"]] if node["op"] else []) + node["lines"]
    if node["grads"]:
        lines.append("grad " + node["grads"][-1][1])
    if node["id"] in update:
        lines.append("new " + update[node["id"]])
    return lines


def layout(data: dict[str, Any]) -> dict[str, Any]:
    """Positions for ``data``'s nodes, edges and clusters, and which layout made them."""
    update = {row["node"]: row["new"] for row in data["update"]}
    lines = {node["id"]: box_lines(node, update) for node in data["nodes"]}
    if shutil.which("dot") is None:
        why = "Graphviz's dot is not installed"
    elif len(data["nodes"]) > _DOT_MAX_NODES:
        why = f"over {_DOT_MAX_NODES} nodes, too many for dot to be quick"
    else:
        found = _graphviz(data, lines)
        if found:
            return found
        why = "Graphviz's dot failed on this graph"
    return _layered(data, lines, why)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_text(data: dict[str, Any], lines: dict[str, list[str]]) -> str:
    out = ["digraph page {", "  rankdir=LR; nodesep=0.2; ranksep=0.65;"]
    out.append('  node [shape=box, fontname="Helvetica", fontsize=10, margin="0.1,0.07"];')
    children: dict[str | None, list[str]] = {}
    for node in data["nodes"]:
        children.setdefault(node.get("cluster"), []).append(node["id"])

    def block(cluster: str | None, indent: str) -> None:
        for key in children.get(cluster, []):
            out.append(f"{indent}{key} [label={_quote(chr(10).join(lines[key]))}];")
        for inner in data["clusters"]:
            if inner["parent"] == cluster:
                out.append(f"{indent}subgraph {_quote('cluster_' + inner['name'])} {{")
                out.append(f"{indent}  label={_quote(inner['label'])}; fontsize=10;")
                block(inner["name"], indent + "  ")
                out.append(f"{indent}}}")

    block(None, "  ")
    out += [f"  {edge['src']} -> {edge['dst']};" for edge in data["edges"]]
    return "\n".join(out + ["}"]) + "\n"


def _graphviz(data: dict[str, Any], lines: dict[str, list[str]]) -> dict[str, Any] | None:
    """``dot -Tjson``'s layout, or None when dot fails (the page then lays itself out)."""
    try:
        done = subprocess.run(
            ["dot", "-Tjson"],
            input=_dot_text(data, lines),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        laid = json.loads(done.stdout)
        version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    height = float(laid["bb"].split(",")[3])

    def point(text: str) -> list[float]:
        x, y = text.split(",")[-2:]
        return [round(float(x), 1), round(height - float(y), 1)]

    nodes, clusters, names = {}, {}, {}
    for item in laid.get("objects", []):
        names[item["_gvid"]] = item["name"]
        if "bb" in item:  # a cluster
            x0, y0, x1, y1 = (float(v) for v in item["bb"].split(","))
            box = [x0, height - y1, x1 - x0, y1 - y0]
            clusters[item["name"].removeprefix("cluster_")] = [round(v, 1) for v in box]
        elif "pos" in item:
            w, h = float(item["width"]) * 72, float(item["height"]) * 72
            nodes[item["name"]] = [*point(item["pos"]), round(w, 1), round(h, 1)]
    laid_edges: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in laid.get("edges", []):  # dot lists edges its own way: match them by ends
        laid_edges.setdefault((names[item["tail"]], names[item["head"]]), []).append(item)
    edges = {}
    for edge in data["edges"]:
        item = laid_edges[(edge["src"], edge["dst"])].pop(0)
        parts = item["pos"].split()
        tip = point(parts[0]) if parts[0].startswith("e,") else None
        spline = [point(p) for p in parts if p[:2] not in ("e,", "s,")]
        edges[edge["id"]] = _path(spline, tip)
    engine = version.strip().replace("dot - graphviz version", "Graphviz dot") or "Graphviz dot"
    return {
        "engine": engine,
        "width": float(laid["bb"].split(",")[2]),
        "height": height,
        "nodes": nodes,
        "edges": edges,
        "clusters": clusters,
    }


def _path(spline: list[list[float]], tip: list[float] | None) -> dict[str, Any]:
    """An SVG path through dot's cubic Bezier points, ending at the arrow tip."""
    d = f"M{spline[0][0]},{spline[0][1]}"
    for k in range(1, len(spline) - 2, 3):
        d += " C" + " ".join(f"{x},{y}" for x, y in spline[k : k + 3])
    if tip is not None:
        d += f" L{tip[0]},{tip[1]}"
    count = (len(spline) - 1) // 3  # Bezier segments; the label goes half way along
    if count % 2 == 0:
        return {"d": d, "label": spline[3 * count // 2]}
    a, b, c, e = spline[3 * (count // 2) : 3 * (count // 2) + 4]
    middle = [round((a[i] + 3 * b[i] + 3 * c[i] + e[i]) / 8, 1) for i in range(2)]
    return {"d": d, "label": middle}


def _layered(data: dict[str, Any], lines: dict[str, list[str]], why: str) -> dict[str, Any]:
    """Our own layout: one column per rank, each column ordered by its neighbours' rows;
    ``why`` it was used goes into the footer."""
    sizes = {
        key: [max(len(line) for line in text) * _CHAR + 2 * _PAD, len(text) * _LINE + _PAD]
        for key, text in lines.items()
    }
    parents: dict[str, list[str]] = {key: [] for key in lines}
    children: dict[str, list[str]] = {key: [] for key in lines}
    for edge in data["edges"]:
        parents[edge["dst"]].append(edge["src"])
        children[edge["src"]].append(edge["dst"])
    rank: dict[str, int] = {}
    for node in data["nodes"]:  # graph order: parents come first
        rank[node["id"]] = 1 + max((rank[p] for p in parents[node["id"]]), default=-1)
    for node in reversed(data["nodes"]):  # inputs sit just before their first use
        key = node["id"]
        if not parents[key] and children[key]:
            rank[key] = min(rank[c] for c in children[key]) - 1
    columns: dict[int, list[str]] = {}
    for node in data["nodes"]:
        columns.setdefault(rank[node["id"]], []).append(node["id"])
    row = {key: float(k) for keys in columns.values() for k, key in enumerate(keys)}
    ranks = sorted(columns)
    for sweep, near_of in ((ranks, parents), (ranks[::-1], children), (ranks, parents)):
        for r in sweep:  # each column by the mean row of its neighbours (barycentres)
            for key in columns[r]:
                near = [row[n] for n in near_of[key]]
                row[key] = sum(near) / len(near) if near else row[key]
            columns[r].sort(key=lambda key: row[key])
            row.update((key, float(k)) for k, key in enumerate(columns[r]))
    nodes, x = {}, 0.0
    heights = {r: sum(sizes[k][1] + _NODE_GAP for k in keys) for r, keys in columns.items()}
    total = max(heights.values(), default=0.0)
    for r in sorted(columns):
        width = max(sizes[k][0] for k in columns[r])
        y = (total - heights[r]) / 2 + _NODE_GAP
        for key in columns[r]:
            w, h = sizes[key]
            nodes[key] = [round(x + width / 2, 1), round(y + h / 2, 1), round(w, 1), round(h, 1)]
            y += h + _NODE_GAP
        x += width + _RANK_GAP
    edges = {}
    for edge in data["edges"]:
        (x0, y0, w0, _), (x1, y1, w1, _) = nodes[edge["src"]], nodes[edge["dst"]]
        start, end = [x0 + w0 / 2, y0], [x1 - w1 / 2, y1]
        bend = (end[0] - start[0]) / 2
        spline = [start, [start[0] + bend, y0], [end[0] - bend, y1], end]
        edges[edge["id"]] = {**_path(spline, None), "label": [(x0 + x1) / 2, (y0 + y1) / 2]}
    return {
        "engine": f"chainrule's layered layout ({why})",
        "width": x,
        "height": total + _NODE_GAP,
        "nodes": nodes,
        "edges": edges,
        "clusters": _boxes(data, nodes),
    }


def _boxes(data: dict[str, Any], nodes: dict[str, list[float]]) -> dict[str, list[float]]:
    """Each cluster's box: around its nodes and inner clusters, with room for its title."""
    boxes: dict[str, list[float]] = {}
    for cluster in reversed(data["clusters"]):  # inner clusters first
        corners = [
            [x - w / 2, y - h / 2, x + w / 2, y + h / 2]
            for node in data["nodes"]
            if node.get("cluster") == cluster["name"]
            for x, y, w, h in [nodes[node["id"]]]
        ]
        corners += [
            [x, y, x + w, y + h]
            for inner in data["clusters"]
            if inner["parent"] == cluster["name"] and inner["name"] in boxes
            for x, y, w, h in [boxes[inner["name"]]]
        ]
        if corners:
            x0, y0 = min(c[0] for c in corners) - 6, min(c[1] for c in corners) - 18
            x1, y1 = max(c[2] for c in corners) + 6, max(c[3] for c in corners) + 6
            boxes[cluster["name"]] = [x0, y0, x1 - x0, y1 - y0]
    return boxes
