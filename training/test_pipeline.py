"""Unit tests for the training pipeline (no dataset needed): /usr/bin/python3 -m unittest training/test_pipeline.py

Covers: both dataset layouts give the same canonical (round-robin) order; the decode cache follows --data;
augmentation shapes/values; the L2 PGD projection; BN folding parity and the export -> load_exported round trip on a
small random network; and the whole pipeline on a tiny fake image-folder dataset: adversarial train.py, a run stopped
after one epoch and resumed equals an uninterrupted one bit for bit, the refusals of --resume, export.py --smoke;
a warm restart (--init-from) starts at its source's weights and the model card counts every epoch.
half.py stores a folder as float16 (read back as the rounded weights) and measures the change in percentage points.
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
from png_split import write_png_folders  # noqa: E402
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
            write_png_folders(images, labels, tmp / 'folders' / 'test')
            f_x, f_y = decode_split(tmp / 'folders', 'test')
        self.assertEqual(py_y[:10].tolist(), list(range(10)))
        np.testing.assert_array_equal(py_y, f_y)
        np.testing.assert_array_equal(py_x, f_x)


def _write_fake_folders(root: Path, per_class: dict[str, int], seed=0):
    """<root>/<split>/<class>/NNNN.png with random pixels: a tiny dataset in the development archives' layout."""
    rng = np.random.default_rng(seed)
    for split, n in per_class.items():
        labels = np.repeat(np.arange(len(CLASSES)), n)
        write_png_folders(rng.integers(0, 256, (len(labels), 32, 32, 3), dtype=np.uint8), labels, root / split)


def _tiny_cifar_run(tmp: Path) -> list[str]:
    """A fake CIFAR-10 in <tmp>/data (16 train, 5 test images per class) and train.py's arguments for a tiny CPU run on
    it (batch, subset, threads, data, cache and runs folders under tmp); callers add width, epochs and the attack."""
    _write_fake_folders(tmp / 'data', {'train': 16, 'test': 5})
    return ['--batch-size', '16', '--eval-subset', '50', '--threads', '1', '--device', 'cpu', '--data', str(tmp / 'data'),
            '--cache', str(tmp / 'cache'), '--runs-dir', str(tmp / 'runs')]


