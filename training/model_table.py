"""Regenerate the model table in resources/models/README.md (between the <!-- models:begin/end --> markers)
from every resources/models/<id>/model.json:  /usr/bin/python3 training/model_table.py"""
import json
import re
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / 'resources' / 'models'


def pct(v):
    return f'{100 * v:.2f} %'


def table() -> str:
    rows = ['| id | role | architecture | width | training | epochs | clean (10k) | L2 ε=0.25 | L2 ε=0.5 | L2 ε=1.0 | engine: clean / 0.25 / 0.5 / 1.0 | size |',
            '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for spec_path in sorted(MODELS_DIR.glob('*/model.json')):
        s = json.loads(spec_path.read_text())
        t, m = s['training'], s['metrics']
        size = sum((spec_path.parent / p).stat().st_size for g in s['weightsManifest'] for p in g['paths'])
        trained = 'standard' if t['threat'] == 'none' else f'L2 PGD ε={t["eps"]:g}, {t["attackSteps"]} steps'
        partial = re.search(r'PARTIAL SCHEDULE: epoch (\d+) of (\d+)', t.get('notes', ''))
        epochs = f'{partial.group(1)} of {partial.group(2)} (partial)' if partial else str(t['epochs'])
        r = m['robust'].get('l2', {})
        e = m.get('engine')
        engine = (' / '.join([pct(e['clean'])] + [pct(e['robust']['l2'][k]) for k in ('0.25', '0.5', '1.0')])
                  if e else 'not measured')
        rows.append(f'| `{s["id"]}` | {s["role"]} | {s["architecture"]["name"]} | {s["architecture"]["width"]} | '
                    f'{trained} | {epochs} | {pct(m["clean"])} | {pct(r["0.25"])} | {pct(r["0.5"])} | {pct(r["1.0"])} | {engine} | '
                    f'{size / 1e6:.2f} MB |')
    return '\n'.join(rows)


def main():
    readme = MODELS_DIR / 'README.md'
    text = readme.read_text()
    new = re.sub(r'(<!-- models:begin -->\n)(?:.*?\n)?(<!-- models:end -->)',
                 lambda mt: mt.group(1) + table() + '\n' + mt.group(2), text, flags=re.S)
    readme.write_text(new)
    print(table())


if __name__ == '__main__':
    main()
