"""Record the reference counts of the torchvision networks shipped as spec examples (costmodel/examples/).

Run with the torch environment (never in tests): ``/work/torchvenv/bin/python benchmarks/record_spec_examples.py``.
For each network, built as torchvision builds it (no weights, GoogLeNet and Inception v3 without their
auxiliary classifiers), it prints

* flops: PyTorch's ``FlopCounterMode`` total on one image divided by 2 (it counts a multiply and an add as 2),
* params: ``sum(p.numel() for p in model.parameters())``,

as the JSON tests/test_spec_examples.py cites (with the torch and torchvision versions printed here).
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onnx_crosscheck  # noqa: E402,F401  lets torchvision import on CPU torch builds without its compiled ops
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

NETWORKS = {  # example name: (torchvision builder, keyword arguments, input side)
    "densenet121": ("densenet121", {}, 224),
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}, 224),
    "efficientnet_b0": ("efficientnet_b0", {}, 224),
    "mnasnet1_0": ("mnasnet1_0", {}, 224),
    "regnet_x_400mf": ("regnet_x_400mf", {}, 224),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}, 299),
    "regnet_x_800mf": ("regnet_x_800mf", {}, 224),  # regnet_x_400mf.yaml with other stage symbols
}


def counts(builder, kwargs, side):
    model = getattr(torchvision.models, builder)(weights=None, **kwargs).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, side, side))
    return {"flops": counter.get_total_flops() // 2, "params": sum(p.numel() for p in model.parameters())}


def main():
    recorded = {name: counts(*spec) for name, spec in NETWORKS.items()}
    print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "counts": recorded},
                     indent=1))


if __name__ == "__main__":
    main()
