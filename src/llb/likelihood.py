"""Find likelihood statements that are not about the data as given.

A program's marginal likelihood is a density of the data. A program that models a transformation
of the data instead (``y_scaled = y / 100; y_scaled ~ normal(...)``; counts computed from a
sequence, then ``k ~ binomial(n, p)``; ``log(y) ~ normal(...)``) gets the evidence of the
transformed values: off by the transformation's Jacobian or by a combinatorial factor, so not
comparable with the other programs', and usually much larger or smaller. Copies, slices, reshapes
and concatenations of data variables keep the data as they are and are allowed; so is any
statement about parameters (priors; llb's prior checks handle those).

The check reads stanc's canonical form (one statement per line). It cannot tell a shift (unit
Jacobian, harmless) from a rescaling, or follow a copy made in ways it does not recognise, so what
it finds is reported as a concern about the program's reliability rather than a rejection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .stan_syntax import IDENT, TILDE, assignment, block_declarations, blocks, matching, mentions, replace_block, split_terms, split_top_level

# Functions that rearrange data without changing any value.
_REARRANGE = {"to_vector", "to_row_vector", "to_array_1d", "to_array_2d", "to_matrix", "to_int", "append_array", "append_row", "append_col"}
_INDEXED_NAME = re.compile(rf"^(?P<name>{IDENT})\s*(\[.*\])?$")
_DENSITY_CALL = re.compile(rf"\b(?P<dist>{IDENT})_(lpdf|lupdf|lpmf|lupmf)\(")


def transformed_data_likelihoods(parts: dict[str, list[str]]) -> list[str]:
    """One sentence per likelihood statement whose variate is a transformation of the data."""
    data = {d.name for d in block_declarations(parts.get("data", []))}
    parameters = {d.name for block in ("parameters", "transformed parameters") for d in block_declarations(parts.get(block, []))}
    derived, copies = _classify(parts.get("transformed data", []), data, set())
    model_derived, model_copies = _classify(parts.get("model", []), data | copies, parameters)
    derived |= model_derived
    copies |= model_copies
    concerns = []
    for line in parts.get("model", []):
        for variate in _variates(line):
            problem = _problem(variate, data | copies | derived, derived, parameters)
            if problem and problem not in concerns:
                concerns.append(problem)
    return concerns


def _problem(variate: str, data_like: set[str], derived: set[str], parameters: set[str]) -> str | None:
    variate = variate.strip()
    single = _INDEXED_NAME.match(variate)
    if single:
        if single["name"] in derived:
            return f"the likelihood of {single['name']} is for values computed from the data, not the data as given"
        return None
    if any(mentions(variate, name) for name in parameters):
        return None  # a statement on parameters: the prior checks' business
    if any(mentions(variate, name) for name in data_like):
        return f"the likelihood of `{variate}` is for an expression of the data, not the data as given"
    return None


def _variates(line: str) -> list[str]:
    """What a model-block statement gives a density to: a ~ statement's left side, or the first
    argument of every _lpdf/_lpmf call added to target."""
    statement = TILDE.match(line)
    if statement:
        return [statement["lhs"]]
    term = re.match(r"^\s*target \+= (.*);$", line)
    if not term:
        return []
    variates = []
    for call in _DENSITY_CALL.finditer(term.group(1)):
        inside = term.group(1)[call.end() : matching(term.group(1), call.end() - 1, "(", ")")]
        variates.append(re.split(r"\|", inside, maxsplit=1)[0] if "|" in inside else split_top_level(inside)[0])
    return variates


def _classify(lines: list[str], data: set[str], parameters: set[str]) -> tuple[set[str], set[str]]:
    """(variables computed from the data, variables that only copy data) among those assigned in ``lines``.

    A variable is a copy when every assignment to it is a plain ``=`` of a data variable or copy
    (indexed or not), or of a rearranging function of them. A variable whose values involve a
    parameter is neither.
    """
    assigned: dict[str, list[tuple[str, str]]] = {}
    for line in lines:
        found = assignment(line)
        if found and found[0] != "target":
            name, op, value = found
            assigned.setdefault(name, []).append((op, value))
    tainted = set(parameters)  # parameters and whatever is computed from them
    copies: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, values in assigned.items():
            if name not in tainted and any(mentions(value, t) for _, value in values for t in tainted):
                tainted.add(name)
                changed = True
            elif name not in copies and all(op == "=" and _is_data_reference(value, data | copies) for op, value in values):
                copies.add(name)
                changed = True
    return set(assigned) - copies - tainted, copies


def _is_data_reference(value: str, data: set[str]) -> bool:
    value = value.strip()
    single = _INDEXED_NAME.match(value)
    if single:
        return single["name"] in data
    call = re.match(rf"^(?P<function>{IDENT})\((?P<args>.*)\)$", value)
    if not call or call["function"] not in _REARRANGE:
        return False
    args = split_top_level(call["args"])
    if call["function"].startswith("append_"):
        return all(_is_data_reference(arg, data) for arg in args)
    return bool(args) and _is_data_reference(args[0], data)


# -- separating the likelihood from the prior -----------------------------------------------------
LIKELIHOOD_FLAG = "llb_with_likelihood"  # data flag: 1 for the joint density, 0 for the prior alone
_ANY_DENSITY = re.compile(rf"\b(?P<dist>{IDENT})_(?P<kind>lpdf|lupdf|lpmf|lupmf|lcdf|lccdf)\(")
_LP_CALL = re.compile(rf"\b{IDENT}_lp\(")


@dataclass(frozen=True)
class ModelNames:
    """What the names in a model block stand for, as far as separating prior from likelihood goes."""

    data_like: frozenset[str]  # data, transformed data, and local variables computed from them alone
    tainted: frozenset[str]  # parameters and everything computed from them
    likelihood_valued: frozenset[str]  # variables holding log densities of the data (log_lik[n] = ...)


def classify_names(parts: dict[str, list[str]]) -> ModelNames:
    data = {d.name for block in ("data", "transformed data") for d in block_declarations(parts.get(block, []))}
    parameters = {d.name for d in block_declarations(parts.get("parameters", []))}
    lines = parts.get("transformed parameters", []) + parts.get("model", [])
    derived, copies = _classify(lines, data, parameters)
    data_like = data | derived | copies
    assigned = {found[0] for line in lines if (found := assignment(line)) and found[0] != "target"}
    tainted = parameters | {d.name for d in block_declarations(parts.get("transformed parameters", []))} | (assigned - derived - copies)
    names = ModelNames(frozenset(data_like), frozenset(tainted), frozenset())
    values = [(found[0], found[2]) for line in lines if (found := assignment(line)) and found[0] != "target"]
    likelihood_valued: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in values:
            current = ModelNames(names.data_like, names.tainted, frozenset(likelihood_valued))
            if name not in likelihood_valued and is_likelihood_term(value, current):
                likelihood_valued.add(name)
                changed = True
    return ModelNames(names.data_like, names.tainted, frozenset(likelihood_valued))


def density_calls(expression: str) -> list[tuple[str, str, str]]:
    """(distribution, kind, variate) of every density call in ``expression``."""
    calls = []
    for call in _ANY_DENSITY.finditer(expression):
        inside = expression[call.end() : matching(expression, call.end() - 1, "(", ")")]
        variate = inside.split("|", 1)[0] if "|" in inside else (split_top_level(inside) or [""])[0]
        calls.append((call["dist"], call["kind"], variate.strip()))
    return calls


def without_indices(expression: str) -> str:
    """``x[idx[n], 2:N] + y`` as ``x[] + y``: what an expression is of, not where it looks."""
    out, depth = [], 0
    for char in expression:
        if char == "[":
            depth += 1
            if depth == 1:
                out.append("[")
        elif char == "]":
            depth -= 1
            if depth == 0:
                out.append("]")
        elif depth == 0:
            out.append(char)
    return "".join(out)


def is_data_variate(variate: str, names: ModelNames) -> bool:
    """Whether a density's variate is (an expression of) the data and of no parameter."""
    variate = without_indices(variate)
    return not any(mentions(variate, n) for n in names.tainted) and any(mentions(variate, n) for n in names.data_like)


