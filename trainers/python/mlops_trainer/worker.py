"""The Temporal worker: ONE activity of type `train` on the trainer's task queue."""

import argparse
import asyncio
import os
import signal
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from .model import InvalidParams
from .train import identity, train_model


async def heartbeating(work, *args):
    """Runs blocking work in a thread and heartbeats while it runs, so a dead trainer is noticed and retried."""
    timeout = activity.info().heartbeat_timeout or timedelta(seconds=30)
    every = max(timeout.total_seconds() / 3, 0.5)
    task = asyncio.ensure_future(asyncio.to_thread(work, *args))
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        if done:
            return task.result()
        activity.heartbeat("training")


@activity.defn(name="train")
async def train(request: dict) -> dict:
    try:
        return await heartbeating(train_model, request)
    except InvalidParams as err:
        raise ApplicationError(str(err), type="InvalidParams", non_retryable=True) from err


async def run(task_queue: str, activities=None) -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"), namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"))
    worker = Worker(client, task_queue=task_queue, activities=activities or [train], identity=f"{identity()} python-trainer")
    # SIGINT/SIGTERM drain the worker (running trainings finish or are cancelled) instead of a traceback.
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print(f"trainer polling task queue {task_queue}", flush=True)
    async with worker:
        await stop.wait()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="mlops_trainer", description="The reference scikit-learn trainer of temporal-mlops")
    parser.add_argument("--task-queue", default=os.environ.get("MLOPS_TRAINER_TASK_QUEUE", "mlops-trainer-python"))
    args = parser.parse_args(argv)
    asyncio.run(run(args.task_queue))


if __name__ == "__main__":
    main()
