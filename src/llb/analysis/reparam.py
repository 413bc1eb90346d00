"""Rewrite programs into coordinates NUTS samples well, without changing the model.

Two rewrites, tried when a program as written samples badly (divergences, chains that disagree):

- **Non-centring** hierarchical priors with Stan's affine transform.
A parameter with a location-scale prior whose location or scale are themselves parameters, as in
``array[J] real theta; theta ~ normal(mu, tau);``, makes a funnel that NUTS cannot explore: divergent
transitions, biased draws and so a biased marginal likelihood. Declaring it as
``array[J] real<offset=mu, multiplier=tau> theta;`` samples the same model in non-centred coordinates:
the density of theta is unchanged and Stan adds the transform's Jacobian, so the posterior and the
evidence are those of the program as written.
- **Whitening** multivariate normal parameters: ``x ~ multi_normal(mu, Sigma)`` is sampled as
  ``x = mu + L * x_raw`` with L the Cholesky factor of Sigma, the statement kept and the Jacobian
  ``sum(log(diagonal(L)))`` added, the same construction as the innovations below.
- **Innovations** for random walks and AR(1) terms, ``x[2:N] ~ normal(x[1:(N - 1)], s)`` or the same
  as a loop ``for (t in 2:N) x[t] ~ normal(a + b * x[t - 1], s)``: x becomes a transformed parameter,
  ``x[t] = location_t + scale_t * x_raw[t]`` from a new parameter ``x_raw``, every statement of the
  program stays as written, and ``target += log(scale_t)`` adds the map's Jacobian (it is triangular,
  so its determinant is the product of the scales). The density of the original coordinates times the
  Jacobian is the density of the new ones: the posterior of x and the evidence are unchanged, while
  the sampler moves in the innovations, where a small scale no longer makes a funnel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from llb.analysis.likelihood import add_data_declaration
from llb.analysis.stan_syntax import (
    IDENT, TILDE, Declaration, block_declarations, blocks, enclosing_loops, mentions, replace_block, split_top_level,
)  # fmt: skip
from llb.stan.toolchain import Toolchain
from llb.stan.validate import canonical_form

# location-scale families and the positions of (location, scale) among their arguments
LOCATION_SCALE = {"normal": (0, 1), "cauchy": (0, 1), "double_exponential": (0, 1), "logistic": (0, 1), "student_t": (1, 2)}
_AFFINE_TYPES = {"real", "vector", "row_vector"}
# The data flag of a switchable program: 1 samples the rewrite, 0 the program as written.
REWRITE_FLAG = "llb_rewrite"


@dataclass(frozen=True)
class Reparameterisation:
    """A rewritten program and, one phrase per kind of rewrite, what was done."""

    source: str
    variables: tuple[str, ...]
    changes: tuple[str, ...]
    raw_variables: tuple[str, ...] = ()  # parameters llb added for the new coordinates (x_llb_raw)

    @property
    def description(self) -> str:
        return "; ".join(self.changes)


def reparameterise(source: str, *, toolchain: Toolchain | None = None, switch: str | None = None) -> Reparameterisation | None:
    """Every rewrite that applies, one after the other (non-centring, innovations, whitening), or None.

    With ``switch`` (a data variable the program declares) every change is made only where that
    flag is 1: see ``switchable``."""
    found: list[Reparameterisation] = []
    current = source
    for rewrite in (noncentre, innovations, whitened):
        done = rewrite(current, toolchain=toolchain, switch=switch)
        if done is not None:
            found.append(done)
            current = done.source
    if not found:
        return None
    return Reparameterisation(
        found[-1].source,
        tuple(v for r in found for v in r.variables),
        tuple(c for r in found for c in r.changes),
        tuple(v for r in found for v in r.raw_variables),
    )


def switchable(source: str, *, toolchain: Toolchain | None = None) -> tuple[Reparameterisation, str] | None:
    """(the rewrite, one program holding both it and ``source``, chosen by the data flag
    REWRITE_FLAG), or None when no rewrite applies or the program already uses the flag's name."""
    if mentions(source, REWRITE_FLAG):
        return None
    rewrite = reparameterise(source, toolchain=toolchain)
    if rewrite is None:
        return None
    declared = add_data_declaration(canonical_form(source, toolchain=toolchain), f"int<lower=0, upper=1> {REWRITE_FLAG};")
    both = reparameterise(declared, toolchain=toolchain, switch=REWRITE_FLAG)
    if both is None or both.changes != rewrite.changes:
        return None
    try:  # stanc type-checks it: the flag's arithmetic has no signature for array locations or scales
        return rewrite, canonical_form(both.source, toolchain=toolchain)
    except ValueError:
        return None


