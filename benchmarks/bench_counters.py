"""Time ptflops and fvcore on MobileNet v2, ResNet-50 and ShuffleNet v2, and cross-check their counts with
costmodel layer by layer. Needs PyTorch (``pip install torch==2.13.0 ptflops fvcore`` in a SEPARATE venv) and
costmodel on the path:

    PYTHONPATH=. /path/to/torch-venv/bin/python benchmarks/bench_counters.py [--repeat 5]

The models are written here in plain torch, layer for layer as torchvision builds them (torchvision itself is
not needed and is blocked: a broken torchvision install would break ptflops' import).

Convention differences accounted for, per conv / linear layer:
* costmodel ``flops`` (paper convention): k_h*k_w*(c_in/g)*c_out*h_out*w_out, biases excluded.
* ptflops: the same plus one per output element when the layer has a bias (Linear: + out_features).
* fvcore: the same as costmodel for conv and linear (bias excluded).
Totals differ more: ptflops adds BatchNorm (2 per element), ReLU (1), pooling (1 per input element);
fvcore adds BatchNorm (1 per element in eval mode) and adaptive pooling; costmodel's paper convention adds
nothing for them. Only conv/linear layers are compared one to one; the totals' ratios are printed as seen.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

t0 = time.perf_counter()
sys.modules["torchvision"] = None  # blocked: not needed, and a broken install breaks ptflops' import
import torch  # noqa: E402
from torch import nn  # noqa: E402

TORCH_IMPORT = time.perf_counter() - t0


def make_divisible(v, divisor=8, min_value=None):
    min_value = min_value or divisor
    new = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def cbr(cin, cout, k=3, s=1, g=1, act=nn.ReLU6):
    layers = [nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=g, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, act(inplace=True)) if act else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = int(round(cin * t))
        self.use_res = stride == 1 and cin == cout
        layers = [cbr(cin, hidden, 1)] if t != 1 else []
        layers += [cbr(hidden, hidden, 3, stride, hidden), cbr(hidden, cout, 1, act=None)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):  # torchvision/models/mobilenetv2.py
    def __init__(self, width=1.0, classes=1000):
        super().__init__()
        cin = make_divisible(32 * width)
        last = make_divisible(1280 * max(1.0, width))
        layers = [cbr(3, cin, 3, 2)]
        for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                           (6, 160, 3, 2), (6, 320, 1, 1)):
            cout = make_divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers.append(cbr(cin, last, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class Bottleneck(nn.Module):  # torchvision's ResNet v1.5: stride on the 3x3
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        blocks, cin = [], 64
        for width, n, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(n):
                blocks.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
        self.layers = nn.Sequential(*blocks)
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(self.layers(x)), 1))


def shuffle(x, groups=2):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):  # torchvision/models/shufflenetv2.py InvertedResidual
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, b = stride, cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(cbr(cin, cin, 3, stride, cin, act=None), cbr(cin, b, 1, act=nn.ReLU))
        self.branch2 = nn.Sequential(cbr(cin if stride > 1 else b, b, 1, act=nn.ReLU),
                                     cbr(b, b, 3, stride, b, act=None), cbr(b, b, 1, act=nn.ReLU))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return shuffle(out)


class ShuffleNetV2(nn.Module):  # 1.0x
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = cbr(3, 24, 3, 2, act=nn.ReLU)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        units, cin = [], 24
        for cout, n in ((116, 4), (232, 8), (464, 4)):
            for i in range(n):
                units.append(ShuffleUnit(cin, cout, 2 if i == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*units)
        self.conv5 = cbr(cin, 1024, 1, act=nn.ReLU)
        self.fc = nn.Linear(1024, classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


MODELS = {  # name: (torch model, costmodel zoo name and parameters)
    "mobilenet_v2": (lambda: MobileNetV2(), ("mobilenet_v2", {})),
    "resnet50": (lambda: ResNet50(), ("resnet50", {"variant": "torchvision"})),
    "shufflenet_v2": (lambda: ShuffleNetV2(), ("shufflenet_v2", {"variant": "torchvision"})),
}


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ptflops_layers(model):
    from ptflops.pytorch_engine import add_flops_counting_methods
    import io
    model = add_flops_counting_methods(model.eval())
    model.start_flops_count(ost=io.StringIO(), verbose=False, ignore_list=[])
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    layers = [(n, int(m.__flops__)) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.stop_flops_count()
    return layers


def fvcore_layers(model):
    from fvcore.nn import FlopCountAnalysis
    analysis = FlopCountAnalysis(model.eval(), torch.zeros(1, 3, 224, 224))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_module = analysis.by_module()
    return [(n, int(by_module[n])) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from ptflops import get_model_complexity_info
    from fvcore.nn import FlopCountAnalysis
    from costmodel.analysis import analyze
    from costmodel.zoo import build

    print(f"torch {torch.__version__} import: {TORCH_IMPORT:.2f} s (paid once by ptflops/fvcore users)")
    torch.set_num_threads(2)
    for name, (factory, (zoo, params)) in MODELS.items():
        ours_t, ours = timed(lambda: analyze(build(zoo, **params)), max(args.repeat, 20))
        ours_layers = [l for l in ours.layers if l.op.category in ("conv", "fc")]

        def run_ptflops():
            return get_model_complexity_info(factory(), (3, 224, 224), as_strings=False,
                                             print_per_layer_stat=False, verbose=False)

        def run_fvcore():
            model = factory().eval()
            a = FlopCountAnalysis(model, torch.zeros(1, 3, 224, 224))
            a.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return a.total(), sum(p.numel() for p in model.parameters())

        pt_t, (pt_flops, pt_params) = timed(run_ptflops, args.repeat)
        fv_t, (fv_flops, fv_params) = timed(run_fvcore, args.repeat)
        model = factory()
        pt_layers = ptflops_layers(model)
        fv_layers = fvcore_layers(factory())
        mods = {n: m for n, m in model.named_modules()}
        # layer by layer: ptflops minus its bias term, fvcore as is, against costmodel's paper flops
        mismatches = 0
        if not (len(ours_layers) == len(pt_layers) == len(fv_layers)):
            print(f"  {name}: layer counts differ: ours {len(ours_layers)}, ptflops {len(pt_layers)}, "
                  f"fvcore {len(fv_layers)}")
            mismatches += 1
        for ours_layer, (pn, pf), (fn, ff) in zip(ours_layers, pt_layers, fv_layers):
            m = mods[pn]
            bias = 0
            if m.bias is not None:
                bias = m.out_features if isinstance(m, nn.Linear) else ours_layer.activations
            if not (ours_layer.flops == pf - bias == ff):
                mismatches += 1
                print(f"  {name} {ours_layer.name} / {pn}: ours {ours_layer.flops}, ptflops-bias {pf - bias}, "
                      f"fvcore {ff}")
        torch_params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {len(ours_layers)} conv/linear layers cross-checked, {mismatches} mismatches; "
              f"params ours {ours.totals.params} torch {torch_params} ptflops {pt_params} "
              f"({'equal' if ours.totals.params == torch_params == pt_params else 'DIFFER'})")
        print(f"  totals flops: ours {ours.totals.flops}, ptflops {pt_flops} (x{pt_flops / ours.totals.flops:.4f}:"
              f" +BN, ReLU, pooling, bias), fvcore {fv_flops} (x{fv_flops / ours.totals.flops:.4f}: +BN, pooling)")
        print(f"  time per configuration (build + count, median of {args.repeat}): costmodel {ours_t * 1e3:.2f} ms,"
              f" ptflops {pt_t * 1e3:.1f} ms ({pt_t / ours_t:.0f}x), fvcore {fv_t * 1e3:.1f} ms "
              f"({fv_t / ours_t:.0f}x)")


if __name__ == "__main__":
    main()