def is_likelihood_term(term: str, names: ModelNames) -> bool:
    """Whether a term added to ``target`` is (part of) a density of the data."""
    if any(is_data_variate(variate, names) for _, _, variate in density_calls(term)):
        return True
    return any(mentions(term, name) for name in names.likelihood_valued)


def switch_likelihood(canonical: str) -> tuple[str | None, str | None]:
    """(the program with every likelihood term behind the data flag ``LIKELIHOOD_FLAG``, None), or
    (None, why the likelihood cannot be told from the prior).

    With the flag 0 the program's density is its prior alone, so one compiled library gives both
    the joint density and the prior, whose normalising constant can then be estimated.
    """
    if mentions(canonical, LIKELIHOOD_FLAG):
        return None, f"the program uses the name {LIKELIHOOD_FLAG}, which llb reserves"
    parts = blocks(canonical)
    names = classify_names(parts)
    lines: list[str] = []
    for line in parts.get("model", []):
        indent = line[: len(line) - len(line.lstrip())]
        if _LP_CALL.search(line):
            return None, f"`{line.strip()}` calls a _lp function, whose terms llb cannot read"
        statement = TILDE.match(line)
        target = re.match(r"^\s*target \+= (.*);$", line)
        if statement:
            lhs = without_indices(statement["lhs"])
            if any(mentions(lhs, n) for n in names.tainted) and any(mentions(lhs, n) for n in names.data_like):
                return None, f"`{line.strip()}` is a density of an expression of both data and parameters"
            likelihood = [line.strip()] if is_data_variate(lhs, names) else []
            prior = [] if likelihood else [line.strip()]
        elif target:
            terms = split_terms(target.group(1))
            picked = [is_likelihood_term(term, names) for _, term in terms]
            likelihood = [f"target += {_join([t for t, p in zip(terms, picked) if p])};"] if any(picked) else []
            prior = [f"target += {_join([t for t, p in zip(terms, picked) if not p])};"] if not all(picked) else []
        else:
            lines.append(line)
            continue
        lines.extend(indent + text for text in prior)
        if likelihood:
            lines += [f"{indent}if ({LIKELIHOOD_FLAG}) {{", f"{indent}  {likelihood[0]}", f"{indent}}}"]
    switched = replace_block(canonical, "model", lines) if "model" in parts else canonical
    return add_data_declaration(switched, f"int<lower=0, upper=1> {LIKELIHOOD_FLAG};"), None


