"""Unit tests for the training pipeline (no dataset needed): /usr/bin/python3 -m unittest training/test_pipeline.py

Covers: both dataset layouts give the same canonical (round-robin) order; augmentation shapes/values; the L2 PGD
projection; BN folding parity and the export -> load_exported round trip on a small random network.
"""
import io
import os
import pickle
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
torch.set_num_threads(1)

from attacks import pgd_l2  # noqa: E402
from data import CLASSES, decode_split  # noqa: E402
from folded import fold, folded_weights, load_exported  # noqa: E402
from model import ResNet18Cifar  # noqa: E402
from sample_predictions import area_matrix, center_crop_box  # noqa: E402
from train import augment  # noqa: E402


def _fake_split(n_per_class=3, seed=0):
    rng = np.random.default_rng(seed)
    # archive order: interleaved labels, like the original test_batch
    labels = np.array([c for _ in range(n_per_class) for c in range(10)][::-1], dtype=np.int64)
    images = rng.integers(0, 256, (len(labels), 32, 32, 3), dtype=np.uint8)
    return images, labels


class DataLayouts(unittest.TestCase):
    def test_python_archive_and_png_folders_agree_on_round_robin_order(self):
        from PIL import Image
        images, labels = _fake_split()
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            batch = {b'data': images.transpose(0, 3, 1, 2).reshape(len(labels), -1), b'labels': labels.tolist()}
            with tarfile.open(tmp / 'cifar-10-python.tar.gz', 'w:gz') as tar:
                for name in ['test_batch']:
                    raw = pickle.dumps(batch)
                    info = tarfile.TarInfo(f'cifar-10-batches-py/{name}')
                    info.size = len(raw)
                    tar.addfile(info, io.BytesIO(raw))
            py_x, py_y = decode_split(tmp / 'cifar-10-python.tar.gz', 'test')
            # folder layout: lossless PNGs, numbered by rank within class in archive order
            rank = {c: 0 for c in range(10)}
            for img, lab in zip(images, labels):
                d = tmp / 'folders' / 'test' / CLASSES[lab]
                d.mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(d / f'{rank[lab]:04d}.png')
                rank[lab] += 1
            f_x, f_y = decode_split(tmp / 'folders', 'test')
        self.assertEqual(py_y[:10].tolist(), list(range(10)))
        np.testing.assert_array_equal(py_y, f_y)
        np.testing.assert_array_equal(py_x, f_x)


class AugmentAndAttack(unittest.TestCase):
    def test_augment_keeps_shape_range_and_changes_pixels(self):
        x = torch.randint(0, 256, (16, 32, 32, 3), dtype=torch.uint8)
        out = augment(x, torch.Generator().manual_seed(0))
        self.assertEqual(tuple(out.shape), (16, 3, 32, 32))
        self.assertGreaterEqual(out.min().item(), 0)
        self.assertLessEqual(out.max().item(), 1)
        self.assertFalse(torch.equal(out, x.permute(0, 3, 1, 2).float() / 255))

    def test_pgd_l2_stays_in_the_ball_and_raises_the_loss(self):
        torch.manual_seed(0)
        model = ResNet18Cifar(4).eval()
        x, y = torch.rand(8, 3, 32, 32), torch.randint(0, 10, (8,))
        x_adv = pgd_l2(model, x, y, 0.5, 5, 0.25)
        norms = (x_adv - x).flatten(1).norm(dim=1)
        self.assertTrue(bool((norms <= 0.5 + 1e-5).all()))
        self.assertGreater(norms.max().item(), 0.1)
        self.assertTrue(0 <= x_adv.min().item() and x_adv.max().item() <= 1)
        ce = torch.nn.functional.cross_entropy
        with torch.no_grad():
            self.assertGreater(ce(model(x_adv), y).item(), ce(model(x), y).item())


    def test_use_best_never_ends_with_a_lower_loss_than_the_last_iterate(self):
        torch.manual_seed(1)
        model = ResNet18Cifar(4).eval()
        x, y = torch.rand(8, 3, 32, 32), torch.randint(0, 10, (8,))
        last = pgd_l2(model, x, y, 1.0, 4, 0.8)
        best = pgd_l2(model, x, y, 1.0, 4, 0.8, use_best=True)
        ce = torch.nn.functional.cross_entropy
        with torch.no_grad():
            l_last, l_best = ce(model(last), y, reduction='none'), ce(model(best), y, reduction='none')
            self.assertTrue(bool((l_best >= l_last - 1e-6).all()))
            self.assertTrue(bool((l_best >= ce(model(x), y, reduction='none') - 1e-6).all()))


class Export(unittest.TestCase):
    def test_folded_weights_round_trip_through_load_exported(self):
        import hashlib
        import json
        torch.manual_seed(0)
        model = ResNet18Cifar(4)
        model.train()
        with torch.no_grad():  # non-trivial BN statistics
            for _ in range(3):
                model(torch.rand(32, 3, 32, 32))
        model.eval()
        folded = fold(model)
        x = torch.rand(4, 3, 32, 32)
        with torch.no_grad():
            self.assertLess((model(x) - folded(x)).abs().max().item(), 1e-4)
        weights = folded_weights(folded)
        self.assertEqual(weights[0][0], 'stem.conv.weight')
        self.assertEqual(weights[0][1].shape, (3, 3, 3, 4))
        self.assertIn('layer2.0.shortcut.weight', [n for n, _ in weights])
        self.assertNotIn('layer1.0.shortcut.weight', [n for n, _ in weights])
        raw = b''.join(a.astype('<f4').tobytes() for _, a in weights)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / 'weights.bin').write_bytes(raw)
            spec = {'architecture': {'name': 'resnet18-cifar', 'width': 4}, 'classes': CLASSES,
                    'input': {'mean': [0.4914, 0.4822, 0.4465], 'std': [0.2023, 0.1994, 0.2010]},
                    'weightsSha256': hashlib.sha256(raw).hexdigest(),
                    'weightsManifest': [{'paths': ['weights.bin'], 'weights': [
                        {'name': n, 'shape': list(a.shape), 'dtype': 'float32'} for n, a in weights]}]}
            (Path(tmp) / 'model.json').write_text(json.dumps(spec))
            loaded, _ = load_exported(Path(tmp))
            with torch.no_grad():
                self.assertEqual((loaded(x) - folded(x)).abs().max().item(), 0.0)
            spec['weightsSha256'] = '0' * 64
            (Path(tmp) / 'model.json').write_text(json.dumps(spec))
            with self.assertRaises(ValueError):
                load_exported(Path(tmp))


class SamplePipeline(unittest.TestCase):
    def test_area_resize_matches_the_apps_box_filter(self):
        # an integer factor is the mean of blocks; every output row's weights sum to 1
        self.assertTrue(np.allclose(area_matrix(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]]))
        m = area_matrix(7, 3)
        self.assertTrue(np.allclose(m.sum(1), 1))
        self.assertAlmostEqual(m[0, 2], (7 / 3 - 2) / (7 / 3))

    def test_center_crop_box_rounds_halves_up_like_math_round(self):
        self.assertEqual(center_crop_box(640, 480, 32, 32), (80, 0, 480, 480))
        self.assertEqual(center_crop_box(300, 500, 32, 32), (0, 100, 300, 300))
        # width 5·1/2 = 2.5 -> 3 (Math.round), where Python's round() would give 2
        self.assertEqual(center_crop_box(3, 5, 1, 2), (0, 0, 3, 5))


if __name__ == '__main__':
    unittest.main()
