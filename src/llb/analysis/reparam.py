"""Non-centre hierarchical priors by rewriting declarations with Stan's affine transform.

A parameter with a location-scale prior whose location or scale are themselves parameters, as in
``array[J] real theta; theta ~ normal(mu, tau);``, makes a funnel that NUTS cannot explore: divergent
transitions, biased draws and so a biased marginal likelihood. Declaring it as
``array[J] real<offset=mu, multiplier=tau> theta;`` samples the same model in non-centred coordinates:
the density of theta is unchanged and Stan adds the transform's Jacobian, so the posterior and the
evidence are those of the program as written. Used when a program as written shows divergences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llb.analysis.stan_syntax import IDENT, TILDE, block_declarations, blocks, replace_block, split_top_level
from llb.stan.toolchain import Toolchain
from llb.stan.validate import canonical_form

# location-scale families and the positions of (location, scale) among their arguments
LOCATION_SCALE = {"normal": (0, 1), "cauchy": (0, 1), "double_exponential": (0, 1), "logistic": (0, 1), "student_t": (1, 2)}
_AFFINE_TYPES = {"real", "vector", "row_vector"}


@dataclass(frozen=True)
class Reparameterisation:
    source: str
    variables: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"non-centred {', '.join(self.variables)} with <offset, multiplier> (same model, better geometry)"


def noncentre(source: str, *, toolchain: Toolchain | None = None) -> Reparameterisation | None:
    """The program with every eligible hierarchical parameter non-centred, or None if none is."""
    try:
        canonical = canonical_form(source, toolchain=toolchain)
    except ValueError:
        return None
    parts = blocks(canonical)
    parameter_lines = parts.get("parameters", [])
    declarations = block_declarations(parameter_lines)
    order = {d.name: i for i, d in enumerate(declarations)}
    known_data = {d.name for block in ("data", "transformed data") for d in block_declarations(parts.get(block, []))}
    statements = [(line, TILDE.match(line)) for line in parts.get("model", [])]
    lhs_counts: dict[str, int] = {}
    for _, match in statements:
        if match:
            base = re.match(rf"^\s*({IDENT})", match["lhs"])
            if base:
                lhs_counts[base.group(1)] = lhs_counts.get(base.group(1), 0) + 1

    new_parameter_lines = list(parameter_lines)
    changed: list[str] = []
    for line, match in statements:
        if not match or match["trunc"] or len(match["indent"]) != 2:
            continue
        name = match["lhs"].strip()
        if name not in order or lhs_counts.get(name) != 1 or match["dist"] not in LOCATION_SCALE:
            continue
        declaration = declarations[order[name]]
        if declaration.type not in _AFFINE_TYPES or declaration.lower is not None or declaration.upper is not None:
            continue
        args = split_top_level(match["args"])
        location_at, scale_at = LOCATION_SCALE[match["dist"]]
        if len(args) <= scale_at:
            continue
        location, scale = args[location_at], args[scale_at]
        earlier = {d.name for d in declarations[: order[name]]}
        mentioned = _identifiers(location) | _identifiers(scale)
        if not mentioned & earlier or not mentioned <= earlier | known_data:
            continue  # not hierarchical, or depends on something not available in the parameters block
        index = _declaration_line(new_parameter_lines, name)
        if index is None:
            continue
        new_parameter_lines[index] = _with_affine(new_parameter_lines[index], declaration.type, location, scale)
        changed.append(name)
    if not changed:
        return None
    return Reparameterisation(replace_block(canonical, "parameters", new_parameter_lines), tuple(changed))


def _identifiers(expression: str) -> set[str]:
    """Variable names in an expression (function names, followed by '(', are not variables)."""
    return {m.group(1) for m in re.finditer(rf"(?<![A-Za-z0-9_.])({IDENT})\b(?!\s*\()", expression)}


def _declaration_line(lines: list[str], name: str) -> int | None:
    for index, line in enumerate(lines):
        if re.search(rf"\s{re.escape(name)};\s*$", line) and line.startswith("  ") and not line.startswith("   "):
            return index
    return None


def _with_affine(line: str, type_name: str, location: str, scale: str) -> str:
    affine = f"<offset={location}, multiplier={scale}>"
    return re.sub(rf"\b{type_name}\b(?!<)", f"{type_name}{affine}", line, count=1)
