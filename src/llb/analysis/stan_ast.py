"""Read stanc's own parse of a program: what each density statement of the model block is a density
of, as stanc's type checker sees it.

``stanc --debug-decorated-ast`` prints the program's syntax tree as an S-expression in which every
expression carries its type and its "ad level": ``DataOnly`` when its value depends on data and
constants alone, ``AutoDiffable`` when it depends on a parameter. Which statements are the
likelihood (densities of the data) and which the prior rests on that distinction, so llb takes it
from stanc rather than from its own reading of the text. The tree's format is stanc's (pinned,
2.35); tests/test_stan_ast.py guards it.

The records are in source order, one per ``~`` or ``target +=`` statement of the model block,
which is also the order of those statements in stanc's canonical form (priors.py and
likelihood.py pair them up by position).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from llb.stan.process import run_command
from llb.analysis.stan_syntax import Declaration
from llb.stan.toolchain import Toolchain, find_toolchain
from llb.stan.validate import STANC_TIMEOUT

Sexp = Any  # a str atom or a list of Sexp
_TOKEN = re.compile(r'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+')


class AstFormatError(ValueError):
    """stanc's tree does not have the shape llb reads (a stanc version llb does not know)."""


@dataclass(frozen=True)
class Variate:
    """What a density is of, when it is a variable: ``x`` (no indices) or ``x[...]`` with stanc's
    index nodes (``("Single", e)``, ``("Between", a, b)``, ``("Upfrom", a)``, ``("Downfrom", b)``, ``"All"``)."""

    name: str
    indices: tuple[Sexp, ...] = ()


@dataclass(frozen=True)
class Loop:
    """An enclosing ``for (variable in lower:upper)``; ``while`` loops have variable None."""

    variable: str | None
    lower: Sexp = None
    upper: Sexp = None


@dataclass(frozen=True)
class DensityCall:
    """A call ``f_lpdf(x | ...)`` (or ``_lpmf``, ``_lcdf``, ``_lccdf``) inside an expression."""

    function: str  # e.g. "normal_lpdf"
    user_defined: bool
    variate_depends_on_parameters: bool
    variate_names: frozenset[str]
    variate: Variate | None = None
    arguments: tuple[str | None, ...] = ()  # the arguments after the variate, as Stan code (None: unprintable)


@dataclass(frozen=True)
class Term:
    """One term of the sum added by ``target +=`` (the sum split at its top-level + and -)."""

    depends_on_parameters: bool
    names: frozenset[str]
    densities: tuple[DensityCall, ...]


@dataclass(frozen=True)
class DensityStatement:
    """A ``~`` statement (``kind`` "tilde") or a ``target +=`` statement (``kind`` "target")."""

    kind: str
    distribution: str | None  # the ~ statement's distribution ("normal"), None for target +=
    variate_depends_on_parameters: bool  # the ~ statement's left side; for target +=, the whole sum
    variate_names: frozenset[str]
    terms: tuple[Term, ...] = ()
    variate: Variate | None = None  # the ~ statement's left side, when it is a variable
    loops: tuple[Loop, ...] = ()  # enclosing loops, innermost first
    conditional: bool = False  # inside an if (or else) branch
    arguments: tuple[str | None, ...] = ()  # the ~ statement's distribution arguments, as Stan code
    truncation: tuple[str | None, str | None] | None = None  # its T[low, high], ends as Stan code


def parse_sexp(text: str) -> Sexp:
    """The S-expression in ``text`` as nested lists of atoms (strings)."""
    stack: list[list[Sexp]] = [[]]
    for token in _TOKEN.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise AstFormatError("unbalanced parentheses in stanc's syntax tree")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1 or len(stack[0]) != 1:
        raise AstFormatError("stanc's syntax tree is not one expression")
    return stack[0][0]


def decorated_ast(source: str, *, toolchain: Toolchain | None = None) -> Sexp:
    """stanc's decorated syntax tree of ``source`` (which must be a valid program)."""
    toolchain = toolchain or find_toolchain()
    with tempfile.TemporaryDirectory(prefix="llb-ast-") as tmp:
        (Path(tmp) / "program.stan").write_text(source)
        result = run_command([toolchain.stanc, "--debug-decorated-ast", "program.stan"], cwd=tmp, timeout=STANC_TIMEOUT)
    if not result.ok:
        raise AstFormatError(f"stanc could not print the program's syntax tree: {result.stderr.strip()[:200]}")
    return parse_sexp(result.stdout)


