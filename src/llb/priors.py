"""Make sure a program's prior is proper and normalised, so its marginal likelihood means something.

Stan programs are usually written up to a constant, and three habits break marginal likelihoods:

1. A parameter, or some elements of one, with no prior (a flat, improper one): the evidence is
   undefined. A parameter has a
   prior when it (or an element of it) is on the left of a ``~`` statement or is the variate of an
   ``_lpdf`` added to ``target``; stanc's own "no priors" warning misses parameters that appear only
   in a likelihood's arguments, so llb reads the statements itself. Programs with a prior-less
   parameter are rejected, except a parameter bounded on both sides by numbers, whose implicit
   prior is uniform (corrected by the exact constant -log(upper - lower) per element), and a simplex,
   whose implicit prior is Dirichlet(1) (corrected by log (K-1)!).
2. A bounded parameter whose prior's support is wider than its bounds, such as
   ``real<lower=0> s; s ~ normal(0, 3);``, which integrates to 1/2. Stan normalises nothing here, so
   the statement is rewritten with an explicit truncation (``s ~ normal(0, 3) T[0, ];``), which
   Stan normalises exactly, whatever the arguments (even when they are parameters).
3. ``ordered`` / ``positive_ordered`` vectors given an exchangeable (i.i.d.) prior: the ordering
   keeps 1/K! of the prior mass, corrected by the exact constant log K!.

Left-hand sides that transform a parameter without a Jacobian, priors on bounded parameters written
with ``target +=``, multivariate priors on bounded parameters and ``unit_vector`` parameters cannot
be normalised here: such programs are rejected with a reason. So are ``target +=`` statements that
add something other than a log density (``target += -0.5 * square(mu)``, a likelihood written out by
hand without its constant): their normalising constant is unknown.

The analysis works on stanc's canonical form of the program (one statement per line, no comments),
with stanc's pedantic warnings as a second opinion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .stan_syntax import IDENT, TILDE, Declaration, assignment, block_declarations, blocks, evaluate_int, mentions, number, replace_block, split_top_level
from .likelihood import transformed_data_likelihoods
from .toolchain import Toolchain
from .validate import canonical_form

_REAL_LINE = (None, None)
_POSITIVE = (0.0, None)
_UNIT = (0.0, 1.0)
# Support of univariate continuous distributions; "arg0"/"arg1" mean "the value of that argument".
SUPPORT: dict[str, tuple[float | str | None, float | str | None]] = {
    **dict.fromkeys(
        ["normal", "std_normal", "student_t", "cauchy", "double_exponential", "logistic", "gumbel",
         "skew_normal", "skew_double_exponential", "exp_mod_normal"], _REAL_LINE),
    **dict.fromkeys(
        ["lognormal", "chi_square", "inv_chi_square", "scaled_inv_chi_square", "exponential", "gamma",
         "inv_gamma", "weibull", "frechet", "rayleigh", "loglogistic"], _POSITIVE),
    **dict.fromkeys(["beta", "beta_proportion"], _UNIT),
    "uniform": ("arg0", "arg1"),
    "pareto": ("arg0", None),
    "pareto_type_2": ("arg0", None),
}  # fmt: skip
MULTIVARIATE = {
    "multi_normal", "multi_normal_cholesky", "multi_normal_prec", "multi_student_t", "multi_student_t_cholesky",
    "multi_gp", "multi_gp_cholesky", "dirichlet", "lkj_corr", "lkj_corr_cholesky", "lkj_cov", "wishart",
    "wishart_cholesky", "inv_wishart", "inv_wishart_cholesky", "gaussian_dlm_obs",
}  # fmt: skip
_RESHAPES = ("to_vector", "to_row_vector", "to_array_1d", "to_matrix")
_STRUCTURED = {"simplex", "cholesky_factor_corr", "cholesky_factor_cov", "cov_matrix", "corr_matrix"}

_IDENT = IDENT


@dataclass(frozen=True)
class Correction:
    """A change that makes the prior normalised, with what it does to the log evidence."""

    variable: str
    description: str
    log_constant_per_element: float = 0.0  # added once per element of ``variable``
    log_factorial_of_size: bool = False  # add log((K + factorial_shift)!) where K is the size of ``variable``
    factorial_shift: int = 0


@dataclass(frozen=True)
class PriorCheck:
    ok: bool
    reason: str | None  # why the program cannot be given a normalised prior
    source: str  # the program to compile: the original, or its rewrite with truncations
    corrections: tuple[Correction, ...] = field(default=())

    rewritten: bool = False  # ``source`` differs from the program as written
    # likelihood statements about a transformation of the data (likelihood.py): the evidence may not
    # be comparable with other programs'; reported, not rejected
    likelihood_concerns: tuple[str, ...] = ()

    def log_constant(self, sizes: dict[str, int]) -> float:
        """The constant to add to the program's log evidence, given each variable's number of elements."""
        total = 0.0
        for correction in self.corrections:
            size = sizes.get(correction.variable, 1)
            total += size * correction.log_constant_per_element
            if correction.log_factorial_of_size:
                total += math.lgamma(size + 1 + correction.factorial_shift)
        return total


def _lhs_variable(lhs: str, parameters: dict[str, Declaration]) -> str | None:
    """The parameter a left-hand side stands for: ``x``, ``x[i]``, or a reshape such as ``to_vector(x)``."""
    lhs = lhs.strip()
    match = re.fullmatch(rf"({_IDENT})(\[.*\])?", lhs)
    if match and match.group(1) in parameters:
        return match.group(1)
    for reshape in _RESHAPES:
        inner = re.fullmatch(rf"{reshape}\(({_IDENT})\)", lhs)
        if inner and inner.group(1) in parameters:
            return inner.group(1)
    return None


_DENSITY_CALL = re.compile(r"_(lpdf|lupdf|lpmf|lupmf|lcdf|lccdf)\(")


def _unnormalised_target_term(parts: dict[str, list[str]]) -> str | None:
    """The first ``target += ...`` statement that adds something other than a log density.

    A term counts as a log density if it calls a log density function or uses a variable assigned
    one (``log_lik[n] = normal_lpdf(...)``, then ``target += sum(log_lik)``), directly or through
    other such variables. Anything else, of parameters or of data alone, adds a term whose
    normalisation nobody knows.
    """
    assignments = [
        (found[0], found[2])
        for line in parts.get("transformed parameters", []) + parts.get("model", [])
        if (found := assignment(line)) and found[0] != "target" and found[1] in ("=", "+=")
    ]
    log_densities: set[str] = set()
    changed = True
    while changed:  # names assigned log densities, or expressions of such names
        changed = False
        for name, value in assignments:
            if name not in log_densities and _is_log_density(value, log_densities):
                log_densities.add(name)
                changed = True
    for line in parts.get("model", []):
        term = re.match(r"^\s*target \+= (.*);$", line)
        if term is not None and not _is_log_density(term.group(1), log_densities):
            return line.strip()
    return None


def _is_log_density(expression: str, log_densities: set[str]) -> bool:
    return _DENSITY_CALL.search(expression) is not None or any(mentions(expression, name) for name in log_densities)


def _support_ends(dist: str, args: list[str]) -> tuple[float | str | None, float | str | None]:
    """The ends of a distribution's support: numbers, argument expressions, or None (infinite/unknown)."""
    support = SUPPORT.get(dist)
    if support is None:
        return None, None

    def resolve(end: float | str | None) -> float | str | None:
        if isinstance(end, str):
            index = int(end[-1])
            return args[index] if index < len(args) else None
        return end

    return resolve(support[0]), resolve(support[1])