def _canonical_blocks(source: str, toolchain: Toolchain | None) -> tuple[str, dict[str, list[str]]] | None:
    """The program in stanc's canonical form and its blocks' lines, or None if stanc cannot print it."""
    try:
        canonical = canonical_form(source, toolchain=toolchain)
    except ValueError:
        return None
    return canonical, blocks(canonical)


def _known_before_model(parts: dict[str, list[str]]) -> tuple[list[Declaration], list[Declaration]]:
    """The declarations of the parameters, and of the data and transformed data."""
    parameters = block_declarations(parts.get("parameters", []))
    return parameters, [d for block in ("data", "transformed data") for d in block_declarations(parts.get(block, []))]


def noncentre(source: str, *, toolchain: Toolchain | None = None, switch: str | None = None) -> Reparameterisation | None:
    """The program with every eligible hierarchical parameter non-centred, or None if none is.
    With ``switch``, the offset and multiplier are 0 and 1 (the identity) where that flag is 0."""
    parsed = _canonical_blocks(source, toolchain)
    if parsed is None:
        return None
    canonical, parts = parsed
    parameter_lines = parts.get("parameters", [])
    declarations, data = _known_before_model(parts)
    order = {d.name: i for i, d in enumerate(declarations)}
    known_data = {d.name for d in data}
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
        if index is None or _has_transform(new_parameter_lines[index], declaration.type):
            continue  # already <offset, multiplier>: non-centred as written
        if switch is not None:
            location, scale = f"{switch} * ({location})", f"{switch} * ({scale}) + (1 - {switch})"
        new_parameter_lines[index] = _with_affine(new_parameter_lines[index], declaration.type, location, scale)
        changed.append(name)
    if not changed:
        return None
    described = f"non-centred {', '.join(changed)} with <offset, multiplier> (same model, better geometry)"
    return Reparameterisation(replace_block(canonical, "parameters", new_parameter_lines), tuple(changed), (described,))


@dataclass(frozen=True)
class _Walk:
    """One random-walk statement: x[t] ~ family(..., location_t, ..., scale_t, ...) for t in 2..size."""

    declaration: Declaration
    size: str
    index: str  # the loop variable that location and scale are written in
    location: str
    scale: str


def innovations(source: str, *, toolchain: Toolchain | None = None, switch: str | None = None) -> Reparameterisation | None:
    """The program with every random walk or AR(1) term sampled as its innovations, or None.
    With ``switch``, x is x_raw itself and no Jacobian is added where that flag is 0."""
    parsed = _canonical_blocks(source, toolchain)
    if parsed is None:
        return None
    canonical, parts = parsed
    parameters, data = _known_before_model(parts)
    available = {d.name for d in parameters} | {d.name for d in data}
    scalars = {d.name for d in (*parameters, *data) if d.scalar}
    model = parts.get("model", [])
    walks: dict[str, _Walk] = {}
    for position, line in enumerate(model):
        walk = _walk(line, model[:position], parts.get("parameters", []), parameters, available, scalars, canonical)
        if walk is not None and walk.declaration.name not in walks:
            walks[walk.declaration.name] = walk
    if not walks:
        return None
    parameter_lines = list(parts.get("parameters", []))
    definitions: list[str] = []
    jacobians: list[str] = []
    raws: list[str] = []
    for name, walk in walks.items():
        raw = _fresh_name(f"{name}_llb_raw", canonical)
        raws.append(raw)
        at = _declaration_line(parameter_lines, name)
        assert at is not None  # _walk only accepts parameters declared alone on their line
        parameter_lines[at] = "  " + replace(walk.declaration, name=raw).declaration_text()
        t = walk.index
        definitions += ["  " + walk.declaration.declaration_text()] + _switched(
            [
                f"{name}[1] = {raw}[1];",
                f"for ({t} in 2 : {walk.size}) {{",
                f"  {name}[{t}] = {walk.location} + {walk.scale} * {raw}[{t}];",
                "}",
            ],
            switch,
            f"{name} = {raw};",
        )
        jacobians += _switched([f"for ({t} in 2 : {walk.size}) {{", f"  target += log({walk.scale});", "}"], switch)
    rewritten = _with_new_coordinates(canonical, parts, parameter_lines, definitions, jacobians)
    names = tuple(walks)
    described = (
        f"random walk {', '.join(names)} sampled as its innovations ({names[0]}[t] = location + scale * "
        f"{raws[0]}[t], Jacobian added; same model, better geometry)"
    )
    return Reparameterisation(rewritten, names, (described,), tuple(raws))