def model_density_statements(tree: Sexp) -> list[DensityStatement]:
    """Every ``~`` and ``target +=`` statement of the model block, in source order, with the loops
    and conditions that enclose it."""
    found: list[DensityStatement] = []
    _collect(_field(tree, "modelblock"), (), False, found)
    return found


def _collect(node: Sexp, loops: tuple[Loop, ...], conditional: bool, found: list[DensityStatement]) -> None:
    if not isinstance(node, list) or not node:
        return
    head = node[0]
    if head in ("Tilde", "TargetPE"):
        found.append(replace(_statement(node), loops=loops, conditional=conditional))
        return
    if head == "For":
        variable = _field(_field(node, "loop_variable"), "name")
        loop = Loop(variable, _freeze(_field(node, "lower_bound")), _freeze(_field(node, "upper_bound")))
        _collect(_field(node, "loop_body"), (loop, *loops), conditional, found)
        return
    if head in ("While", "ForEach"):
        for child in node[1:]:
            _collect(child, (Loop(None), *loops), conditional, found)
        return
    if head == "IfThenElse":
        for child in node[1:]:
            _collect(child, loops, True, found)
        return
    for child in node:
        _collect(child, loops, conditional, found)


def _freeze(node: Sexp) -> Sexp:
    """Nested lists as nested tuples (records must compare and hash)."""
    return tuple(_freeze(child) for child in node) if isinstance(node, list) else node


_RESHAPES = {"to_vector", "to_row_vector", "to_array_1d"}  # the same elements, once each


def _variate(expr: Sexp) -> Variate | None:
    """The variable an expression is, whole (also reshaped: ``to_vector(beta)``) or indexed, or None
    for any other expression."""
    if isinstance(expr, list) and len(expr) == 2 and expr[0] == "Variable":
        return Variate(_field(expr[1], "name"))
    if isinstance(expr, list) and len(expr) == 4 and expr[0] == "FunApp" and _field(expr[2], "name") in _RESHAPES and len(expr[3]) == 1:
        inner, _ = _expression(expr[3][0])
        if isinstance(inner, list) and len(inner) == 2 and inner[0] == "Variable":
            return Variate(_field(inner[1], "name"))
    if isinstance(expr, list) and len(expr) == 3 and expr[0] == "Indexed":
        inner, _ = _expression(expr[1])
        if isinstance(inner, list) and len(inner) == 2 and inner[0] == "Variable":
            return Variate(_field(inner[1], "name"), tuple(_freeze(index) for index in expr[2]))
    return None


def evaluate_int(node: Sexp, values: dict[str, int]) -> int | None:
    """An integer expression node (``((expr E) (emeta ...))`` or E itself) evaluated with ``values``
    (int data, loop variables); None for anything else."""
    if isinstance(node, (list, tuple)) and node and isinstance(node[0], (list, tuple)) and node[0][:1] in (["expr"], ("expr",)):
        node = node[0][1]
    if not isinstance(node, (list, tuple)) or not node:
        return None
    head = node[0]
    if head == "IntNumeral":
        try:
            return int(node[1])
        except ValueError:
            return None
    if head == "Variable":
        name = dict((item[0], item[1]) for item in node[1] if isinstance(item, (list, tuple)) and len(item) == 2).get("name")
        value = values.get(name) if isinstance(name, str) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if head in ("Paren", "Promotion"):
        return evaluate_int(node[1], values)
    if head == "PrefixOp" and node[1] == "PMinus":
        inner = evaluate_int(node[2], values)
        return None if inner is None else -inner
    if head == "BinOp" and node[2] in ("Plus", "Minus", "Times"):
        left, right = evaluate_int(node[1], values), evaluate_int(node[3], values)
        if left is None or right is None:
            return None
        return left + right if node[2] == "Plus" else left - right if node[2] == "Minus" else left * right
    return None