def _end_covers(end: float | str | None, bound: str | None, *, lower: bool) -> bool:
    """Whether a support end lies provably inside a declared bound (None bound: nothing to check)."""
    if bound is None:
        return True
    if end is None:
        return False
    if isinstance(end, str) and end.replace(" ", "") == bound.replace(" ", ""):
        return True
    value = end if isinstance(end, float) else number(end)
    limit = number(bound)
    if value is None or limit is None:
        return False
    return value >= limit if lower else value <= limit


def _truncation_ends(truncation: str | None) -> tuple[str | None, str | None]:
    """``" T[a, ]"`` -> ("a", None); no truncation -> (None, None)."""
    if not truncation:
        return None, None
    inner = truncation.strip()[2:-1]
    depth = 0
    for position, char in enumerate(inner):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            low, high = inner[:position].strip(), inner[position + 1 :].strip()
            return low or None, high or None
    return inner.strip() or None, None


def check_priors(
    source: str, warnings: tuple[str, ...], *, toolchain: Toolchain | None = None, data: dict[str, Any] | None = None
) -> PriorCheck:
    """Decide whether ``source`` defines a normalised prior, rewriting or correcting it if possible.

    ``warnings`` are stanc's pedantic warnings for the original program (see validate.py). With the
    ``data``, sizes and loop bounds can be evaluated, so priors given to parts of a vector are checked
    to cover every element; without it only the leading elements are checked.
    """
    try:
        canonical = canonical_form(source, toolchain=toolchain)
    except ValueError as error:
        return PriorCheck(False, str(error), source)
    parts = blocks(canonical)
    parameters = {d.name: d for d in block_declarations(parts.get("parameters", []))}
    if not parameters:
        return PriorCheck(True, None, source)
    scalars = {
        d.name
        for block in ("data", "transformed data", "parameters", "transformed parameters")
        for d in block_declarations(parts.get(block, []))
        if d.scalar
    }
    model_lines = parts.get("model", [])
    # parameters and whatever is computed from them: a ~ statement on an expression of these is suspect
    derived = set(parameters) | {d.name for d in block_declarations(parts.get("transformed parameters", []))}

    for warning in warnings:
        if "Left-hand side of distribution" in warning or "Left-hand side of sampling" in warning:
            return PriorCheck(
                False,
                "the left side of a ~ statement is a non-linear transform without a Jacobian adjustment, so the "
                "density is not normalised for the quantity modelled; put the distribution on the variable itself",
                source,
            )
    for name, declaration in parameters.items():
        if declaration.type == "unit_vector":
            return PriorCheck(False, f"parameter {name} is a unit_vector, whose prior llb cannot normalise", source)

    unnormalised = _unnormalised_target_term(parts)
    if unnormalised is not None:
        return PriorCheck(
            False,
            f"`{unnormalised}` adds a term that is not a log density function (no _lpdf/_lpmf call), so its "
            "normalising constant is unknown and the marginal likelihood would be wrong; state priors and "
            "likelihoods with ~ or target += ..._lpdf(...)",
            source,
        )

    corrections: list[Correction] = []
    new_lines = list(model_lines)
    has_prior: set[str] = set()
    coverage: dict[str, list[int | str | None]] = {}  # per parameter: where each ~ statement starts
    ranges: dict[str, list[tuple[int, int] | None]] = {}  # per parameter: elements each ~ statement covers
    for index, line in enumerate(model_lines):
        target = re.match(r"^\s*target \+= (.*);$", line)
        if target:
            for name, declaration in parameters.items():
                if re.search(rf"_lu?pdf\(\s*{re.escape(name)}\s*(\[[^|)]*\])?\s*[|)]", target.group(1)):
                    has_prior.add(name)
                    coverage.setdefault(name, []).append(None)  # not followed: trust the coverage
                    ranges.setdefault(name, []).append(None)
                    if declaration.lower is not None or declaration.upper is not None:
                        return PriorCheck(
                            False,
                            f"the prior of bounded parameter {name} is written with target +=, so llb cannot check "
                            f"its normalisation; write it as {name} ~ ... instead",
                            source,
                        )
            continue
        statement = TILDE.match(line)
        if not statement:
            continue
        name = _lhs_variable(statement["lhs"], parameters)
        if name is None:
            involved = sorted(n for n in derived if mentions(statement["lhs"], n))
            if involved:
                return PriorCheck(
                    False,
                    f"the left side of `{statement['lhs'].strip()} ~ {statement['dist']}(...)` is not a parameter but "
                    f"depends on {', '.join(involved)}, so the statement adds a term that is not a normalised density "
                    "(a soft constraint, or a density without its Jacobian); put priors on the parameters themselves",
                    source,
                )
            continue
        has_prior.add(name)
        coverage.setdefault(name, []).append(_index_start(statement["lhs"], name, model_lines[:index]))
        ranges.setdefault(name, []).append(_index_range(statement["lhs"], name, model_lines[:index], data) if data is not None else None)
        declaration = parameters[name]
        dist, args = statement["dist"], split_top_level(statement["args"])
        if declaration.type in ("ordered", "positive_ordered"):
            correction = _ordered_correction(declaration, statement["lhs"], dist, args, scalars)
            if isinstance(correction, str):
                return PriorCheck(False, correction, source)
            corrections.append(correction)
        lower = "0" if declaration.type == "positive_ordered" else declaration.lower
        upper = declaration.upper
        if (lower is None and upper is None) or declaration.type in _STRUCTURED:
            continue
        # the statement's own truncation, if any, replaces the distribution's support at that end
        cut_low, cut_high = _truncation_ends(statement["trunc"])
        support_low, support_high = _support_ends(dist, args)
        low_ok = _end_covers(cut_low if cut_low is not None else support_low, lower, lower=True)
        high_ok = _end_covers(cut_high if cut_high is not None else support_high, upper, lower=False)
        if low_ok and high_ok:
            continue
        if dist in MULTIVARIATE:
            return PriorCheck(
                False,
                f"parameter {name} is bounded but its {dist} prior is not, and a multivariate prior cannot be "
                "truncated; use an unbounded parameter or a univariate prior",
                source,
            )
        new_low = (cut_low or "") if low_ok else lower
        new_high = (cut_high or "") if high_ok else upper
        bounds = f"{new_low or ''}, {new_high or ''}"
        statement_text = line[: len(line) - len(statement["trunc"] or "") - 1] if statement["trunc"] else line[:-1]
        new_lines[index] = f"{statement_text} T[{bounds}];"
        corrections.append(Correction(name, f"{statement['lhs'].strip()} ~ {dist}(...) truncated with T[{bounds}] to match its bounds"))

    for name, starts in coverage.items():
        size = evaluate_int(parameters[name].dims[0], data) if data is not None and parameters[name].dims else None
        gap = _uncovered_elements(ranges[name], size) if size is not None else _uncovered_start(starts)
        if gap:
            first, last = gap
            elements = f"{name}[{first}]" if first == last else f"{name}[{first}] to {name}[{last}]"
            return PriorCheck(
                False,
                f"parameter {name} has no prior for {elements} (its ~ statements cover the rest), so the marginal "
                f"likelihood is undefined; give {elements} a proper prior",
                source,
            )
    for name, declaration in parameters.items():
        if name in has_prior:
            continue
        low, high = number(declaration.lower), number(declaration.upper)
        if declaration.type in ("real", "vector", "row_vector", "matrix") and low is not None and high is not None and high > low:
            corrections.append(
                Correction(
                    name,
                    f"{name} has no prior statement: its implicit uniform({declaration.lower}, {declaration.upper}) prior is normalised",
                    log_constant_per_element=-math.log(high - low),
                )
            )
            continue
        if declaration.type == "simplex":
            corrections.append(
                Correction(
                    name,
                    f"{name} has no prior statement: its implicit uniform prior on the simplex is Dirichlet(1), normalised by log (K-1)!",
                    log_factorial_of_size=True,
                    factorial_shift=-1,
                )
            )
            continue
        return PriorCheck(
            False,
            f"parameter {name} has no prior, so the marginal likelihood is undefined; give it a proper prior",
            source,
        )

    concerns = tuple(transformed_data_likelihoods(parts))
    if new_lines == model_lines:
        return PriorCheck(True, None, source, tuple(corrections), likelihood_concerns=concerns)
    return PriorCheck(True, None, replace_block(canonical, "model", new_lines), tuple(corrections), rewritten=True, likelihood_concerns=concerns)


