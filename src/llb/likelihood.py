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

from .stan_syntax import IDENT, TILDE, assignment, block_declarations, matching, mentions, split_top_level

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
