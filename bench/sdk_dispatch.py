"""The Python half of bench/sdk-dispatch-python.mjs: the same measurement as bench/sdk-dispatch.mjs
(operator's execute request -> handler start, 3 warm-up runs, random phase between runs), with the
Python SDK. Reads BENCH_URL, BENCH_API_TOKEN, BENCH_REG_TOKEN, BENCH_LONG_POLL, BENCH_RUNS; prints JSON."""
import json
import os
import random
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk-python"))
from capstan_agent import CapsuleAgent, MemoryTokenStore  # noqa: E402

URL, API = os.environ["BENCH_URL"], os.environ["BENCH_API_TOKEN"]
LONG_POLL = os.environ.get("BENCH_LONG_POLL", "1") == "1"
RUNS = int(os.environ.get("BENCH_RUNS", "50"))

agent = CapsuleAgent(backend_url=URL, registration_token=os.environ["BENCH_REG_TOKEN"], token_store=MemoryTokenStore(),
                     agent={"code": "bench-py-long-poll" if LONG_POLL else "bench-py-interval-poll"}, long_poll=LONG_POLL)
started = {"at": 0.0}
ready = threading.Event()


@agent.action(name="ping")
def ping(payload: object, ctx: object) -> None:
    started["at"] = time.perf_counter()
    ready.set()


agent.start(wait=15)
samples: "list[float]" = []
for i in range(RUNS + 3):
    ready.clear()
    req = urllib.request.Request(f"{URL}/api/admin/capsule-services/{agent.service_id}/actions/ping", data=b'{"payload":{}}', method="POST",
                                 headers={"authorization": f"Bearer {API}", "content-type": "application/json"})
    t0 = time.perf_counter()
    urllib.request.urlopen(req, timeout=30).read()
    ready.wait(30)
    if i >= 3:
        samples.append((started["at"] - t0) * 1000)
    time.sleep(0.03 + random.random() * (0.05 if LONG_POLL else 5))
agent.stop(timeout=5)
samples.sort()


def q(p: float) -> float:
    return samples[min(len(samples) - 1, int(p * len(samples)))]


print(json.dumps({"runs": len(samples), "medianMs": q(0.5), "p95Ms": q(0.95), "minMs": samples[0], "maxMs": samples[-1]}))