def _ordered_correction(
    declaration: Declaration, lhs: str, dist: str, args: list[str], scalars: set[str]
) -> Correction | str:
    name = declaration.name
    exchangeable = lhs.strip() == name and dist in SUPPORT and all(_is_scalar_expression(a, scalars) for a in args)
    if not exchangeable:
        return (
            f"{declaration.type} parameter {name} needs an exchangeable prior (one ~ statement on the whole vector "
            "with scalar arguments) for llb to normalise it"
        )
    return Correction(name, f"{declaration.type} {name}: i.i.d. prior keeps 1/K! of its mass, corrected by log K!", log_factorial_of_size=True)


def _index_start(lhs: str, name: str, lines_before: list[str]) -> int | str | None:
    """Where a ``~`` statement's left side starts within the parameter's first index.

    0 for the whole parameter; the first index for ``x[k]``, ``x[a:b]`` or ``x[i]`` inside
    ``for (i in a:b)`` when it is a number; None when it cannot be told (then it is trusted).
    """
    match = re.fullmatch(rf"\s*{re.escape(name)}\[(.*)\]\s*", lhs)
    if not match:
        return 0
    first = split_top_level(match.group(1))[0]
    if ":" in first:
        value = number(first.split(":")[0]) if first.split(":")[0].strip() else 1.0
        return int(value) if value is not None else None
    value = number(first)
    if value is not None:
        return f"={int(value)}"  # one element
    for line in reversed(lines_before):
        loop = re.match(rf"^\s*for \({re.escape(first.strip())} in (.+?) : .*\) {{$", line)
        if loop:
            start = number(loop.group(1))
            return int(start) if start is not None else None
    return None