class DecodeCache(unittest.TestCase):
    def test_cache_is_decoded_again_when_data_points_elsewhere(self):
        from data import load_split
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_fake_folders(tmp / 'a', {'test': 1}, seed=1)
            _write_fake_folders(tmp / 'b', {'test': 2}, seed=2)
            xa, _ = load_split('test', tmp / 'a', tmp / 'cache')
            xb, _ = load_split('test', tmp / 'b', tmp / 'cache')
            self.assertEqual((len(xa), len(xb)), (10, 20))
            xa2, _ = load_split('test', tmp / 'a', tmp / 'cache')
            np.testing.assert_array_equal(xa, xa2)

    def test_png_split_keeps_pixels_labels_and_order(self):
        from data import load_split
        from png_split import write_png_split
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_fake_folders(tmp / 'jpg', {'test': 3}, seed=4)
            for f in (tmp / 'jpg').rglob('*.png'):  # JPEG sources, like the development archives
                from PIL import Image
                Image.open(f).save(f.with_suffix('.jpg'), quality=75)
                f.unlink()
            x, y = load_split('test', tmp / 'jpg', tmp / 'cache')
            self.assertEqual(write_png_split('test', tmp / 'png', tmp / 'jpg', tmp / 'cache'), 30)
            x2, y2 = decode_split(tmp / 'png', 'test')
            np.testing.assert_array_equal(y, y2)
            np.testing.assert_array_equal(x, x2)


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

            # half.py: the same folder stored as float16 reads back as the float16-rounded weights, new sha256
            from half import largest_difference_pp, to_float16
            spec['weightsSha256'] = hashlib.sha256(raw).hexdigest()
            sha = to_float16(Path(tmp), spec)
            (Path(tmp) / 'model.json').write_text(json.dumps(spec))
            self.assertEqual((Path(tmp) / 'weights.bin').stat().st_size, len(raw) // 2)
            self.assertEqual(sha, hashlib.sha256((Path(tmp) / 'weights.bin').read_bytes()).hexdigest())
            self.assertEqual({w['dtype'] for w in spec['weightsManifest'][0]['weights']}, {'float16'})
            half_model, _ = load_exported(Path(tmp))
            rounded = {n: torch.from_numpy(a.astype(np.float16).astype(np.float32)) for n, a in weights}
            self.assertTrue(torch.equal(half_model.stem.conv.weight, rounded['stem.conv.weight'].permute(3, 2, 0, 1)))
            with torch.no_grad():
                diff = (half_model(x) - folded(x)).abs().max().item()
            self.assertGreater(diff, 0.0)
            self.assertLess(diff, 5e-2)
        # the float16 decision: the largest change over clean and every radius, in percentage points
        a = {'clean': 0.8429, 'l2': {'0.25': 0.248, '0.5': 0.019}}
        self.assertAlmostEqual(largest_difference_pp(a, {'clean': 0.8428, 'l2': {'0.25': 0.248, '0.5': 0.018}}), 0.1)
        with self.assertRaises(SystemExit):
            largest_difference_pp(a, {'clean': 0.8429, 'l2': {'0.25': 0.248}})


    def test_reference_network_built_from_the_format_doc_equals_the_folded_training_network(self):
        """reference.FormatResNet (docs/model-format.md, used for the engine cross-checks) vs ResNet18Cifar."""
        import json
        from reference import load_model_folder
        torch.manual_seed(2)
        folded = fold(ResNet18Cifar(4).eval())
        weights = folded_weights(folded)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / 'weights.bin').write_bytes(b''.join(a.astype('<f4').tobytes() for _, a in weights))
            (Path(tmp) / 'model.json').write_text(json.dumps({
                'architecture': {'name': 'resnet18-cifar', 'width': 4}, 'classes': CLASSES,
                'input': {'mean': [0.4914, 0.4822, 0.4465], 'std': [0.2023, 0.1994, 0.2010]},
                'weightsManifest': [{'paths': ['weights.bin'], 'weights': [
                    {'name': n, 'shape': list(a.shape), 'dtype': 'float32'} for n, a in weights]}]}))
            reference, _ = load_model_folder(Path(tmp))
        x = torch.rand(3, 3, 32, 32) * 1.2 - 0.1  # some values outside [0, 1]: both clamp
        with torch.no_grad():
            logits, features = reference.logits_and_features(x)
            self.assertLess((logits - folded(x)).abs().max().item(), 1e-5)
            self.assertLess((features - folded.features(x)).abs().max().item(), 1e-5)


