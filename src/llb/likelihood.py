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

from .stan_syntax import IDENT, TILDE, block_declarations, split_top_level

# Functions that rearrange data without changing any value.
_REARRANGE = {"to_vector", "to_row_vector", "to_array_1d", "to_array_2d", "to_matrix", "to_int", "append_array", "append_row", "append_col"}
_INDEXED_NAME = re.compile(rf"^(?P<name>{IDENT})\s*(\[.*\])?$")
_ASSIGN_OP = re.compile(r"(=|\+=|-=|\*=|/=|\.\*=|\./=)(?!=)")
_CONSTRAINT = re.compile(rf"^(\s*(?:array\[[^\]]*\]\s*)?{IDENT})<[^>]*>")
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
    if any(_mentions(variate, name) for name in parameters):
        return None  # a statement on parameters: the prior checks' business
    if any(_mentions(variate, name) for name in data_like):
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
        inside = _call_arguments(term.group(1), call.end())
        variates.append(re.split(r"\|", inside, maxsplit=1)[0] if "|" in inside else split_top_level(inside)[0])
    return variates


def _call_arguments(text: str, start: int) -> str:
    depth = 1
    for position in range(start, len(text)):
        depth += text[position] in "([{"
        depth -= text[position] in ")]}"
        if depth == 0:
            return text[start:position]
    return text[start:]


def _classify(lines: list[str], data: set[str], parameters: set[str]) -> tuple[set[str], set[str]]:
    """(variables computed from the data, variables that only copy data) among those assigned in ``lines``.

    A variable is a copy when every assignment to it is a plain ``=`` of a data variable or copy
    (indexed or not), or of a rearranging function of them. A variable whose values involve a
    parameter is neither.
    """
    assigned: dict[str, list[tuple[str, str]]] = {}
    for line in lines:
        found = _assignment(line)
        if found:
            name, op, value = found
            assigned.setdefault(name, []).append((op, value))
    tainted = set(parameters)  # parameters and whatever is computed from them
    copies: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, values in assigned.items():
            if name not in tainted and any(_mentions(value, t) for _, value in values for t in tainted):
                tainted.add(name)
                changed = True
            elif name not in copies and all(op == "=" and _is_data_reference(value, data | copies) for op, value in values):
                copies.add(name)
                changed = True
    return set(assigned) - copies - tainted, copies


def _assignment(line: str) -> tuple[str, str, str] | None:
    """(variable, operator, value) of an assignment or a declaration with a value; None otherwise."""
    text = _CONSTRAINT.sub(r"\1", line.strip())  # <lower=0> is not an assignment
    if not text.endswith(";") or text.startswith(("target", "for ", "if ", "while ", "print", "reject")) or " ~ " in text:
        return None
    depth = 0
    for position, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0:
            match = _ASSIGN_OP.match(text, position)
            if match and (position == 0 or text[position - 1] not in "=<>!"):
                left = re.search(rf"(?P<name>{IDENT})\s*(\[[^=]*\])?\s*$", text[:position])
                if left is None:
                    return None
                return left["name"], match.group(1), text[match.end() : -1].strip()
    return None


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


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None
