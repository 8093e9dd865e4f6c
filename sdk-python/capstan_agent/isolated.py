"""Isolated actions (issue #20): the handler runs in a subprocess (``python -m capstan_agent._child``)
with an address-space limit (``resource.setrlimit(RLIMIT_AS)``), so a runaway loop or allocation costs
one process, never the host. The host kills it on a timeout, after a cancel's grace, or when the
agent stops. Python threads cannot be killed and share one heap, hence a process, not a thread; and
a fresh one per run (no warm pool: a forked interpreter would inherit the host's threads and locks).

Protocol: one JSON line in (the job), then abort lines ``{"a": [code, message]}``; JSON lines out:
``{"p": [percent, message]}``, ``{"l": [level, message]}``, and last ``{"v": value}`` or
``{"e": [code, message]}`` with ``"rss"`` (the child's peak RSS in MB). The child writes the protocol
to its original stdout; the handler's own prints (and a crash's traceback) go to its stderr, which
the host turns into log lines on the command."""
import asyncio
import importlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List, Optional

try:
    import resource
except ImportError:  # Windows: no rlimits; the memory cap is not applied there (documented)
    resource = None  # type: ignore[assignment]

from .context import ActionContext, call_handler
from .results import failure, from_error, to_result

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def isolate_spec(handler: Callable[..., Any], options: Dict[str, Any]) -> Dict[str, Any]:
    """Where the child finds the handler: its module (a ``__main__`` script by file) and qualified name."""
    qualname = str(getattr(handler, "__qualname__", ""))
    module = str(getattr(handler, "__module__", ""))
    if not qualname or "<locals>" in qualname or "<lambda>" in qualname or not module:
        raise TypeError("capstan_agent: an isolated handler must be a module-level function (its module is imported in a subprocess)")
    main_file: Optional[str] = None
    if module == "__main__":
        main_file = getattr(sys.modules["__main__"], "__file__", None)
        if not main_file:
            raise TypeError("capstan_agent: an isolated handler defined in an interactive session cannot be imported by a subprocess")
        main_file = os.path.abspath(main_file)
    memory_mb = options.get("memory_mb", 256)
    if not isinstance(memory_mb, (int, float)) or memory_mb < 16:
        raise TypeError("capstan_agent: isolate memory_mb must be a number >= 16")
    return {"module": module, "file": main_file, "qualname": qualname, "memory_mb": int(memory_mb)}


def run_isolated(spec: Dict[str, Any], ctx: ActionContext, arity: int, on_kill: List[Callable[[], None]], trace: Dict[str, Any]) -> Dict[str, Any]:
    """Runs one attempt in a fresh subprocess; returns its result (blocks the calling thread)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_PARENT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    proc = subprocess.Popen([sys.executable, "-m", "capstan_agent._child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True, bufsize=1)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr

    def relay() -> None:  # the handler's prints become log lines on the command (the reporter bounds them)
        with stderr:  # closed at EOF, when the child is gone
            for line in stderr:
                if line.strip():
                    ctx.log("info", line.rstrip("\n")[:8192])
    relaying = threading.Thread(target=relay, name="capstan-agent isolate stderr", daemon=True)
    relaying.start()
    lock = threading.Lock()

    def write(message: Dict[str, Any]) -> None:
        with lock:
            try:
                stdin.write(json.dumps(message) + "\n")
                stdin.flush()
            except (OSError, ValueError):
                pass  # the child is gone

    def kill() -> None:
        if proc.poll() is None:
            proc.kill()
    on_kill.append(kill)
    write({**spec, "arity": arity, "payload": ctx.payload, "commandId": ctx.command_id, "actionName": ctx.action_name,
           "path": [p for p in sys.path if p]})

    def forward() -> None:  # a cancel, timeout or stop reaches the child's ctx.cancelled
        ctx.cancelled.wait()
        if proc.poll() is None and ctx.reason:
            write({"a": [ctx.reason, ctx.reason_message or ""]})
    threading.Thread(target=forward, name="capstan-agent isolate abort", daemon=True).start()
    answer: Optional[Dict[str, Any]] = None
    for line in stdout:
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if "p" in m:
            ctx.progress(*m["p"])
        elif "l" in m:
            ctx.log(*m["l"])
        else:
            answer = m
            break
    proc.wait()
    relaying.join(1)
    stdout.close()
    with lock:
        try:
            stdin.close()
        except OSError:
            pass
    if answer is None:
        return failure("ACTION_FAILED", f"isolated handler exited ({proc.returncode})")
    if isinstance(answer.get("rss"), (int, float)):
        trace["heap"] = max(trace.get("heap", 0.0), float(answer["rss"]))
    if "e" in answer:
        if answer["e"][0] == "ACTION_OUT_OF_MEMORY":
            trace["heap"] = max(trace.get("heap", 0.0), float(spec["memory_mb"]))
        return failure(str(answer["e"][0]), str(answer["e"][1]))
    return to_result(answer.get("v"))


def _load(job: Dict[str, Any]) -> Callable[..., Any]:
    if job.get("file"):
        # a __main__ script, imported under another name so its `if __name__ == "__main__":` block stays out
        spec = importlib.util.spec_from_file_location("__capstan_isolated_main__", job["file"])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(job["module"])
    target: Any = module
    for part in str(job["qualname"]).split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


def _child() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints go to stderr, never into the protocol
    sys.stdout = sys.stderr
    lock = threading.Lock()

    def send(message: Dict[str, Any]) -> None:
        with lock:
            proto.write(json.dumps(message) + "\n")
            proto.flush()
    job = json.loads(sys.stdin.readline())
    for p in reversed(job.get("path") or []):
        if p not in sys.path:
            sys.path.insert(0, p)

    def progress(percent: float, message: Optional[str] = None) -> None:
        send({"p": [percent, message]})

    def log(level: str, message: str) -> None:
        send({"l": [level, str(message)]})
    ctx = ActionContext(job["commandId"], job["actionName"], job.get("payload") or {}, progress, log)

    def listen() -> None:
        for line in sys.stdin:
            a = json.loads(line).get("a")
            if a:
                ctx._abort(str(a[0]), str(a[1]))
    threading.Thread(target=listen, daemon=True).start()
    mb = int(job.get("memory_mb") or 256)
    out: Dict[str, Any]
    try:
        fn = _load(job)  # imported before the cap: the cap is for the handler's own work
        if resource is not None:
            resource.setrlimit(resource.RLIMIT_AS, (mb * 1024 * 1024, mb * 1024 * 1024))
        value = call_handler(fn, ctx.payload, ctx, int(job.get("arity", 2)))
        if inspect.isawaitable(value):
            value = asyncio.run(_awaited(value))
        out = {"v": value}
    except MemoryError:
        out = {"e": ["ACTION_OUT_OF_MEMORY", f'action "{job["actionName"]}" exceeded its {mb} MB memory limit']}
    except BaseException as err:
        r = from_error(err)
        out = {"e": [r["error"]["code"], r["error"]["message"]]}
    if resource is not None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["rss"] = round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    try:
        send(out)
    except (TypeError, ValueError) as err:
        send({"e": ["ACTION_FAILED", f"the isolated handler's result is not JSON: {err}"], "rss": out.get("rss")})


async def _awaited(value: Any) -> Any:
    return await value


def child_main() -> None:
    """Entry of the subprocess (``capstan_agent/_child.py``, a module the package never imports)."""
    _child()
