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

from llb.analysis.likelihood import (
    LIKELIHOOD_FLAG, ModelReading, add_jacobians, single_definitions, data_transformations, density_calls, incomparable_likelihood, read_model, switch_likelihood,
    unnormalised_user_likelihood, without_indices,
)  # fmt: skip
from llb.analysis.stan_ast import AstFormatError, DensityStatement, Variate
from llb.analysis.stan_ast import evaluate_int as evaluate_ast_int
from llb.analysis.stan_syntax import IDENT, TARGET, TILDE, Declaration, assignment, parse_declaration, block_declarations, blocks, evaluate_int, matching, mentions, number, replace_block, split_top_level
from llb.stan.toolchain import Toolchain
from llb.stan.validate import canonical_form

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


IMPROPER_PRIOR = "improper_prior"  # the prior is improper or cannot be normalised
IMPROPER_LIKELIHOOD = "improper_likelihood"  # the likelihood is not provably a normalised density of the data
INCOMPARABLE = "incomparable"  # the likelihood is for values computed from the data, not the data as given


@dataclass(frozen=True)
class PriorCheck:
    ok: bool
    reason: str | None  # why the program cannot be given a normalised prior
    source: str  # the program to compile: the original, or its rewrite (truncations, likelihood flag)
    corrections: tuple[Correction, ...] = field(default=())

    rewritten: bool = False  # ``source`` differs from the program as written
    # likelihood statements about a transformation of the data (likelihood.py): the evidence may not
    # be comparable with other programs'; reported, not rejected
    likelihood_concerns: tuple[str, ...] = ()
    # what the analysis could not prove about the prior's normalisation: the constant is then
    # estimated numerically from the prior alone (normaliser.py)
    unproven: tuple[str, ...] = ()
    likelihood_flag: str | None = None  # the data flag that switches the likelihood on, if ``source`` has it
    refusal: str = IMPROPER_PRIOR  # the status word when not ``ok``
    # truncations added whose normalising constant depends on parameters: the rewritten program's
    # posterior differs from the program as written (``llb fit`` then reports the latter's)
    reshaped: tuple[str, ...] = ()

    def log_constant(self, shapes: dict[str, tuple[int, ...]]) -> float:
        """The constant to add to the program's log evidence, given each variable's shape.

        Factorial corrections (simplexes, ordered vectors) apply to each innermost vector of an array.
        """
        total = 0.0
        for correction in self.corrections:
            shape = tuple(shapes.get(correction.variable, ()))
            size = math.prod(shape)
            total += size * correction.log_constant_per_element
            if correction.log_factorial_of_size:
                length = shape[-1] if shape else 1
                total += math.prod(shape[:-1]) * math.lgamma(length + 1 + correction.factorial_shift)
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


