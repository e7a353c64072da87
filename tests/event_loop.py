"""Running a coroutine from a test, whatever loop the test session already has."""
import asyncio
import concurrent.futures


def run_in_own_loop(coroutine):
    """asyncio.run in a thread of its own: the browser tests leave an event loop running in
    the main thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