def _switched(lines: list[str], switch: str | None, otherwise: str | None = None) -> list[str]:
    """Model or transformed-parameter statements (indented one level), run only where the flag
    ``switch`` is 1 (with ``otherwise`` where it is 0); all of them, always, without a switch."""
    if switch is None:
        return [f"  {line}" for line in lines]
    out = [f"  if ({switch}) {{", *(f"    {line}" for line in lines)]
    if otherwise is not None:
        out += ["  } else {", f"    {otherwise}"]
    return out + ["  }"]


def _with_new_coordinates(canonical: str, parts: dict[str, list[str]], parameter_lines: list[str], definitions: list[str], jacobians: list[str]) -> str:
    """The program with its parameters block replaced, ``definitions`` first in transformed
    parameters (a block made for them if there is none) and ``jacobians`` last in the model."""
    rewritten = replace_block(canonical, "parameters", parameter_lines)
    if "transformed parameters" in parts:
        rewritten = replace_block(rewritten, "transformed parameters", definitions + parts["transformed parameters"])
    else:
        rewritten = rewritten.replace("\nmodel {\n", "\ntransformed parameters {\n" + "\n".join(definitions) + "\n}\nmodel {\n", 1)
    return replace_block(rewritten, "model", parts.get("model", []) + jacobians)


# the Cholesky factor of each multivariate normal's covariance argument
_CHOLESKY_FACTOR = {"multi_normal": "cholesky_decompose({})", "multi_normal_cholesky": "{}"}


def whitened(source: str, *, toolchain: Toolchain | None = None, switch: str | None = None) -> Reparameterisation | None:
    """The program with every multivariate normal parameter, ``x ~ multi_normal(mu, Sigma)`` or
    ``multi_normal_cholesky(mu, L)``, sampled as ``x = mu + L * x_llb_raw`` (L the covariance's
    Cholesky factor), the statement kept as written and ``target += sum(log(diagonal(L)))`` added
    for the map's Jacobian; or None when there is none llb can rewrite exactly."""
    parsed = _canonical_blocks(source, toolchain)
    if parsed is None:
        return None
    canonical, parts = parsed
    parameter_lines = list(parts.get("parameters", []))
    parameters, data = _known_before_model(parts)
    available = {d.name for d in parameters} | {d.name for d in data}
    definitions: list[str] = []
    jacobians: list[str] = []
    names: list[str] = []
    raws: list[str] = []
    for line in parts.get("model", []):
        match = TILDE.match(line)
        if not match or match["trunc"] or len(match["indent"]) != 2 or match["dist"] not in _CHOLESKY_FACTOR:
            continue
        name = match["lhs"].strip()
        declaration = next((d for d in parameters if d.name == name), None)
        at = _declaration_line(parameter_lines, name)
        if declaration is None or name in names or declaration.type != "vector" or declaration.array_dims or at is None or "<" in parameter_lines[at]:
            continue  # a vector parameter without bounds or an affine transform, declared alone on its line
        args = split_top_level(match["args"])
        if len(args) != 2 or any(mentions(a, name) for a in args) or not set().union(*map(_identifiers, args)) <= available - {name}:
            continue  # its location and covariance must not depend on it, and must be known before the model block
        location, covariance = args
        factor = _CHOLESKY_FACTOR[match["dist"]].format(covariance)
        raw = _fresh_name(f"{name}_llb_raw", canonical)
        parameter_lines[at] = "  " + replace(declaration, name=raw).declaration_text()
        definitions += ["  " + declaration.declaration_text()] + _switched([f"{name} = {location} + {factor} * {raw};"], switch, f"{name} = {raw};")
        jacobians += _switched([f"target += sum(log(diagonal({factor})));"], switch)
        names.append(name)
        raws.append(raw)
    if not names:
        return None
    rewritten = _with_new_coordinates(canonical, parts, parameter_lines, definitions, jacobians)
    described = f"multivariate normal {', '.join(names)} sampled whitened ({names[0]} = location + L * {raws[0]}, Jacobian added; same model, better geometry)"
    return Reparameterisation(rewritten, tuple(names), (described,), tuple(raws))


