"""Runs one command: the action's handler (or prepare) under a timeout, a cancel and the agent's stop,
with progress flushing, and turns whatever happens into exactly one result body.

Sync handlers run in a bounded thread pool (``max_concurrency``); ``async def`` handlers on one event
loop in a worker thread. A timeout or a stop is reported at once (a thread cannot be killed: a
handler that ignores ``ctx.cancelled`` keeps its pool slot, and the poll asks for fewer commands
until it returns); a cancel gives the handler ``cancel_grace`` seconds to return its own result."""
import asyncio
import concurrent.futures
import inspect
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from .context import ActionContext, call_handler, current_command
from .isolated import run_isolated
from .logger import SafeLogger
from .manifest import defaults_from_schema
from .progress import ProgressReporter, SendProgress, iso_now
from .redact import scrub_secrets
from .results import failure, fit_result, from_error, to_result

DEFAULT_TIMEOUT_SECONDS = 300


class _Run:
    """One command's abort state across its attempts: a cancel or stop aborts the running attempt's
    ctx and ends the retries (abort_all and the progress reporter call ``_abort``)."""

    def __init__(self) -> None:
        self.ctx: Optional[ActionContext] = None
        self.stopped: Optional[tuple] = None  # type: ignore[type-arg]
        self.event = threading.Event()

    def _abort(self, code: str, message: str) -> None:
        if self.stopped is None:
            self.stopped = (code, message)
        self.event.set()
        if self.ctx is not None:
            self.ctx._abort(code, message)


class AsyncRunner:
    """One event loop on a daemon thread, started on the first ``async def`` handler."""

    def __init__(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._lock = threading.Lock()

    def submit(self, coro: Any) -> "concurrent.futures.Future[Any]":
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="capstan-agent asyncio", daemon=True).start()
                self._loop = loop
        return asyncio.run_coroutine_threadsafe(coro, self._loop)