def _index_range(lhs: str, name: str, lines_before: list[str], data: dict[str, Any]) -> tuple[int, int] | None:
    """The elements of the first index a ``~`` statement's left side covers, as (first, last) with
    ``last`` 0 meaning "to the end"; None when that cannot be told (then coverage is trusted)."""
    match = re.fullmatch(rf"\s*{re.escape(name)}\[(.*)\]\s*", lhs)
    if not match:
        return (1, 0)
    first = split_top_level(match.group(1))[0].strip()
    if ":" in first:
        low_text, high_text = (part.strip() for part in first.split(":", 1))
        low = evaluate_int(low_text, data) if low_text else 1
        high = evaluate_int(high_text, data) if high_text else 0
        return None if low is None or high is None else (low, high)
    single = evaluate_int(first, data)
    if single is not None:
        return (single, single)
    loop = _enclosing_loop(first, lines_before)
    if loop is None:
        return None
    low, high = evaluate_int(loop[0], data), evaluate_int(loop[1], data)
    return None if low is None or high is None else (low, high)


def _enclosing_loop(variable: str, lines_before: list[str]) -> tuple[str, str] | None:
    """(start, end) expressions of the ``for`` loop over ``variable`` that encloses the next line."""
    depth = 0
    for line in reversed(lines_before):
        text = line.strip()
        if text == "}" or text.startswith("} else"):
            depth += 1
            continue
        if text.endswith("{"):
            if depth:
                depth -= 1
                continue
            loop = re.match(rf"^for \({re.escape(variable)} in (.+) : (.+)\) {{$", text)
            if loop:
                return loop.group(1), loop.group(2)
    return None