class WholePipeline(unittest.TestCase):
    """train.py -> checkpoint -> export.py on 160 + 50 fake images, width 2, 2 epochs of 2-step L2 PGD training."""

    def test_stopped_and_resumed_run_equals_an_uninterrupted_one_and_exports(self):
        import contextlib
        import hashlib
        import json
        import export
        import train
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            common = ['--width', '2', '--epochs', '2', '--eps', '0.5', '--attack-steps', '2'] + _tiny_cifar_run(tmp)
            quiet = contextlib.redirect_stdout(io.StringIO())
            with quiet:
                train.main(['--run', 'whole'] + common)
                train.main(['--run', 'split', '--stop-after', '1'] + common)
            split_ck = torch.load(tmp / 'runs' / 'split' / 'last.pt')
            self.assertEqual(split_ck['epoch'], 1)
            with self.assertRaises(SystemExit):  # an existing run needs --resume
                train.main(['--run', 'split'] + common)
            three_epochs = common[:3] + ['3'] + common[4:]
            self.assertEqual(common[2:4], ['--epochs', '2'])
            with self.assertRaises(SystemExit):  # --resume must keep the planned schedule
                train.main(['--run', 'split', '--resume'] + three_epochs)
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'split', '--resume'] + common)
            whole = torch.load(tmp / 'runs' / 'whole' / 'last.pt')
            split = torch.load(tmp / 'runs' / 'split' / 'last.pt')
            self.assertEqual((whole['epoch'], split['epoch']), (2, 2))
            for name, tensor in whole['model'].items():
                self.assertTrue(torch.equal(tensor, split['model'][name]), name)
            with open(tmp / 'runs' / 'split' / 'log.csv') as f:
                self.assertEqual([r.split(',')[0] for r in f.read().splitlines()[1:]], ['1', '2'])

            with contextlib.redirect_stdout(io.StringIO()):
                export.main(['--checkpoint', str(tmp / 'runs' / 'whole' / 'last.pt'), '--out-dir', str(tmp / 'models'),
                             '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            out = tmp / 'models' / 'cifar10-resnet18w2-l2-0.5'
            spec = json.loads((out / 'model.json').read_text())
            self.assertEqual(spec['weightsSha256'], hashlib.sha256((out / 'weights.bin').read_bytes()).hexdigest())
            self.assertEqual((spec['role'], spec['training']['eps'], spec['training']['epochs']), ('robust', 0.5, 2))
            self.assertEqual(sorted(spec['metrics']['robust']['l2']), ['0.25', '0.5', '1.0'])
            expected = json.loads((out / 'expected.json').read_text())
            self.assertEqual(expected['weightsSha256'], spec['weightsSha256'])
            model = train.ResNet18Cifar(2)
            model.load_state_dict(whole['model'])
            model.eval()
            loaded, _ = load_exported(out)
            probe = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(3))
            with torch.no_grad():
                self.assertLess((loaded(probe) - model(probe)).abs().max().item(), 1e-4)

            # the strong attack (PGD-100 x 5 restarts) recorded in the model card, never above PGD-20 on those images
            import evaluate
            with contextlib.redirect_stdout(io.StringIO()):
                evaluate.main(['--model', str(out), '--n-clean', '20', '--n-robust', '20', '--eps', '0.5', '--strong',
                               '--strong-n', '20', '--write-strong', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            strong = json.loads((out / 'model.json').read_text())['metrics']['strong']
            self.assertEqual((sorted(strong['l2']), strong['count']), (['0.5'], 20))
            self.assertIn('from the clean image and from 5 random starts', strong['attack'])
            from data import load_eval_split
            images, labels, _ = load_eval_split('cifar10', 32, [tmp / 'data'], tmp / 'cache')
            pgd20 = evaluate.evaluate(loaded, images[:20], labels[:20], [0.5], 20, 20, log=lambda *a: None)['robust']['l2']['0.5']
            self.assertLessEqual(strong['l2']['0.5'], pgd20 + 1e-9)
            with self.assertRaises(SystemExit):  # --write-strong needs --strong
                with contextlib.redirect_stdout(io.StringIO()):
                    evaluate.main(['--model', str(out), '--n-clean', '20', '--n-robust', '20', '--eps', '0.5', '--write-strong',
                                   '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])


class WarmRestart(unittest.TestCase):
    """--init-from: a finished run's weights, this run's own schedule; refusals; the history survives --resume and
    reaches the model card."""

    def test_init_from_starts_at_the_source_weights_and_export_counts_every_epoch(self):
        import contextlib
        import json
        import export
        import train
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            common = ['--width', '2', '--eps', '0.5', '--attack-steps', '2'] + _tiny_cifar_run(tmp)
            base = tmp / 'runs' / 'base' / 'last.pt'
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'base', '--epochs', '1'] + common)
                train.main(['--run', 'partial', '--epochs', '2', '--stop-after', '1'] + common)
                with self.assertRaisesRegex(SystemExit, 'stopped at epoch 1 of'):  # the source must have finished its schedule
                    train.main(['--run', 'bad1', '--epochs', '1', '--init-from', str(tmp / 'runs' / 'partial' / 'last.pt')] + common)
                with self.assertRaisesRegex(SystemExit, 'width/eps 2/0.5'):  # and be no wider than this run, at the same eps
                    train.main(['--run', 'bad2', '--epochs', '1', '--init-from', str(base), '--width', '1'] + common[2:])
                # a learning rate too small to move the weights: after one epoch they are still the source's
                warm = ['--run', 'warm', '--epochs', '2', '--lr', '1e-9', '--init-from', str(base)] + common
                train.main(warm + ['--stop-after', '1'])
                train.main(warm + ['--resume'])
            source, continued = torch.load(base), torch.load(tmp / 'runs' / 'warm' / 'last.pt')
            for name, tensor in source['model'].items():
                if name.endswith('weight') and tensor.ndim == 4:
                    self.assertLess((continued['model'][name] - tensor).abs().max().item(), 1e-5, name)
            self.assertEqual([h['run'] for h in continued['args']['init_history']], ['base'])
            with contextlib.redirect_stdout(io.StringIO()):
                export.main(['--checkpoint', str(tmp / 'runs' / 'warm' / 'last.pt'), '--out-dir', str(tmp / 'models'),
                             '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            training = json.loads((tmp / 'models' / 'cifar10-resnet18w2-l2-0.5' / 'model.json').read_text())['training']
            self.assertEqual(training['epochs'], 3)
            self.assertIn('Initialized from run base (1 epochs', training['notes'])


class WeightAveraging(unittest.TestCase):
    """--ema: the average survives --resume bit-for-bit, is what export.py ships and what --init-from starts from."""

    def test_weight_average_resumes_exactly_ships_and_seeds_a_warm_restart(self):
        import contextlib
        import json
        import export
        import train
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            model_and_attack = ['--width', '2', '--eps', '0.5', '--attack-steps', '2'] + _tiny_cifar_run(tmp)
            without_ema = ['--epochs', '2'] + model_and_attack
            common = without_ema + ['--ema', '0.9']
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'whole'] + common)
                train.main(['--run', 'split', '--stop-after', '1'] + common)
                with self.assertRaisesRegex(SystemExit, 'ema'):  # the average cannot be switched off mid-run
                    train.main(['--run', 'split', '--resume'] + without_ema)
                train.main(['--run', 'split', '--resume'] + common)
            whole, split = torch.load(tmp / 'runs' / 'whole' / 'last.pt'), torch.load(tmp / 'runs' / 'split' / 'last.pt')
            self.assertEqual(whole['ema']['steps'], split['ema']['steps'])
            for name, tensor in whole['ema']['model'].items():
                self.assertTrue(torch.equal(tensor, split['ema']['model'][name]), name)
            # the average is not the last iterate
            conv = next(n for n, t in whole['model'].items() if t.ndim == 4 and n.endswith('weight'))
            self.assertGreater((whole['ema']['model'][conv] - whole['model'][conv]).abs().max().item(), 0)
            log = (tmp / 'runs' / 'whole' / 'log.csv').read_text().splitlines()
            self.assertTrue(log[0].endswith('ema_test_acc_subset,ema_held_pgd10_acc'))
            self.assertNotEqual(log[-1].split(',')[-1], '')

            with contextlib.redirect_stdout(io.StringIO()):
                export.main(['--checkpoint', str(tmp / 'runs' / 'whole' / 'last.pt'), '--out-dir', str(tmp / 'models'),
                             '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            out = tmp / 'models' / 'cifar10-resnet18w2-l2-0.5'
            self.assertIn('exponential moving average', json.loads((out / 'model.json').read_text())['training']['notes'])
            averaged = train.ResNet18Cifar(2)
            averaged.load_state_dict(whole['ema']['model'])
            averaged.eval()
            loaded, _ = load_exported(out)
            probe = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(3))
            with torch.no_grad():
                self.assertLess((loaded(probe) - averaged(probe)).abs().max().item(), 1e-4)
            # the pre-ship check of the sample photos on the checkpoint predicts what the exported card records
            from sample_predictions import checkpoint_predictions
            rows, classes = checkpoint_predictions(tmp / 'runs' / 'whole' / 'last.pt')
            shipped = json.loads((out / 'expected.json').read_text())['samples']
            self.assertEqual(classes, json.loads((out / 'model.json').read_text())['classes'])
            self.assertEqual([r['id'] for r in rows], [r['id'] for r in shipped])
            for r, e in zip(rows, shipped):
                np.testing.assert_allclose(r['probabilities'], e['probabilities'], atol=1e-4, err_msg=r['id'])

            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'warm', '--epochs', '1', '--lr', '1e-9', '--init-from', str(tmp / 'runs' / 'whole' / 'last.pt')]
                           + model_and_attack)
            warm = torch.load(tmp / 'runs' / 'warm' / 'last.pt')
            self.assertIsNone(warm['ema'])
            self.assertLess((warm['model'][conv] - whole['ema']['model'][conv]).abs().max().item(), 1e-5)


class Widening(unittest.TestCase):
    """--init-from a narrower run: the wide model starts as the narrow model's function, with new channels to train."""

    def test_widened_model_computes_the_narrow_models_logits_in_both_modes_and_architectures(self):
        from widen import widen_state_dict
        gen = torch.Generator().manual_seed(5)
        for arch, size in (('resnet18-cifar', 32), ('resnet18', 64)):
            narrow, wide = ResNet18Cifar(2, 10, arch), ResNet18Cifar(4, 10, arch)
            with torch.no_grad():  # trained-looking BatchNorm statistics and affine parameters, not the defaults
                for name, t in narrow.state_dict().items():
                    if t.is_floating_point() and ('bn' in name or name.startswith('fc')):
                        t.copy_(torch.rand(t.shape, generator=gen) + (0.5 if name.endswith(('var', 'weight')) else -0.5))
            wide.load_state_dict(widen_state_dict(narrow.state_dict(), wide))
            x = torch.rand(6, 3, size, size, generator=gen)
            for train_mode in (False, True):
                narrow.train(train_mode)
                wide.train(train_mode)
                with torch.no_grad():
                    torch.testing.assert_close(wide(x), narrow(x), atol=1e-5, rtol=1e-5, msg=f'{arch} train={train_mode}')
            # the new channels are there and not zero (they read the old ones), and not copies of the old ones
            stem = wide.state_dict()['stem.conv.weight']
            self.assertGreater(stem[2:].abs().min().item(), 0)
            self.assertFalse(torch.allclose(stem[2:], stem[:2]))
            with self.assertRaisesRegex(ValueError, 'does not fit'):
                widen_state_dict(wide.state_dict(), narrow)

    def test_wider_warm_restart_starts_from_the_narrow_weights_and_the_card_says_widened(self):
        import contextlib
        import json
        import export
        import train
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            attack = ['--eps', '0.5', '--attack-steps', '2'] + _tiny_cifar_run(tmp)
            base = tmp / 'runs' / 'narrow' / 'last.pt'
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'narrow', '--width', '2', '--epochs', '1'] + attack)
                with self.assertRaisesRegex(SystemExit, 'arch resnet18-cifar differs'):
                    train.main(['--run', 'bad', '--width', '4', '--epochs', '1', '--arch', 'resnet18', '--init-from', str(base)] + attack)
                train.main(['--run', 'wide', '--width', '4', '--epochs', '1', '--lr', '1e-9', '--init-from', str(base)] + attack)
                export.main(['--checkpoint', str(tmp / 'runs' / 'wide' / 'last.pt'), '--out-dir', str(tmp / 'models'),
                             '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            source, wide = torch.load(base)['model'], torch.load(tmp / 'runs' / 'wide' / 'last.pt')['model']
            self.assertEqual(tuple(wide['layer4.1.conv2.conv.weight'].shape), (32, 32, 3, 3))
            for name, tensor in source.items():
                if name.endswith('weight') and tensor.ndim == 4:
                    lead = wide[name][:tensor.shape[0], :tensor.shape[1]]
                    self.assertLess((lead - tensor).abs().max().item(), 1e-5, name)
            notes = json.loads((tmp / 'models' / 'cifar10-resnet18w4-l2-0.5' / 'model.json').read_text())['training']['notes']
            self.assertIn('width 2 widened to 4', notes)


class Augmentation(unittest.TestCase):
    """--augment: pad-crop (CIFAR's default) or resized-crop, recorded in the checkpoint and stated in the card."""

    def test_cifar_run_with_resized_crops_trains_and_its_card_says_so(self):
        import contextlib
        import json
        import export
        import train
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            common = ['--width', '2', '--epochs', '1'] + _tiny_cifar_run(tmp)
            notes = {}
            for run, extra in (('padded', []), ('zoomed', ['--augment', 'resized-crop', '--crop-scale', '0.25', '1'])):
                with contextlib.redirect_stdout(io.StringIO()):
                    train.main(['--run', run] + common + extra)
                    export.main(['--checkpoint', str(tmp / 'runs' / run / 'last.pt'), '--out-dir', str(tmp / run),
                                 '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
                ck = torch.load(tmp / 'runs' / run / 'last.pt')
                self.assertEqual(ck['args']['augment'], 'resized-crop' if extra else 'pad-crop')
                card = tmp / run / 'cifar10-resnet18w2-standard' / 'model.json'
                notes[run] = json.loads(card.read_text())['training']['notes']
            self.assertIn('random crop (4-px pad)', notes['padded'])
            self.assertIn('random-resized crops (area 0.25-1, aspect 3/4-4/3) of the 32 px images to 32 px', notes['zoomed'])


class GpuScript(unittest.TestCase):
    def test_run_gpu_sh_trains_resumes_and_exports_all_three_models(self):
        """The documented width-64 command, on CPU at width 2 with one epoch each: its plumbing, not CUDA."""
        import json
        import subprocess
        here = Path(__file__).resolve().parent
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_fake_folders(tmp / 'data', {'train': 16, 'test': 5})
            data = f'--data {tmp / "data"} --cache {tmp / "cache"}'
            env = {**os.environ, 'PY': sys.executable, 'DEVICE': 'cpu', 'W': '2', 'STD_EPOCHS': '1', 'ROB_EPOCHS': '1',
                   'RUNS': str(tmp / 'runs'),
                   'TRAIN_ARGS': f'--batch-size 16 --attack-steps 1 --eval-subset 50 --threads 1 {data}',
                   'EXPORT_ARGS': f'--smoke --out-dir {tmp / "models"} {data}'}
            for attempt in ('first', 'rerun'):  # a rerun resumes the finished runs and exports again
                done = subprocess.run(['bash', str(here / 'run_gpu.sh')], env=env, capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, f'{attempt}: {done.stdout[-2000:]}{done.stderr[-2000:]}')
            self.assertEqual(done.stdout.count('resumed'), 3)
            ids = sorted(p.name for p in (tmp / 'models').iterdir())
            self.assertEqual(ids, ['cifar10-resnet18w2-l2-0.5', 'cifar10-resnet18w2-l2-1.0', 'cifar10-resnet18w2-standard'])
            for i in ids:
                spec = json.loads((tmp / 'models' / i / 'model.json').read_text())
                self.assertEqual(spec['architecture'], {'name': 'resnet18-cifar', 'width': 2})


def _write_fake_160(root: Path, wnids: list[str], per_class: dict[str, int], seed=0):
    """An Imagenette-like folder: classes.json (wnid -> name) and <split>/<wnid>/<name>.JPEG at 160 px."""
    import json
    from PIL import Image
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / 'classes.json').write_text(json.dumps({w: f'class {w[-2:]}' for w in wnids}))
    for split, n in per_class.items():
        for w in wnids:
            (root / split / w).mkdir(parents=True, exist_ok=True)
            for i in range(n):  # file names that are not ranks, like ILSVRC2012_val_00000293.JPEG
                Image.fromarray(rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)).save(
                    root / split / w / f'{w}_{int(rng.integers(1e6)):07d}.png')


class ImagenetteLayout(unittest.TestCase):
    """The 160 px image-folder sets: wnid folders named by classes.json, round-robin order without rank file names,
    the union of two sets, evaluation center crops; the ImageNet-layout ResNet-18, random-resized crops, the fast
    recipe's random start and the catastrophic-overfitting restart; export at the training resolution."""

    def test_wnid_folders_load_round_robin_with_names_and_the_union_offsets_labels(self):
        from data import DATASETS, center_crop_resize, eval_resize, load_dataset_split
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_fake_160(tmp / 'a', ['n002', 'n001'], {'val': 2}, seed=1)
            _write_fake_160(tmp / 'b', ['n009'], {'val': 3}, seed=2)
            x, y, names = load_dataset_split('imagenette', 'test', [tmp / 'a'], tmp / 'cache')
            self.assertEqual(names, ['class 01', 'class 02'])  # label order = sorted wnid
            self.assertEqual(y.tolist(), [0, 1, 0, 1])
            self.assertEqual(x.shape, (4, 160, 160, 3))
            first = sorted((tmp / 'a' / 'val' / 'n001').iterdir())[0]
            from PIL import Image
            np.testing.assert_array_equal(x[0], np.asarray(Image.open(first).convert('RGB')))
            ux, uy, unames = load_dataset_split('imagenette+imagewoof', 'test', [tmp / 'a', tmp / 'b'], tmp / 'cache')
            self.assertEqual(unames, ['class 01', 'class 02', 'class 09'])
            self.assertEqual(uy.tolist(), [0, 1, 2, 0, 1, 2, 2])
            self.assertIn('imagenette+imagewoof', DATASETS)
            crops = center_crop_resize(x, 128)
            self.assertEqual((crops.shape, eval_resize(128)), ((4, 128, 128, 3), 146))

    def test_random_resized_crop_and_random_start(self):
        from train import random_resized_crop
        x = torch.randint(0, 256, (8, 160, 160, 3), dtype=torch.uint8)
        out = random_resized_crop(x, torch.Generator().manual_seed(0), 64)
        self.assertEqual(tuple(out.shape), (8, 3, 64, 64))
        self.assertTrue(0 <= out.min().item() and out.max().item() <= 1)
        again = random_resized_crop(x, torch.Generator().manual_seed(0), 64)
        self.assertTrue(torch.equal(out, again))  # seeded
        # the whole image (area 1, ratio 1) at its own size is the image itself, or its mirror
        whole = random_resized_crop(x, torch.Generator().manual_seed(0), 160, (1.0, 1.0), (1.0, 1.0))
        ref = x.permute(0, 3, 1, 2).float() / 255
        for i in range(8):
            self.assertTrue(min((whole[i] - ref[i]).abs().max().item(), (whole[i] - ref[i].flip(2)).abs().max().item()) < 1e-4)

        model = ResNet18Cifar(4, 10, 'resnet18').eval()
        xi, yi = torch.rand(4, 3, 64, 64) * 0.5 + 0.25, torch.randint(0, 10, (4,))
        started = pgd_l2(model, xi, yi, 0.5, 1, 1e-6, random_start=True, generator=torch.Generator().manual_seed(0))
        norms = (started - xi).flatten(1).norm(dim=1)
        self.assertTrue(bool(((norms - 0.5).abs() < 1e-3).all()), norms)  # on the eps-sphere, not at x

    def test_fast_robust_training_restarts_after_catastrophic_overfitting_and_exports_at_its_resolution(self):
        import contextlib
        import json
        import export
        import train
        self.assertTrue(train.collapsed(0.4, 0.1, 0.5))
        self.assertFalse(train.collapsed(0.4, 0.3, 0.5))
        self.assertFalse(train.collapsed(0.0, 0.0, 0.5))  # no best yet
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_fake_160(tmp / 'data', ['n001', 'n002', 'n003'], {'train': 6, 'val': 4})
            common = ['--dataset', 'imagenette', '--resolution', '32', '--width', '2', '--eps', '0.01',
                      '--attack-steps', '1', '--random-start', '1', '--batch-size', '6', '--eval-subset', '12',
                      '--overfit-check', '12', '--threads', '1', '--device', 'cpu', '--data', str(tmp / 'data'),
                      '--cache', str(tmp / 'cache'), '--runs-dir', str(tmp / 'runs')]
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(['--run', 'ok', '--epochs', '2'] + common)
                # ratio 100: every epoch after the first "collapses": discarded, redone with one more step, then stop
                with self.assertRaises(SystemExit):
                    train.main(['--run', 'co', '--epochs', '3', '--collapse-ratio', '100', '--max-restarts', '1'] + common)
            ck = torch.load(tmp / 'runs' / 'co' / 'last.pt')
            self.assertEqual(ck['epoch'], 1)  # the discarded epochs never reached the checkpoint
            rows = (tmp / 'runs' / 'co' / 'log.csv').read_text().splitlines()[1:]
            self.assertEqual([r.split(',')[0] for r in rows], ['1', '2 (discarded)', '2 (discarded)'])
            self.assertEqual([r.split(',')[7] for r in rows], ['1', '1', '2'])  # attack steps per try
            with contextlib.redirect_stdout(io.StringIO()):
                export.main(['--checkpoint', str(tmp / 'runs' / 'ok' / 'last.pt'), '--out-dir', str(tmp / 'models'),
                             '--smoke', '--data', str(tmp / 'data'), '--cache', str(tmp / 'cache')])
            out = tmp / 'models' / 'imagenette32-resnet18w2-l2-0.01'
            spec = json.loads((out / 'model.json').read_text())
            self.assertEqual(spec['architecture'], {'name': 'resnet18', 'width': 2})
            self.assertEqual((spec['input']['height'], spec['input']['cropFraction']), (32, round(32 / 37, 6)))
            self.assertEqual(spec['classes'], ['class 01', 'class 02', 'class 03'])
            self.assertEqual(spec['input']['mean'], [0.485, 0.456, 0.406])
            self.assertIn('random start', spec['training']['notes'])
            self.assertEqual(sorted(spec['metrics']['robust']['l2']), ['0.1875', '0.375', '0.75'])  # 128 px radii x 32/128
            expected = json.loads((out / 'expected.json').read_text())
            self.assertEqual((expected['inputs']['height'], len(expected['logits'][0])), (32, 3))
            loaded, _ = load_exported(out)
            model = train.ResNet18Cifar(2, 3, 'resnet18', (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
            model.load_state_dict(torch.load(tmp / 'runs' / 'ok' / 'last.pt')['model'])
            probe = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(3))
            with torch.no_grad():  # folded BatchNorm vs the trained one: export.py's own fold tolerance
                self.assertLess((loaded(probe) - model.eval()(probe)).abs().max().item(), 1e-3)


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
        # model.json input.cropFraction: the evaluation's center crop (128/146 of the short side)
        self.assertEqual(center_crop_box(640, 480, 128, 128, 128 / 146), (109, 29, 421, 421))


if __name__ == '__main__':
    unittest.main()
