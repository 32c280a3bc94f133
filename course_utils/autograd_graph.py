"""The computational graph PyTorch records, read back by walking ``grad_fn`` (lesson 02).

Every tensor computed from a tensor that requires gradients carries ``grad_fn``: the node
that will send gradients back to its inputs, listed in ``grad_fn.next_functions``. Leaves
(parameters, or inputs with ``requires_grad=True``) end in ``AccumulateGrad`` nodes whose
``variable`` is the leaf tensor. Walking these links from an output gives the whole graph,
with no plotting library needed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import torch

#: plain-English meaning of the backward nodes the course's examples produce
OP_MEANINGS = {
    "Addmm": "bias + input @ weight.T (a Linear layer)",
    "Mm": "matrix product",
    "Mv": "matrix-vector product",
    "T": "transpose of a weight matrix",
    "Permute": "transpose of a weight matrix",
    "Add": "sum of two tensors",
    "Mul": "elementwise product",
    "Sin": "sine",
    "Relu": "ReLU",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Sum": "sum of all elements",
    "Mean": "mean of all elements",
    "Cat": "concatenation",
    "Select": "pick one column or row",
    "Unsqueeze": "add an axis",
    "Squeeze": "remove an axis",
    "View": "reshape",
    "Reshape": "reshape",
    "Linear": "a Linear layer",
    "AccumulateGrad": "a leaf: its gradient is stored in .grad",
}


def op_name(node) -> str:
    """'AddmmBackward0' -> 'Addmm'; 'AccumulateGrad' stays as it is."""
    return re.sub(r"Backward\d*$", "", type(node).__name__)


@dataclass
class GradGraph:
    """Nodes of a backward graph: ``labels[i]`` names node i (e.g. 'Addmm', 'AccumulateGrad (fc2.bias)'),
    ``inputs[i]`` lists the nodes it sends gradients to (its inputs in the forward pass); ``roots``
    are the outputs' nodes."""

    labels: list[str] = field(default_factory=list)
    inputs: list[list[int]] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)

    @property
    def edges(self) -> list[tuple[int, int]]:
        """(node, input node) pairs: gradient flows along each from the first to the second."""
        return [(i, j) for i, ins in enumerate(self.inputs) for j in ins]

    def leaves(self) -> list[str]:
        return [label for label in self.labels if label.startswith("AccumulateGrad")]

    def __str__(self) -> str:
        lines: list[str] = []
        shown: set[int] = set()
        explained: set[str] = set()  # each kind of node is explained once, where it first appears

        def walk(i: int, prefix: str, last: bool, top: bool) -> None:
            branch = "" if top else ("└── " if last else "├── ")
            again = i in shown and self.inputs[i]
            kind = self.labels[i].split(" ")[0]
            meaning = "" if kind in explained else OP_MEANINGS.get(kind, "")
            explained.add(kind)
            note = "  (shown above)" if again else (f"   # {meaning}" if meaning else "")
            lines.append(f"{prefix}{branch}{self.labels[i]}{note}")
            if again:
                return
            shown.add(i)
            child_prefix = prefix + ("" if top else ("    " if last else "│   "))
            for k, j in enumerate(self.inputs[i]):
                walk(j, child_prefix, k == len(self.inputs[i]) - 1, False)

        for r in self.roots:
            walk(r, "", True, True)
        return "\n".join(lines)


def backward_graph(outputs: torch.Tensor | Sequence[torch.Tensor],
                   names: Mapping[str, torch.Tensor] | None = None) -> GradGraph:
    """Walk ``grad_fn`` from one or several output tensors and return the graph.

    names: {name: tensor} for leaves (e.g. ``dict(model.named_parameters())`` plus ``x``); their
    AccumulateGrad nodes are labelled with the name and shape, e.g. 'AccumulateGrad (fc1.weight 2x2)'.
    Outputs that do not require gradients raise ValueError.
    """
    outputs = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
    by_id = {id(t): n for n, t in (names or {}).items()}
    graph = GradGraph()
    index: dict[int, int] = {}
    keep = []  # hold the nodes so their ids stay unique while we walk

    def visit(node) -> int:
        if id(node) in index:
            return index[id(node)]
        keep.append(node)
        i = len(graph.labels)
        index[id(node)] = i
        label = op_name(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            shape = "x".join(str(s) for s in variable.shape) or "scalar"
            label += f" ({by_id.get(id(variable), 'leaf')} {shape})"
        graph.labels.append(label)
        graph.inputs.append([])
        children = [visit(nxt) for nxt, _ in node.next_functions if nxt is not None]
        graph.inputs[i] = children
        return i

    for k, out in enumerate(outputs):
        if out.grad_fn is None:
            raise ValueError(f"output {k} has no grad_fn: it does not depend on any tensor with "
                             "requires_grad=True (parameters, or x.requires_grad_()).")
        graph.roots.append(visit(out.grad_fn))
    return graph