def read_density_statements(source: str, *, toolchain: Toolchain | None = None) -> list[DensityStatement]:
    return model_density_statements(decorated_ast(source, toolchain=toolchain))


# -- reading the tree ----------------------------------------------------------------------------
def _preorder(node: Sexp) -> Iterator[Sexp]:
    yield node
    if isinstance(node, list):
        for child in node:
            yield from _preorder(child)


def _field(node: Sexp, name: str) -> Sexp:
    """The value of ``(name value)`` among the children of ``node``."""
    if isinstance(node, list):
        for child in node:
            if isinstance(child, list) and child and child[0] == name:
                return child[1] if len(child) == 2 else child[1:]
    raise AstFormatError(f"stanc's syntax tree has no {name} where llb expects one")


def _expression(node: Sexp) -> tuple[Sexp, bool]:
    """(the expression, whether it depends on parameters) of ``((expr E) (emeta (... (ad_level L) ...)))``."""
    expr, meta = _field(node, "expr"), _field(node, "emeta")
    level = _field(meta, "ad_level")
    if level not in ("DataOnly", "AutoDiffable"):
        raise AstFormatError(f"unknown ad_level {level!r} in stanc's syntax tree")
    return expr, level == "AutoDiffable"


def _names(node: Sexp) -> frozenset[str]:
    found = set()
    for item in _preorder(node):
        if isinstance(item, list) and len(item) >= 2 and item[0] == "Variable" and isinstance(item[1], list):
            found.add(_field(item[1], "name"))
    return frozenset(found)


def _density_calls(node: Sexp) -> tuple[DensityCall, ...]:
    calls = []
    for item in _preorder(node):
        if isinstance(item, list) and len(item) == 4 and item[0] == "CondDistApp":
            origin, function, arguments = item[1], _field(item[2], "name"), item[3]
            if not arguments:
                raise AstFormatError(f"{function} has no arguments in stanc's syntax tree")
            variate, depends = _expression(arguments[0])
            user = isinstance(origin, list) and origin[:1] == ["UserDefined"]
            arguments = tuple(_printed(argument) for argument in arguments[1:])
            calls.append(DensityCall(function, user, depends, _names(variate), _variate(variate), arguments))
    return tuple(calls)


def _printed(node: Sexp) -> str | None:
    try:
        return render(node)
    except AstFormatError:
        return None


def _truncation(node: Sexp) -> tuple[str | None, str | None] | None:
    if node == "NoTruncate":
        return None
    kind = node[0]
    if kind == "TruncateUpFrom":
        return _printed(node[1]), None
    if kind == "TruncateDownFrom":
        return None, _printed(node[1])
    if kind == "TruncateBetween":
        return _printed(node[1]), _printed(node[2])
    raise AstFormatError(f"llb does not know the truncation {kind}")


def _terms(node: Sexp) -> list[Sexp]:
    """The top-level terms of a sum: ``a - b + c`` gives the expression nodes of a, b and c."""
    expr, _ = _expression(node)
    if isinstance(expr, list) and len(expr) == 4 and expr[0] == "BinOp" and expr[2] in ("Plus", "Minus"):
        return _terms(expr[1]) + _terms(expr[3])
    return [node]


def _statement(node: list[Sexp]) -> DensityStatement:
    if node[0] == "Tilde":
        variate, depends = _expression(_field(node, "arg"))
        distribution = _field(_field(node, "distribution"), "name")
        arguments = tuple(_printed(argument) for argument in _field(node, "args"))
        return DensityStatement(
            "tilde", distribution, depends, _names(variate), variate=_variate(variate), arguments=arguments,
            truncation=_truncation(_field(node, "truncation")),
        )  # fmt: skip
    whole, depends = _expression(node[1])
    terms = []
    for term_node in _terms(node[1]):
        expr, term_depends = _expression(term_node)
        terms.append(Term(term_depends, _names(expr), _density_calls(expr)))
    return DensityStatement("target", None, depends, _names(whole), tuple(terms))


