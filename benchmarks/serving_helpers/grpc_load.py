"""A closed-loop gRPC load generator: `concurrency` callers, each sending the next
request as soon as its previous answer arrives, for `duration` seconds — wrk's model,
for unary gRPC calls, since `ghz` is not packaged for Debian.

The request is serialized once (the driver writes its bytes to a file) and answers
are not parsed, so the client spends its core on the transport, as wrk does; every
answer's status is checked. All callers share one channel (one HTTP/2 connection), as
`ghz` does by default. Prints one JSON line: counts and latency percentiles in µs.

    python grpc_load.py --target 127.0.0.1:8081 --method /inference.GRPCInferenceService/ModelInfer \
        --request body.bin --concurrency 8 --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import grpc


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, object]:
    body = Path(args.request).read_bytes()
    async with grpc.aio.insecure_channel(args.target) as channel:
        call = channel.unary_unary(args.method)  # bytes in, bytes out: no (de)serializer
        await asyncio.wait_for(channel.channel_ready(), 10)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        stop_warmup = time.perf_counter() + args.warmup
        recording = False

        async def caller() -> None:
            nonlocal recording
            while True:
                start = time.perf_counter()
                try:
                    await call(body, timeout=10)
                except grpc.aio.AioRpcError as exc:
                    if recording:
                        errors[exc.code().name] = errors.get(exc.code().name, 0) + 1
                    continue
                end = time.perf_counter()
                if recording:
                    latencies.append(end - start)
                elif end >= stop_warmup:
                    recording = True

        tasks = [asyncio.create_task(caller()) for _ in range(args.concurrency)]
        await asyncio.sleep(args.warmup)
        recording = True
        latencies.clear()
        errors.clear()
        began = time.perf_counter()
        await asyncio.sleep(args.duration)
        elapsed = time.perf_counter() - began
        count = len(latencies)
        ordered = sorted(latencies[:count])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "requests": count,
        "duration_us": int(elapsed * 1e6),
        "status_errors": sum(errors.values()),
        "errors": errors,
        "p50_us": int(percentile(ordered, 50) * 1e6),
        "p90_us": int(percentile(ordered, 90) * 1e6),
        "p99_us": int(percentile(ordered, 99) * 1e6),
        "max_us": int((ordered[-1] if ordered else 0) * 1e6),
        "mean_us": round(sum(ordered) / count * 1e6, 1) if count else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--request", required=True, help="file with the serialized request")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    print("RESULT " + json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