class DaemonPool:
    """A bounded pool of daemon threads: at most ``size`` handlers run at once. Unlike
    ThreadPoolExecutor (joined at interpreter exit), a stuck handler never keeps the host alive."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)

    def submit(self, fn: Callable[[], Any]) -> "concurrent.futures.Future[Any]":
        fut: "concurrent.futures.Future[Any]" = concurrent.futures.Future()

        def run() -> None:
            with self._slots:
                if not fut.set_running_or_notify_cancel():
                    return
                try:
                    fut.set_result(fn())
                except BaseException as err:  # the future carries it to the supervisor
                    fut.set_exception(err)
        threading.Thread(target=run, name="capstan-agent handler", daemon=True).start()
        return fut


class Executor:
    def __init__(self, *, owner: int, actions: Dict[str, Dict[str, Any]], send_progress: SendProgress, log: SafeLogger,
                 secrets: Callable[[], List[str]], progress_interval: float, cancel_grace: float, max_concurrency: int,
                 message_action: Callable[[], Optional[Dict[str, Any]]] = lambda: None) -> None:
        self._owner = owner
        self._actions = actions
        self._message_action = message_action
        self._send_progress = send_progress
        self._log = log
        self._secrets = secrets
        self._progress_interval = progress_interval
        self._cancel_grace = cancel_grace
        self._pool = DaemonPool(max_concurrency)
        self._async = AsyncRunner()
        self._lock = threading.Lock()
        self._running: Dict[str, _Run] = {}
        self._occupied = 0  # handlers actually running, abandoned ones (ignored their timeout) included

    @property
    def busy(self) -> int:
        """Slots in use: commands not yet settled, or handler threads still running, whichever is more."""
        with self._lock:
            return max(len(self._running), self._occupied)

    @property
    def settling(self) -> int:
        with self._lock:
            return len(self._running)

    def abort_all(self, code: str, message: str) -> None:
        with self._lock:
            ctxs = list(self._running.values())
        for ctx in ctxs:
            ctx._abort(code, message)

    def run(self, cmd: Dict[str, Any]) -> Dict[str, Any]:
        """Blocks (on the command's supervisor thread) until the command has its one result body, with
        its metrics: attempts, wall time, CPU of this process and its reaped children (an isolated
        run's subprocess), and the subprocess's peak RSS as peakHeapMb."""
        started_at = iso_now()
        t0, c0 = time.perf_counter(), os.times()
        trace: Dict[str, Any] = {"attempts": 0}
        outcome = self._execute(cmd, trace)
        result = scrub_secrets(outcome, self._secrets())
        c1 = os.times()

        def ms(seconds: float) -> float:
            return max(0.0, round(seconds * 1000, 1))
        metrics: Dict[str, Any] = {
            "attempts": trace["attempts"], "durationMs": ms(time.perf_counter() - t0),
            "cpuUserMs": ms(c1.user - c0.user + c1.children_user - c0.children_user),
            "cpuSystemMs": ms(c1.system - c0.system + c1.children_system - c0.children_system),
        }
        if "heap" in trace:
            metrics["peakHeapMb"] = trace["heap"]
        return {**fit_result(result), "startedAt": started_at, "finishedAt": iso_now(), "metrics": metrics}

    def _execute(self, cmd: Dict[str, Any], trace: Dict[str, Any]) -> Dict[str, Any]:
        """Prepare once; execute once or, when the action declared ``retry``, again while an attempt fails
        with a code in ``on`` (after ``backoff_seconds``). Each attempt has its own timeout."""
        is_message = cmd.get("type") == "MESSAGE"
        action = self._message_action() if is_message else self._actions.get(cmd.get("actionName") or "")
        if action is None:
            if is_message:
                return failure("MESSAGE_HANDLER_MISSING", "this agent has no on_message handler")
            return failure("ACTION_NOT_FOUND", f'this agent has no action "{cmd.get("actionName")}"')
        raw_payload = cmd.get("payload")
        payload: Dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        run = _Run()
        progress = ProgressReporter(cmd["id"], self._send_progress, self._progress_interval, lambda why: run._abort("CANCELLED", why), self._log)
        retry = action.get("retry") if cmd.get("type") != "ACTION_PREPARE" else None
        max_attempts = int(retry["max_attempts"]) if retry else 1
        with self._lock:
            self._running[cmd["id"]] = run
        progress.start()
        try:
            while True:
                trace["attempts"] += 1
                r = self._attempt(action, cmd, payload, progress, run, trace)
                code = str((r.get("error") or {}).get("code") or "")
                last = bool(r.get("success")) or trace["attempts"] >= max_attempts or retry is None or code not in retry["on"] or run.stopped is not None
                if max_attempts > 1:
                    told = "succeeded" if r.get("success") else f"{code} {(r.get('error') or {}).get('message', '')}"
                    progress.append("info" if r.get("success") else "warn",
                                    f"attempt {trace['attempts']} of {max_attempts}: {told}" + ("" if last else f"; retrying in {retry['backoff_seconds']:g} s"))  # type: ignore[index]
                if last:
                    return r
                if run.event.wait(float(retry["backoff_seconds"])):  # type: ignore[index]
                    return r  # cancelled or stopped during the backoff
        finally:
            progress.finish()
            with self._lock:
                self._running.pop(cmd["id"], None)

    def _attempt(self, action: Dict[str, Any], cmd: Dict[str, Any], payload: Dict[str, Any], progress: ProgressReporter,
                 run: _Run, trace: Dict[str, Any]) -> Dict[str, Any]:
        timeout = action.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS
        ctx = ActionContext(cmd["id"], action["name"], payload, progress.set, progress.append)
        run.ctx = ctx
        if run.stopped is not None:
            ctx._abort(*run.stopped)
        wake = threading.Event()
        kills: List[Callable[[], None]] = []
        try:
            work = self._submit(action, cmd, ctx, kills, trace)
            work.add_done_callback(lambda _f: wake.set())
            def watch() -> None:  # an abort (cancel, stop) ends the wait below as the handler's end would
                ctx.cancelled.wait()
                wake.set()
            threading.Thread(target=watch, name="capstan-agent cancel watch", daemon=True).start()
            if not wake.wait(timeout) and not work.done():
                ctx._abort("ACTION_TIMEOUT", f'action "{action["name"]}" exceeded its {timeout:g} s timeout')
            return self._settle(work, ctx)
        finally:
            ctx.cancelled.set()  # ends the watcher thread; the reason stays as it was
            for kill in kills:  # an isolated handler still running now (timeout, cancel grace over, stop)
                kill()

    def _settle(self, work: "concurrent.futures.Future[Any]", ctx: ActionContext) -> Dict[str, Any]:
        """The handler's own result, unless an abort came first (a cancel waits ``cancel_grace`` for it)."""
        if not work.done() and ctx.reason == "CANCELLED":
            try:
                work.result(timeout=self._cancel_grace)
            except BaseException:
                pass
        if work.done() and not work.cancelled():
            err = work.exception()
            return from_error(err) if err is not None else dict(work.result())
        work.cancel()  # an async handler's task is cancelled; a thread cannot be, it was told via ctx.cancelled
        return failure(ctx.reason or "CANCELLED", ctx.reason_message or "aborted")

    def _submit(self, action: Dict[str, Any], cmd: Dict[str, Any], ctx: ActionContext, kills: List[Callable[[], None]],
                trace: Dict[str, Any]) -> "concurrent.futures.Future[Any]":
        scope = (self._owner, cmd["id"])
        is_prepare = cmd.get("type") == "ACTION_PREPARE"
        if action.get("isolate") and not is_prepare:
            iso: "concurrent.futures.Future[Any]" = concurrent.futures.Future()

            def run_child() -> None:
                if not iso.set_running_or_notify_cancel():
                    return
                try:
                    iso.set_result(run_isolated(action["isolate"], ctx, action.get("arity", 2), kills, trace))
                except BaseException as err:
                    iso.set_exception(err)
            threading.Thread(target=run_child, name="capstan-agent isolated", daemon=True).start()
            return iso
        fn: Optional[Callable[..., Any]] = action.get("prepare") if is_prepare else action["handler"]
        finish: Callable[[Any], Dict[str, Any]] = (lambda v: prepare_answer(action, v)) if is_prepare else to_result
        if fn is None:  # prepare without a prepare callback: the schema's defaults
            done: "concurrent.futures.Future[Any]" = concurrent.futures.Future()
            done.set_result(prepare_answer(action, None))
            return done
        call: Callable[..., Any] = fn
        arity: int = action.get("arity", 2)
        if inspect.iscoroutinefunction(call):
            async def run_async() -> Any:
                current_command.set(scope)  # task-local: each task runs in a copy of the context
                return finish(await (call(ctx) if is_prepare else call_handler(call, ctx.payload, ctx, arity)))
            return self._async.submit(run_async())

        def run_sync() -> Any:
            with self._lock:
                self._occupied += 1
            token = current_command.set(scope)
            try:
                value = call(ctx) if is_prepare else call_handler(call, ctx.payload, ctx, arity)
                if inspect.isawaitable(value):  # a sync wrapper around a coroutine
                    value = self._async.submit(_awaited(value)).result()
                return finish(value)
            finally:
                current_command.reset(token)
                with self._lock:
                    self._occupied -= 1
        return self._pool.submit(run_sync)

def retry_policy(r: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Declaring ``retry`` declares the action idempotent: bounds and defaults applied once."""
    if r is None:
        return None
    if not isinstance(r, dict) or not isinstance(r.get("max_attempts"), int):
        raise TypeError("capstan_agent: retry needs max_attempts (1..5), optional backoff_seconds and on (error codes)")
    on = r.get("on", ["ACTION_TIMEOUT", "ACTION_FAILED"])
    if not isinstance(on, list) or not all(isinstance(c, str) for c in on):
        raise TypeError("capstan_agent: retry on must be a list of error codes")
    return {"max_attempts": max(1, min(5, r["max_attempts"])), "backoff_seconds": max(0.0, min(3600.0, float(r.get("backoff_seconds", 1)))), "on": on}


async def _awaited(value: Any) -> Any:
    return await value


def prepare_answer(action: Dict[str, Any], answer: Any) -> Dict[str, Any]:
    initial = answer.get("initialPayload") if isinstance(answer, dict) else None
    data: Dict[str, Any] = {"initialPayload": initial if initial is not None else defaults_from_schema(action.get("input_schema"))}
    if isinstance(answer, dict) and answer.get("currentState") is not None:
        data["currentState"] = answer["currentState"]
    return {"success": True, "data": data}