# -- declarations ---------------------------------------------------------------------------------
_BINARY = {
    "Plus": "+", "Minus": "-", "Times": "*", "Divide": "/", "IntDivide": "%/%", "Modulo": "%", "LDivide": "\\\\",
    "EltTimes": ".*", "EltDivide": "./", "Pow": "^", "EltPow": ".^", "Or": "||", "And": "&&", "Equals": "==",
    "NEquals": "!=", "Less": "<", "Leq": "<=", "Greater": ">", "Geq": ">=",
}  # fmt: skip
_PREFIX = {"PMinus": "-", "PPlus": "+", "PNot": "!"}
# constrained types: stanc's transformation -> the Stan type name, and how many of the matrix sizes it shows
_CONSTRAINED = {
    "Simplex": ("simplex", 1), "Ordered": ("ordered", 1), "PositiveOrdered": ("positive_ordered", 1),
    "UnitVector": ("unit_vector", 1), "CholeskyCorr": ("cholesky_factor_corr", 1), "CholeskyCov": ("cholesky_factor_cov", 2),
    "Covariance": ("cov_matrix", 1), "Correlation": ("corr_matrix", 1),
}  # fmt: skip
_AFFINE = {"Identity", "Offset", "Multiplier", "OffsetMultiplier"}


def render(node: Sexp) -> str:
    """Stan code for an expression node of the tree (binary operations inside others parenthesised)."""
    expr = _field(node, "expr") if isinstance(node, list) and node and isinstance(node[0], list) else node
    if not isinstance(expr, list) or not expr:
        raise AstFormatError(f"llb cannot print the expression {expr!r}")
    head = expr[0]
    if head in ("IntNumeral", "RealNumeral", "ImagNumeral"):
        return expr[1] + ("i" if head == "ImagNumeral" else "")
    if head == "Variable":
        return _field(expr[1], "name")
    if head == "Promotion":
        return render(expr[1])
    if head == "Paren":
        return f"({render(expr[1])})"
    if head == "PrefixOp" and expr[1] in _PREFIX:
        return _PREFIX[expr[1]] + _operand(expr[2])
    if head == "BinOp" and expr[2] in _BINARY:
        return f"{_operand(expr[1])} {_BINARY[expr[2]]} {_operand(expr[3])}"
    if head == "FunApp":
        return f"{_field(expr[2], 'name')}({', '.join(render(arg) for arg in expr[3])})"
    if head == "Indexed":
        return f"{_operand(expr[1])}[{', '.join(_render_index(index) for index in expr[2])}]"
    if head == "TernaryIf":
        return f"{_operand(expr[1])} ? {_operand(expr[2])} : {_operand(expr[3])}"
    raise AstFormatError(f"llb cannot print a {head} expression")


def _operand(node: Sexp) -> str:
    expr = _field(node, "expr")
    text = render(node)
    return f"({text})" if isinstance(expr, list) and expr[:1] in (["BinOp"], ["TernaryIf"]) else text


def _render_index(index: Sexp) -> str:
    if index == "All":
        return ""
    kind = index[0]
    if kind == "Single":
        return render(index[1])
    if kind == "Between":
        return f"{render(index[1])}:{render(index[2])}"
    if kind == "Upfrom":
        return f"{render(index[1])}:"
    if kind == "Downfrom":
        return f":{render(index[1])}"
    raise AstFormatError(f"llb cannot print the index {kind}")


def block_declarations(tree: Sexp, block: str) -> dict[str, Declaration]:
    """The declarations of ``block`` ("parametersblock", "datablock", ...) as stanc parsed them."""
    found: dict[str, Declaration] = {}
    contents = _field(tree, block)
    if not contents:
        return found
    for node in _preorder(_field(contents[0], "stmts")):
        if not (isinstance(node, list) and node and node[0] == "VarDecl"):
            continue
        base, array_dims, type_dims = _declared_type(_field(node, "decl_type"))
        transformation = _field(node, "transformation")
        kind = transformation if isinstance(transformation, str) else transformation[0]
        lower = upper = None
        if kind in _CONSTRAINED:
            base, shown = _CONSTRAINED[kind]
            if shown == 1 or type_dims[0] == type_dims[-1]:  # a square matrix shows one size
                type_dims = type_dims[:1]
        elif kind == "Lower":
            lower = render(transformation[1])
        elif kind == "Upper":
            upper = render(transformation[1])
        elif kind == "LowerUpper":
            lower, upper = render(transformation[1]), render(transformation[2])
        elif kind not in _AFFINE:
            raise AstFormatError(f"llb does not know the {kind} transformation of a declaration")
        for variable in _field(node, "variables"):
            name = _field(_field(variable, "identifier"), "name")
            found[name] = Declaration(name, base, tuple(array_dims), tuple(type_dims), lower, upper)
    return found


