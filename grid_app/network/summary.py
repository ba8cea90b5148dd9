"""The lines import-network prints: size, what was dropped, the pieces and where the homes are."""
from __future__ import annotations

SHOWN_PIECES = 10


def network_summary(result) -> list[str]:
    """Report lines for a NetworkImport (grid_app.network.importer)."""
    rep, tally = result.report, result.tally
    lines = [f"{rep.nodes} nodes, {rep.edges} edges, {rep.length_km:.1f} km"]
    kept = sum(tally.kept.values())
    lines.append(f"walkable lines: {kept} kept (class field: {tally.scheme}); "
                 f"{sum(tally.dropped.values())} dropped"
                 + (f"; {tally.snapped_ends} end(s) snapped" if tally.snapped_ends else ""))
    if tally.dropped:
        lines.append("  dropped: " + ", ".join(f"{reason} {n}" for reason, n in
                                                 sorted(tally.dropped.items(), key=lambda kv: -kv[1])))
    if tally.unknown:
        lines.append("  unknown classes, kept (--drop CLASS to leave them out): " + ", ".join(
            f"{cls} {n}" for cls, n in sorted(tally.unknown.items(), key=lambda kv: -kv[1])))
    found = result.pieces
    lines.append(f"{len(found)} connected component(s)"
                 + (f": the main one and {len(found) - 1} disconnected piece(s)" if len(found) > 1 else ""))
    for piece in found[:SHOWN_PIECES]:
        lines.append(f"  #{piece.rank}: {piece.nodes} nodes, {piece.edges} edges, {piece.km:.2f} km, "
                     f"{piece.residents} residents ({piece.share:.1%} of homes) near {piece.lon:.6f},{piece.lat:.6f}"
                     f" bbox {piece.bbox[0]:.6f},{piece.bbox[1]:.6f},{piece.bbox[2]:.6f},{piece.bbox[3]:.6f}")
    rest = found[SHOWN_PIECES:]
    if rest:
        with_homes = [p for p in rest if p.residents]
        lines.append(f"  ... {len(rest)} smaller component(s), {sum(p.residents for p in rest)} residents")
        lines.extend(f"  #{p.rank}: {p.nodes} nodes, {p.residents} residents near {p.lon:.6f},{p.lat:.6f}"
                     for p in with_homes[:SHOWN_PIECES])
    if result.unattached_residents:
        lines.append(f"  {result.unattached_residents} residents live farther than the access limit from "
                     "any ground-level walkway")
    if result.warning:
        lines.append(f"warning: {result.warning}")
    return lines
