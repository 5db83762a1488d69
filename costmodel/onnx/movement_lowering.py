"""Lowerings of the data-movement ops (concat, split, shuffle, views, slices, resizing) and of the products of
two activations, for ``costmodel.onnx.lowering.Writer`` (which holds the tensors, names and weights)."""
from __future__ import annotations

INT64_MAX = 2 ** 63 - 1


def shown(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


class MovementLowerings:
    """``lower_<kind>`` of the data-movement ops; a mixin of ``Writer``."""

    def lower_constant(self, node, op, inputs):
        """A learned constant read only by Concats (ViT's class token): an initializer named as the node, its
        batch axis a copy per sample; no ONNX node (the importer makes the Constant when it reaches the Concat)."""
        readers = [n for n in self.graph if any(t.node == node.name for t in n.inputs)]
        if not op.learned or not readers or any(n.op.kind != "concat" for n in readers):
            raise self.refuse(node, "a constant becomes an ONNX initializer, which the importer reads back as part "
                                    "of the op that reads it; only a learned one read by Concat comes back as itself")
        if not isinstance(self.batch, int):
            raise self.refuse(node, "a learned constant concatenated per sample needs the batch size as a number")
        shape = tuple(int(d) for d in op.shape)
        if self.weights is None:
            self.learned(node.name, (self.batch, *shape))
            return
        numpy = self.numpy
        if self.weights == "zero":
            one = numpy.zeros((1, *shape), numpy.float32)
        else:
            one = self.uniform((1, *shape), shape[-1])
        self.initializers.append(self.onnx.numpy_helper.from_array(numpy.repeat(one, self.batch, 0), node.name))

    def lower_concat(self, node, op, inputs):
        self.add("Concat", inputs, [node.name], node.name, axis=self.axis(op.axis))

    def lower_split(self, node, op, inputs):
        shape = node.inputs[0].shape
        if op.axis % len(shape) != 0 or len(shape) != 3:
            raise self.refuse(node, f"a split along axis {op.axis} of {shown(shape)}: ONNX readers take splits "
                                    f"along the channels of [C, H, W] only")
        sizes = [out[0] for out in node.outputs]
        outputs = [self.names[(node.name, i)] for i in range(len(node.outputs))]
        self.add("Split", [inputs[0], self.fixed(f"{node.name}/sizes", sizes)], outputs, node.name, axis=1)

    def lower_channel_shuffle(self, node, op, inputs):
        c, h, w = node.inputs[0].shape
        g, name = op.groups, node.name
        self.add("Reshape", [inputs[0], self.fixed(f"{name}/grouped_shape", [0, g, c // g, h, w])],
                 [f"{name}/group"], f"{name}/group")
        self.add("Transpose", [f"{name}/group"], [f"{name}/transposed"], name, perm=[0, 2, 1, 3, 4])
        self.add("Reshape", [f"{name}/transposed", self.fixed(f"{name}/shape", [0, c, h, w])], [name],
                 f"{name}/ungroup")

    def lower_flatten(self, node, op, inputs):
        self.add("Flatten", inputs, [node.name], node.name, axis=1)

    def lower_reshape(self, node, op, inputs):
        target = [0, *node.outputs[0]]
        self.add("Reshape", [inputs[0], self.fixed(f"{node.name}/shape", target)], [node.name], node.name)

    def lower_squeeze(self, node, op, inputs):
        shape = node.inputs[0].shape
        if op.axes is None:
            axes = [i for i, d in enumerate(shape) if d == 1]
        else:
            axes = sorted(a % len(shape) for a in op.axes)
        self.add("Squeeze", [inputs[0], self.fixed(f"{node.name}/axes", [a + 1 for a in axes])], [node.name],
                 node.name)

    def lower_unsqueeze(self, node, op, inputs):
        rank = len(node.outputs[0])
        axes = sorted(a % rank for a in op.axes)
        self.add("Unsqueeze", [inputs[0], self.fixed(f"{node.name}/axes", [a + 1 for a in axes])], [node.name],
                 node.name)

    def lower_transpose(self, node, op, inputs):
        self.add("Transpose", inputs, [node.name], node.name, perm=[0, *(p + 1 for p in op.perm)])

    def lower_pad(self, node, op, inputs):
        rank = len(node.inputs[0].shape)
        pads = [0, *op.pads[:rank], 0, *op.pads[rank:]]
        self.add("Pad", [inputs[0], self.fixed(f"{node.name}/pads", pads)], [node.name], node.name, mode=op.mode)

    def lower_slice(self, node, op, inputs):
        stop = op.stop if op.stop is not None else (INT64_MAX if op.step > 0 else -INT64_MAX)
        name = node.name
        parts = [self.fixed(f"{name}/starts", [op.start]), self.fixed(f"{name}/ends", [stop]),
                 self.fixed(f"{name}/axes", [self.axis(op.axis)]), self.fixed(f"{name}/steps", [op.step])]
        self.add("Slice", [inputs[0], *parts], [name], name)

    def lower_gather(self, node, op, inputs):
        indices = self.fixed(f"{node.name}/indices", self.numpy.zeros(tuple(op.indices), "int64"))
        self.add("Gather", [inputs[0], indices], [node.name], node.name, axis=self.axis(op.axis))

    def lower_expand(self, node, op, inputs):
        shape = node.inputs[0].shape
        if len(op.shape) != len(shape):
            raise self.refuse(node, f"expanding {shown(shape)} to {shown(op.shape)} adds axes in front of the "
                                    f"batch's in ONNX (only an expand that keeps the rank can be written)")
        self.add("Expand", [inputs[0], self.fixed(f"{node.name}/shape", [1, *op.shape])], [node.name], node.name)

    def lower_upsample(self, node, op, inputs):
        c, h, w = node.outputs[0]
        mode = "nearest" if op.mode == "nearest" else "linear"
        name = node.name
        if op.size is None and all(isinstance(s, int) for s in op.scale):
            scales = self.fixed(f"{name}/scales", [1.0, 1.0, *map(float, op.scale)], "float32")
            self.add("Resize", [inputs[0], "", scales], [name], name, mode=mode)
        else:  # an output size (or a fractional scale, whose float32 could round the size the other way)
            if not isinstance(self.batch, int):
                raise self.refuse(node, "a resize to a size needs the batch size as a number (not batch='N')")
            sizes = self.fixed(f"{name}/sizes", [self.batch, c, h, w])
            self.add("Resize", [inputs[0], "", "", sizes], [name], name, mode=mode)

    def lower_matmul(self, node, op, inputs):
        left, right = (t.shape for t in node.inputs)
        if len(left) < 2 or len(right) < 2:
            raise self.refuse(node, f"a product of {shown(left)} and {shown(right)}: ONNX readers take a MatMul "
                                    f"of two activations with at least two axes each besides the batch")
        if len(left) != len(right):
            raise self.refuse(node, f"operands of different ranks {shown(left)} and {shown(right)}")
        self.add("MatMul", inputs, [node.name], node.name)

    def lower_einsum(self, node, op, inputs):
        letters = set(op.equation.replace(",", "").replace("->", "").replace(" ", ""))
        batch = next(c for c in "nbzyxwvutsrqponmlkjihgfedca" if c not in letters)
        left, output = op.equation.replace(" ", "").split("->")
        equation = ",".join(batch + term for term in left.split(",")) + "->" + batch + output
        self.add("Einsum", inputs, [node.name], node.name, equation=equation)