def _join(terms: list[tuple[str, str]]) -> str:
    text = ""
    for sign, term in terms:
        if not text:
            text = term if sign == "+" else f"-({term})"
        else:
            text += f" {sign} {term}"
    return text


def add_data_declaration(canonical: str, declaration: str) -> str:
    """The canonical program with ``declaration`` added at the end of its data block (made if absent)."""
    lines = canonical.splitlines()
    if "data {" in lines:
        end = lines.index("}", lines.index("data {"))
        lines.insert(end, f"  {declaration}")
    else:
        at = lines.index("}", lines.index("functions {")) + 1 if "functions {" in lines else 0
        lines[at:at] = ["data {", f"  {declaration}", "}"]
    return "\n".join(lines) + "\n"


# -- user-defined densities of the data ----------------------------------------------------------
_FUNCTION_HEADER = re.compile(rf"^  \S.*?\b(?P<name>{IDENT})_(?P<kind>lpdf|lpmf)\((?P<args>.*)\) \{{$")


def user_densities(parts: dict[str, list[str]]) -> dict[str, tuple[str, list[str]]]:
    """Each user-defined density's name (``gauss`` for ``gauss_lpdf``) -> (its first argument, body lines)."""
    found: dict[str, tuple[str, list[str]]] = {}
    lines = parts.get("functions", [])
    for index, line in enumerate(lines):
        header = _FUNCTION_HEADER.match(line)
        if not header:
            continue
        arguments = split_top_level(header["args"])
        first = arguments[0].split()[-1] if arguments else ""
        body = []
        for inner in lines[index + 1 :]:
            if inner == "  }":
                break
            body.append(inner.strip())
        found[header["name"]] = (first, body)
    return found


def is_normalised_user_density(name: str, densities: dict[str, tuple[str, list[str]]]) -> bool:
    """Whether the user-defined density ``name`` provably returns a normalised density of its first
    argument: its body is one ``return`` of a built-in density of that argument, or ``log_mix`` of
    such densities."""
    first, body = densities[name]
    if len(body) != 1 or not body[0].startswith("return ") or not body[0].endswith(";"):
        return False
    expression = body[0][len("return ") : -1].strip()
    mix = re.fullmatch(r"log_mix\((.*)\)", expression)
    components = split_top_level(mix.group(1))[1:] if mix else [expression]
    for component in components:
        calls = density_calls(component)
        whole = re.fullmatch(rf"{IDENT}_(lpdf|lupdf|lpmf|lupmf)\(.*\)", component.strip())
        if not whole or len(calls) != 1 or calls[0][0] in densities or calls[0][2] != first:
            return False
        if calls[0][1] not in ("lpdf", "lupdf", "lpmf", "lupmf"):
            return False
    return bool(components)


def unnormalised_user_likelihood(parts: dict[str, list[str]]) -> str | None:
    """Why a likelihood statement's user-defined density cannot be trusted to be normalised, or None."""
    densities = user_densities(parts)
    if not densities:
        return None
    names = classify_names(parts)
    for line in parts.get("model", []):
        statement = TILDE.match(line)
        used = []
        if statement and statement["dist"] in densities and is_data_variate(statement["lhs"], names):
            used.append(statement["dist"])
        target = re.match(r"^\s*target \+= (.*);$", line)
        if target:
            used += [dist for dist, _, variate in density_calls(target.group(1)) if dist in densities and is_data_variate(variate, names)]
        for dist in used:
            if not is_normalised_user_density(dist, densities):
                return (
                    f"the likelihood uses the user-defined density {dist}, which llb cannot prove is normalised "
                    "(it should return a built-in density of its first argument); write the likelihood with built-in densities"
                )
    return None