def _uncovered_elements(ranges: list[tuple[int, int] | None], size: int) -> tuple[int, int] | None:
    """The first run of elements 1..size that no statement covers, or None (all covered, or unknown)."""
    if any(r is None for r in ranges):
        return None
    covered = set()
    for low, high in ranges:  # type: ignore[misc]
        covered.update(range(max(low, 1), (size if high == 0 else min(high, size)) + 1))
    missing = [i for i in range(1, size + 1) if i not in covered]
    if not missing:
        return None
    last = missing[0]
    while last + 1 in missing:
        last += 1
    return missing[0], last


def _uncovered_start(starts: list[int | str | None]) -> tuple[int, int] | None:
    """The first and last of the leading elements no statement covers, or None (all covered, or unknown).

    Only the start of the first index is checked: random walks and autoregressions written from
    element 2 or 3 on are where a prior is forgotten.
    """
    if any(start == 0 or start is None for start in starts):
        return None
    singles = {int(start[1:]) for start in starts if isinstance(start, str)}
    ranges = [start for start in starts if isinstance(start, int)]
    if not ranges:
        return None  # only single elements: their coverage cannot be told without the size
    first_uncovered = 1
    while first_uncovered in singles:
        first_uncovered += 1
    return (first_uncovered, min(ranges) - 1) if first_uncovered < min(ranges) else None


def _is_scalar_expression(expression: str, scalars: set[str]) -> bool:
    if "[" in expression or "(" in expression:
        return False
    names = re.findall(rf"\b{_IDENT}\b", expression)
    return all(name in scalars for name in names)