def check_priors(
    source: str,
    warnings: tuple[str, ...],
    *,
    toolchain: Toolchain | None = None,
    data: dict[str, Any] | None = None,
    switch: bool = False,
    allow_incomparable: bool = False,
) -> PriorCheck:
    """Decide whether ``source`` defines a normalised prior, rewriting or correcting it if possible.

    ``warnings`` are stanc's pedantic warnings for the original program (see validate.py). With the
    ``data``, sizes and loop bounds can be evaluated, so priors given to parts of a vector are checked
    to cover every element. What the analysis cannot prove is listed in ``unproven``: the program is
    then compiled with its likelihood behind a data flag (likelihood.py) so that its prior's
    normalising constant can be estimated numerically. ``switch`` adds the flag in any case (to
    verify the analysis). A likelihood of an invertible map of the data gets its exact Jacobian; one of
    values computed from the data in any other way is refused (``INCOMPARABLE``) unless
    ``allow_incomparable``, when it is reported as a concern.
    """
    try:
        canonical = canonical_form(source, toolchain=toolchain)
    except ValueError as error:
        return PriorCheck(False, str(error), source)
    parts = blocks(canonical)
    try:
        reading = read_model(canonical, toolchain=toolchain)
        user_likelihood = unnormalised_user_likelihood(parts, reading)
    except AstFormatError as error:
        return PriorCheck(False, f"llb cannot read stanc's parse of the program ({error}), so it cannot check its prior", source)
    parameters = reading.parameters
    if user_likelihood is not None:
        return PriorCheck(False, user_likelihood, source, refusal=IMPROPER_LIKELIHOOD)
    if not parameters:
        return PriorCheck(True, None, source)
    names = reading.names
    observed = _observed_names(parts, names)
    data = _with_transformed_sizes(parts, data)
    scalars = {
        d.name
        for block in ("data", "transformed data", "parameters", "transformed parameters")
        for d in block_declarations(parts.get(block, []))
        if d.scalar
    }
    user_dists = set(reading.user_densities)
    original_lines = parts.get("model", [])
    model_lines = [_as_tilde(line, parameters) or line for line in original_lines]
    unproven: list[str] = []

    def doubt(reason: str) -> None:
        if reason not in unproven:
            unproven.append(reason)

    for warning in warnings:
        if "Left-hand side of distribution" in warning or "Left-hand side of sampling" in warning:
            doubt("a ~ statement has a non-linear transform of a parameter on its left side (no Jacobian)")
    for name, declaration in parameters.items():
        if declaration.type == "unit_vector":
            doubt(f"unit_vector {name}")

    has_prior: set[str] = set()  # parameters with a prior term, proven normalised or not
    refused = _target_terms(model_lines, reading, observed, doubt, lambda term: has_prior.update(n for n in parameters if mentions(term, n)))
    if refused is not None:
        return PriorCheck(False, refused, source)

    corrections: list[Correction] = []
    reshaped: list[str] = []  # truncations whose normalising constant depends on parameters
    new_lines = list(original_lines)
    ranges: dict[str, list[Box | None]] = {}  # per parameter: the elements each ~ statement covers
    for index, line in enumerate(model_lines):
        target = TARGET.match(line)
        if target and (mixed := _normalised_mixture(target.group(1), parameters)):
            has_prior.add(mixed)
            ranges.setdefault(mixed, []).append(None if reading.statements[index].conditional else [(1, 0)] * parameters[mixed].ndim)
            continue
        if target:
            for dist, _, variate in density_calls(target.group(1)):
                for name in parameters:
                    if mentions(variate, name):
                        has_prior.add(name)
                        ranges.setdefault(name, []).append(None)
                        doubt(f"the prior of {name} is written with target += {dist}_...")
            continue
        statement = TILDE.match(line)
        if not statement:
            continue
        lhs, dist = statement["lhs"], statement["dist"]
        found = _lhs_variable(lhs, parameters)
        record = reading.statements[index]
        if found is None:
            involved = sorted(n for n in record.variate_names if n not in names.data_like) if record.variate_depends_on_parameters else []
            if involved and any(mentions(without_indices(lhs), n) for n in observed):
                return PriorCheck(
                    False,
                    f"the left side of `{lhs.strip()} ~ {dist}(...)` mixes data and parameters "
                    f"({', '.join(involved)}), so it is neither a density of the data nor a prior; "
                    "model the data themselves",
                    source,
                )
            if involved:
                doubt(f"`{lhs.strip()} ~ {dist}(...)` puts a density on an expression of {', '.join(involved)}")
                has_prior.update(n for n in parameters if mentions(lhs, n))
            continue
        name = found
        has_prior.add(name)
        stated = record.variate if record.kind == "tilde" else _first_variate(record)
        # a loop repeats the statement unless its variable indexes the variate (not merely an argument)
        variate_names = record.variate_names if record.kind == "tilde" else _variate_names(record)
        if any(loop.variable is None or loop.variable not in variate_names for loop in record.loops):
            doubt(f"the prior statement on {name} is repeated by a loop that does not index it")
        ranges.setdefault(name, []).append(_record_box(stated if stated and stated.name == name else None, record, parameters[name].ndim, data))
        declaration = parameters[name]
        # the distribution's arguments and truncation as stanc parsed them (a target += statement read as
        # a ~ statement has its density call's arguments and no truncation)
        call = None if record.kind == "tilde" else next(c for term in record.terms for c in term.densities)
        printed = list(record.arguments if call is None else call.arguments)
        args = [argument for argument in printed if argument is not None]
        unreadable = len(args) < len(printed)  # an argument stanc's tree gives but llb cannot print back
        truncation = record.truncation if call is None else None
        if dist in user_dists:
            doubt(f"the prior of {name} uses the user-defined density {dist}")
            continue
        if unreadable and (declaration.type in ("ordered", "positive_ordered") or declaration.lower is not None or declaration.upper is not None):
            doubt(f"llb cannot read back the arguments of the prior of {name}")
            continue
        if declaration.type in ("ordered", "positive_ordered"):
            correction = _ordered_correction(declaration, lhs, dist, args, scalars)
            if isinstance(correction, str):
                doubt(correction)
            else:
                corrections.append(correction)
        if declaration.type in _STRUCTURED or declaration.type == "unit_vector":
            if dist not in _NATURAL_PRIORS.get(declaration.type, ()) or _index_count(lhs) > len(declaration.array_dims):
                doubt(f"{declaration.type} {name} has a {dist} prior, which is not a density on that type")
            continue
        lower = "0" if declaration.type == "positive_ordered" else declaration.lower
        upper = declaration.upper
        if lower is None and upper is None:
            continue
        # the statement's own truncation, if any, replaces the distribution's support at that end
        cut_low, cut_high = truncation or (None, None)
        support_low, support_high = _support_ends(dist, args)
        low_ok = _end_covers(cut_low if cut_low is not None else support_low, lower, lower=True)
        high_ok = _end_covers(cut_high if cut_high is not None else support_high, upper, lower=False)
        if low_ok and high_ok:
            continue
        if dist in MULTIVARIATE or dist not in SUPPORT:
            doubt(f"bounded parameter {name} has a {dist} prior that cannot be truncated to its bounds")
            continue
        new_low = (cut_low or "") if low_ok else lower
        new_high = (cut_high or "") if high_ok else upper
        bounds = f"{new_low or ''}, {new_high or ''}"
        statement_text = line[: len(line) - len(statement["trunc"] or "") - 1] if statement["trunc"] else line[:-1]
        new_lines[index] = f"{statement_text} T[{bounds}];"
        corrections.append(Correction(name, f"{lhs.strip()} ~ {dist}(...) truncated with T[{bounds}] to match its bounds"))
        if _normaliser_varies(dist, args, new_low, new_high, names.tainted):
            reshaped.append(f"{lhs.strip()} ~ {dist}(...) T[{bounds}]")

    for name, covered in ranges.items():
        whole = [(1, 0)] * parameters[name].ndim
        if covered == [whole]:
            continue  # one statement on the whole parameter
        counts = _coverage(covered, parameters[name].dims, data)
        if counts is None:
            doubt(f"llb cannot tell which elements of {name} its prior statements cover")
            continue
        if (counts == 0).any():
            elements = _describe_elements(name, counts == 0)
            return PriorCheck(
                False,
                f"parameter {name} has no prior for {elements} (its ~ statements cover the rest), so the marginal "
                f"likelihood is undefined; give {elements} a proper prior",
                source,
            )
        if (counts > 1).any():
            doubt(f"some elements of {name} have more than one prior statement")
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
        if declaration.type == "unit_vector":
            continue  # uniform on the sphere, with Stan's Gaussian on the radius: the numerical check
        if declaration.type == "simplex":
            corrections.append(
                Correction(
                    name,
                    f"{name} has no prior statement: its implicit uniform prior on the simplex is Dirichlet(1), normalised by log (K-1)! per simplex",
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

    jacobians, incomparable = data_transformations(parts)
    not_comparable = (
        incomparable_likelihood(parts, reading) or _data_counted_twice(model_lines, parts, reading, data)
        or _prior_uses_observations(model_lines, parts, reading)
    )  # fmt: skip
    if not_comparable is not None:
        if not allow_incomparable:
            return PriorCheck(False, not_comparable, source, refusal=INCOMPARABLE)
        incomparable.append(not_comparable)
    if incomparable and not allow_incomparable:
        return PriorCheck(
            False,
            f"{incomparable[0]}, and llb cannot write the map's Jacobian, so its evidence is not comparable with that of "
            "programs for the data as given; model the data themselves",
            source,
            refusal=INCOMPARABLE,
        )
    corrections += [Correction(j.data_variable, j.description) for j in jacobians]
    rewritten = new_lines != original_lines or bool(jacobians)
    program = add_jacobians(replace_block(canonical, "model", new_lines) if "model" in parts else canonical, jacobians)
    if unproven or switch:
        switched, why = switch_likelihood(program, toolchain=toolchain)
        if switched is None and unproven:
            return PriorCheck(
                False,
                f"llb cannot prove the prior is normalised ({unproven[0]}) and cannot separate it from the likelihood to "
                f"check it numerically: {why}",
                source,
            )
        if switched is not None:
            program, rewritten = switched, True
    return PriorCheck(
        True, None, program if rewritten else source, tuple(corrections), rewritten=rewritten,
        likelihood_concerns=tuple(incomparable), unproven=tuple(unproven), reshaped=tuple(reshaped),
        likelihood_flag=LIKELIHOOD_FLAG if rewritten and mentions(program, LIKELIHOOD_FLAG) else None,
    )  # fmt: skip


_SYMMETRIC = {"normal", "student_t", "cauchy", "logistic", "double_exponential"}


def _normaliser_varies(dist: str, args: list[str], low: str | None, high: str | None, tainted) -> bool:
    """Whether the mass a truncation T[low, high] keeps may depend on parameters. It does not when
    no argument or bound involves a parameter, nor when a symmetric family is cut at its own
    location (normal(mu, tau) T[mu, ] keeps half, whatever mu and tau)."""
    if any(arg is None for arg in args):
        return True  # an argument llb cannot print: assume the worst
    if not any(mentions(text, n) for text in (*args, low or "", high or "") for n in tainted):
        return False
    location = args[1] if dist == "student_t" and len(args) > 1 else (args[0] if args else "")
    ends = [end for end in (low, high) if end]
    at_location = len(ends) == 1 and ends[0].replace(" ", "") == location.replace(" ", "")
    return not (dist in _SYMMETRIC and at_location)


# The densities that are normalised on a constrained type (with Stan's Jacobian for its transform).
_NATURAL_PRIORS = {
    "simplex": ("dirichlet",),
    "cholesky_factor_corr": ("lkj_corr_cholesky",),
    "corr_matrix": ("lkj_corr",),
    "cov_matrix": ("wishart", "inv_wishart"),
    "cholesky_factor_cov": ("wishart_cholesky", "inv_wishart_cholesky"),
}


def _normalised_mixture(expression: str, parameters: dict[str, Declaration]) -> str | None:
    """The parameter whose prior ``expression`` is, when it is provably a normalised mixture:
    ``log_mix(theta, f_lpdf(x | ...), g_lpdf(x | ...))`` with built-in densities of the whole of one
    parameter x whose supports lie within its bounds, and a weight theta that does not involve x
    (Stan requires it in [0, 1]; it may depend on other parameters)."""
    match = re.fullmatch(r"log_mix\((.*)\)", expression.strip())
    if not match:
        return None
    weight, *components = split_top_level(match.group(1))
    if len(components) != 2:
        return None
    names = set()
    for component in components:
        call = re.fullmatch(rf"({_IDENT})_(lpdf|lupdf)\((.*)\)", component.strip())
        if not call or call.group(1) not in SUPPORT:
            return None
        variate, bar, args = call.group(3).partition("|")
        name = variate.strip()
        if not bar or name not in parameters or mentions(args, name):
            return None
        declaration = parameters[name]
        if declaration.type not in ("real", "vector", "row_vector", "matrix"):
            return None
        low, high = _support_ends(call.group(1), split_top_level(args))
        if not (_end_covers(low, declaration.lower, lower=True) and _end_covers(high, declaration.upper, lower=False)):
            return None
        if declaration.lower is None and low is not None or declaration.upper is None and high is not None:
            return None  # a support narrower than the parameter's space: fine, but not this simple case
        names.add(name)
    if len(names) != 1 or mentions(weight, next(iter(names))):
        return None  # a weight that depends on the variable itself does not make a mixture of it
    return names.pop()


def _index_count(lhs: str) -> int:
    """How many indices a left side applies to its variable: ``q[j]`` 1, ``x[i, j]`` 2, ``x`` 0."""
    match = re.fullmatch(rf"\s*{_IDENT}\[(.*)\]\s*", lhs)
    return len(split_top_level(match.group(1))) if match else 0


def _as_tilde(line: str, parameters: dict[str, Declaration]) -> str | None:
    """``target += normal_lpdf(sigma | 0, 10);`` as ``sigma ~ normal(0, 10);`` (the same density, as llb
    keeps every constant), when the statement is exactly one built-in density of a parameter."""
    match = re.match(rf"^(?P<indent>\s*)target \+= (?P<dist>{_IDENT})_(lpdf|lupdf)\((?P<inside>.*)\);$", line)
    if not match or match["dist"] not in SUPPORT and match["dist"] not in MULTIVARIATE:
        return None
    try:
        if matching(line, line.index("(", match.start("inside") - 1), "(", ")") != len(line) - 2:
            return None  # the call is not the whole term
    except ValueError:
        return None
    variate, bar, args = match["inside"].partition("|")
    if _lhs_variable(variate, parameters) is None:
        return None
    return f"{match['indent']}{variate.strip()} ~ {match['dist']}({args.strip() if bar else ''});"


def _with_transformed_sizes(parts: dict[str, list[str]], data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The data with the int scalars of transformed data whose values follow from them (``int S = 20;``,
    ``int M = N - 1;``), so that sizes declared with them can be evaluated."""
    if data is None:
        return None
    known = dict(data)
    definitions = single_definitions(parts.get("transformed data", []))
    for declaration in block_declarations(parts.get("transformed data", [])):
        if declaration.scalar and declaration.type == "int" and declaration.name in definitions:
            value = evaluate_int(definitions[declaration.name], known)
            if value is not None:
                known[declaration.name] = value
    return known


def _observed_names(parts: dict[str, list[str]], names) -> set[str]:
    """Data-like names other than sizes: int data scalars used in declarations' sizes or bounds or
    as loop bounds (a count such as ``k`` in a binomial is an observation, not a size)."""
    shapes = " ".join(
        " ".join([*d.dims, d.lower or "", d.upper or ""])
        for lines in parts.values()
        for line in lines
        for d in parse_declaration(line) if line.rstrip().endswith(";")
    ) + " ".join(f"{start} {end}" for lines in parts.values() for line in lines for start, end in re.findall(r"for \(\w+ in (.+) : (.+)\) \{", line))
    sizes = {
        d.name for d in block_declarations(parts.get("data", [])) if d.scalar and d.type == "int" and mentions(shapes, d.name)
    }
    return set(names.data_like) - sizes


def _target_terms(model_lines: list[str], reading: ModelReading, observed: set[str], doubt, prior_term) -> str | None:
    """Check every term added to ``target``: why the program is refused, or None.

    A density of the data is the likelihood. A log density of parameters is a prior term (checked
    with the priors). Any other term of parameters alone has an unknown normalising constant, which
    the numerical check estimates; a term of the data without a density (a likelihood written out
    by hand, or a constant) has no normalisation anyone can check, so it is refused.
    """
    log_densities = _log_density_names(model_lines)
    for index, line in enumerate(model_lines):
        term_match = TARGET.match(line)
        if not term_match:
            continue
        for _, term, record in reading.terms(index, term_match.group(1)):
            if reading.term_is_likelihood(term, record) or _is_log_density(term, log_densities):
                continue
            if any(mentions(term, n) for n in observed) or not record.depends_on_parameters:
                return (
                    f"`{line.strip()}` adds a term that is not a log density function (no _lpdf/_lpmf call), so its "
                    "normalising constant is unknown and the marginal likelihood would be wrong; state priors and "
                    "likelihoods with ~ or target += ..._lpdf(...)"
                )
            doubt(f"`target += {term}` adds a prior term without a known normalising constant")
            prior_term(term)
    return None


def _log_density_names(model_lines: list[str]) -> set[str]:
    assignments = [(found[0], found[2]) for line in model_lines if (found := assignment(line)) and found[0] != "target" and found[1] in ("=", "+=")]
    log_densities: set[str] = set()
    changed = True
    while changed:  # names assigned log densities, or expressions of such names
        changed = False
        for name, value in assignments:
            if name not in log_densities and _is_log_density(value, log_densities):
                log_densities.add(name)
                changed = True
    return log_densities


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


Box = list[tuple[int, int]]  # per dimension, the (first, last) elements covered; last 0: to the end
MAX_COVERAGE_ELEMENTS = 1_000_000


def _record_box(variate: Variate | None, record: DensityStatement, ndim: int, data: dict[str, Any] | None) -> Box | None:
    """The elements of a variable a density statement covers, per dimension, from stanc's parse of
    it; None when that cannot be told (the numerical check then decides): under a condition
    (``if``), or with an index that is neither empty, a number or a range of int data, nor the
    variable of a loop with such bounds."""
    if variate is None or record.conditional or len(variate.indices) > ndim:
        return None
    values = {k: v for k, v in (data or {}).items() if isinstance(v, int) and not isinstance(v, bool)}
    box: Box = []
    for index in variate.indices:
        covered = _index_range(index, record.loops, values)
        if covered is None:
            return None
        box.append(covered)
    return box + [(1, 0)] * (ndim - len(variate.indices))


def _index_range(index, loops, values: dict[str, int]) -> tuple[int, int] | None:
    """(first, last) elements of one stanc index node; last 0 means "to the end"."""
    if index == "All":
        return (1, 0)
    kind = index[0]
    if kind == "Single":
        node = index[1]
        loop = next((loop for loop in loops if loop.variable is not None and _is_variable(node, loop.variable)), None)
        if loop is not None:
            low, high = evaluate_ast_int(loop.lower, values), evaluate_ast_int(loop.upper, values)
        else:
            low = high = evaluate_ast_int(node, values)
    elif kind == "Between":
        low, high = evaluate_ast_int(index[1], values), evaluate_ast_int(index[2], values)
    elif kind == "Upfrom":
        low, high = evaluate_ast_int(index[1], values), 0
    elif kind == "Downfrom":
        low, high = 1, evaluate_ast_int(index[1], values)
    else:
        return None
    return None if low is None or high is None else (low, high)


def _is_variable(node, name: str) -> bool:
    expr = node[0][1] if node and isinstance(node[0], tuple) and node[0][:1] == ("expr",) else node
    return isinstance(expr, tuple) and expr[:1] == ("Variable",) and ("name", name) in expr[1]


def _first_variate(record: DensityStatement) -> Variate | None:
    calls = [call for term in record.terms for call in term.densities]
    return calls[0].variate if len(calls) == 1 else None


def _variate_names(record: DensityStatement) -> frozenset[str]:
    return frozenset().union(*(call.variate_names for term in record.terms for call in term.densities))


def _coverage(boxes: list[Box | None], dims: tuple[str, ...], data: dict[str, Any] | None):
    """How many prior statements cover each element (an integer array of the parameter's shape), or
    None when a statement's elements or the parameter's sizes cannot be told."""
    import numpy as np

    evaluated = [evaluate_int(d, data or {}) for d in dims]
    sizes = [s for s in evaluated if s is not None and s >= 0]
    known = [b for b in boxes if b is not None]
    if len(known) < len(boxes) or len(sizes) < len(evaluated) or math.prod(sizes) > MAX_COVERAGE_ELEMENTS:
        return None
    counts = np.zeros(sizes, dtype=np.int64)
    for box in known:
        window = tuple(slice(max(low, 1) - 1, size if high == 0 else min(high, size)) for (low, high), size in zip(box, sizes))
        counts[window] += 1
    return counts


def _describe_elements(name: str, missing) -> str:
    """``x[1]``, ``x[4] to x[6]`` (the first run without a prior, 1-D) or ``beta[2,1]`` (the first one)."""
    import numpy as np

    positions = np.argwhere(missing)
    if missing.ndim == 0:
        return name
    if missing.ndim == 1:
        first = last = int(positions[0][0])
        while last + 1 < missing.size and missing[last + 1]:
            last += 1
        return f"{name}[{first + 1}]" if first == last else f"{name}[{first + 1}] to {name}[{last + 1}]"
    return f"{name}[{','.join(str(int(i) + 1) for i in positions[0])}]"


def _prior_uses_observations(model_lines: list[str], parts: dict[str, list[str]], reading: ModelReading) -> str | None:
    """Why the prior depends on the observations (``mu ~ normal(mean(y), sd(y))`` where y has a
    likelihood), or None. Such a prior is fitted to the data: p(x | m) is then not a density of the
    data, and it takes weight it has not earned. Covariates and constants given as data are fine."""
    outcomes: set[str] = set()
    for index, line in enumerate(model_lines):
        statement = TILDE.match(line)
        if statement and index in reading.statements and reading.variate_is_data(index, statement["lhs"]):
            outcomes |= {n for n in reading.names.data_like if mentions(without_indices(statement["lhs"]), n)}
        target = TARGET.match(line)
        if target:
            for _, _, variate in density_calls(target.group(1)):
                if not any(mentions(variate, n) for n in reading.names.tainted):
                    outcomes |= {n for n in reading.names.data_like if mentions(without_indices(variate), n)}
    if not outcomes:
        return None
    assignments = [
        (found[0], found[2]) for block in ("transformed data", "transformed parameters", "model")
        for line in parts.get(block, []) if (found := assignment(line)) and found[0] != "target"
    ]  # fmt: skip
    derived = set(outcomes)
    changed = True
    while changed:
        changed = False
        for name, value in assignments:
            if name not in derived and any(mentions(value, n) for n in derived):
                derived.add(name)
                changed = True
    for index, line in enumerate(model_lines):
        statement = TILDE.match(line)
        if statement and index in reading.statements and reading.statements[index].variate_depends_on_parameters:
            used = sorted(n for n in derived if mentions(statement["args"] + (statement["trunc"] or ""), n))
            if used and not any(mentions(without_indices(statement["lhs"]), n) for n in reading.names.data_like):
                through = [n for n in used if n not in outcomes]
                source_names = ", ".join(sorted(outcomes)) + (f", through {', '.join(through)}" if through else "")
                return (
                    f"the prior `{statement['lhs'].strip()} ~ {statement['dist']}(...)` is computed from the observations "
                    f"({source_names}), so p(data | program) is not a density of the data and its evidence is not comparable; "
                    "give the prior constants that do not come from the data"
                )
    return None


def _data_counted_twice(model_lines: list[str], parts: dict[str, list[str]], reading: ModelReading, data: dict[str, Any] | None) -> str | None:
    """Why some data get a density more than once (``y ~ normal(...)`` and ``y ~ student_t(...)``, or
    a loop over the elements after a statement on the whole), or None. The product of two densities
    of the same values is not a density of them. Statements whose elements llb cannot tell are
    passed over."""
    declared = {d.name: d for d in block_declarations(parts.get("data", []))}
    boxes: dict[str, list[Box | None]] = {}
    for index, line in enumerate(model_lines):
        variates = []
        statement = TILDE.match(line)
        if statement and index in reading.statements and reading.variate_is_data(index, statement["lhs"]):
            variates.append(statement["lhs"].strip())
        target = TARGET.match(line)
        if target and index in reading.statements:
            variates += [variate for _, _, variate in density_calls(target.group(1)) if not any(mentions(variate, n) for n in reading.names.tainted)]
        record = reading.statements.get(index)
        if record is None:
            continue
        found = [record.variate] if statement and variates else []
        if target:
            found += [call.variate for term in record.terms for call in term.densities if not call.variate_depends_on_parameters]
        for variate in dict.fromkeys(v for v in found if v is not None and v.name in declared):  # a mixture's components count once
            boxes.setdefault(variate.name, []).append(_record_box(variate, record, declared[variate.name].ndim, data))
    for name, covered in boxes.items():
        counts = _coverage([b for b in covered if b is not None], declared[name].dims, data) if len(covered) > 1 else None
        if counts is not None and (counts > 1).any():
            return (
                f"the data {_describe_elements(name, counts > 1)} get a density more than once, so the likelihood is not "
                "a density of the data and its evidence is not comparable; give each observation one likelihood"
            )
    return None


def _is_scalar_expression(expression: str | None, scalars: set[str]) -> bool:
    if expression is None or "[" in expression or "(" in expression:
        return False
    names = re.findall(rf"\b{_IDENT}\b", expression)
    return all(name in scalars for name in names)
