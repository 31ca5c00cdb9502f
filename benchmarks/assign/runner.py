"""The AssignUnits benchmark: latency (end to end over gRPC and solver only), quality against
greedy nearest-unit dispatch, speed against PuLP (CBC, and HiGHS) on the same model, and
objective and speed against SciPy's ``linear_sum_assignment`` where an instance is one-to-one.

Scenarios come from ``benchmarks.assign.scenarios.city_problem`` with fixed seeds (seed, seed+1,
...); the two larger sizes carry coverage rules. Each latency sample is one sequential call; the
server is ``dispatch serve`` in its own process on 127.0.0.1 port 0 (``server.py`` says why),
the solver-only calls run in this process, interleaved with the end-to-end ones. The benchmark's
own instances have committed units (and coverage), which LSA cannot express, so LSA is skipped
on them with the reason and runs on ``one_to_one_problem`` variants of every size, plus a scarce
size where slots outnumber units so that the fill-by-priority level matters (``lsa.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from benchmarks.assign.lsa import not_one_to_one, solve_lsa
from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem, one_to_one_problem
from benchmarks.assign.server import server_process
from dispatch._proto.dispatch.v1 import common_pb2
from solvers.assignment import AssignmentProblem, SolveSettings, solve
from solvers.assignment.checker import Evaluation
from solvers.budget import Deadline
from solvers.status import SolverFamily, Status

RESULTS = Path(__file__).resolve().parents[1] / "results" / "assign"
SHORT_DEADLINE = 0.05  # seconds


@dataclass(frozen=True)
class Size:
    """One scenario size and how much of it to run."""

    incidents: int
    units: int
    coverage: bool
    instances: int
    calls: int
    milp_instances: int
    milp_time_limit: float
    short_calls: int = 50
    lsa_instances: int = 0  # one-to-one variants of this size solved by LSA and the service
    lsa_repeats: int = 1  # timed solves per instance and engine (the median is kept)


FULL = (
    Size(
        10,
        50,
        False,
        instances=20,
        calls=200,
        milp_instances=10,
        milp_time_limit=30.0,
        lsa_instances=20,
        lsa_repeats=5,
    ),
    Size(
        50,
        300,
        True,
        instances=20,
        calls=200,
        milp_instances=5,
        milp_time_limit=60.0,
        lsa_instances=20,
        lsa_repeats=5,
    ),
    Size(
        200,
        2000,
        True,
        instances=10,
        calls=200,
        milp_instances=2,
        milp_time_limit=150.0,
        lsa_instances=10,
        lsa_repeats=5,
    ),
)
QUICK = (
    Size(
        10,
        50,
        False,
        instances=3,
        calls=12,
        milp_instances=1,
        milp_time_limit=10.0,
        short_calls=3,
        lsa_instances=3,
    ),
    Size(
        50,
        300,
        True,
        instances=2,
        calls=8,
        milp_instances=0,
        milp_time_limit=10.0,
        short_calls=3,
        lsa_instances=2,
    ),
)
#: LSA only: more slots than units, so that level 1 (filled slots by priority) decides.
SCARCE = (30, 40)
SCARCE_INSTANCES = {False: 20, True: 3}  # by --quick


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (nearest-rank)."""
    ordered = sorted(samples)

    def rank(q: float) -> float:
        k = max(0, min(len(ordered) - 1, int(np.ceil(q * len(ordered))) - 1))
        return ordered[k] * 1000

    return {
        "n": len(ordered),
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "max_ms": ordered[-1] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def p1_within_target(problem: AssignmentProblem, evaluation: Evaluation, plan: Any) -> float:
    """Share of P1 requirement slots filled by a unit arriving within the target."""
    slots = int(problem.requirements[problem.priorities == 1].sum())
    if not slots:
        return 1.0
    good = 0
    for u, i in enumerate(plan.incident.tolist()):
        if i < 0 or plan.capability[u] < 0 or problem.priorities[i] != 1:
            continue
        eta = problem.eta(u, i)
        target = int(problem.targets[i])
        good += int(target == 0 or eta <= target)
    return good / slots


def quality_row(problem: AssignmentProblem, label: str, result: Any) -> dict[str, Any]:
    """The figures compared between engines for one instance."""
    evaluation = result.evaluation
    return {
        "engine": result.report.engine,
        "status": result.report.status.value,
        "unfilled_by_level": list(evaluation.unfilled),
        "weighted_response_s": evaluation.weighted_response,
        "weighted_lateness_s": evaluation.weighted_lateness,
        "late_by_level": list(evaluation.late),
        "coverage_shortfall": evaluation.coverage_shortfall,
        "churn": evaluation.churn,
        "p1_within_target": p1_within_target(problem, evaluation, result.plan),
        "key": repr(evaluation.key()),
        "label": label,
    }


def lsa_rows(problems: list[AssignmentProblem], repeats: int) -> list[dict[str, Any]]:
    """LSA against the service's own solve on each instance (same problem object for both).

    Both are exact on a one-to-one instance, so the checker's keys must tie; times are the
    median of ``repeats`` solves taken in turn (service, LSA, service, ...) so that load changes
    hit both alike. An instance that is not one-to-one gets a row with the reason and no solve.
    """
    rows = []
    for problem in problems:
        first = solve_lsa(problem)
        if first.skipped:
            rows.append(
                {
                    "instance": problem.label,
                    "skipped": True,
                    "note": first.note,
                    "reasons": not_one_to_one(problem),
                }
            )
            continue
        service_times, lsa_times, scipy_times = [], [], []
        for _ in range(repeats):
            started = time.perf_counter()
            result = solve(problem, Deadline.after(5.0))
            service_times.append(time.perf_counter() - started)
            outcome = solve_lsa(problem)
            lsa_times.append(outcome.seconds)
            scipy_times.append(outcome.scipy_seconds)
        assert first.evaluation is not None
        lsa_key, service_key = first.evaluation.key(), result.evaluation.key()
        rows.append(
            {
                "instance": problem.label,
                "skipped": False,
                "note": "",
                "same_objective": lsa_key == service_key,
                "lsa_key": repr(lsa_key),
                "service_key": repr(service_key),
                "lsa_better": lsa_key < service_key,
                "service_status": result.report.status.value,
                "service_engine": result.report.engine,
                "unfilled_slots": sum(result.evaluation.unfilled),
                "service_seconds": statistics.median(service_times),
                "lsa_seconds": statistics.median(lsa_times),
                "scipy_seconds": statistics.median(scipy_times),
            }
        )
    return rows


def run_size(size: Size, seed: int, stub: Any, log: Any) -> dict[str, Any]:
    """Every measurement for one size."""
    problems = [
        city_problem(size.incidents, size.units, seed + k, coverage=size.coverage)
        for k in range(size.instances)
    ]
    requests = [to_request(p) for p in problems]
    name = f"{size.incidents}x{size.units}"

    # Quality: optimal vs greedy on every instance.
    quality = []
    for problem in problems:
        best = solve(problem, Deadline.after(5.0))
        greedy = solve(problem, Deadline.after(5.0), SolveSettings(family=SolverFamily.GREEDY))
        quality.append(
            {
                "instance": problem.label,
                "exact": quality_row(problem, "exact", best),
                "greedy": quality_row(problem, "greedy", greedy),
                "not_worse_than_greedy": best.evaluation.key() <= greedy.evaluation.key(),
            }
        )

    # Latency: solver only and end to end interleaved call by call, so that load changes on a
    # shared machine hit both series alike.
    solver_times, statuses, engines = [], {}, {}
    e2e_times, e2e_status = [], {}
    for request in requests[:2]:
        stub.AssignUnits(request, timeout=30)  # warm-up, not counted
    for k in range(size.calls):
        problem = problems[k % len(problems)]
        started = time.perf_counter()
        result = solve(problem, Deadline.after(1.0))
        solver_times.append(time.perf_counter() - started)
        statuses[result.report.status.value] = statuses.get(result.report.status.value, 0) + 1
        engines[result.report.engine] = engines.get(result.report.engine, 0) + 1
        request = requests[k % len(requests)]
        started = time.perf_counter()
        answer = stub.AssignUnits(request, timeout=30)
        e2e_times.append(time.perf_counter() - started)
        key = common_pb2.SolveStatus.Name(answer.solve_info.status)
        e2e_status[key] = e2e_status.get(key, 0) + 1

    # The deadline promise: calls with a 50 ms gRPC deadline must come back with a plan.
    short: dict[str, int] = {}
    for k in range(size.short_calls):
        request = requests[k % len(requests)]
        try:
            answer = stub.AssignUnits(request, timeout=SHORT_DEADLINE)
            key = answer.solve_info.engine
        except grpc.RpcError as exc:
            key = exc.code().name
        short[key] = short.get(key, 0) + 1

    # Speed against PuLP on the same model (staged MILP, no flow involved).
    milp = []
    for problem in problems[: size.milp_instances]:
        reference = solve(problem, Deadline.after(5.0))
        for engine in ("cbc", "highs"):
            settings = SolveSettings(family=SolverFamily.MILP, milp_engine=engine)
            started = time.perf_counter()
            result = solve(problem, Deadline.after(size.milp_time_limit), settings)
            elapsed = time.perf_counter() - started
            milp.append(
                {
                    "instance": problem.label,
                    "engine": result.report.engine,
                    "status": result.report.status.value,
                    "seconds": elapsed,
                    "exact_seconds": reference.report.wall_time,
                    "same_objective_as_exact": (
                        result.evaluation.key() == reference.evaluation.key()
                    ),
                    "fallback_reason": result.report.fallback_reason,
                }
            )
            print(f"  {name} {result.report.engine}: {elapsed:.2f} s", file=log)

    # Against SciPy's linear_sum_assignment: the benchmark's own instances (skipped with the
    # reason unless one-to-one) and one-to-one variants of the same size.
    variants = [
        one_to_one_problem(size.incidents, size.units, seed + k) for k in range(size.lsa_instances)
    ]
    lsa = {
        "benchmark": lsa_rows(problems, size.lsa_repeats),
        "one_to_one": lsa_rows(variants, size.lsa_repeats),
    }

    out = {
        "size": name,
        "coverage": size.coverage,
        "instances": size.instances,
        "solver_only": percentiles(solver_times),
        "solver_status": statuses,
        "solver_engines": engines,
        "end_to_end": percentiles(e2e_times),
        "end_to_end_status": e2e_status,
        "solver_only_samples_ms": [round(t * 1000, 4) for t in solver_times],
        "end_to_end_samples_ms": [round(t * 1000, 4) for t in e2e_times],
        "short_deadline": short,
        "quality": quality,
        "milp": milp,
        "lsa": lsa,
    }
    print(
        f"{name}: e2e p99 {out['end_to_end']['p99_ms']:.1f} ms, solver p99 "
        f"{out['solver_only']['p99_ms']:.1f} ms, {statuses}",
        file=log,
    )
    return out


def machine(argv: list[str]) -> dict[str, Any]:
    """Where and how the figures were measured."""
    from benchmarks.machine import cpu_model, git_commit, versions

    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": shlex.join(["python", "-m", "benchmarks.assign", *argv]),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "git_commit": git_commit(),
        "versions": versions(),
    }