def _declared_type(node: Sexp) -> tuple[str, list[str], list[str]]:
    """(base type, array sizes outermost first, vector/matrix sizes) of a decl_type node."""
    if isinstance(node, str):
        names = {"SReal": "real", "SInt": "int", "SComplex": "complex"}
        if node not in names:
            raise AstFormatError(f"llb does not know the declared type {node}")
        return names[node], [], []
    head = node[0]
    if head == "SArray":
        base, arrays, sizes = _declared_type(node[1])
        return base, [render(node[2]), *arrays], sizes
    shapes = {"SVector": "vector", "SRowVector": "row_vector", "SMatrix": "matrix", "SComplexVector": "complex_vector",
              "SComplexRowVector": "complex_row_vector", "SComplexMatrix": "complex_matrix"}  # fmt: skip
    if head in shapes:
        return shapes[head], [], [render(size) for size in node[2:]]
    raise AstFormatError(f"llb does not know the declared type {head}")


# -- user-defined densities -----------------------------------------------------------------------
@dataclass(frozen=True)
class UserDensity:
    """A user-defined ``NAME_lpdf`` or ``NAME_lpmf`` function."""

    name: str  # without the suffix, as used in ``~`` statements
    kind: str  # "lpdf" or "lpmf"
    normalised: bool  # its body provably returns a normalised density of its first argument


def user_densities(tree: Sexp) -> dict[str, UserDensity]:
    """The program's user-defined densities. One counts as normalised when its body is a single
    ``return`` of a built-in density of its first argument, or of ``log_mix`` of two such (with a
    weight that does not involve that argument)."""
    found: dict[str, UserDensity] = {}
    contents = _field(tree, "functionblock")
    if not contents:
        return found
    for node in _preorder(_field(contents[0], "stmts")):
        if not (isinstance(node, list) and node and node[0] == "FunDef"):
            continue
        function = _field(_field(node, "funname"), "name")
        name, _, kind = function.rpartition("_")
        if kind not in ("lpdf", "lpmf"):
            continue
        arguments = _field(node, "arguments")
        first = _field(arguments[0][-1], "name") if arguments else None
        body = _field(node, "body")
        statements = _field(body, "stmt")
        if not (isinstance(statements, list) and statements and statements[0] == "Block"):
            if name not in found:  # a forward declaration: its definition follows
                found[name] = UserDensity(name, kind, False)
            continue
        block = statements[1]
        proven = len(block) == 1 and _returns_builtin_density(_field(block[0], "stmt"), first)
        found[name] = UserDensity(name, kind, proven)
    return found


def _returns_builtin_density(statement: Sexp, first: str | None) -> bool:
    if not (isinstance(statement, list) and statement and statement[0] == "Return" and first):
        return False
    expr, _ = _expression(statement[1])
    if isinstance(expr, list) and expr[:1] == ["FunApp"] and _field(expr[2], "name") == "log_mix" and len(expr[3]) == 3:
        weight, _ = _expression(expr[3][0])
        return first not in _names(weight) and all(_is_builtin_density_of(_expression(component)[0], first) for component in expr[3][1:])
    return _is_builtin_density_of(expr, first)


def _is_builtin_density_of(expr: Sexp, first: str) -> bool:
    """``f_lpdf(first | ...)`` (or ``_lpmf``) with f a Stan library density."""
    if not (isinstance(expr, list) and len(expr) == 4 and expr[0] == "CondDistApp"):
        return False
    origin, function, arguments = expr[1], _field(expr[2], "name"), expr[3]
    if not (isinstance(origin, list) and origin[:1] == ["StanLib"]) or not function.endswith(("_lpdf", "_lupdf", "_lpmf", "_lupmf")):
        return False
    variate = _variate(_expression(arguments[0])[0]) if arguments else None
    return variate is not None and variate.name == first and not variate.indices