def _walk(
    line: str, before: list[str], parameter_lines: list[str], parameters: list[Declaration], available: set[str], scalars: set[str], program: str
) -> _Walk | None:
    """The random walk a model statement defines, if it is one llb can rewrite: x a parameter of one
    dimension, without bounds or an affine transform, declared alone on its line."""
    match = TILDE.match(line)
    if not match or match["trunc"] or match["dist"] not in LOCATION_SCALE:
        return None
    lhs = re.fullmatch(rf"({IDENT})\[(.+)\]", match["lhs"].strip())
    if lhs is None:
        return None
    name = lhs.group(1)
    declaration = next((d for d in parameters if d.name == name), None)
    if declaration is None or len(declaration.dims) != 1 or declaration.lower is not None or declaration.upper is not None:
        return None
    at = _declaration_line(parameter_lines, name)
    if declaration.type not in _AFFINE_TYPES or at is None or "<" in parameter_lines[at]:
        return None  # not a real container, not alone on its line, or already under an affine transform
    size = declaration.dims[0]
    args = split_top_level(match["args"])
    location_at, scale_at = LOCATION_SCALE[match["dist"]]
    if len(args) <= scale_at:
        return None
    location, scale = args[location_at], args[scale_at]
    others = [a for i, a in enumerate(args) if i not in (location_at, scale_at)]
    loops = enclosing_loops(before)
    if lhs.group(2) == f"2 : {size}" and not loops:  # x[2:N] ~ normal(f(x[1:(N - 1)]), s), s and f's other terms scalars
        index = _fresh_name("llb_t", program)
        previous = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}\[1 : \(?{re.escape(size)} - 1\)?\]")
        location = previous.sub(f"{name}[{index} - 1]", location)
        allowed = scalars
    elif len(loops) == 1 and loops[0][1:] == ("2", size) and lhs.group(2) == loops[0][0]:  # for (t in 2:N) x[t] ~ ...
        index = loops[0][0]
        allowed = available | {index}
    else:
        return None
    previous_element = f"{name}[{index} - 1]"
    if mentions(location.replace(previous_element, ""), name) or mentions(scale, name) or any(mentions(a, name) for a in others):
        return None  # the location may use the previous element only; the scale and the rest not x at all
    used = set().union(*(_identifiers(e) for e in (location.replace(previous_element, ""), scale, *others)))
    if not used <= allowed - {name} | {index}:
        return None  # a local variable, a transformed parameter or (in a slice) a vector: not available as needed
    return _Walk(declaration, size, index, location, scale)


def _fresh_name(name: str, program: str) -> str:
    """``name``, or ``name`` with a number appended, that the program does not already use."""
    candidate, number = name, 1
    while mentions(program, candidate):
        number += 1
        candidate = f"{name}{number}"
    return candidate


def _identifiers(expression: str) -> set[str]:
    """Variable names in an expression (function names, followed by '(', are not variables)."""
    return {m.group(1) for m in re.finditer(rf"(?<![A-Za-z0-9_.])({IDENT})\b(?!\s*\()", expression)}


def _declaration_line(lines: list[str], name: str) -> int | None:
    """The line that declares ``name`` alone, or None (a rewrite of ``vector[J] b, a;`` would change b too)."""
    for index, line in enumerate(lines):
        found = re.search(rf"(,?)\s+{re.escape(name)};\s*$", line)
        if found and not found.group(1) and line.startswith("  ") and not line.startswith("   "):
            return index
    return None


def _has_transform(line: str, type_name: str) -> bool:
    """Whether a declaration line gives its type a transform (``<offset=..., multiplier=...>``)."""
    return re.search(rf"\b{type_name}\s*<", line) is not None


def _with_affine(line: str, type_name: str, location: str, scale: str) -> str:
    """The declaration with ``<offset=location, multiplier=scale>`` on its type (which has no transform yet)."""
    affine = f"<offset={location}, multiplier={scale}>"
    return re.sub(rf"\b{type_name}\b", f"{type_name}{affine}", line, count=1)
