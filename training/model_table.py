"""Regenerate the model table in resources/models/README.md (between the <!-- models:begin/end --> markers)
from every resources/models/<id>/model.json:  /usr/bin/python3 training/model_table.py"""
import json
import re
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / 'resources' / 'models'


def pct(v):
    return f'{100 * v:.2f} %'


def robust_cell(robust: dict) -> str:
    return ' / '.join(f'{float(k):g}: {pct(v)}' for k, v in sorted(robust.items(), key=lambda kv: float(kv[0])))


def table() -> str:
    rows = ['| id | input | role | architecture | width | training | epochs | clean | L2 PGD-20 (ε: accuracy) | '
            'PGD-100 from clean + 5 random starts | engine: clean; PGD-20 | large-ε transfer (rob→std / std→rob) | size |',
            '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    specs = [json.loads(p.read_text()) | {'_dir': p.parent} for p in MODELS_DIR.glob('*/model.json')]
    for s in sorted(specs, key=lambda s: (s['pair'], s['role'] != 'standard', s['id'])):
        t, m = s['training'], s['metrics']
        size = sum((s['_dir'] / p).stat().st_size for g in s['weightsManifest'] for p in g['paths'])
        trained = 'standard' if t['threat'] == 'none' else f'L2 PGD ε={t["eps"]:g}, {t["attackSteps"]} steps'
        partial = re.search(r'PARTIAL SCHEDULE: epoch (\d+) of (\d+)', t.get('notes', ''))
        epochs = f'{partial.group(1)} of {partial.group(2)} (partial)' if partial else str(t['epochs'])
        e = m.get('engine')
        engine = f'{pct(e["clean"])}; {robust_cell(e["robust"].get("l2", {}))}' if e else 'not measured'
        strong = (f'{robust_cell(m["strong"]["l2"])} (first {m["strong"]["count"]})' if m.get('strong') else 'not measured')
        tr = m.get('largeEpsTransfer')
        transfer = (f'{pct(tr["robustToStandard"])} / {pct(tr["standardToRobust"])} (ε {tr["eps"]:g}, {tr["count"]} images)'
                    if tr else 'not measured')
        dtype = s['weightsManifest'][0]['weights'][0]['dtype']
        inp = f'{s["input"]["height"]} px, {len(s["classes"])} classes'
        rows.append(f'| `{s["id"]}` | {inp} | {s["role"]} | {s["architecture"]["name"]} | {s["architecture"]["width"]} | '
                    f'{trained} | {epochs} | {pct(m["clean"])} | {robust_cell(m["robust"].get("l2", {}))} | {strong} | '
                    f'{engine} | {transfer} | {size / 1e6:.2f} MB {dtype} |')
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
