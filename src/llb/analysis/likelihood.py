"""Read the likelihood of a program: what it is a density of, and how to switch it off.

A program's marginal likelihood is a density of the data as given. This module

- tells likelihood terms (densities of the data) from prior terms, so that the likelihood can be
  put behind a data flag and the prior sampled alone from the same compiled library
  (``switch_likelihood``; normaliser.py estimates the prior's normalising constant with it);
- finds likelihoods of transformed data (``z = y / 100; z ~ normal(...)``, ``log(y) ~ ...``):
  an elementwise invertible map gets its exact log Jacobian, added to the density so that the
  evidence is that of y; any other transformation (counts summed from a sequence, a subset) has
  an evidence that is not comparable with other programs' (``data_transformations``);
- proves, or fails to prove, that a user-defined density applied to the data is normalised.

Copies, slices, reshapes and concatenations of data variables keep the data as they are and are
allowed. Everything reads stanc's canonical form (one statement per line).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from llb.stan.toolchain import Toolchain

from llb.analysis.stan_ast import AstFormatError, DensityStatement, Term, decorated_ast, model_density_statements
from llb.analysis.stan_ast import UserDensity
from llb.analysis.stan_ast import block_declarations as tree_declarations
from llb.analysis.stan_ast import user_densities as tree_user_densities
from llb.analysis.stan_syntax import IDENT, TARGET, TILDE, Declaration, assignment, block_declarations, blocks, enclosing_loops, matching, mentions, number, replace_block, split_terms, split_top_level

# Functions that rearrange data without changing any value.
_REARRANGE = {"to_vector", "to_row_vector", "to_array_1d", "to_array_2d", "to_matrix", "to_int", "append_array", "append_row", "append_col"}
_INDEXED_NAME = re.compile(rf"^(?P<name>{IDENT})\s*(\[.*\])?$")
_DENSITY_CALL = re.compile(rf"\b(?P<dist>{IDENT})_(lpdf|lupdf|lpmf|lupmf)\(")


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
    term = TARGET.match(line)
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
    if any(is_data_variate(variate, names) for _, _, variate in density_calls(term)) or JACOBIAN_PREFIX in term:
        return True
    return any(mentions(term, name) for name in names.likelihood_valued)


@dataclass(frozen=True)
class ModelReading:
    """A canonical program's model block as stanc parsed it: each ``~`` / ``target +=`` line (by its
    index among the block's lines) with stanc's record of it (stan_ast.py), and what names stand for."""

    names: ModelNames
    statements: dict[int, DensityStatement]
    parameters: dict[str, Declaration]  # the parameters block, as stanc parsed it
    user_densities: dict[str, UserDensity]  # user-defined _lpdf/_lpmf functions, by name without the suffix

    def variate_is_data(self, index: int, variate: str) -> bool:
        """Whether the ``~`` statement at line ``index`` is a density of the data: stanc finds that its
        left side does not depend on a parameter, and it involves data."""
        return not self.statements[index].variate_depends_on_parameters and any(
            mentions(without_indices(variate), n) for n in self.names.data_like
        )

    def terms(self, index: int, expression: str) -> list[tuple[str, str, Term]]:
        """(sign, text, stanc's record) of each term of the ``target +=`` at line ``index``."""
        texts = split_terms(expression)
        records = self.statements[index].terms
        if len(texts) != len(records):
            raise AstFormatError(f"llb splits `target += {expression}` into {len(texts)} terms but stanc into {len(records)}")
        return [(sign, text, record) for (sign, text), record in zip(texts, records)]

    def term_is_likelihood(self, text: str, record: Term) -> bool:
        """Whether a term added to ``target`` is (part of) a density of the data."""
        if JACOBIAN_PREFIX in text or any(mentions(text, name) for name in self.names.likelihood_valued):
            return True
        return any(not call.variate_depends_on_parameters and call.variate_names & self.names.data_like for call in record.densities)


def read_model(canonical: str, *, toolchain: Toolchain | None = None) -> ModelReading:
    """Pair the density statements of a canonical program with stanc's parse of it (raises
    AstFormatError when the two readings do not line up)."""
    parts = blocks(canonical)
    tree = decorated_ast(canonical, toolchain=toolchain)
    statements = model_density_statements(tree)
    paired: dict[int, DensityStatement] = {}
    queue = list(statements)
    for index, line in enumerate(parts.get("model", [])):
        kind = "tilde" if TILDE.match(line) else "target" if TARGET.match(line) else None
        if kind is None:
            continue
        if not queue or queue[0].kind != kind:
            raise AstFormatError(f"stanc's parse has no {kind} statement where the program has `{line.strip()}`")
        paired[index] = queue.pop(0)
    if queue:
        raise AstFormatError("stanc's parse has density statements llb did not find in the program's text")
    return ModelReading(classify_names(parts), paired, tree_declarations(tree, "parametersblock"), tree_user_densities(tree))


def switch_likelihood(canonical: str, *, toolchain: Toolchain | None = None) -> tuple[str | None, str | None]:
    """(the program with every likelihood term behind the data flag ``LIKELIHOOD_FLAG``, None), or
    (None, why the likelihood cannot be told from the prior).

    With the flag 0 the program's density is its prior alone, so one compiled library gives both
    the joint density and the prior, whose normalising constant can then be estimated. Which terms
    are the likelihood follows stanc's parse: densities whose variate depends on no parameter.
    """
    if mentions(canonical, LIKELIHOOD_FLAG):
        return None, f"the program uses the name {LIKELIHOOD_FLAG}, which llb reserves"
    parts = blocks(canonical)
    try:
        reading = read_model(canonical, toolchain=toolchain)
    except AstFormatError as error:
        return None, str(error)
    lines: list[str] = []
    for index, line in enumerate(parts.get("model", [])):
        indent = line[: len(line) - len(line.lstrip())]
        if _LP_CALL.search(line):
            return None, f"`{line.strip()}` calls a _lp function, whose terms llb cannot read"
        statement = TILDE.match(line)
        target = TARGET.match(line)
        if statement:
            lhs = statement["lhs"]
            depends = reading.statements[index].variate_depends_on_parameters
            if depends and any(mentions(without_indices(lhs), n) for n in reading.names.data_like):
                return None, f"`{line.strip()}` is a density of an expression of both data and parameters"
            likelihood = [line.strip()] if reading.variate_is_data(index, lhs) else []
            prior = [] if likelihood else [line.strip()]
        elif target:
            try:
                terms = reading.terms(index, target.group(1))
            except AstFormatError as error:
                return None, str(error)
            picked = [reading.term_is_likelihood(text, record) for _, text, record in terms]
            pairs = [(sign, text) for sign, text, _ in terms]
            likelihood = [f"target += {_join([t for t, p in zip(pairs, picked) if p])};"] if any(picked) else []
            prior = [f"target += {_join([t for t, p in zip(pairs, picked) if not p])};"] if not all(picked) else []
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
def unnormalised_user_likelihood(parts: dict[str, list[str]], reading: ModelReading) -> str | None:
    """Why a likelihood statement's user-defined density cannot be trusted to be normalised, or None."""
    densities = reading.user_densities
    if not densities:
        return None
    for index, line in enumerate(parts.get("model", [])):
        statement = TILDE.match(line)
        used = []
        if statement and statement["dist"] in densities and reading.variate_is_data(index, statement["lhs"]):
            used.append(statement["dist"])
        target = TARGET.match(line)
        if target:
            for _, _, record in reading.terms(index, target.group(1)):
                used += [
                    call.function.rsplit("_", 1)[0] for call in record.densities
                    if call.user_defined and not call.variate_depends_on_parameters and call.variate_names & reading.names.data_like
                ]  # fmt: skip
        for dist in used:
            if not densities[dist].normalised:
                return (
                    f"the likelihood uses the user-defined density {dist}, which llb cannot prove is normalised "
                    "(it should return a built-in density of its first argument); write the likelihood with built-in densities"
                )
    return None


# -- likelihoods of invertible maps of the data: exact Jacobians ----------------------------------
JACOBIAN_PREFIX = "llb_log_jacobian"  # transformed data llb adds; a likelihood term (likelihood flag)
_ELEMENTWISE_SCALE = {"log", "log10", "log2", "log1p", "exp", "expm1", "logit", "inv_logit", "sqrt", "inv", "cbrt"}
_IDENTITY = {"to_vector", "to_row_vector", "to_array_1d"}  # the same values, rearranged


@dataclass(frozen=True)
class DataJacobian:
    """log |d z / d y| for a likelihood of z = f(y), f elementwise and invertible: added to the log
    density so that the evidence is that of the data as given."""

    variate: str  # the variable or expression the likelihood is for
    data_variable: str
    expression: str  # Stan expression of the data for the summed log Jacobian
    name: str  # the transformed data variable llb declares for it

    @property
    def description(self) -> str:
        return f"the likelihood of {self.variate} is for a transformation of {self.data_variable}: its log Jacobian is added, so the evidence is for {self.data_variable} as given"


def data_transformations(parts: dict[str, list[str]]) -> tuple[list[DataJacobian], list[str]]:
    """(Jacobians for likelihoods of invertible maps of real data, concerns about the others).

    A likelihood statement whose variate is computed from the data (in transformed data, in the
    model block, or as an expression on the left of ``~``) gets the exact Jacobian when the map is
    elementwise and invertible with data-only coefficients: affine maps (``y / 10``,
    ``(y - mean(y)) / sd(y)``), ``log``, ``log1p``, ``exp``, ``logit``, ``sqrt``, powers and
    their compositions. Anything else (a count summed from a sequence, a subset, a map llb cannot
    read) is a concern: its evidence is not comparable with that of programs for the data as given.
    """
    data = {d.name: d for d in block_declarations(parts.get("data", []))}
    definitions = single_definitions(parts.get("transformed data", []) + parts.get("model", []))
    jacobians: list[DataJacobian] = []
    concerns: list[str] = []
    for concern, variate in _transformed_variates(parts):
        name = _INDEXED_NAME.match(variate)
        expression = definitions.get(name["name"]) if name and name["name"] in definitions and _whole_or_looped(variate, parts) else None
        if name is None:
            expression = variate
        found = _jacobian(expression, data, definitions) if expression else None
        label = name["name"] if name else variate
        if found is None:
            if concern not in concerns:
                concerns.append(concern)
            continue
        if any(j.variate == label for j in jacobians):
            continue
        variable, stan = found
        jacobians.append(DataJacobian(label, variable, stan, f"{JACOBIAN_PREFIX}_{len(jacobians) + 1}"))
    return jacobians, concerns


def add_jacobians(canonical: str, jacobians: list[DataJacobian]) -> str:
    """The program with each Jacobian computed in transformed data and added to ``target``."""
    if not jacobians:
        return canonical
    lines = canonical.splitlines()
    declarations = [f"  real {j.name} = {j.expression};" for j in jacobians]
    if "transformed data {" in lines:
        end = lines.index("}", lines.index("transformed data {"))
        lines[end:end] = declarations
    else:
        at = lines.index("}", lines.index("data {")) + 1
        lines[at:at] = ["transformed data {", *declarations, "}"]
    if "model {" not in lines:
        lines += ["model {", "}"]
    end = lines.index("}", lines.index("model {"))
    lines[end:end] = [f"  target += {j.name};" for j in jacobians]
    return "\n".join(lines) + "\n"


def _transformed_variates(parts: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(concern, variate) for every likelihood variate that is not the data as given."""
    data = {d.name for d in block_declarations(parts.get("data", []))}
    parameters = {d.name for block in ("parameters", "transformed parameters") for d in block_declarations(parts.get(block, []))}
    derived, copies = _classify(parts.get("transformed data", []), data, set())
    model_derived, model_copies = _classify(parts.get("model", []), data | copies, parameters)
    derived |= model_derived
    copies |= model_copies
    found = []
    for line in parts.get("model", []):
        for variate in _variates(line):
            problem = _problem(variate, data | copies | derived, derived, parameters)
            if problem:
                found.append((problem, variate.strip()))
    return found


def single_definitions(lines: list[str]) -> dict[str, str]:
    """Variables assigned exactly once, by a top-level ``=``: name -> value."""
    values: dict[str, list[tuple[str, str, bool]]] = {}
    for line in lines:
        found = assignment(line)
        if found and found[0] != "target":
            top = line.startswith("  ") and not line.startswith("   ") and not re.match(rf"^\s*{re.escape(found[0])}\s*\[", line)
            values.setdefault(found[0], []).append((found[1], found[2], top))
    return {name: v[0][1] for name, v in values.items() if len(v) == 1 and v[0][0] == "=" and v[0][2]}


def _whole_or_looped(variate: str, parts: dict[str, list[str]]) -> bool:
    """Whether each element of the variable gets the likelihood once: the variate is the whole
    variable, or ``z[n]`` in a loop over ``1:N`` where z is declared with size N."""
    match = _INDEXED_NAME.match(variate)
    if match is None or "[" not in variate:
        return True
    name = match["name"]
    index = variate[variate.index("[") + 1 : -1].strip()
    declared = {d.name: d for block in ("transformed data", "model") for d in block_declarations(parts.get(block, []))}
    lines = parts.get("model", [])
    for position, line in enumerate(lines):
        if variate in line:
            loops = enclosing_loops(lines[:position])
            size = declared[name].dims[0] if name in declared and declared[name].dims else None
            return any(v == index and start == "1" and end == size for v, start, end in loops)
    return False


def _jacobian(expression: str, data: dict, definitions: dict[str, str]) -> tuple[str, str] | None:
    """(data variable, Stan expression of sum log |f'(y_i)|) for an elementwise invertible f(y), or None."""
    text = expression
    for _ in range(10):  # inline variables computed from the data (chains of definitions)
        inlined = text
        for name, value in definitions.items():
            if name not in data and mentions(inlined, name):
                inlined = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", f"({value})", inlined)
        if inlined == text:
            break
        text = inlined
    python = text.replace(".*", "*").replace("./", "/").replace(".^", "^")
    try:
        tree = ast.parse(python, mode="eval").body
    except SyntaxError:
        return None
    carriers = {node.id for node in _carrier_names(tree)}
    if len(carriers) != 1:
        return None
    (variable,) = carriers
    declaration = data.get(variable)
    if declaration is None or declaration.base_type != "real":
        return None  # a density of transformed counts is not the same pmf for the counts
    vector = declaration.ndim > 0

    def render(node: ast.AST) -> str:
        if isinstance(node, ast.Name) and node.id == variable and declaration.array_dims:
            return f"to_vector({variable})"
        if isinstance(node, ast.BinOp):
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.BitXor: "^"}[type(node.op)]
            both = _carries(node.left, variable) and _carries(node.right, variable)
            op = {"*": ".*", "/": "./"}.get(op, op) if both or (op == "/" and _carries(node.right, variable)) else op
            return f"({render(node.left)} {op} {render(node.right)})"
        if isinstance(node, ast.UnaryOp):
            return f"(-{render(node.operand)})" if isinstance(node.op, ast.USub) else render(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return f"{node.func.id}({', '.join(render(arg) for arg in node.args)})"
        return ast.unparse(node).replace("**", "^")

    terms: list[tuple[str, bool]] = []  # (term, whether it varies by element)

    def walk(node: ast.AST) -> bool:
        if isinstance(node, ast.Name) and node.id == variable:
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitXor):
            left, right = _carries(node.left, variable), _carries(node.right, variable)
            if left == right:
                return False
            inner, other = (node.left, node.right) if left else (node.right, node.left)
            u, c = render(inner), render(other)
            if isinstance(node.op, ast.Mult):
                terms.append((f"log(abs({c}))", _carries(other, variable)))
            elif isinstance(node.op, ast.Div) and left:
                terms.append((f"-log(abs({c}))", _carries(other, variable)))
            elif isinstance(node.op, ast.Div):
                terms.extend([(f"log(abs({c}))", _carries(other, variable)), (f"-2 * log(abs({u}))", True)])
            elif isinstance(node.op, ast.BitXor) and left:
                lowest = number(declaration.lower)
                if lowest is None or lowest < 0:
                    return False  # a power is invertible only on the positive half line
                terms.extend([(f"log(abs({c}))", _carries(other, variable)), (f"({c} - 1) * log(abs({u}))", True)])
            elif isinstance(node.op, ast.BitXor):
                terms.extend([(f"{u} * log({c})", True), (f"log(abs(log({c})))", _carries(other, variable))])
            return walk(inner)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _IDENTITY and len(node.args) == 1:
            return walk(node.args[0])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ELEMENTWISE_SCALE and len(node.args) == 1:
            u = render(node.args[0])
            local = {
                "log": f"-log({u})", "log10": f"-log({u}) - log(log(10))", "log2": f"-log({u}) - log(log(2))",
                "log1p": f"-log1p({u})", "exp": u, "expm1": u, "logit": f"-log({u}) - log1m({u})",
                "inv_logit": f"log_inv_logit({u}) + log1m_inv_logit({u})", "sqrt": f"-log(2) - 0.5 * log({u})",
                "inv": f"-2 * log(abs({u}))", "cbrt": f"-log(3) - 2.0 / 3 * log(abs({u}))",
            }[node.func.id]  # fmt: skip
            terms.append((local, True))
            return walk(node.args[0])
        return False

    if not walk(tree):
        return None
    count = f"num_elements({variable})" if vector else "1"
    parts = [f"sum({term})" if varies and vector else f"{count} * ({term})" for term, varies in terms]
    return variable, " + ".join(parts) if parts else "0"


def _carrier_names(node: ast.AST) -> list[ast.Name]:
    """Names at elementwise positions: not inside a call to a function that is not elementwise."""
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and (node.func.id in _ELEMENTWISE_SCALE or node.func.id in _IDENTITY):
            return [n for arg in node.args for n in _carrier_names(arg)]
        return []
    if isinstance(node, ast.Subscript):
        return [ast.Name(id="<indexed>")]  # a subset or a reordering: not handled
    return [n for child in ast.iter_child_nodes(node) for n in _carrier_names(child)]


def _carries(node: ast.AST, variable: str) -> bool:
    """Whether ``node`` involves the data variable elementwise (so its value differs by element)."""
    return any(n.id == variable for n in _carrier_names(node))


# -- likelihoods whose evidence cannot be compared -------------------------------------------------
DISCRETE = {
    "bernoulli", "bernoulli_logit", "bernoulli_logit_glm", "binomial", "binomial_logit", "binomial_logit_glm",
    "beta_binomial", "beta_neg_binomial", "hypergeometric", "categorical", "categorical_logit", "categorical_logit_glm",
    "discrete_range", "ordered_logistic", "ordered_logistic_glm", "ordered_probit", "neg_binomial", "neg_binomial_2",
    "neg_binomial_2_log", "neg_binomial_2_log_glm", "poisson", "poisson_log", "poisson_log_glm", "multinomial",
    "multinomial_logit", "dirichlet_multinomial", "poisson_binomial", "skellam",
}  # fmt: skip


def incomparable_likelihood(parts: dict[str, list[str]], reading: ModelReading) -> str | None:
    """Why the program's likelihood is not a probability of these data like other programs', or None.

    A continuous density given to integer data is not a probability mass (it can exceed 1 and
    integrates, rather than sums, to 1), and a program with no likelihood at all has the evidence of
    no data: either would take weight it has not earned.
    """
    data = block_declarations(parts.get("data", []))
    integers = {d.name for d in data + block_declarations(parts.get("transformed data", [])) if d.base_type == "int"}
    user_kinds = {name: density.kind for name, density in reading.user_densities.items()}
    found_likelihood = False
    for index, line in enumerate(parts.get("model", [])):
        densities: list[tuple[str, str, str]] = []
        statement = TILDE.match(line)
        if statement and reading.variate_is_data(index, statement["lhs"]):
            dist = statement["dist"]
            kind = user_kinds.get(dist, "lpmf" if dist in DISCRETE else "lpdf")
            densities.append((dist, kind, statement["lhs"]))
        term = TARGET.match(line)
        if term:
            terms = reading.terms(index, term.group(1))
            found_likelihood |= any(reading.term_is_likelihood(text, record) for _, text, record in terms)
            densities += [
                (dist, kind, call.variate.name if call.variate else "")
                for _, _, record in terms for call in record.densities
                if not call.variate_depends_on_parameters and call.variate_names & reading.names.data_like
                for dist, _, kind in [call.function.rpartition("_")]
            ]  # fmt: skip
        for dist, kind, variate in densities:
            found_likelihood = True
            single = _INDEXED_NAME.match(variate.strip())
            if single and single["name"] in integers and kind in ("lpdf", "lupdf"):
                return (
                    f"the integer data {single['name']} get the continuous density {dist}, which is not a probability of "
                    "integers, so its evidence is not comparable with other programs'; use a distribution for counts"
                )
    if found_likelihood:
        return None
    elsewhere = "\n".join(line for block, lines in parts.items() if block != "data" for line in lines)
    ignored = [d.name for d in data if not (d.scalar and d.type == "int") and not mentions(elsewhere, d.name)]
    if ignored:
        return (
            f"the program has no likelihood (no statement gives the data a density) and ignores {', '.join(ignored)}, "
            "so its evidence is that of no data"
        )
    return None  # data used only as constants of the prior
