"""First-sight measurement of a blind NLU set on the current model (throwaway, in /tmp)."""
import json, sys, tempfile, urllib.request
from collections import Counter
from pathlib import Path
import yaml
ROOT = Path("/work/fs"); sys.path.insert(0, str(ROOT))
from bot.devstack import RasaStack
from tests.support.gateway import free_port
from common.vietnamese import has_diacritics
from bot.safety import screen
from bot.safety.learned import LearnedClassifier, MODEL_DIR
from bot.safety.triage import decide, Context
from bot import speaker

def parse(url, text):
    req = urllib.request.Request(url + "/model/parse", data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

items = []
for f in sys.argv[1:]:
    items += yaml.safe_load(open(f))["messages"]
work = Path(tempfile.mkdtemp())
stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(), extra_env={"RASA_TRACKER_DB": str(work/"t.db")}, log_dir=work, enable_api=True)
stack.start(); stack.wait_ready(timeout=400)
clf = LearnedClassifier.load(MODEL_DIR)
tot = Counter(); ok = Counter(); conf = Counter(); tri = Counter(); who_ok = Counter()
try:
    for it in items:
        text, want = it["text"], it["intent"]
        acc = "accented" if has_diacritics(text) else "unaccented"
        p = parse(stack.rasa_url, text)
        got = p["intent"]["name"]
        if got == "faq":
            sel = p.get("response_selector", {}).get("faq", {}).get("response", {})
            got = sel.get("intent_response_key") or "faq/?"
        good = got == want
        tot["all"] += 1; tot[acc] += 1; ok["all"] += good; ok[acc] += good
        if want.startswith("faq/"):
            tot["faq"] += 1; ok["faq"] += good
            tot["faq_intent"] += 1; ok["faq_intent"] += got.startswith("faq/")
        else:
            tot["non_faq"] += 1; ok["non_faq"] += good
        if not good:
            conf[(want.split("/")[0], got.split("/")[0])] += 1
        # triage without Rasa on an ordinary message
        sp = speaker.as_audience(speaker.guess(text, speaker.UNKNOWN))
        t = decide(screen(text), clf.score(text), Context(speaker=sp), text=text, fusion=clf.fusion)
        tri[t.decision.value] += 1
        w = it.get("who", "")
        exp = "parent" if w in ("parent", "grandparent") else "child"
        who_ok["n"] += 1; who_ok["ok"] += sp == exp
finally:
    stack.stop()
for k in ["all", "accented", "unaccented", "faq", "faq_intent", "non_faq"]:
    print(f"{k}: {ok[k]}/{tot[k]} = {ok[k]/max(1,tot[k]):.3f}")
print("triage without Rasa on these ordinary messages:", dict(tri), f"escalate rate {tri['escalate']/len(items):.3f}, review rate {tri['review']/len(items):.3f}")
print("speaker guess right:", who_ok["ok"], "/", who_ok["n"])
print("top confusions (want->got, intent level):", conf.most_common(12))
