# In-process timing of the Python reference: sacreBLEU's API on the same files, references
# prepared once (as its CLI does), import and file reading excluded. Prints JSON.
import json, sys, time
from sacrebleu.metrics import BLEU, CHRF, TER

ref_path, *sys_paths = sys.argv[1:]
read = lambda p: [l.rstrip() for l in open(p, encoding='utf-8', newline='\n')]
refs = [read(ref_path)]
systems = [read(p) for p in sys_paths]
out = {}
for name, make in (('bleu', BLEU), ('chrf', CHRF), ('ter', TER)):
    start = time.perf_counter()
    metric = make(references=refs)
    scores = [metric.corpus_score(s, None).score for s in systems]
    out[name] = {'seconds': time.perf_counter() - start, 'scores': scores}
print(json.dumps(out))