def _summary_table(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| size | coverage | e2e p50 | e2e p95 | e2e p99 | solver p50 | solver p95 | solver p99 "
        "| OPTIMAL (solver / e2e) | engines |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        e, o = s["end_to_end"], s["solver_only"]
        optimal = s["solver_status"].get(Status.OPTIMAL.value, 0)
        total = sum(s["solver_status"].values())
        e2e_optimal = s["end_to_end_status"].get("OPTIMAL", 0)
        engines = ", ".join(f"{k} {v}" for k, v in sorted(s["solver_engines"].items()))
        lines.append(
            f"| {s['size']} | {'yes' if s['coverage'] else 'no'} | {e['p50_ms']:.1f} ms "
            f"| {e['p95_ms']:.1f} ms | {e['p99_ms']:.1f} ms | {o['p50_ms']:.1f} ms "
            f"| {o['p95_ms']:.1f} ms | {o['p99_ms']:.1f} ms "
            f"| {optimal}/{total} / {e2e_optimal}/{total} | {engines} |"
        )
    return lines


def _quality_table(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| size | instances | not worse than greedy | unfilled slots (opt / greedy) "
        "| priority-weighted response s (opt / greedy) | weighted lateness s (opt / greedy) "
        "| P1 slots within target (opt / greedy) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        q = s["quality"]
        ok = sum(row["not_worse_than_greedy"] for row in q)
        unfilled = [sum(sum(r[k]["unfilled_by_level"]) for r in q) for k in ("exact", "greedy")]
        response = [sum(r[k]["weighted_response_s"] for r in q) for k in ("exact", "greedy")]
        late = [sum(r[k]["weighted_lateness_s"] for r in q) for k in ("exact", "greedy")]
        p1 = [statistics.fmean(r[k]["p1_within_target"] for r in q) for k in ("exact", "greedy")]
        lines.append(
            f"| {s['size']} | {len(q)} | {ok}/{len(q)} | {unfilled[0]} / {unfilled[1]} "
            f"| {response[0]:,} / {response[1]:,} | {late[0]:,} / {late[1]:,} "
            f"| {p1[0]:.1%} / {p1[1]:.1%} |"
        )
    return lines


def _milp_summary(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| size | instances | exact (AUTO) median s | pulp.cbc median s | pulp.highs median s "
        "| same optimum as exact |",
        "|---|---|---|---|---|---|",
    ]
    for s in sizes:
        rows = s["milp"]
        if not rows:
            continue

        def median(engine: str, key: str = "seconds", rows: list = rows) -> str:
            values = [r[key] for r in rows if r["engine"] == engine]
            return f"{statistics.median(values):.3f}" if values else "-"

        same = sum(r["same_objective_as_exact"] for r in rows)
        lines.append(
            f"| {s['size']} | {len(rows) // 2} | {median('pulp.cbc', 'exact_seconds')} "
            f"| {median('pulp.cbc')} | {median('pulp.highs')} | {same}/{len(rows)} |"
        )
    return lines


def _milp_table(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| size | instance | engine | status | seconds | exact (AUTO) seconds | same objective |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        for row in s["milp"]:
            lines.append(
                f"| {s['size']} | {row['instance']} | {row['engine']} | {row['status']} "
                f"| {row['seconds']:.2f} | {row['exact_seconds']:.3f} "
                f"| {'yes' if row['same_objective_as_exact'] else 'no'} |"
            )
    return lines


def _ms(rows: list[dict[str, Any]], key: str) -> str:
    return f"{statistics.median(r[key] for r in rows) * 1000:.2f}" if rows else "-"


def _lsa_table(groups: list[tuple[str, str, list[dict[str, Any]]]]) -> list[str]:
    lines = [
        "| size | instances | one-to-one | same objective | service OPTIMAL "
        "| with unfilled slots | service median ms | LSA median ms | scipy call median ms "
        "| skipped because |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, kind, rows in groups:
        ran = [r for r in rows if not r["skipped"]]
        same = sum(r["same_objective"] for r in ran)
        optimal = sum(r["service_status"] == Status.OPTIMAL.value for r in ran)
        short = sum(r["unfilled_slots"] > 0 for r in ran)
        why: dict[str, int] = {}
        for r in rows:
            if r["skipped"]:
                for reason in r["reasons"] or [r["note"]]:
                    category = reason.split(":")[0]
                    why[category] = why.get(category, 0) + 1
        skipped = ", ".join(f"{k} ({v})" for k, v in sorted(why.items())) or "-"
        counts = (
            f"{same}/{len(ran)} | {optimal}/{len(ran)} | {short}/{len(ran)}" if ran else "- | - | -"
        )
        lines.append(
            f"| {size} {kind} | {len(rows)} | {len(ran)}/{len(rows)} | {counts} "
            f"| {_ms(ran, 'service_seconds')} | {_ms(ran, 'lsa_seconds')} "
            f"| {_ms(ran, 'scipy_seconds')} | {skipped} |"
        )
    return lines


def _lsa_findings(groups: list[tuple[str, str, list[dict[str, Any]]]]) -> list[str]:
    """Two exact solvers that disagree (or a rejected LSA plan) is a finding, never averaged away:
    each such instance is named with both checked keys."""
    lines = []
    ran = 0
    for _, _, rows in groups:
        for r in rows:
            if r["skipped"]:
                if r["note"].startswith("LSA plan rejected"):
                    lines.append(f"- **Rejected** on {r['instance']}: {r['note']}.")
                continue
            ran += 1
            if r["same_objective"]:
                continue
            who = (
                "LSA better: the service's answer is not optimal here"
                if r["lsa_better"]
                else "service better: LSA's costs do not encode the objective here"
            )
            lines.append(
                f"- **Differs** on {r['instance']}: service {r['service_key']} "
                f"({r['service_status']}), LSA {r['lsa_key']}: {who}."
            )
    if not ran:
        return [*lines, "- LSA ran on no instance (see the skip reasons above)."]
    return lines or [f"- The checked objectives tie on all {ran} one-to-one instances."]


def lsa_groups(
    sizes: list[dict[str, Any]], scarce: dict[str, Any] | None
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(size, which instances, rows) per LSA table row; the table and the findings both walk
    this list, so they cannot disagree on what was compared."""
    groups = []
    for s in sizes:
        groups.append((s["size"], "benchmark", s["lsa"]["benchmark"]))
        groups.append((s["size"], "one-to-one", s["lsa"]["one_to_one"]))
    if scarce:
        groups.append((scarce["size"], "one-to-one scarce", scarce["rows"]))
    return groups


def write_plot(path: Path, sizes: list[dict[str, Any]]) -> str:
    """Latency distributions as a PNG; returns the Markdown that shows it, or why it is missing.

    Box plots on a log scale because the tails (a shared machine's noise) span orders of
    magnitude more than the medians; whiskers at p1/p99 so that the p99 in the tables is visible.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "Plot skipped: matplotlib is not installed (pip install -e '.[bench]')."
    data, labels = [], []
    for s in sizes:
        data += [s["end_to_end_samples_ms"], s["solver_only_samples_ms"]]
        labels += [f"{s['size']}\nend to end", f"{s['size']}\nsolver only"]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(data)), 4.5))
    ax.boxplot(data, whis=(1, 99), showfliers=True)
    ax.set_xticks(range(1, len(data) + 1), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("AssignUnits latency (ms, log scale)")
    ax.set_title("AssignUnits latency per size (box: p25-p75, whiskers: p1-p99)", fontsize=9)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"![AssignUnits latency]({path.name})"


def write_markdown(
    path: Path,
    env: dict[str, Any],
    sizes: list[dict[str, Any]],
    scarce: dict[str, Any] | None = None,
    plot: str = "",
) -> None:
    """The human-readable result next to the raw JSON."""
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    text = [
        "# AssignUnits benchmark",
        "",
        f"- Command: `{env['command']}`",
        f"- Date (UTC): {env['date_utc']}",
        f"- Machine: {env['cpu']}, {env['cores']} cores, {env['platform']}",
        f"- Load average (1/5/15 min) at start: {env['load_average']}, at end: "
        f"{env.get('load_average_end')}",
        "- Noise: the 2-core machine is shared with other engineers' builds and tests while this",
        "  runs; a load average above 2 means waiting for a core, which shows up in the tails",
        "  (p95/p99) far more than in the medians. Compare medians across runs; treat tails as",
        "  upper bounds for this machine state.",
        f"- Commit: {env['git_commit']}",
        f"- Versions: {versions}",
        "",
        "Latency: sequential calls cycling over the instances; default 1 s budget; end to end",
        "= client-side round trip over gRPC on 127.0.0.1 to `dispatch serve` in its own process",
        "(serialisation, validation, conversion, solve, checking, answer); solver only =",
        "`solvers.assignment.solve` on the already-built problem (flow/CP-SAT/checker/reasons),",
        "interleaved call by call with the end-to-end calls.",
        "",
        *_summary_table(sizes),
        "",
        plot,
        "",
        "## Quality against greedy nearest-unit (most urgent first), summed over instances",
        "",
        '"Not worse" compares the full lexicographic objective (unfilled slots by priority;',
        "then slots within target by priority; then weighted response; then coverage shortfall;",
        "then churn). Weighted lateness is informational. Greedy",
        "does not re-route en-route units, so the optimum may dispatch differently where that",
        "fills more urgent slots or arrives sooner.",
        "",
        *_quality_table(sizes),
        "",
        "## 50 ms gRPC deadline (the promise: an answer, not DEADLINE_EXCEEDED)",
        "",
        "| size | calls | outcomes (engine of the answer, or gRPC status) |",
        "|---|---|---|",
        *[
            f"| {s['size']} | {sum(s['short_deadline'].values())} | "
            + ", ".join(f"{k} {v}" for k, v in sorted(s["short_deadline"].items()))
            + " |"
            for s in sizes
        ],
        "",
        "## Speed against PuLP on the same model (staged MILP: fill, late slots per priority,"
        " response, coverage+churn)",
        "",
        "Each MILP run solves the whole lexicographic objective stage by stage with gaps 0;",
        "Exact (AUTO) seconds are the portfolio's solver-only time on the same instance (its flows,"
        " by SciPy's sparse assignment or OR-Tools' min-cost flow: see the engines column above).",
        "",
        *_milp_summary(sizes),
        "",
        *_milp_table(sizes),
        "",
        "## Against SciPy linear_sum_assignment (one-to-one instances only)",
        "",
        "LSA is exact only when every choice is one unit filling one slot at a fixed cost: no",
        "coverage rules and no unit committed to an incident of the request (forced slots, ETA 0",
        "on scene, churn). The benchmark's own instances have committed units (and coverage from",
        "50x300 on), so LSA is skipped there with the reason; the one-to-one rows are the same",
        "cities and seeds without en-route units, busy units busy elsewhere, no coverage",
        "(`scenarios.one_to_one_problem`); the scarce row has more slots than units. Columns =",
        "one per slot, cost = the service's own objective for that slot (level bonus, then",
        "weighted lateness and response), forbidden pairs cost what an empty slot costs and are",
        "dropped; LSA's plan goes through the service's checker and the checker's full",
        "lexicographic key is compared with the service's solve of the same problem. Times are",
        "medians over instances of each instance's median: service = `solvers.assignment.solve`",
        "(arcs, min-cost flow, checker, unfilled reasons); LSA = cost matrix + SciPy call + plan +",
        "checker; scipy call = `linear_sum_assignment` alone.",
        "",
        *_lsa_table(lsa_groups(sizes, scarce)),
        "",
        *_lsa_findings(lsa_groups(sizes, scarce)),
        "",
    ]
    path.write_text("\n".join(text))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks.assign`` and of the ``assign`` suite."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.assign", description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    parser.add_argument("--seed", type=int, default=1, help="first scenario seed")
    parser.add_argument("--quick", action="store_true", help="a few calls, for tests")
    parser.add_argument("--calls", type=int, default=0, help="override calls per size")
    args = parser.parse_args(argv)

    from dispatch import client

    sizes = QUICK if args.quick else FULL
    env = machine(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with server_process() as target:
        channel = client.channel(target)
        stub = client.stub(channel)
        for size in sizes:
            if args.calls:
                size = Size(**{**size.__dict__, "calls": args.calls})
            results.append(run_size(size, args.seed, stub, sys.stderr))
        channel.close()
    scarce_problems = [
        one_to_one_problem(*SCARCE, args.seed + k) for k in range(SCARCE_INSTANCES[args.quick])
    ]
    scarce = {
        "size": f"{SCARCE[0]}x{SCARCE[1]}",
        "rows": lsa_rows(scarce_problems, sizes[0].lsa_repeats),
    }
    env["load_average_end"] = os.getloadavg()
    stem = "quick" if args.quick else "results"
    (args.out / f"{stem}.json").write_text(
        json.dumps(
            {"environment": env, "sizes": results, "lsa_scarce": scarce}, indent=1, default=str
        )
    )
    plot = write_plot(args.out / ("quick-latency.png" if args.quick else "latency.png"), results)
    write_markdown(args.out / f"{stem}.md", env, results, scarce, plot)
    print(args.out / f"{stem}.md")
    return 0
